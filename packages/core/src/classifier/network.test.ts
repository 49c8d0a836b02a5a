import { describe, expect, it } from "vitest";
import { classifyNetworkError } from "./classify.js";
import { NETWORK_RULES } from "./network-rules.js";

describe("NETWORK_RULES", () => {
  describe.each(NETWORK_RULES.map((rule) => [rule.id, rule] as const))("%s", (_id, rule) => {
    it.each(rule.codes.map((code) => code.replace("*", "WRONG_VERSION_NUMBER")))(
      // The expected code and retryable of each row are in expected-behaviour.test.ts.
      "matches its own code %s",
      (code) => {
        const result = classifyNetworkError({ code, message: rule.example });
        expect(result.ruleId).toBe(rule.id);
        expect(result.hint).toBe(rule.hint);
      },
    );
  });
});

describe("classifyNetworkError", () => {
  it.each([
    [
      { code: "ECONNREFUSED", message: "connect ECONNREFUSED 127.0.0.1:587" },
      "CONNECTION_FAILED",
      true,
    ],
    [{ code: "ETIMEDOUT", message: "Connection timeout" }, "TIMEOUT", true],
    [{ code: "ECONNRESET", message: "read ECONNRESET" }, "CONNECTION_FAILED", true],
    [{ code: "EPIPE", message: "write EPIPE" }, "CONNECTION_FAILED", true],
    [
      {
        code: "ESOCKET",
        originalCode: "DEPTH_ZERO_SELF_SIGNED_CERT",
        message: "self-signed certificate",
      },
      "TLS_ERROR",
      false,
    ],
    [{ code: "ESOCKET", message: "unable to verify the first certificate" }, "TLS_ERROR", false],
    [{ code: "ECONNECTION", message: "certificate has expired" }, "TLS_ERROR", false],
    [{ code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }, "TLS_ERROR", false],
    [{ code: "CERT_HAS_EXPIRED" }, "TLS_ERROR", false],
    [{ code: "ERR_SSL_WRONG_VERSION_NUMBER" }, "TLS_ERROR", false],
    [{ code: "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION" }, "TLS_ERROR", false],
    [{ code: "ERR_TLS_CERT_ALTNAME_INVALID" }, "TLS_ERROR", false],
    [
      { code: "ENOTFOUND", message: "getaddrinfo ENOTFOUND smtp.office365.com" },
      "CONNECTION_FAILED",
      true,
    ],
    [{ code: "ABORT_ERR" }, "ABORTED", false],
    [{ code: "EWHATEVER" }, "UNKNOWN", false],
    [{}, "UNKNOWN", false],
  ] as const)("answers %j with %s", (error, code, retryable) => {
    const result = classifyNetworkError(error);
    expect(result.code).toBe(code);
    expect(result.retryable).toBe(retryable);
    expect(result.hint).not.toBe("");
  });

  it("prefers the socket's originalCode to nodemailer's generic code", () => {
    expect(classifyNetworkError({ code: "ETIMEDOUT", originalCode: "CERT_HAS_EXPIRED" }).code).toBe(
      "TLS_ERROR",
    );
    expect(classifyNetworkError({ code: "ESOCKET", originalCode: "ECONNREFUSED" }).ruleId).toBe(
      "net-refused",
    );
  });
});
