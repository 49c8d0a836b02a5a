import { describe, expect, it } from "vitest";
import { tokenFailureToMailError } from "./errors.js";

const endpoint = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token";

describe("token failure mapping", () => {
  it("reads the token endpoint's Retry-After as seconds or as an HTTP-date", () => {
    const now = Date.parse("2026-11-23T15:00:00Z");
    const throttled = (retryAfter: string | undefined) =>
      tokenFailureToMailError({
        record: {
          status: 429,
          headers: retryAfter === undefined ? {} : { "retry-after": retryAfter },
          body: { error: "temporarily_unavailable", error_codes: [50196] },
        },
        cause: new Error("msal"),
        tokenEndpoint: endpoint,
        secrets: [],
        nowMs: now,
      }).retryAfterMs;
    expect(throttled("30")).toBe(30_000);
    expect(throttled("Mon, 23 Nov 2026 15:00:45 GMT")).toBe(45_000);
    // An unreadable value counts as no header at all.
    expect(throttled("soon")).toBe(throttled(undefined));
  });

  it("maps AADSTS700027 to AUTH_FAILED with the certificate hint and the trace id", () => {
    const error = tokenFailureToMailError({
      record: {
        status: 401,
        headers: {},
        body: {
          error: "invalid_client",
          error_description:
            "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.\r\nTrace ID: 1d5e",
          error_codes: [700027],
          trace_id: "0b7c2c9e-1f0a-4a7e-9a43-6f7d1f1f2a00",
        },
      },
      cause: new Error("msal"),
      tokenEndpoint: endpoint,
      secrets: [],
      nowMs: 0,
    });
    expect(error).toMatchObject({
      code: "AUTH_FAILED",
      retryable: false,
      http: {
        status: 401,
        code: "AADSTS700027",
        requestId: "0b7c2c9e-1f0a-4a7e-9a43-6f7d1f1f2a00",
      },
    });
    expect(error.message).not.toMatch(/Trace ID/);
  });

  it("maps a gateway's 502 without an Entra body to a retryable SERVER_ERROR", () => {
    const error = tokenFailureToMailError({
      record: { status: 502, headers: {}, body: { error: "server_error" } },
      cause: new Error("msal"),
      tokenEndpoint: endpoint,
      secrets: [],
      nowMs: 0,
    });
    expect(error).toMatchObject({ code: "SERVER_ERROR", retryable: true, http: { status: 502 } });
  });

  it("removes the secret from a server text that echoes it", () => {
    const secret = "s3cr3t-value-echoed-back";
    const error = tokenFailureToMailError({
      record: {
        status: 400,
        headers: {},
        body: {
          error: "invalid_request",
          error_description: `AADSTS900144: bad client_secret ${secret}`,
        },
      },
      cause: new Error("msal"),
      tokenEndpoint: endpoint,
      secrets: [secret],
      nowMs: 0,
    });
    expect(JSON.stringify(error.toJSON())).not.toContain(secret);
    expect(error.http?.code).toBe("AADSTS900144");
  });
});
