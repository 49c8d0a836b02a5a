import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { MailError } from "./mail-error.js";
import { scrubText } from "./redact.js";
import { safeCause } from "./safe-cause.js";

const PASSWORD = "Cause-Test-Password-8d2a";
const SECRET = "Cause-Test-Secret-41fe";
const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJlLXZhbHVl";
const KEY =
  "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ\n-----END PRIVATE KEY-----";

const printed = (value: unknown) =>
  `${inspect(value, { depth: 10, showHidden: true })}\n${JSON.stringify(value)}`;

describe("MailError cause", () => {
  it("keeps a nodemailer error's message, code, reply and command but not its auth options", () => {
    const caught = Object.assign(
      new Error("Invalid login: 535 5.7.139 Authentication unsuccessful"),
      {
        code: "EAUTH",
        responseCode: 535,
        response: "535 5.7.139 Authentication unsuccessful",
        command: "AUTH LOGIN",
        auth: { user: "app@contoso.com", pass: PASSWORD },
        options: { auth: { user: "app@contoso.com", pass: PASSWORD }, tls: { key: KEY } },
      },
    );
    const error = new MailError({ code: "AUTH_FAILED", message: "smtp: 535", cause: caught });
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.cause).toMatchObject({
      message: "Invalid login: 535 5.7.139 Authentication unsuccessful",
      code: "EAUTH",
      responseCode: 535,
      response: "535 5.7.139 Authentication unsuccessful",
      command: "AUTH LOGIN",
    });
    expect(error.cause).not.toHaveProperty("auth");
    expect(printed(error)).not.toContain(PASSWORD);
    expect(printed(error)).not.toContain("PRIVATE KEY");
  });

  it("drops request options, headers and bodies along the whole cause chain", () => {
    const request = Object.assign(new Error("other side closed"), {
      code: "UND_ERR_SOCKET",
      request: {
        headers: { authorization: `Bearer ${JWT}` },
        body: `client_id=app&client_secret=${SECRET}`,
      },
    });
    const caught = new TypeError("fetch failed", { cause: request });
    const error = new MailError({ code: "CONNECTION_FAILED", message: "graph", cause: caught });
    const inner = (error.cause as Error).cause as Error & { code?: string };
    expect(error.cause).toMatchObject({ name: "TypeError", message: "fetch failed" });
    expect(inner).toMatchObject({ message: "other side closed", code: "UND_ERR_SOCKET" });
    expect(printed(error)).not.toContain(SECRET);
    expect(printed(error)).not.toContain("eyJ");
  });

  it("scrubs tokens, URL passwords and private keys from a cause's message and stack", () => {
    const caught = new Error(
      `failed with Bearer ${JWT} for smtp://app:${PASSWORD}@smtp.office365.com and ${KEY}`,
    );
    const error = new MailError({ code: "UNKNOWN", message: "x", cause: caught });
    for (const text of [printed(error), String((error.cause as Error).stack)]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain("eyJ");
      expect(text).not.toContain("PRIVATE KEY");
    }
  });

  it("keeps a MailError cause as it is and copies an AggregateError's errors", () => {
    const inner = new MailError({ code: "TIMEOUT", message: "slow" });
    expect(new MailError({ code: "ABORTED", message: "x", cause: inner }).cause).toBe(inner);
    const aggregate = new AggregateError(
      [Object.assign(new Error("refused"), { code: "ECONNREFUSED", password: PASSWORD })],
      "every address failed",
    );
    const error = new MailError({ code: "CONNECTION_FAILED", message: "x", cause: aggregate });
    expect(error.cause).toMatchObject({
      name: "AggregateError",
      errors: [{ message: "refused", code: "ECONNREFUSED" }],
    });
    expect(printed(error)).not.toContain(PASSWORD);
  });

  it("reduces a plain object to its name, message and status fields, and scrubs a string", () => {
    expect(
      safeCause({
        message: "shutdown",
        status: 503,
        headers: { cookie: SECRET },
        clientSecret: SECRET,
      }),
    ).toEqual({ message: "shutdown", status: 503 });
    expect(safeCause(`password=${PASSWORD}`)).toBe("password=[redacted]");
    expect(safeCause(42)).toBe(42);
  });

  it("survives a cyclic cause chain and a throwing getter", () => {
    const cyclic = new Error("loop") as Error & { cause?: unknown };
    cyclic.cause = cyclic;
    const hostile = new Error("hostile");
    Object.defineProperty(hostile, "code", {
      get() {
        throw new Error("no");
      },
    });
    expect(() => new MailError({ code: "UNKNOWN", message: "x", cause: cyclic })).not.toThrow();
    expect(new MailError({ code: "UNKNOWN", message: "x", cause: hostile }).cause).toMatchObject({
      message: "hostile",
    });
  });

  it("stays safe through with()", () => {
    const caught = Object.assign(new Error("closed"), { auth: { pass: PASSWORD } });
    const error = new MailError({ code: "UNKNOWN", message: "x", cause: caught }).with({
      attempts: 2,
    });
    expect(printed(error)).not.toContain(PASSWORD);
  });
});

describe("scrubText", () => {
  it("redacts the password of a URL and keeps its host and port", () => {
    expect(scrubText(`smtp://app%40contoso.com:${PASSWORD}@smtp.office365.com:587`)).toBe(
      "smtp://app%40contoso.com:[redacted]@smtp.office365.com:587",
    );
    expect(scrubText("https://graph.microsoft.com:443/v1.0/users")).toBe(
      "https://graph.microsoft.com:443/v1.0/users",
    );
  });

  it("redacts a PEM private key, also a truncated one", () => {
    expect(scrubText(`key: ${KEY} end`)).toBe("key: [redacted private key] end");
    expect(scrubText("-----BEGIN RSA PRIVATE KEY-----\nMIIEow")).toBe("[redacted RSA private key]");
  });
});
