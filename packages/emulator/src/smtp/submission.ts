// The SMTP AUTH client-submission endpoint (smtp.office365.com:587): STARTTLS, TLS 1.2+,
// AUTH LOGIN / XOAUTH2 against the tenant, then Exchange's submission checks (Send As,
// recipient limits, size, rates) with Exchange's reply texts.

import type { TLSSocket } from "node:tls";
import type { DeliveredMessage } from "@mailpath/core/testing";
import type {
  SMTPServerAddress,
  SMTPServerAuthentication,
  SMTPServerAuthenticationResponse,
  SMTPServerDataStream,
  SMTPServerSession,
} from "smtp-server";
import type { DeliveryInput, EmulatorContext, FaultStage } from "../context.js";
import { parseDelivery } from "../store.js";
import {
  appMayUseMailbox,
  type MailboxPolicy,
  maxSendBytesOf,
  maySendAs,
  recipientLimitOf,
  type TenantPolicy,
} from "../tenant.js";
import {
  applyFault,
  closeServer,
  dropSession,
  ehloKeywords,
  ensureMessageId,
  exchangeServerOptions,
  faultedStage,
  findMailbox,
  fromHeaderAddresses,
  isAcceptedDomain,
  listen,
  readAll,
  runStage,
  type SmtpEndpoint,
  type StageOutcome,
} from "./common.js";
import { ExchangeSmtpServer } from "./exchange-server.js";
import { replies, replyError, type SmtpReply } from "./replies.js";
import { RollingCounter, SessionSlots } from "./windows.js";

/** Name the submission endpoint gives itself in replies (Exchange: the front-end server). */
export const SUBMISSION_HOSTNAME = "EMU0PR01CA0001.outlook.emulator.mailpath.dev";
/** Audience of access tokens for SMTP XOAUTH2. */
export const SMTP_TOKEN_AUDIENCE = "https://outlook.office365.com";

/** Who authenticated a session. */
interface SubmissionUser {
  /** The mailbox address as the tenant spells it. */
  readonly mailbox: string;
  /** The app, for XOAUTH2 sessions. */
  readonly appId?: string;
}

function userOf(session: SMTPServerSession): SubmissionUser | undefined {
  return session.user as SubmissionUser | undefined;
}

function smtpAuthEnabled(tenant: TenantPolicy, mailbox: MailboxPolicy): SmtpReply | undefined {
  // The mailbox switch wins over the org switch when set (Set-CASMailbox tri-state).
  if (mailbox.smtpAuthEnabled === false) return replies.smtpAuthDisabledForMailbox();
  if (mailbox.smtpAuthEnabled === undefined && !tenant.smtpAuthEnabled) {
    return replies.smtpAuthDisabledForTenant();
  }
  return undefined;
}

/**
 * Starts the submission endpoint.
 * @param context the emulator's shared state
 * @param options.port port to bind, 0 for an ephemeral one
 */
export async function startSubmissionEndpoint(
  context: EmulatorContext,
  options: { readonly port?: number } = {},
): Promise<SmtpEndpoint> {
  const host = SUBMISSION_HOSTNAME;
  const slots = new SessionSlots();
  const messages = new RollingCounter();
  const recipients = new RollingCounter();
  const throttled = (reply: SmtpReply) => {
    context.stats.throttled.smtp += 1;
    return reply;
  };
  const concurrencyReply = () =>
    context.tenant().concurrencyReply === "concurrent-connections"
      ? replies.concurrentConnectionsLimit()
      : replies.senderThreadLimit();
  // A throttle fault answers like Exchange's most common submission throttle, 432 4.3.2.
  const fault = (name: FaultStage) => applyFault(context, "smtp", name, concurrencyReply);

  const mailboxOf = (session: SMTPServerSession): MailboxPolicy | undefined => {
    const user = userOf(session);
    return user ? findMailbox(context.tenant(), user.mailbox) : undefined;
  };

  const messageRateExceeded = (mailbox: string) => {
    const { limits } = context.tenant();
    const sent = messages.count(mailbox.toLowerCase(), context.now(), limits.smtpMessageWindowMs);
    return sent >= limits.smtpMessagesPerWindow;
  };
  const refusesRateExcess = () => context.tenant().messageRateExcess === "refuse";

  // Messages over the rate, accepted and held until the window has room (Exchange: "the
  // excess is throttled and carried over to following minutes", reference §5).
  let held: { releaseAt: number; message: DeliveredMessage }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const releaseDue = () => {
    const now = context.now();
    const due = held.filter((entry) => entry.releaseAt <= now);
    if (!due.length) return;
    held = held.filter((entry) => entry.releaseAt > now);
    for (const entry of due) context.store.add(entry.message);
  };
  const hold = async (releaseAt: number, input: DeliveryInput) => {
    held.push({ releaseAt, message: await parseDelivery(input, new Date(releaseAt)) });
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        releaseDue();
      },
      Math.max(0, releaseAt - context.now()),
    );
    timer.unref();
    timers.add(timer);
  };

  const authenticate = async (
    auth: SMTPServerAuthentication,
  ): Promise<SmtpReply | SubmissionUser> => {
    const tenant = context.tenant();
    const username = (auth.username ?? "").trim();
    if (auth.method === "XOAUTH2") {
      let claims: Awaited<ReturnType<EmulatorContext["tokens"]["verify"]>>;
      try {
        claims = await context.tokens.verify(auth.accessToken ?? "", SMTP_TOKEN_AUDIENCE);
      } catch {
        return replies.badCredentials(host);
      }
      const app = tenant.apps.find((entry) => entry.clientId === claims.appid);
      const mailbox = findMailbox(tenant, username);
      if (
        claims.tid !== tenant.tenantId ||
        !app ||
        !mailbox ||
        !claims.roles.includes("SMTP.SendAsApp") ||
        !appMayUseMailbox(app, mailbox)
      ) {
        return replies.badCredentials(host);
      }
      return smtpAuthEnabled(tenant, mailbox) ?? { mailbox: mailbox.address, appId: app.clientId };
    }
    // Basic auth (AUTH LOGIN). The tenant-wide Basic switch is checked before credentials.
    if (tenant.basicAuth === "retired") return replies.basicAuthRetired();
    if (tenant.basicAuth === "disabled") return replies.basicAuthDisabled();
    const mailbox = findMailbox(tenant, username);
    if (!mailbox || mailbox.password === undefined || mailbox.password !== auth.password) {
      return replies.badCredentials(host);
    }
    return smtpAuthEnabled(tenant, mailbox) ?? { mailbox: mailbox.address };
  };

  const server = new ExchangeSmtpServer(
    {
      ...exchangeServerOptions(context),
      // Legacy TLS is let through the handshake so that onSecure can answer 421 4.7.66.
      minVersion: "TLSv1",
      ciphers: "DEFAULT:@SECLEVEL=0",
      authMethods: ["LOGIN", "XOAUTH2"],
      authRequiredMessage: replies.notAuthenticated(host).text,

      onConnect(session, callback) {
        context.stats.requests.smtp += 1;
        releaseDue();
        faultedStage(server, session.id, callback, fault("connect"), () => callback());
      },

      // TLS 1.0/1.1 completes its handshake and is then told why it cannot go on (reference
      // §2: smtp.office365.com answers 421 4.7.66 instead of failing the handshake).
      onSecure(socket, _session, callback) {
        const protocol = (socket as TLSSocket).getProtocol?.();
        if (protocol === "TLSv1" || protocol === "TLSv1.1") {
          return callback(replyError(replies.legacyTls()));
        }
        callback();
      },

      onAuth(
        auth,
        session,
        callback: (error: Error | null, response?: SMTPServerAuthenticationResponse) => void,
      ) {
        faultedStage(server, session.id, callback, fault("auth"), async () => {
          const result = await authenticate(auth);
          if ("code" in result) return callback(replyError(result));
          const open = slots.open(result.mailbox.toLowerCase(), session.id);
          context.stats.maxConcurrency.smtp = Math.max(context.stats.maxConcurrency.smtp, open);
          callback(null, { user: result });
        });
      },

      onMailFrom(address: SMTPServerAddress, session, callback) {
        faultedStage(server, session.id, callback, fault("mail"), async () => {
          const user = userOf(session);
          const mailbox = mailboxOf(session);
          if (!user || !mailbox) return callback(replyError(replies.notAuthenticated(host)));
          const { limits } = context.tenant();
          // Exchange allows 3 concurrent sessions per mailbox; later ones are refused.
          if (
            slots.position(user.mailbox.toLowerCase(), session.id) >=
            limits.smtpConnectionsPerMailbox
          ) {
            return callback(replyError(throttled(concurrencyReply())));
          }
          if (refusesRateExcess() && messageRateExceeded(user.mailbox)) {
            return callback(replyError(throttled(replies.serverBusy())));
          }
          // Exchange answers a sender the mailbox may not use at MAIL FROM (550 5.7.60); a
          // From header it may not use is found after DATA (554 5.2.0, below).
          if (address.address && !maySendAs(mailbox, address.address)) {
            return callback(replyError(replies.sendAsDeniedAtMailFrom()));
          }
          const declared = address.args ? Number(address.args.SIZE ?? 0) : 0;
          if (declared > maxSendBytesOf(mailbox)) {
            return callback(replyError(replies.messageTooLarge()));
          }
          callback();
        });
      },

      onRcptTo(address: SMTPServerAddress, session, callback) {
        faultedStage(server, session.id, callback, fault("rcpt"), async () => {
          const tenant = context.tenant();
          if (
            tenant.rejectUnknownInternalRecipients &&
            isAcceptedDomain(tenant, address.address) &&
            !findMailbox(tenant, address.address)
          ) {
            return callback(replyError(replies.recipientNotFound()));
          }
          callback();
        });
      },

      onData(stream: SMTPServerDataStream, session, callback) {
        runStage(callback, async () => {
          const raw = await readAll(stream);
          const tenant = context.tenant();
          const user = userOf(session);
          const mailbox = mailboxOf(session);
          if (!user || !mailbox) return callback(replyError(replies.notAuthenticated(host)));
          const envelopeTo = session.envelope.rcptTo.map((entry) => entry.address);
          const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
          const key = user.mailbox.toLowerCase();
          const now = context.now();
          if (raw.length > maxSendBytesOf(mailbox)) {
            return callback(replyError(replies.messageTooLarge()));
          }
          const recipientLimit = recipientLimitOf(mailbox);
          if (envelopeTo.length > recipientLimit) {
            return callback(replyError(replies.tooManyRecipients(recipientLimit)));
          }
          // Send As is checked at the end of DATA, against the envelope and the From header.
          const senders = [envelopeFrom, ...fromHeaderAddresses(raw)].filter(Boolean);
          if (senders.some((sender) => !maySendAs(mailbox, sender))) {
            return callback(replyError(replies.sendAsDenied(host, mailbox.address)));
          }
          const sentRecipients = recipients.count(key, now, tenant.limits.recipientWindowMs);
          if (sentRecipients + envelopeTo.length > tenant.limits.recipientsPerWindow) {
            return callback(replyError(throttled(replies.submissionQuotaExceeded(host))));
          }
          const overRate = messageRateExceeded(user.mailbox);
          if (overRate && refusesRateExcess()) {
            return callback(replyError(throttled(replies.serverBusy())));
          }
          const outcome = await fault("after-data");
          if (outcome !== undefined && outcome !== "drop") return callback(replyError(outcome));
          const stamped = ensureMessageId(raw, host);
          const { limits } = tenant;
          const releaseAt = overRate
            ? messages.nextSlot(key, now, limits.smtpMessageWindowMs, limits.smtpMessagesPerWindow)
            : now;
          messages.record(key, releaseAt);
          recipients.record(key, now, envelopeTo.length);
          const delivery: DeliveryInput = {
            path: "smtp",
            envelope: { from: envelopeFrom, to: envelopeTo },
            raw: stamped.raw,
            submittedBy: mailbox.address,
            savedToSentItems: true,
          };
          if (releaseAt > now) {
            throttled(replies.serverBusy());
            await hold(releaseAt, delivery);
          } else {
            await context.store.deliver(delivery);
          }
          // Stored, but the client never hears the 250: an ambiguous failure.
          if (outcome === "drop") return dropSession(server, session.id, callback);
          callback(null, replies.accepted(stamped.messageId, host).text);
        });
      },

      onClose(session) {
        const user = userOf(session);
        if (user) slots.close(user.mailbox.toLowerCase(), session.id);
      },
    },
    {
      hostname: host,
      capabilities: (connection) =>
        ehloKeywords(connection.secure, connection.session.user ? [] : ["AUTH LOGIN XOAUTH2"]),
      refuseAuth(connection) {
        // AUTH is only advertised after STARTTLS; before it Exchange does not know the mechanism.
        return connection.secure ? undefined : replies.unrecognizedAuth(host);
      },
      async onDataCommand(): Promise<StageOutcome> {
        return fault("before-data");
      },
    },
  );

  const port = await listen(server, context.host, options.port ?? 0);
  return {
    host: context.host,
    port,
    close: () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      return closeServer(server);
    },
    resetLimits() {
      messages.clear();
      recipients.clear();
      held = [];
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
    releaseDue,
  };
}
