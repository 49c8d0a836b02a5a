// What each classifier row must answer, written down from the documented behaviour
// (docs/errors.md, reference §5–§7) and NOT read from the rule tables, so a changed `code`,
// `retryable` or suggested delay on any row fails here (the generated docs snapshot alone can
// be silently regenerated with UPDATE_DOCS=1). Every row of every table must be listed.
import { describe, expect, it } from "vitest";
import type { MailErrorCode } from "../errors/codes.js";
import { classifyHttpError, classifyNetworkError } from "./classify.js";
import { BASIC_SMTP_RULES, GENERIC_SMTP_RULES } from "./generic-smtp-rules.js";
import { HTTP_FALLBACK_4XX, HTTP_FALLBACK_OTHER, HTTP_RULES } from "./http-rules.js";
import { NETWORK_FALLBACK, NETWORK_RULES } from "./network-rules.js";
import {
  SMTP_FALLBACK_4XX,
  SMTP_FALLBACK_5XX,
  SMTP_FALLBACK_OTHER,
  SMTP_RULES,
} from "./smtp-rules.js";
import { classifyReply } from "./test-support/smtp.js";

const HOUR = 3_600_000;
type Expected = readonly [
  ruleId: string,
  code: MailErrorCode,
  retryable: boolean,
  retryAfterMs?: number,
];

const SMTP_EXPECTED: readonly Expected[] = [
  ["smtp-tls-version", "TLS_ERROR", false],
  ["smtp-starttls-required", "TLS_ERROR", false],
  ["smtp-auth-disabled-tenant", "AUTH_DISABLED", false],
  ["smtp-basic-auth-disabled", "AUTH_DISABLED", false],
  ["smtp-auth-security-defaults", "AUTH_DISABLED", false],
  ["smtp-auth-bad-credentials-139", "AUTH_FAILED", false],
  ["smtp-auth-disabled-other", "AUTH_DISABLED", false],
  ["smtp-basic-auth-retired", "AUTH_DISABLED", false],
  ["smtp-auth-failed", "AUTH_FAILED", false],
  ["smtp-not-authenticated", "AUTH_FAILED", false],
  ["smtp-auth-mechanism-unavailable", "AUTH_FAILED", false],
  ["smtp-not-authenticated-571", "AUTH_FAILED", false],
  ["smtp-send-as-denied-560", "SEND_AS_DENIED", false],
  ["smtp-send-as-denied-520", "SEND_AS_DENIED", false],
  ["smtp-sender-thread-limit", "THROTTLED", true, 5_000],
  ["smtp-concurrent-connections", "THROTTLED", true, 5_000],
  ["smtp-recipient-thread-limit", "THROTTLED", true, 30_000],
  ["smtp-ip-throttled", "THROTTLED", true, 300_000],
  ["smtp-suspicious-ip", "THROTTLED", true, 900_000],
  ["smtp-too-many-recipients", "THROTTLED", true, 1_000],
  ["smtp-recipient-limit", "INVALID_MESSAGE", false],
  ["smtp-submission-quota-recipients", "QUOTA_EXCEEDED", false, 24 * HOUR],
  ["smtp-daily-recipient-limit", "QUOTA_EXCEEDED", false, 24 * HOUR],
  ["smtp-mailbox-full", "QUOTA_EXCEEDED", false],
  ["smtp-submission-quota", "QUOTA_EXCEEDED", false],
  ["smtp-continuous-error-throttle", "THROTTLED", false],
  ["smtp-header-too-large", "MESSAGE_TOO_LARGE", false],
  ["smtp-message-too-large", "MESSAGE_TOO_LARGE", false],
  ["smtp-recipient-size-limit", "MESSAGE_TOO_LARGE", false],
  ["smtp-connector-mismatch", "RELAY_DENIED", false],
  ["smtp-direct-send-rejected", "RELAY_DENIED", false],
  ["smtp-unable-to-relay", "RELAY_DENIED", false],
  ["smtp-delivery-not-authorized", "RECIPIENT_REJECTED", false],
  ["smtp-relay-access-denied", "RELAY_DENIED", false],
  ["smtp-recipient-access-denied", "RECIPIENT_REJECTED", false],
  ["smtp-banned-ip", "RELAY_DENIED", false],
  ["smtp-ip-not-accepted", "RELAY_DENIED", false],
  ["smtp-bad-outbound-sender", "MAILBOX_UNAVAILABLE", false],
  ["smtp-spam-abuse", "MAILBOX_UNAVAILABLE", false],
  ["smtp-tenant-threshold", "MAILBOX_UNAVAILABLE", false],
  ["smtp-unregistered-domain", "PERMISSION_DENIED", false],
  ["smtp-recipient-not-found", "RECIPIENT_REJECTED", false],
  ["smtp-bad-destination-mailbox", "RECIPIENT_REJECTED", false],
  ["smtp-bad-sequence", "SERVER_ERROR", true],
  ["smtp-message-delayed", "SERVER_ERROR", true, 60_000],
  ["smtp-message-expired", "SERVER_ERROR", false],
  ["smtp-fallback-4xx", "SERVER_ERROR", true],
  ["smtp-fallback-5xx", "UNKNOWN", false],
  ["smtp-fallback-other", "UNKNOWN", false],
  ["generic-auth-credentials-invalid", "AUTH_FAILED", false],
  ["generic-auth-required", "AUTH_FAILED", false],
  ["generic-auth-mechanism-weak", "AUTH_FAILED", false],
  ["generic-encryption-required", "TLS_ERROR", false],
  ["generic-auth-password-transition", "AUTH_FAILED", false],
  ["generic-auth-account-disabled", "MAILBOX_UNAVAILABLE", false],
  ["generic-auth-temporary", "SERVER_ERROR", true],
  ["generic-reply-auth-required", "AUTH_FAILED", false],
  ["generic-reply-auth-failed", "AUTH_FAILED", false],
  ["generic-reply-auth-weak", "AUTH_FAILED", false],
  ["generic-reply-encryption-required", "TLS_ERROR", false],
  ["generic-greylisted", "THROTTLED", true, 300_000],
  ["generic-daily-quota", "QUOTA_EXCEEDED", false, 24 * HOUR],
  ["generic-rate-limited", "THROTTLED", true, 60_000],
  ["generic-relay-denied", "RELAY_DENIED", false],
  ["generic-client-blocked", "RELAY_DENIED", false],
  ["generic-sender-refused", "SEND_AS_DENIED", false],
  ["generic-sender-deferred", "SEND_AS_DENIED", true, 300_000],
  ["generic-mailbox-full", "RECIPIENT_REJECTED", false],
  ["generic-mailbox-full-temporary", "RECIPIENT_REJECTED", true, 900_000],
  ["generic-mailbox-full-words", "RECIPIENT_REJECTED", false],
  ["generic-sender-address", "SEND_AS_DENIED", false],
  ["generic-address-refused-at-mail-from", "SEND_AS_DENIED", false],
  ["generic-policy-refused-at-mail-from", "SEND_AS_DENIED", false],
  ["generic-address-deferred-at-mail-from", "SEND_AS_DENIED", true, 300_000],
  ["generic-bad-recipient", "RECIPIENT_REJECTED", false],
  ["generic-bad-recipient-temporary", "RECIPIENT_REJECTED", true, 300_000],
  ["generic-mailbox-disabled", "RECIPIENT_REJECTED", false],
  ["generic-mailbox-temporary", "RECIPIENT_REJECTED", true, 300_000],
  ["generic-congestion", "THROTTLED", true, 60_000],
  ["generic-system-resources", "THROTTLED", true, 60_000],
  ["generic-too-many-recipients", "INVALID_MESSAGE", false],
  ["generic-auth-line-too-long", "AUTH_FAILED", false],
  ["generic-content-refused", "INVALID_MESSAGE", false],
  ["generic-message-authentication", "PERMISSION_DENIED", false],
  ["generic-recipient-policy", "RECIPIENT_REJECTED", false],
  ["generic-policy-temporary", "THROTTLED", true, 300_000],
  ["generic-policy-refused", "PERMISSION_DENIED", false],
  ["basic-sender-refused", "SEND_AS_DENIED", false],
  ["basic-recipient-refused", "RECIPIENT_REJECTED", false],
  ["basic-user-not-local", "RECIPIENT_REJECTED", false],
  ["basic-mailbox-name", "RECIPIENT_REJECTED", false],
  ["basic-no-mail-domain", "RECIPIENT_REJECTED", false],
  ["basic-too-large", "MESSAGE_TOO_LARGE", false],
];

const HTTP_EXPECTED: readonly Expected[] = [
  ["entra-invalid-client-secret", "AUTH_FAILED", false],
  ["entra-client-secret-expired", "AUTH_FAILED", false],
  ["entra-app-not-found", "AUTH_FAILED", false],
  ["entra-tenant-not-found", "AUTH_FAILED", false],
  ["entra-invalid-client", "AUTH_FAILED", false],
  ["graph-invalid-token", "AUTH_FAILED", false],
  ["graph-send-as-denied", "SEND_AS_DENIED", false],
  ["graph-access-denied", "PERMISSION_DENIED", false],
  ["graph-mailbox-not-enabled", "MAILBOX_UNAVAILABLE", false],
  ["graph-invalid-recipients", "RECIPIENT_REJECTED", false],
  ["graph-invalid-mime", "INVALID_MESSAGE", false],
  ["graph-invalid-header", "INVALID_MESSAGE", false],
  ["graph-message-too-large", "MESSAGE_TOO_LARGE", false],
  ["graph-request-too-large", "MESSAGE_TOO_LARGE", false],
  ["graph-request-too-large-code", "MESSAGE_TOO_LARGE", false],
  ["graph-quota-exceeded", "QUOTA_EXCEEDED", false],
  ["graph-mailbox-concurrency", "THROTTLED", true, 1_000],
  ["graph-unauthorized", "AUTH_FAILED", false],
  ["graph-forbidden", "PERMISSION_DENIED", false],
  ["graph-user-not-found", "MAILBOX_UNAVAILABLE", false],
  ["graph-throttled", "THROTTLED", true, 10_000],
  ["http-request-timeout", "TIMEOUT", true],
  ["http-server-error", "SERVER_ERROR", true, 2_000],
  ["http-fallback-4xx", "UNKNOWN", false],
  ["http-fallback-other", "UNKNOWN", false],
];

const NETWORK_EXPECTED: readonly Expected[] = [
  ["net-aborted", "ABORTED", false],
  ["tls-self-signed", "TLS_ERROR", false],
  ["tls-untrusted-chain", "TLS_ERROR", false],
  ["tls-cert-expired", "TLS_ERROR", false],
  ["tls-altname", "TLS_ERROR", false],
  ["tls-protocol", "TLS_ERROR", false],
  ["net-timeout", "TIMEOUT", true],
  ["net-dns", "CONNECTION_FAILED", true],
  ["net-refused", "CONNECTION_FAILED", true],
  ["net-dropped", "CONNECTION_FAILED", true],
  ["net-protocol", "CONNECTION_FAILED", false],
  ["net-fallback", "UNKNOWN", false],
];

const SMTP_TABLE = [
  ...SMTP_RULES,
  ...GENERIC_SMTP_RULES,
  ...BASIC_SMTP_RULES,
  SMTP_FALLBACK_4XX,
  SMTP_FALLBACK_5XX,
  SMTP_FALLBACK_OTHER,
];
const HTTP_TABLE = [...HTTP_RULES, HTTP_FALLBACK_4XX, HTTP_FALLBACK_OTHER];
const NETWORK_TABLE = [...NETWORK_RULES, NETWORK_FALLBACK];

const ids = (rows: readonly { readonly id: string }[]) => rows.map((row) => row.id).sort();
const expectedIds = (rows: readonly Expected[]) => rows.map(([id]) => id).sort();

describe("every classifier row has a written-down expected answer", () => {
  it("lists each SMTP, HTTP and network row exactly once, and no row that is gone", () => {
    expect(expectedIds(SMTP_EXPECTED)).toEqual(ids(SMTP_TABLE));
    expect(expectedIds(HTTP_EXPECTED)).toEqual(ids(HTTP_TABLE));
    expect(expectedIds(NETWORK_EXPECTED)).toEqual(ids(NETWORK_TABLE));
  });
});

describe("each SMTP row's real reply classifies as documented", () => {
  it.each(SMTP_EXPECTED)("%s: %s, retryable %s", (id, code, retryable, retryAfterMs) => {
    const rule = SMTP_TABLE.find((row) => row.id === id);
    const example = rule?.example ?? "";
    const command =
      rule && "command" in rule && rule.command?.test("MAIL FROM") ? "MAIL FROM" : "RCPT TO";
    const result = classifyReply(example, command);
    expect(result.ruleId).toBe(id);
    expect(result.code).toBe(code);
    expect(result.retryable).toBe(retryable);
    expect(result.retryAfterMs).toBe(retryAfterMs);
  });
});

describe("each HTTP row's real response classifies as documented", () => {
  it.each(HTTP_EXPECTED)("%s: %s, retryable %s", (id, code, retryable, retryAfterMs) => {
    const example = HTTP_TABLE.find((row) => row.id === id)?.example ?? { status: 0 };
    const result = classifyHttpError(example, { now: 0 });
    expect(result.ruleId).toBe(id);
    expect(result.code).toBe(code);
    expect(result.retryable).toBe(retryable);
    expect(result.retryAfterMs).toBe(retryAfterMs);
  });

  // Stated outright in docs/errors.md and docs/resilience.md: the mailer retries these.
  it.each([500, 502, 503, 504, 599])("%s is a retryable SERVER_ERROR", (status) => {
    expect(classifyHttpError({ status })).toMatchObject({ code: "SERVER_ERROR", retryable: true });
  });

  it("408 is a retryable TIMEOUT, with or without Graph's error code", () => {
    expect(classifyHttpError({ status: 408 })).toMatchObject({ code: "TIMEOUT", retryable: true });
    expect(classifyHttpError({ status: 408, code: "RequestTimeout" })).toMatchObject({
      code: "TIMEOUT",
      retryable: true,
    });
  });
});

describe("each network row classifies as documented", () => {
  it.each(NETWORK_EXPECTED)("%s: %s, retryable %s", (id, code, retryable) => {
    const rule = NETWORK_TABLE.find((row) => row.id === id);
    const errorCode = rule?.codes[0]?.replace("*", "WRONG_VERSION_NUMBER");
    const result = classifyNetworkError({
      ...(errorCode !== undefined && { code: errorCode }),
      message: rule?.example ?? "",
    });
    expect(result.ruleId).toBe(id);
    expect(result.code).toBe(code);
    expect(result.retryable).toBe(retryable);
  });
});
