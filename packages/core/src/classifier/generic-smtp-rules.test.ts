import { describe, expect, it } from "vitest";
import type { MailErrorCode } from "../errors/codes.js";
import { PATH_FAILURE_CODES } from "../errors/codes.js";
import { BASIC_SMTP_RULES, GENERIC_SMTP_RULES } from "./generic-smtp-rules.js";
import { classifyReply, expectWellWrittenRows } from "./test-support/smtp.js";
import { smtpErrorToMailError } from "./to-mail-error.js";

describe("GENERIC_SMTP_RULES and BASIC_SMTP_RULES", () => {
  const rules = [...GENERIC_SMTP_RULES, ...BASIC_SMTP_RULES];

  it("has unique ids, and a hint of one or two sentences on every row", () => {
    expectWellWrittenRows(rules, /^[45]\d\d /);
  });

  it.each(rules.map((rule) => [rule.id, rule] as const))(
    "%s: its example classifies to it",
    (_id, rule) => {
      const command = rule.command?.test("MAIL FROM") ? "MAIL FROM" : "RCPT TO";
      const result = classifyReply(rule.example, command);
      // The expected code, retryable and delay of each row are in expected-behaviour.test.ts.
      expect(result.ruleId).toBe(rule.id);
    },
  );
});

type Case = readonly [
  server: string,
  what: string,
  reply: string,
  code: MailErrorCode,
  retryable: boolean,
  command?: string,
];

// What the servers users put behind the SMTP and relay paths really answer, per case of
// issue 9. Multi-line replies are as the server sends them (nodemailer joins the lines).
const SERVERS: readonly Case[] = [
  // --- Authentication failed ---------------------------------------------------------------
  [
    "Postfix",
    "auth",
    "535 5.7.8 Error: authentication failed: authentication failure",
    "AUTH_FAILED",
    false,
  ],
  [
    "Postfix (Dovecot SASL)",
    "auth",
    "535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6",
    "AUTH_FAILED",
    false,
  ],
  ["Exim", "auth", "535 Incorrect authentication data", "AUTH_FAILED", false],
  ["Sendmail", "auth", "535 5.7.0 authentication failed", "AUTH_FAILED", false],
  ["Exchange on-premises", "auth", "535 5.7.3 Authentication unsuccessful", "AUTH_FAILED", false],
  [
    "Google",
    "auth",
    "535-5.7.8 Username and Password not accepted. For more information, go to\r\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials",
    "AUTH_FAILED",
    false,
  ],
  [
    "Google",
    "auth required",
    "530-5.7.0 Authentication Required. For more information, go to\r\n530 5.7.0  https://support.google.com/mail/?p=WantAuthError",
    "AUTH_FAILED",
    false,
  ],
  // --- Sender refused ----------------------------------------------------------------------
  [
    "Postfix",
    "sender not owned (at RCPT TO)",
    "553 5.7.1 <bob@contoso.com>: Sender address rejected: not owned by user alice@contoso.com",
    "SEND_AS_DENIED",
    false,
    "RCPT TO",
  ],
  [
    "Postfix",
    "sender access denied",
    "554 5.7.1 <bob@contoso.com>: Sender address rejected: Access denied",
    "SEND_AS_DENIED",
    false,
    "RCPT TO",
  ],
  [
    "Postfix",
    "sender domain not found (temporary)",
    "450 4.1.8 <bob@contoso.example>: Sender address rejected: Domain not found",
    "SEND_AS_DENIED",
    true,
    "RCPT TO",
  ],
  [
    "Exim",
    "sender verify",
    "550-Verification failed for <bob@contoso.example>\r\n550-Unrouteable address\r\n550 Sender verify failed",
    "SEND_AS_DENIED",
    false,
    "RCPT TO",
  ],
  [
    "Sendmail",
    "sender domain",
    "553 5.1.8 <bob@contoso.example>... Domain of sender address bob@contoso.example does not exist",
    "SEND_AS_DENIED",
    false,
    "MAIL FROM",
  ],
  [
    "Exchange on-premises",
    "send as",
    "550 5.7.60 SMTP; Client does not have permissions to send as this sender",
    "SEND_AS_DENIED",
    false,
    "MAIL FROM",
  ],
  [
    "any",
    "550 5.7.1 at MAIL FROM",
    "550 5.7.1 Access denied",
    "SEND_AS_DENIED",
    false,
    "MAIL FROM",
  ],
  // --- Relay denied ------------------------------------------------------------------------
  ["Postfix", "relay", "554 5.7.1 <ada@fabrikam.com>: Relay access denied", "RELAY_DENIED", false],
  ["Exim", "relay", "550 relay not permitted", "RELAY_DENIED", false],
  ["Sendmail", "relay", "550 5.7.1 <ada@fabrikam.com>... Relaying denied", "RELAY_DENIED", false],
  [
    "Exchange on-premises",
    "relay",
    "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain",
    "RELAY_DENIED",
    false,
  ],
  [
    "Google (Workspace SMTP relay)",
    "relay",
    "550 5.7.1 Invalid credentials for relay [203.0.113.10]. The IP address you've registered in your G Suite SMTP Relay service doesn't match domain of the account this email is being sent from.",
    "RELAY_DENIED",
    false,
  ],
  [
    "Postfix",
    "client on a block list",
    "554 5.7.1 Service unavailable; Client host [203.0.113.10] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.10",
    "RELAY_DENIED",
    false,
  ],
  // --- Unknown user ------------------------------------------------------------------------
  [
    "Postfix",
    "unknown user",
    "550 5.1.1 <nobody@contoso.com>: Recipient address rejected: User unknown in virtual mailbox table",
    "RECIPIENT_REJECTED",
    false,
  ],
  ["Exim", "unknown user", "550 Unrouteable address", "RECIPIENT_REJECTED", false, "RCPT TO"],
  [
    "Sendmail",
    "unknown user",
    "550 5.1.1 <nobody@contoso.com>... User unknown",
    "RECIPIENT_REJECTED",
    false,
  ],
  [
    "Exchange on-premises",
    "unknown user",
    "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
    "RECIPIENT_REJECTED",
    false,
  ],
  [
    "Google",
    "unknown user",
    "550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n550-5.1.1 double-checking the recipient's email address for typos or\r\n550-5.1.1 unnecessary spaces. For more information, go to\r\n550 5.1.1  https://support.google.com/mail/?p=NoSuchUser",
    "RECIPIENT_REJECTED",
    false,
  ],
  // --- Mailbox full ------------------------------------------------------------------------
  [
    "Postfix + Dovecot quota-status",
    "mailbox full",
    "552 5.2.2 <ada@contoso.com>: Recipient address rejected: Mailbox is full",
    "RECIPIENT_REJECTED",
    false,
  ],
  [
    "Sendmail",
    "mailbox full",
    "552 5.2.2 <ada@contoso.com>... Mailbox full",
    "RECIPIENT_REJECTED",
    false,
  ],
  [
    "Exchange on-premises",
    "recipient mailbox full",
    "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded; Failed to process message due to a permanent exception with message Cannot open mailbox.",
    "RECIPIENT_REJECTED",
    false,
  ],
  [
    "Google",
    "mailbox full",
    "552-5.2.2 The email account that you tried to reach is over quota. Please direct\r\n552 5.2.2 the recipient to https://support.google.com/mail/?p=OverQuotaPerm",
    "RECIPIENT_REJECTED",
    false,
  ],
  [
    "Google",
    "mailbox full for now",
    "452-4.2.2 The email account that you tried to reach is over quota. Please direct\r\n452 4.2.2 the recipient to https://support.google.com/mail/?p=OverQuotaTemp",
    "RECIPIENT_REJECTED",
    true,
  ],
  // --- Too large ---------------------------------------------------------------------------
  [
    "Postfix",
    "too large",
    "552 5.3.4 Message size exceeds fixed limit",
    "MESSAGE_TOO_LARGE",
    false,
  ],
  ["Exim", "too large", "552 Message size exceeds maximum permitted", "MESSAGE_TOO_LARGE", false],
  [
    "Sendmail",
    "too large",
    "552 5.2.3 Message size exceeds fixed maximum message size (10485760)",
    "MESSAGE_TOO_LARGE",
    false,
  ],
  [
    "Exchange on-premises",
    "too large",
    "552 5.3.4 Message size exceeds fixed maximum message size",
    "MESSAGE_TOO_LARGE",
    false,
  ],
  [
    "Google",
    "too large",
    "552-5.3.4 Your message exceeded Google's message size limits. For more information, go to\r\n552 5.3.4  https://support.google.com/mail/?p=MaxSizeError",
    "MESSAGE_TOO_LARGE",
    false,
  ],
  // --- Greylisting -------------------------------------------------------------------------
  [
    "Postfix + postgrey",
    "greylisting",
    "450 4.2.0 <ada@contoso.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/contoso.com.html",
    "THROTTLED",
    true,
  ],
  [
    "Sendmail + milter-greylist",
    "greylisting",
    "451 4.7.1 Greylisting in action, please come back later",
    "THROTTLED",
    true,
  ],
  [
    "Exim + greylistd",
    "greylisting",
    "451 4.7.1 Greylisted, please try again later",
    "THROTTLED",
    true,
  ],
  [
    "Postfix",
    "unknown client hostname (temporary policy)",
    "450 4.7.1 Client host rejected: cannot find your hostname, [203.0.113.10]",
    "THROTTLED",
    true,
  ],
  // --- Rate limiting -----------------------------------------------------------------------
  [
    "Postfix anvil",
    "connections",
    "421 4.7.0 mail.contoso.com Error: too many connections from 203.0.113.10",
    "THROTTLED",
    true,
  ],
  [
    "Postfix anvil",
    "messages",
    "450 4.7.1 Error: too much mail from 203.0.113.10",
    "THROTTLED",
    true,
  ],
  ["Exim ratelimit", "rate", "451 Sender rate exceeds 100 messages per 1h", "THROTTLED", true],
  ["Sendmail", "connection rate", "421 4.3.2 Connection rate limit exceeded.", "THROTTLED", true],
  [
    "Exchange on-premises",
    "submission rate",
    "421 4.4.2 Message submission rate for this client has exceeded the configured limit",
    "THROTTLED",
    true,
  ],
  [
    "Exchange on-premises",
    "back pressure",
    "452 4.3.1 Insufficient system resources",
    "THROTTLED",
    true,
  ],
  [
    "Google",
    "rate",
    "421-4.7.0 [203.0.113.10] Our system has detected an unusual rate of\r\n421-4.7.0 unsolicited mail originating from your IP address. To protect our\r\n421-4.7.0 users from spam, mail sent from your IP address has been temporarily\r\n421 4.7.0 rate limited.",
    "THROTTLED",
    true,
  ],
  [
    "Google",
    "receiving rate",
    "450-4.2.1 The user you are trying to contact is receiving mail at a rate that\r\n450 4.2.1 prevents additional messages from being delivered.",
    "THROTTLED",
    true,
  ],
  [
    "Google",
    "daily sending limit",
    "550 5.4.5 Daily user sending limit exceeded. For more information on Gmail's sending limits go to https://support.google.com/a/answer/166852",
    "QUOTA_EXCEEDED",
    false,
  ],
];

describe("standard replies of Postfix, Exim, Sendmail, on-premises Exchange and Google", () => {
  for (const [server, what, reply, code, retryable, command] of SERVERS) {
    it(`${server}, ${what}: ${reply} → ${code} (retryable ${retryable})`, () => {
      const result = classifyReply(reply, command);
      expect(result.code).toBe(code);
      expect(result.retryable).toBe(retryable);
      expect(result.hint).not.toBe("");
    });
  }

  it("never makes a refused recipient, sender or message a path failure (no breaker, no failover)", () => {
    for (const [, , reply, code, , command] of SERVERS) {
      if (
        ["RECIPIENT_REJECTED", "SEND_AS_DENIED", "MESSAGE_TOO_LARGE", "THROTTLED"].includes(code)
      ) {
        expect(PATH_FAILURE_CODES.has(classifyReply(reply, command).code), reply).toBe(false);
      }
    }
  });
});

describe("the party an error names", () => {
  /** nodemailer's error for a refused envelope command. */
  const envelopeRefused = (command: string, message: string, response: string) => ({
    code: "EENVELOPE",
    command,
    message,
    response,
    responseCode: Number(response.slice(0, 3)),
  });
  const recipientsRefused = (response: string) => ({
    ...envelopeRefused("RCPT TO", "Can't send mail - all recipients were rejected", response),
    rejected: ["ada@contoso.com"],
  });

  it("names the sender, not the recipient, when Postfix refused the sender at RCPT TO", () => {
    const error = smtpErrorToMailError(
      recipientsRefused(
        "553 5.7.1 <bob@contoso.com>: Sender address rejected: not owned by user alice@contoso.com",
      ),
      { transport: "smtp" },
    );
    expect(error.code).toBe("SEND_AS_DENIED");
    expect(error.message).toContain("(refused: the sender)");
    expect(error.message).not.toContain("rejected: ada@contoso.com");
  });

  it("names the sender when MAIL FROM was refused", () => {
    const error = smtpErrorToMailError(
      envelopeRefused("MAIL FROM", "Mail command failed", "550 5.7.1 Access denied"),
      { transport: "relay" },
    );
    expect(error.code).toBe("SEND_AS_DENIED");
    expect(error.message).toBe(
      "relay: server replied: 550 5.7.1 Access denied (refused: the sender)",
    );
  });

  it("still lists the recipients when they were the ones refused", () => {
    const error = smtpErrorToMailError(
      recipientsRefused(
        "550 5.1.1 <ada@contoso.com>: Recipient address rejected: User unknown in virtual mailbox table",
      ),
      { transport: "smtp" },
    );
    expect(error.code).toBe("RECIPIENT_REJECTED");
    expect(error.message).toContain("(rejected: ada@contoso.com)");
  });
});
