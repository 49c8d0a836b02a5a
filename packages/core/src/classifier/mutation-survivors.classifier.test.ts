// The classifier at its edges (issue 17, core-classifier survivors): which reply code, enhanced
// code and command a reply is read with, which table answers, how a Retry-After and an SMTP
// reply are read, and what a MailError built from a failure carries.
import { describe, expect, it } from "vitest";
import { findHttpRule, findNetworkRule, findSmtpRule } from "./classify.js";
import { type ParsedSmtpReply, parseRetryAfter, parseSmtpReply } from "./parse.js";
import { httpErrorToMailError, smtpErrorToMailError } from "./to-mail-error.js";

const ruleOf = (reply: Parameters<typeof findSmtpRule>[0]) => findSmtpRule(reply).id;

describe("findSmtpRule reads the reply", () => {
  it.each([
    ["0", 0],
    ["NaN", Number.NaN],
    ["negative", -550],
    ["not a whole number", 550.5],
  ])("with a %s reply code, from the reply text", (_, replyCode) => {
    expect(ruleOf({ replyCode, response: "552 Requested mail action aborted" })).toBe(
      "basic-too-large",
    );
  });

  it("with the enhanced code given, trimmed; a blank one is read from the text", () => {
    const text = "Authentication unsuccessful, basic authentication is disabled.";
    expect(ruleOf({ replyCode: 535, enhancedCode: " 5.7.139 ", response: text })).toBe(
      "smtp-basic-auth-disabled",
    );
    expect(ruleOf({ replyCode: 535, enhancedCode: "  ", response: `535 5.7.139 ${text}` })).toBe(
      "smtp-basic-auth-disabled",
    );
  });

  it("with the command trimmed", () => {
    const reply = { replyCode: 550, response: "550 5.1.0 Address rejected" };
    expect(ruleOf({ ...reply, command: "  MAIL FROM:<app@contoso.com> " })).toBe(
      "generic-address-refused-at-mail-from",
    );
  });

  it("by the basic reply code only when the reply has no enhanced code", () => {
    expect(ruleOf({ replyCode: 552, response: "552 Requested mail action aborted" })).toBe(
      "basic-too-large",
    );
    expect(ruleOf({ replyCode: 552, response: "552 5.9.9 Requested mail action aborted" })).toBe(
      "smtp-fallback-5xx",
    );
  });
});

describe("findHttpRule", () => {
  it("reads an Entra error code given as the code, not only in the message", () => {
    expect(findHttpRule({ status: 401, code: "AADSTS7000215" }).id).toBe(
      "entra-invalid-client-secret",
    );
  });
});

// The words every server uses, at the edges of each row's pattern (optional words, gaps), by row.
const WORDS: Readonly<Record<string, readonly string[]>> = {
  "generic-sender-refused": [
    "550 <app@contoso.com>: not owned by user ada",
    "550 <app@contoso.com>: not owned by the user ada",
    "550 <app@contoso.com>: not owned by authenticated user ada",
    "550 <app@contoso.com>: not owned by the authenticated user ada",
    "550 Sender of this message is not allowed to send here",
  ],
  "generic-rate-limited": ["421 Too many mail transactions from you"],
  "generic-client-blocked": [
    "554 Your address is on our blocklist",
    "554 Your address is on our blacklist",
    "554 Client host [192.0.2.1] blocked",
  ],
  "generic-mailbox-full-words": ["552 Mailbox full"],
  "generic-daily-quota": ["550 You reached your daily sending limit"],
};

describe("the words of a reply", () => {
  const rows = Object.entries(WORDS).flatMap(([id, replies]) =>
    replies.map((reply) => [reply, id]),
  );
  it.each(rows)("%s is %s", (response, id) => {
    expect(ruleOf({ replyCode: Number(response.slice(0, 3)), response })).toBe(id);
  });

  it("a command that only holds the words MAIL FROM is not the sender's", () => {
    const reply = { replyCode: 550, response: "550 5.1.0 Address rejected" };
    expect(ruleOf({ ...reply, command: 'RCPT TO:<"mail from"@contoso.com>' })).toBe(
      "generic-bad-recipient",
    );
  });
});

// Each row: the reply as nodemailer hands it over, then its reply code, enhanced code and text.
// A reply code only at the start of a line or after nodemailer's words, an enhanced code only
// right after it and of its class, one to three digits a part, lines split by CRLF or LF alone.
type Parts = readonly [string | null | undefined, number | undefined, string | undefined, string];
const REPLIES: readonly Parts[] = [
  [
    "Connection closed after 300 seconds",
    undefined,
    undefined,
    "Connection closed after 300 seconds",
  ],
  ["421", 421, undefined, ""],
  ["550 Refused by 5.7.1 policy", 550, undefined, "Refused by 5.7.1 policy"],
  ["550 5.10.100 Refused", 550, "5.10.100", "Refused"],
  ["550 Refused: 421 4.4.2 timed out", 550, undefined, "Refused: 421 4.4.2 timed out"],
  ["Invalid login: 535 5.10.100 Refused", 535, "5.10.100", "Refused"],
  ["550-5.7.1\n550  5.7.1  Refused", 550, "5.7.1", "Refused"],
  ["550 4.7.1 Refused", 550, undefined, "4.7.1 Refused"],
  ["  550 Refused", 550, undefined, "Refused"],
  ["550 5.7.1", 550, "5.7.1", ""],
  ["550-5.7.1 first\n550 5.7.1 second", 550, "5.7.1", "first second"],
  [null, undefined, undefined, ""],
  [undefined, undefined, undefined, ""],
];

describe("parseSmtpReply", () => {
  it.each(REPLIES)("reads %j", (reply, replyCode, enhancedCode, text) => {
    const parts: ParsedSmtpReply = {
      ...(replyCode !== undefined && { replyCode }),
      ...(enhancedCode !== undefined && { enhancedCode }),
      text,
    };
    expect(parseSmtpReply(reply as string)).toEqual(parts);
  });
});

describe("findNetworkRule reads a TLS failure from the message alone", () => {
  it.each([
    ["self signed certificate", "tls-self-signed"],
    ["self-signed certificate in certificate chain", "tls-self-signed"],
    ["unable to get issuer certificate", "tls-untrusted-chain"],
    ["unable to get local issuer certificate", "tls-untrusted-chain"],
  ])("%s is %s", (message, id) => {
    expect(findNetworkRule({ message }).id).toBe(id);
  });
});

describe("smtpErrorToMailError on nodemailer's own failures", () => {
  it.each([
    ["EOAUTH2", "AUTH_FAILED", /No OAuth token could be obtained/],
    ["EMAXRECIPIENTS", "INVALID_MESSAGE", /more recipients than allowed/],
    ["ESTREAM", "INVALID_MESSAGE", /stream failed/],
  ])("%s is %s, not retryable, with its own hint", (code, mailCode, hint) => {
    const error = smtpErrorToMailError(Object.assign(new Error("failed"), { code }), {
      transport: "smtp",
    });
    expect(error).toMatchObject({ code: mailCode, retryable: false });
    expect(error.hint).toMatch(hint);
  });
});

describe("Retry-After", () => {
  it("a delay of 0 seconds is no wait, not unknown", () => {
    expect(parseRetryAfter(0)).toBe(0);
  });

  it("delay seconds may have a fraction; seconds followed by words are unreadable", () => {
    expect(parseRetryAfter("1.25")).toBe(1_250);
    expect(parseRetryAfter("5 seconds")).toBeUndefined();
  });

  it("an HTTP-date is read against the context's clock", () => {
    const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
    const error = httpErrorToMailError(
      { status: 429, retryAfter: "Wed, 21 Oct 2015 07:28:30 GMT" },
      { transport: "graph", now },
    );
    expect(error.retryAfterMs).toBe(30_000);
  });
});

const SMTP = { transport: "smtp" } as const;
/** What smtpErrorToMailError makes of `error`, with the fields a test looks at. */
const fromSmtp = (error: unknown, context: Parameters<typeof smtpErrorToMailError>[1] = SMTP) => {
  const mailError = smtpErrorToMailError(error, context);
  const { code, message, retryable, ambiguous, smtp } = mailError;
  return { code, message, retryable, ambiguous, replyCode: smtp?.replyCode };
};

describe("smtpErrorToMailError reads what was thrown", () => {
  it.each([
    ["a string", "boom", "smtp: boom"],
    ["null", null, "smtp: null"],
    ["undefined", undefined, "smtp: unknown error"],
    ["an object with a code only", { code: "ECONNRESET" }, "smtp: ECONNRESET"],
    [
      "an object with a code and a message that is no string",
      { code: "ECONNRESET", message: 42 },
      "smtp: ECONNRESET",
    ],
    ["an object with neither", {}, "smtp: unknown error"],
  ])("%s", (_, error, message) => {
    expect(fromSmtp(error).message).toBe(message);
  });

  it("takes a numeric reply code without the reply's text as a reply", () => {
    expect(fromSmtp({ code: "EENVELOPE", responseCode: 550, message: "refused" })).toMatchObject({
      replyCode: 550,
      message: "smtp: server replied: 550",
    });
  });

  it.each([
    ["a reply code that is a string", { code: "EENVELOPE", responseCode: "550", message: "x" }],
    ["a 250", { code: "EENVELOPE", responseCode: 250, response: "250 2.0.0 OK", message: "x" }],
    ["a 600", { code: "EENVELOPE", responseCode: 600, response: "600 odd", message: "x" }],
  ])("does not take %s as a refusal", (_, error) => {
    expect(fromSmtp(error)).toMatchObject({ code: "INVALID_MESSAGE", replyCode: undefined });
  });

  it("takes a 400 as a refusal, and a reply code that is NaN from the reply's text", () => {
    expect(fromSmtp({ responseCode: 400, response: "400 Error" }).replyCode).toBe(400);
    const nan = {
      responseCode: Number.NaN,
      response: "550 5.1.1 User unknown",
      command: "RCPT TO",
    };
    expect(fromSmtp(nan)).toMatchObject({ code: "RECIPIENT_REJECTED", replyCode: 550 });
  });

  it("takes the first rejected recipient that carries a reply code", () => {
    const error = {
      code: "EENVELOPE",
      rejectedErrors: [{ message: "no reply" }, { responseCode: 550 }],
    };
    expect(fromSmtp(error).replyCode).toBe(550);
  });
});

describe("smtpErrorToMailError reads the command with its first word", () => {
  it("a connection dropped at RCPT TO for data@ is not after the data", () => {
    const error = { code: "ECONNRESET", command: "RCPT TO:<data@contoso.com>" };
    expect(fromSmtp(error).ambiguous).toBeUndefined();
    expect(fromSmtp({ ...error, command: "DATA" }).ambiguous).toBe(true);
  });

  it("a refusal at RCPT TO for starttls@ is not a refused STARTTLS", () => {
    const error = { responseCode: 550, response: "550 5.1.1 User unknown" };
    expect(fromSmtp({ ...error, command: "RCPT TO:<starttls@contoso.com>" }).code).toBe(
      "RECIPIENT_REJECTED",
    );
  });

  it('a refusal at RCPT TO for "mail from"@ does not refuse the sender', () => {
    const error = { responseCode: 550, response: "550 5.1.1 User unknown" };
    const command = 'RCPT TO:<"mail from"@contoso.com>';
    expect(fromSmtp({ ...error, command }).message).not.toContain("refused: the sender");
  });

  it("a refused STARTTLS is retryable under 500 only", () => {
    const error = { responseCode: 500, response: "500 5.5.1 Unknown command", command: "STARTTLS" };
    expect(fromSmtp(error)).toMatchObject({ code: "TLS_ERROR", retryable: false });
  });

  it("an abort after the data is not ambiguous", () => {
    const error = { code: "EABORT", message: "aborted" };
    expect(fromSmtp(error, { ...SMTP, phase: "after-data" })).toMatchObject({
      code: "ABORTED",
      ambiguous: undefined,
    });
  });
});

describe("smtpErrorToMailError on the client side", () => {
  it("EAUTH without a reply is AUTH_FAILED, EENVELOPE names the envelope", () => {
    expect(fromSmtp({ code: "EAUTH", message: "Invalid login" }).code).toBe("AUTH_FAILED");
    expect(smtpErrorToMailError({ code: "EENVELOPE", message: "x" }, SMTP).hint).toMatch(
      /envelope is not valid/,
    );
  });
});

describe("httpErrorToMailError reads what was thrown", () => {
  it("null is an HTTP 0", () => {
    const error = httpErrorToMailError(null as never, { transport: "graph" });
    expect(error).toMatchObject({ code: "UNKNOWN", message: "graph: HTTP 0", http: { status: 0 } });
  });

  it("leaves out a code, message and request id that are no strings", () => {
    const thrown = { status: 500, code: 42, message: 7, requestId: 9 } as never;
    const error = httpErrorToMailError(thrown, { transport: "graph" });
    expect(error.message).toBe("graph: HTTP 500");
    expect(error.http).toStrictEqual({ status: 500 });
  });
});
