// The relay / direct-send endpoint (<domain-key>.mail.protection.outlook.com:25). No AUTH:
// a message is attributed to an inbound connector by the client's IP or by its TLS client
// certificate; without one it is direct send, which only reaches the tenant's own mailboxes.
import type { TLSSocket } from "node:tls";
import type { SMTPServerAddress, SMTPServerDataStream, SMTPServerSession } from "smtp-server";
import { certificateNameMatches, certificateNames } from "../certs.js";
import type { EmulatorContext, FaultStage } from "../context.js";
import type { ConnectorPolicy, TenantPolicy } from "../tenant.js";
import {
  applyFault,
  closeServer,
  dropSession,
  ehloKeywords,
  ensureMessageId,
  exchangeServerOptions,
  faultedStage,
  findMailbox,
  isAcceptedDomain,
  listen,
  readAll,
  runStage,
  type SmtpEndpoint,
  type StageOutcome,
} from "./common.js";
import { ExchangeSmtpServer } from "./exchange-server.js";
import { replies, replyError, type SmtpReply } from "./replies.js";
import { RollingCounter } from "./windows.js";

/** Name the relay endpoint gives itself in replies (Exchange: an EOP front door). */
export const RELAY_HOSTNAME = "EMU0EUR01FT001.mail.protection.emulator.mailpath.dev";

/** What the relay knows about one session's client. */
interface RelayClient {
  /** Client IP, IPv4-mapped prefix removed. */
  readonly ip: string;
  /** DNS names (CN + SAN) of the TLS client certificate, if one was presented. */
  certificateNames: string[];
  /** Whether that certificate chains to the emulator's CA. */
  certificateTrusted: boolean;
  /** The connector the session was attributed to at MAIL FROM. */
  connector?: ConnectorPolicy | undefined;
}

function normalizeIp(address: string): string {
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

/**
 * The connector a client matches: by sender IP first, then by a trusted certificate whose
 * name matches `tlsCertificateName` and lies in an accepted domain (Exchange requires the
 * certificate's domain to be registered in the tenant).
 */
export function matchConnector(
  tenant: TenantPolicy,
  client: Pick<RelayClient, "ip" | "certificateNames" | "certificateTrusted">,
): ConnectorPolicy | undefined {
  const byIp = tenant.connectors.find((connector) => connector.senderIps?.includes(client.ip));
  if (byIp) return byIp;
  if (!client.certificateTrusted) return undefined;
  const inAcceptedDomain = (name: string) =>
    tenant.domains.some((domain) => {
      const accepted = domain.toLowerCase();
      return name === accepted || name.endsWith(`.${accepted}`);
    });
  return tenant.connectors.find((connector) => {
    const pattern = connector.tlsCertificateName;
    return (
      pattern !== undefined &&
      client.certificateNames.some(
        (name) => certificateNameMatches(pattern, name) && inAcceptedDomain(name),
      )
    );
  });
}

/**
 * Starts the relay endpoint.
 * @param context the emulator's shared state
 * @param options.port port to bind, 0 for an ephemeral one
 */
export async function startRelayEndpoint(
  context: EmulatorContext,
  options: { readonly port?: number } = {},
): Promise<SmtpEndpoint> {
  const host = RELAY_HOSTNAME;
  const clients = new Map<string, RelayClient>();
  const perIp = new RollingCounter();

  const clientOf = (session: SMTPServerSession): RelayClient => {
    let client = clients.get(session.id);
    if (!client) {
      client = {
        ip: normalizeIp(session.remoteAddress),
        certificateNames: [],
        certificateTrusted: false,
      };
      clients.set(session.id, client);
    }
    return client;
  };
  const fault = (session: SMTPServerSession, name: FaultStage) =>
    applyFault(context, "relay", name, () => replies.ipThrottled(clientOf(session).ip));
  const ipThrottled = (client: RelayClient): SmtpReply | undefined => {
    const { limits } = context.tenant();
    if (
      perIp.count(client.ip, context.now(), limits.relayWindowMs) < limits.relayMessagesPerWindow
    ) {
      return undefined;
    }
    context.stats.throttled.relay += 1;
    return replies.ipThrottled(client.ip);
  };

  const server = new ExchangeSmtpServer(
    {
      ...exchangeServerOptions(context),
      ca: [context.tls.ca],
      // Ask for a client certificate but judge it ourselves: no certificate, or one from
      // another CA, is still a valid (direct send) session.
      requestCert: true,
      rejectUnauthorized: false,
      authOptional: true,

      onConnect(session, callback) {
        context.stats.requests.relay += 1;
        clientOf(session);
        faultedStage(server, session.id, callback, fault(session, "connect"), () => callback());
      },

      onSecure(socket, session, callback) {
        const client = clientOf(session);
        const tlsSocket = socket as TLSSocket;
        const peer = tlsSocket.getPeerCertificate?.();
        if (peer?.raw) {
          client.certificateNames = certificateNames(peer.raw);
          client.certificateTrusted = tlsSocket.authorized;
        }
        callback();
      },

      onMailFrom(address: SMTPServerAddress, session, callback) {
        faultedStage(server, session.id, callback, fault(session, "mail"), async () => {
          const tenant = context.tenant();
          const client = clientOf(session);
          const throttle = ipThrottled(client);
          if (throttle) return callback(replyError(throttle));
          const declared = address.args ? Number(address.args.SIZE ?? 0) : 0;
          if (declared > tenant.limits.relayMaxMessageBytes) {
            return callback(replyError(replies.messageTooLarge()));
          }
          const connector = matchConnector(tenant, client);
          client.connector = connector;
          if (connector) {
            if (!isAcceptedDomain(tenant, address.address)) {
              return callback(replyError(replies.unregisteredSenderDomain()));
            }
            return callback();
          }
          // Direct send: anonymous mail claiming one of the tenant's own domains.
          if (tenant.rejectDirectSend && isAcceptedDomain(tenant, address.address)) {
            return callback(replyError(replies.directSendRejected()));
          }
          callback();
        });
      },

      onRcptTo(address: SMTPServerAddress, session, callback) {
        faultedStage(server, session.id, callback, fault(session, "rcpt"), async () => {
          const tenant = context.tenant();
          const client = clientOf(session);
          if (isAcceptedDomain(tenant, address.address)) {
            if (tenant.rejectUnknownInternalRecipients && !findMailbox(tenant, address.address)) {
              return callback(replyError(replies.recipientNotFound()));
            }
            return callback();
          }
          if (client.connector) return callback();
          // External recipient without a connector. A client that showed a certificate was
          // meant to match a connector: Exchange reports the failed attribution (5.7.64).
          return callback(
            replyError(
              client.certificateNames.length > 0
                ? replies.tenantAttributionDenied()
                : replies.unableToRelay(),
            ),
          );
        });
      },

      onData(stream: SMTPServerDataStream, session, callback) {
        runStage(callback, async () => {
          const raw = await readAll(stream);
          const client = clientOf(session);
          if (raw.length > context.tenant().limits.relayMaxMessageBytes) {
            return callback(replyError(replies.messageTooLarge()));
          }
          const outcome = await fault(session, "after-data");
          if (outcome !== undefined && outcome !== "drop") return callback(replyError(outcome));
          const stamped = ensureMessageId(raw, host);
          perIp.record(client.ip, context.now());
          await context.store.deliver({
            path: "relay",
            envelope: {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
              to: session.envelope.rcptTo.map((entry) => entry.address),
            },
            raw: stamped.raw,
            submittedBy: client.connector?.name ?? "direct-send",
            savedToSentItems: false,
          });
          if (outcome === "drop") return dropSession(server, session.id, callback);
          callback(null, replies.queued(stamped.messageId, host).text);
        });
      },

      onClose(session) {
        clients.delete(session.id);
      },
    },
    {
      hostname: host,
      capabilities: (connection) => ehloKeywords(connection.secure),
      // The MX endpoint offers no AUTH at all.
      refuseAuth: () => replies.unrecognizedAuth(host),
      async onDataCommand(connection): Promise<StageOutcome> {
        return fault(connection.session, "before-data");
      },
    },
  );

  const port = await listen(server, context.host, options.port ?? 0);
  return {
    host: context.host,
    port,
    close: () => closeServer(server),
    resetLimits() {
      perIp.clear();
    },
  };
}
