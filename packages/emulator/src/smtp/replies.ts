// Exchange Online's SMTP replies, word for word where Microsoft's text is known
// (docs/reference/exchange-online.md §3, §5, §7). Each function returns the reply line
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
  /** MAIL / RCPT / DATA / BDAT without AUTH (before or after STARTTLS); reference §7 [NDR-57]. */
  notAuthenticated: (host: string) =>
    reply(
      530,
      `5.7.57 Client was not authenticated to send anonymous mail during MAIL FROM [${host}]`,
    ),
  /** A TLS 1.0/1.1 session on the submission endpoint, after the handshake (reference §2). */
  legacyTls: () =>
    reply(
      421,
      "4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls",
    ),

  // --- the dialogue itself ---------------------------------------------------------
  /** A parameter Exchange does not take, or a malformed one (`SIZE=abc`, `BODY=QUOTED`). */
  invalidArguments: () => reply(501, "5.5.4 Invalid arguments"),
  /** A command the server does not know (or one of smtp-server's own that Exchange lacks). */
  unrecognizedCommand: (command: string) => reply(500, `5.3.3 Unrecognized command '${command}'`),
  tooManyErrors: () =>
    reply(421, "4.7.0 Too many errors on this connection, closing transmission channel"),
  badSequence: () => reply(503, "5.5.1 Bad sequence of commands"),
  needMail: () => reply(503, "5.5.2 Need mail command"),
  needRcpt: () => reply(503, "5.5.2 Need rcpt command"),
  vrfy: () => reply(252, "2.1.5 Cannot VRFY user, but will take message for this user"),
  /** HELP: code 214 and its lines (written as one multi-line reply). */
  help: () => ({
    code: 214,
    lines: [
      "This server supports the following commands:",
      "HELO EHLO STARTTLS RCPT DATA RSET MAIL QUIT HELP AUTH BDAT",
    ],
  }),
  /** A non-ASCII address in a transaction that did not declare SMTPUTF8 (RFC 6531 §3.5). */
  utf8AddressWithoutSmtpUtf8: () =>
    reply(553, "5.6.7 A non-ASCII address needs the SMTPUTF8 parameter on MAIL FROM"),
  /** 8-bit bytes in a message declared 7BIT (no BODY=8BITMIME/BINARYMIME, no SMTPUTF8). */
  eightBitDeclared7Bit: () =>
    reply(554, "5.6.0 The message has 8-bit data but was declared 7BIT; send BODY=8BITMIME"),
  /** A BDAT chunk (not the last) was taken. */
  chunkReceived: (octets: number) => reply(250, `2.0.0 ${octets} octets received`),

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
  /** Message rate over `smtpMessagesPerWindow` in the tenant's `refuse` mode (Exchange delays). */
  serverBusy: () => reply(451, "4.7.500 Server busy. Please try again later"),
  submissionQuotaExceeded: (host: string) =>
    reply(
      554,
      `5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message [BeginDiagnosticData]Message submission quota exceeded.[EndDiagnosticData] [Hostname=${host}]`,
    ),
  /** MAIL FROM an address the mailbox has no Send As on (reference §7 [ISS-760]). */
  sendAsDeniedAtMailFrom: () =>
    reply(550, "5.7.60 Client does not have permissions to send as this sender"),
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
