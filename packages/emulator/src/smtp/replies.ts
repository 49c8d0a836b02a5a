// Exchange Online's SMTP replies, word for word where Microsoft's text is known
// (shared/reference/exchange-online.md §3, §5, §7). Each function returns the reply line
// without the trailing CRLF; `[host]` is the answering server's name, as Exchange appends it.

/** A reply an SMTP handler answers with: code plus text (enhanced status code first). */
export interface SmtpReply {
  readonly code: number;
  /** Text after the code, starting with the enhanced status code. */
  readonly text: string;
}

/** Splits `"451 4.3.0 Temporary server error"` into code and text. */
export function parseReply(line: string): SmtpReply {
  const match = /^([2-5]\d\d)[ -]?(.*)$/s.exec(line.trim());
  if (!match) throw new Error(`not an SMTP reply: ${JSON.stringify(line)}`);
  return { code: Number(match[1]), text: match[2] ?? "" };
}

/** An Error that smtp-server turns into this reply. */
export function replyError(reply: SmtpReply): Error & { responseCode: number } {
  return Object.assign(new Error(reply.text), { responseCode: reply.code });
}

const reply = (code: number, text: string): SmtpReply => ({ code, text });

let lastInternalId = 1_000_000_000;
const internalId = () => ++lastInternalId;

/**
 * Exchange Online's SMTP replies, one function per situation, each returning code and text
 * (exported as `SMTP_REPLIES`), so tests can assert the exact wire text.
 * @since 0.1.0
 */
export const replies = {
  // --- session and TLS -------------------------------------------------------------
  /** A transient failure of the server itself (a fault, or an error while handling a stage). */
  temporaryServerError: () => reply(451, "4.3.0 Temporary server error. Please try again later"),
  greeting: (host: string, date: Date) =>
    reply(220, `${host} Microsoft ESMTP MAIL Service ready at ${date.toUTCString()}`),
  startTls: () => reply(220, "2.0.0 SMTP server ready"),
  /** AUTH before STARTTLS: AUTH is not advertised on the clear channel, so Exchange does not know it. */
  unrecognizedAuth: (host: string) =>
    reply(504, `5.7.4 Unrecognized authentication type [${host}]`),
  /** MAIL / RCPT / DATA without AUTH (before or after STARTTLS). */
  notAuthenticated: (host: string) =>
    reply(530, `5.7.57 Client not authenticated to send mail. [${host}]`),

  // --- AUTH ------------------------------------------------------------------------
  authenticated: () => reply(235, "2.7.0 Authentication successful"),
  badCredentials: (host: string) => reply(535, `5.7.3 Authentication unsuccessful [${host}]`),
  smtpAuthDisabledForTenant: () =>
    reply(
      535,
      "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
    ),
  smtpAuthDisabledForMailbox: () =>
    reply(
      535,
      "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.",
    ),
  basicAuthDisabled: () =>
    reply(535, "5.7.139 Authentication unsuccessful, basic authentication is disabled."),
  basicAuthRetired: () =>
    reply(550, "5.7.30 Basic authentication is not supported for Client Submission."),

  // --- envelope --------------------------------------------------------------------
  senderOk: () => reply(250, "2.1.0 Sender OK"),
  recipientOk: () => reply(250, "2.1.5 Recipient OK"),
  startMailInput: () => reply(354, "Start mail input; end with <CRLF>.<CRLF>"),
  recipientNotFound: () =>
    reply(550, "5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"),
  /** More RCPTs than the mailbox's `RecipientLimits` (Exchange: RESOLVER.ADR.RecipLimit). */
  tooManyRecipients: (limit: number) =>
    reply(
      550,
      `5.5.3 RESOLVER.ADR.RecipLimit; too many recipients (the limit is ${limit} per message)`,
    ),
  messageTooLarge: () => reply(552, "5.3.4 Message size exceeds fixed maximum message size"),

  // --- submission throttling and quotas --------------------------------------------
  senderThreadLimit: () => reply(432, "4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded"),
  concurrentConnectionsLimit: () =>
    reply(
      432,
      "4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending for more information.",
    ),
  /** Message rate over `smtpMessagesPerWindow`: Exchange delays; the emulator answers this 4xx. */
  serverBusy: () => reply(451, "4.7.500 Server busy. Please try again later"),
  submissionQuotaExceeded: (host: string) =>
    reply(
      554,
      `5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message [BeginDiagnosticData]Message submission quota exceeded.[EndDiagnosticData] [Hostname=${host}]`,
    ),
  sendAsDenied: (host: string, mailbox: string) =>
    reply(
      554,
      `5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message [BeginDiagnosticData]Cannot submit message. ${mailbox} does not have Send As on the sender address.[EndDiagnosticData] [Hostname=${host}]`,
    ),
  accepted: (messageId: string, host: string) =>
    reply(250, `2.0.0 OK ${messageId} [Hostname=${host}]`),

  // --- relay (MX) ------------------------------------------------------------------
  ipThrottled: (ip: string) =>
    reply(451, `4.7.500 Server busy. Please try again later from [${ip}]. (AS761)`),
  /** A certificate was presented but matched no connector (or was not issued by a trusted CA). */
  tenantAttributionDenied: () => reply(550, "5.7.64 TenantAttribution; Relay Access Denied"),
  /** Anonymous (direct send) to a domain that is not accepted. */
  unableToRelay: () => reply(550, "5.7.1 Unable to relay"),
  directSendRejected: () =>
    reply(
      550,
      "5.7.68 TenantInboundAttribution; Direct Send not allowed for this organization from unauthorized sources",
    ),
  unregisteredSenderDomain: () =>
    reply(
      550,
      "5.7.750 Service unavailable. Client blocked from sending from unregistered domains.",
    ),
  queued: (messageId: string, host: string) =>
    reply(
      250,
      `2.6.0 ${messageId} [InternalId=${internalId()}, Hostname=${host}] Queued mail for delivery`,
    ),
} as const;
