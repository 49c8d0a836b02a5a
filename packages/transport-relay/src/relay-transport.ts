import {
  MailError,
  type NormalizedMessage,
  type Transport,
  type TransportLimits,
} from "@mailpath/core";
import { createSmtpEngine } from "@mailpath/transport-smtp/engine";
import { isInAcceptedDomain, type RelayTransportOptions, resolveRelayOptions } from "./options.js";

/**
 * A relay-connector / direct-send transport.
 * @since 0.1.0
 */
export interface RelayTransport extends Transport {
  readonly name: string;
  readonly limits: TransportLimits;
  /** The host the transport connects to (derived from `domain` when given). */
  readonly host: string;
  /** Connects and starts TLS (presenting the client certificate, if any); sends nothing. */
  verify(): Promise<void>;
  /** Closes idle pooled connections at once and busy ones after their message. Idempotent. */
  close(): Promise<void>;
}

/**
 * Creates a transport that sends to Exchange Online's MX endpoint on port 25 without
 * authentication: through an inbound connector that matches this sender by IP or TLS client
 * certificate, or as direct send to the tenant's own domains.
 *
 * @param options `domain` or `host`, TLS (CA, client certificate), direct-send domains.
 * @returns A `Transport` for `createMailer`.
 * @throws MailError `INVALID_CONFIG` when an option is wrong (both or neither of host and
 *   domain, a certificate without its key, TLS below 1.2, …), naming the fix.
 * @example
 * import { readFileSync } from "node:fs";
 * import { createMailer } from "@mailpath/core";
 * import { createRelayTransport } from "@mailpath/transport-relay";
 *
 * const mailer = createMailer({
 *   transport: createRelayTransport({
 *     domain: "contoso.com", // → contoso-com.mail.protection.outlook.com:25
 *     tls: { cert: readFileSync("relay.pem"), key: readFileSync("relay.key") },
 *   }),
 *   from: "scanner@contoso.com",
 * });
 * await mailer.send({ to: "ada@fabrikam.com", subject: "Scan", text: "Attached." });
 * @since 0.1.0
 */
export function createRelayTransport(options: RelayTransportOptions): RelayTransport {
  const resolved = resolveRelayOptions(options);
  const { name } = resolved;
  const key = resolved.clientCertificate?.key;
  const secrets = (): readonly (string | undefined)[] => [
    key === undefined ? undefined : key.toString(),
  ];

  const refuseExternalRecipients = (message: NormalizedMessage): void => {
    const { acceptedDomains } = resolved;
    if (!acceptedDomains) return;
    const external = message.recipients.filter(
      (address) => !isInAcceptedDomain(address, acceptedDomains),
    );
    if (external.length === 0) return;
    // Exchange answers anonymous mail to other domains with 550 5.7.1 Unable to relay (or
    // 5.7.68 when RejectDirectSend is on); refusing here sends nothing half-way.
    throw new MailError({
      code: "RELAY_DENIED",
      message: `${name}: direct send only reaches the tenant's accepted domains; external recipients: ${external.join(", ")}.`,
      transport: name,
      hint: "Direct send cannot reach external recipients: create an inbound connector (New-InboundConnector -ConnectorType OnPremises with -SenderIPAddresses or -TlsSenderCertificateName) and drop directSend, or send with SMTP AUTH or Graph.",
      retryable: false,
      issues: external.map((address) => ({
        path: "recipients",
        message: `${address} is not in an accepted domain`,
      })),
      messageId: message.messageId,
    });
  };

  // The relay is SMTP without AUTH: no credentials, optionally a TLS client certificate.
  const engine = createSmtpEngine({
    endpoint: { ...resolved, secure: false },
    secrets,
    precheck: refuseExternalRecipients,
  });

  return {
    specificationVersion: "v1",
    name,
    host: resolved.host,
    limits: resolved.limits,
    send: (message, sendOptions) => engine.send(message, sendOptions),
    verify: () => engine.verify(),
    close: () => engine.close(),
  };
}
