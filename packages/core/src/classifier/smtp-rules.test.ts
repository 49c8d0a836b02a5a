import { describe, expect, it } from "vitest";
import type { MailErrorCode } from "../errors/codes.js";
import { classifySmtpReply } from "./classify.js";
import { parseSmtpReply } from "./parse.js";
import {
  SMTP_FALLBACK_4XX,
  SMTP_FALLBACK_5XX,
  SMTP_FALLBACK_OTHER,
  SMTP_RULES,
} from "./smtp-rules.js";
import { classifyReply, expectWellWrittenRows } from "./test-support/smtp.js";

const HOUR = 3_600_000;

describe("SMTP_RULES", () => {
  it("has unique ids, a hint of one or two sentences and a real example on every row", () => {
    expectWellWrittenRows(SMTP_RULES, /^[45]\d\d [45]\.\d+\.\d+ /);
  });

  describe.each(SMTP_RULES.map((rule) => [rule.id, rule] as const))("%s", (_id, rule) => {
    // What each row must answer (code, retryable, delay) is in expected-behaviour.test.ts,
    // written independently of the table; here: the row's own example reaches the row.
    it(`matches its own example "${rule.example}"`, () => {
      const result = classifyReply(rule.example);
      expect(result.ruleId).toBe(rule.id);
      expect(result.hint).toBe(rule.hint);
    });

    it("gives the same answer when the enhanced code is passed separately", () => {
      const parsed = parseSmtpReply(rule.example);
      expect(parsed.enhancedCode).toBeDefined();
      const result = classifySmtpReply({
        replyCode: parsed.replyCode ?? 0,
        ...(parsed.enhancedCode !== undefined && { enhancedCode: parsed.enhancedCode }),
        response: rule.example,
      });
      expect(result.ruleId).toBe(rule.id);
    });
  });
});

// The specification, written independently of the table: Exchange's reply → what the SDK says.
const EXPECTED: readonly [
  reply: string,
  code: MailErrorCode,
  retryable: boolean,
  retryAfterMs?: number,
][] = [
  [
    "421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls.",
    "TLS_ERROR",
    false,
  ],
  [
    "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded [Hostname=DM6PR10MB4250.namprd10.prod.outlook.com]",
    "THROTTLED",
    true,
    5_000,
  ],
  [
    "432 4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending for more information.",
    "THROTTLED",
    true,
    5_000,
  ],
  ["432 4.3.2 STOREDRV.Deliver; recipient thread limit exceeded", "THROTTLED", true, 30_000],
  [
    "451 4.7.500 Server busy. Please try again later from [203.0.113.10]. (AS843)",
    "THROTTLED",
    true,
    300_000,
  ],
  ["451 4.7.699 Access denied, please try again later. (AS9999)", "THROTTLED", true, 300_000],
  ["451 4.7.850 Access denied, please try again later. (AS62003)", "THROTTLED", true, 900_000],
  ["451 4.4.7 Message delayed", "SERVER_ERROR", true, 60_000],
  ["550 5.4.300 Message expired", "SERVER_ERROR", false],
  ["452 4.5.3 Too many recipients", "THROTTLED", true, 1_000],
  [
    "550 5.5.3 RESOLVER.ADR.RecipLimit; too many recipients (the limit is 500 per message)",
    "INVALID_MESSAGE",
    false,
  ],
  [
    "535 5.7.3 Authentication unsuccessful [SN4PR0601CA0002.namprd06.prod.outlook.com]",
    "AUTH_FAILED",
    false,
  ],
  [
    "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
    "AUTH_DISABLED",
    false,
  ],
  [
    "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.",
    "AUTH_DISABLED",
    false,
  ],
  ["504 5.7.4 Unrecognized authentication type [host]", "AUTH_FAILED", false],
  ["530 5.7.57 Client not authenticated to send mail. [host]", "AUTH_FAILED", false],
  ["421 4.3.2 Service not available, closing transmission channel", "SERVER_ERROR", true],
  [
    "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.",
    "AUTH_DISABLED",
    false,
  ],
  [
    "550 5.7.30 Basic authentication is not supported for Client Submission.",
    "AUTH_DISABLED",
    false,
  ],
  [
    "530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM",
    "AUTH_FAILED",
    false,
  ],
  [
    "550 5.7.60 SMTP; Client does not have permissions to send as this sender",
    "SEND_AS_DENIED",
    false,
  ],
  [
    "554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message Cannot submit message.",
    "SEND_AS_DENIED",
    false,
  ],
  [
    "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message Cannot submit message.",
    "QUOTA_EXCEEDED",
    false,
    24 * HOUR,
  ],
  ["554 5.2.2 Submission quota exceeded", "QUOTA_EXCEEDED", false],
  [
    "554 5.2.2 mailbox full; STOREDRV.Submission.Exception:QuotaExceededException.MapiExceptionQuotaExceeded; Failed to process message due to a permanent exception with message Cannot submit message.",
    "QUOTA_EXCEEDED",
    false,
  ],
  [
    "550 5.1.90 Your message can't be sent because you've reached your daily limit for message recipients.",
    "QUOTA_EXCEEDED",
    false,
    24 * HOUR,
  ],
  ["550 5.2.251 Sender throttled due to continuous mailbox full errors.", "THROTTLED", false],
  ["550 5.2.253 Sender throttled due to continuous invalid license errors.", "THROTTLED", false],
  ["550 5.2.255 Sender throttled due to continuous invalid recipients errors.", "THROTTLED", false],
  ["552 5.3.4 Header size exceeds fixed maximum size", "MESSAGE_TOO_LARGE", false],
  ["552 5.3.4 Message size exceeds fixed maximum message size", "MESSAGE_TOO_LARGE", false],
  [
    "550 5.2.3 RESOLVER.RST.RecipSizeLimit; message too large for this recipient",
    "MESSAGE_TOO_LARGE",
    false,
  ],
  ["550 5.1.8 Access denied, bad outbound sender", "MAILBOX_UNAVAILABLE", false],
  ["550 5.4.1 Relay Access Denied", "RELAY_DENIED", false],
  ["550 5.4.1 Recipient address rejected: Access denied.", "RECIPIENT_REJECTED", false],
  ["550 5.7.1 Unable to relay for user@fabrikam.com", "RELAY_DENIED", false],
  ["530 5.7.1 Client was not authenticated", "AUTH_FAILED", false],
  ["550 5.7.1 Delivery not authorized, message refused", "RECIPIENT_REJECTED", false],
  ["550 5.7.64 TenantAttribution; Relay Access Denied", "RELAY_DENIED", false],
  [
    "550 5.7.68 TenantInboundAttribution; Direct Send not allowed for this organization from unauthorized sources",
    "RELAY_DENIED",
    false,
  ],
  ["550 5.7.502 Access denied, banned sender", "MAILBOX_UNAVAILABLE", false],
  ["550 5.7.606 Access denied, banned sending IP [203.0.113.10].", "RELAY_DENIED", false],
  ["550 5.7.649 Access denied, banned sending IP [203.0.113.10].", "RELAY_DENIED", false],
  ["550 5.7.705 Access denied, tenant has exceeded threshold", "MAILBOX_UNAVAILABLE", false],
  [
    "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.",
    "RELAY_DENIED",
    false,
  ],
  [
    "550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains.",
    "PERMISSION_DENIED",
    false,
  ],
  [
    "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
    "RECIPIENT_REJECTED",
    false,
  ],
  ["550 5.1.1 RESOLVER.ADR.RecipNotFound; not found", "RECIPIENT_REJECTED", false],
];

describe("Exchange Online replies (reference §5 and §7)", () => {
  it.each(EXPECTED)("answers %s with %s (retryable %s)", (reply, code, retryable, retryAfterMs) => {
    const result = classifyReply(reply);
    expect(result.code).toBe(code);
    expect(result.retryable).toBe(retryable);
    expect(result.retryAfterMs).toBe(retryAfterMs);
    expect(result.hint).not.toBe("");
  });

  it("tells the tenant-disabled and basic-disabled 535 5.7.139 apart in the hint", () => {
    const tenant = classifyReply(
      "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
    );
    const basic = classifyReply(
      "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.",
    );
    expect(tenant.hint).toContain(
      "Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false",
    );
    expect(basic.hint).toMatch(/OAuth/);
    expect(basic.ruleId).not.toBe(tenant.ruleId);
  });

  it("names the token scope, New-ServicePrincipal and Add-MailboxPermission for 535 5.7.3", () => {
    const { hint } = classifyReply("535 5.7.3 Authentication unsuccessful [host]");
    expect(hint).toContain("https://outlook.office365.com/.default");
    expect(hint).toContain("New-ServicePrincipal");
    expect(hint).toContain("Enterprise Application");
    expect(hint).toContain("Add-MailboxPermission");
  });

  it("classifies a 4.3.2 throttle that arrives without the reply code", () => {
    const result = classifySmtpReply({
      replyCode: 0,
      response:
        "4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending",
    });
    expect(result).toMatchObject({
      code: "THROTTLED",
      retryable: true,
      ruleId: "smtp-concurrent-connections",
    });
  });

  it("does not read 4.7.500–699 into 4.7.700 or 5.7.600 into the 4.7 range", () => {
    // They fall to the generic RFC 3463 security/policy rows instead.
    expect(classifyReply("451 4.7.700 Something else").ruleId).toBe("generic-policy-temporary");
    expect(classifyReply("550 5.7.650 Something else").ruleId).toBe("generic-policy-refused");
  });
});

describe("fallbacks by reply class", () => {
  it("treats an unknown 4xx as a transient SERVER_ERROR", () => {
    expect(classifyReply(SMTP_FALLBACK_4XX.example)).toMatchObject({
      code: "SERVER_ERROR",
      retryable: true,
      ruleId: "smtp-fallback-4xx",
    });
    expect(classifyReply("421 Service not available, closing transmission channel").code).toBe(
      "SERVER_ERROR",
    );
  });

  it("treats an unknown 5xx as a permanent UNKNOWN", () => {
    expect(classifyReply(SMTP_FALLBACK_5XX.example)).toMatchObject({
      code: "UNKNOWN",
      retryable: false,
      ruleId: "smtp-fallback-5xx",
    });
    expect(classifyReply("500 Syntax error, command unrecognized").retryable).toBe(false);
  });

  it("treats a reply that is not a failure as UNKNOWN", () => {
    expect(classifyReply(SMTP_FALLBACK_OTHER.example)).toMatchObject({
      code: "UNKNOWN",
      retryable: false,
    });
    expect(classifySmtpReply({ replyCode: 0, response: "" }).ruleId).toBe("smtp-fallback-other");
  });

  it("uses the given reply code over the text's class", () => {
    expect(classifySmtpReply({ replyCode: 451, response: "try later" }).code).toBe("SERVER_ERROR");
    expect(classifySmtpReply({ replyCode: 554, response: "no" }).code).toBe("UNKNOWN");
  });
});

describe("parseSmtpReply", () => {
  it("splits reply code, enhanced code and text", () => {
    expect(parseSmtpReply("535 5.7.3 Authentication unsuccessful [host]")).toEqual({
      replyCode: 535,
      enhancedCode: "5.7.3",
      text: "Authentication unsuccessful [host]",
    });
  });

  it("joins a multi-line reply", () => {
    expect(parseSmtpReply("550-5.7.1 Unable to relay\r\n550 5.7.1 for user@fabrikam.com")).toEqual({
      replyCode: 550,
      enhancedCode: "5.7.1",
      text: "Unable to relay for user@fabrikam.com",
    });
  });

  it("finds the reply inside nodemailer's message", () => {
    expect(
      parseSmtpReply(
        "Invalid login: 535 5.7.139 Authentication unsuccessful, basic authentication is disabled.",
      ),
    ).toMatchObject({
      replyCode: 535,
      enhancedCode: "5.7.139",
    });
  });

  it("keeps a reply without an enhanced code", () => {
    expect(parseSmtpReply("421 Service not available")).toEqual({
      replyCode: 421,
      text: "Service not available",
    });
  });

  it("returns only text for garbage", () => {
    expect(parseSmtpReply("hello")).toEqual({ text: "hello" });
    expect(parseSmtpReply("")).toEqual({ text: "" });
  });
});
