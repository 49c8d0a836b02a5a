import { describe, expect, it } from "vitest";
import { classifyHttpError } from "./classify.js";
import { HTTP_FALLBACK_4XX, HTTP_FALLBACK_OTHER, HTTP_RULES } from "./http-rules.js";
import { parseRetryAfter } from "./parse.js";

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

describe("HTTP_RULES", () => {
  it("has unique ids and a hint on every row", () => {
    const ids = HTTP_RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of HTTP_RULES) expect(rule.hint.length, rule.id).toBeGreaterThan(20);
  });

  describe.each(HTTP_RULES.map((rule) => [rule.id, rule] as const))("%s", (_id, rule) => {
    const { status, code, message } = rule.example;
    // The expected code, retryable and delay of each row are in expected-behaviour.test.ts.
    it(`matches its own example ${status} ${code ?? ""} "${message ?? ""}"`, () => {
      const result = classifyHttpError({ status, code, message }, { now: NOW });
      expect(result.ruleId).toBe(rule.id);
      expect(result.hint).toBe(rule.hint);
    });
  });
});

describe("Graph sendMail and Entra errors (reference §6.1)", () => {
  it.each([
    [
      400,
      "ErrorInvalidRecipients",
      "At least one recipient isn't valid.",
      "RECIPIENT_REJECTED",
      false,
    ],
    [
      400,
      "ErrorMimeContentInvalidBase64String",
      "Invalid base64 string for MIME content.",
      "INVALID_MESSAGE",
      false,
    ],
    [
      400,
      "InvalidInternetMessageHeader",
      "The internet message header name 'Foo' should start with 'x-' or 'X-'.",
      "INVALID_MESSAGE",
      false,
    ],
    [
      400,
      "ErrorMessageSizeExceeded",
      "The message exceeds the maximum supported size.",
      "MESSAGE_TOO_LARGE",
      false,
    ],
    [413, undefined, undefined, "MESSAGE_TOO_LARGE", false],
    [
      400,
      "RequestEntityTooLarge",
      "The maximum request length supported is 4MB.",
      "MESSAGE_TOO_LARGE",
      false,
    ],
    [
      403,
      "ErrorSendAsDenied",
      "The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.",
      "SEND_AS_DENIED",
      false,
    ],
    [403, "ErrorAccessDenied", "Access to OData is disabled.", "PERMISSION_DENIED", false],
    [
      404,
      "MailboxNotEnabledForRESTAPI",
      "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
      "MAILBOX_UNAVAILABLE",
      false,
    ],
    [403, "ErrorQuotaExceeded", "The mailbox quota has been exceeded.", "QUOTA_EXCEEDED", false],
    [
      429,
      "ApplicationThrottled",
      "Application is over its MailboxConcurrency limit.",
      "THROTTLED",
      true,
    ],
    [429, undefined, undefined, "THROTTLED", true],
    [
      401,
      "InvalidAuthenticationToken",
      "Access token has expired or is not yet valid.",
      "AUTH_FAILED",
      false,
    ],
    [500, "InternalServerError", "An internal server error occurred.", "SERVER_ERROR", true],
    [502, undefined, undefined, "SERVER_ERROR", true],
    [503, "ServiceUnavailable", "Service unavailable", "SERVER_ERROR", true],
    [504, "GatewayTimeout", "Gateway timeout", "SERVER_ERROR", true],
    [401, "invalid_client", "AADSTS7000215: Invalid client secret provided.", "AUTH_FAILED", false],
    [
      401,
      "invalid_client",
      "AADSTS7000222: The provided client secret keys for app 'x' are expired.",
      "AUTH_FAILED",
      false,
    ],
    [
      400,
      "unauthorized_client",
      "AADSTS700016: Application with identifier 'x' was not found in the directory 'contoso.com'.",
      "AUTH_FAILED",
      false,
    ],
    [
      400,
      "invalid_request",
      "AADSTS90002: Tenant 'contoso.onmicrosoft.com' not found.",
      "AUTH_FAILED",
      false,
    ],
  ] as const)("answers %s %s with %s", (status, code, message, expected, retryable) => {
    const result = classifyHttpError({ status, code, message }, { now: NOW });
    expect(result.code).toBe(expected);
    expect(result.retryable).toBe(retryable);
    expect(result.hint).not.toBe("");
  });

  it("says to rotate the client secret for AADSTS7000215 and AADSTS7000222", () => {
    for (const aadsts of ["AADSTS7000215", "AADSTS7000222"]) {
      const { hint } = classifyHttpError({
        status: 401,
        code: "invalid_client",
        message: `${aadsts}: x`,
      });
      expect(hint).toMatch(/rotate the client secret/);
    }
  });

  it("names Mail.Send, admin consent and RBAC for Applications for ErrorAccessDenied", () => {
    const { hint } = classifyHttpError({ status: 403, code: "ErrorAccessDenied" });
    expect(hint).toContain("Mail.Send");
    expect(hint).toContain("admin consent");
    expect(hint).toContain("RBAC for Applications");
  });

  it("matches Graph error codes case-insensitively", () => {
    expect(classifyHttpError({ status: 403, code: "errorsendasdenied" }).code).toBe(
      "SEND_AS_DENIED",
    );
  });

  it("falls back to a permanent UNKNOWN for another 4xx and for a non-error status", () => {
    const { status, code, message } = HTTP_FALLBACK_4XX.example;
    expect(classifyHttpError({ status, code, message })).toMatchObject({
      code: "UNKNOWN",
      retryable: false,
      ruleId: "http-fallback-4xx",
    });
    expect(classifyHttpError({ status: HTTP_FALLBACK_OTHER.example.status })).toMatchObject({
      code: "UNKNOWN",
      ruleId: "http-fallback-other",
    });
  });
});

describe("Retry-After", () => {
  it("uses Retry-After in seconds over the table's default", () => {
    expect(
      classifyHttpError({ status: 429, code: "ApplicationThrottled", retryAfter: "17" })
        .retryAfterMs,
    ).toBe(17_000);
    expect(classifyHttpError({ status: 503, retryAfter: 3 }).retryAfterMs).toBe(3_000);
  });

  it("uses Retry-After as an HTTP-date relative to the injected now", () => {
    const retryAfter = new Date(NOW + 90_000).toUTCString();
    expect(classifyHttpError({ status: 429, retryAfter }, { now: NOW }).retryAfterMs).toBe(90_000);
  });

  it("keeps the table's default when Retry-After is absent or unreadable", () => {
    expect(classifyHttpError({ status: 429, retryAfter: null }).retryAfterMs).toBe(10_000);
    expect(classifyHttpError({ status: 429, retryAfter: "soon-ish?" }).retryAfterMs).toBe(10_000);
  });

  it("parses seconds, dates, and refuses nonsense", () => {
    expect(parseRetryAfter("120", NOW)).toBe(120_000);
    expect(parseRetryAfter(" 0 ", NOW)).toBe(0);
    expect(parseRetryAfter(1.5, NOW)).toBe(1_500);
    expect(parseRetryAfter("Mon, 23 Nov 2026 12:00:30 GMT", NOW)).toBe(30_000);
    expect(parseRetryAfter("Mon, 23 Nov 2026 11:00:00 GMT", NOW)).toBe(0);
    expect(parseRetryAfter("-5", NOW)).toBeUndefined();
    expect(parseRetryAfter(-5, NOW)).toBeUndefined();
    expect(parseRetryAfter(Number.NaN, NOW)).toBeUndefined();
    expect(parseRetryAfter("", NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
  });
});
