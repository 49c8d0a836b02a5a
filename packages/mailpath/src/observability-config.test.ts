// MAILPATH_LOG_LEVEL, MAILPATH_OTEL and MAILPATH_PROXY: read, validated and named like every
// other variable; the log lines are JSON, one per line.
import { MailError } from "@mailpath/core";
import { createMemoryTransport } from "@mailpath/core/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createMailerFromEnv } from "./index.js";
import { createJsonLogger } from "./json-logger.js";

const ENTRA = {
  MAILPATH_TENANT_ID: "8a6e2f4c-1b3d-4e5f-9a7b-0c1d2e3f4a5b",
  MAILPATH_CLIENT_ID: "3f1c9d2e-7a4b-4c5d-8e6f-1a2b3c4d5e6f",
  MAILPATH_CLIENT_SECRET: "s3cr3t-value-never-shown",
};

async function failure(promise: Promise<unknown>): Promise<MailError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(MailError.isInstance(error)).toBe(true);
  return error as MailError;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("observability settings from the environment", () => {
  it.each([
    ["MAILPATH_LOG_LEVEL", "loud", /must be "debug", "info", "warn", "error" or "silent"/],
    ["MAILPATH_OTEL", "maybe", /must be true or false/],
  ])("names %s when its value is wrong", async (name, value, message) => {
    const error = await failure(
      createMailerFromEnv({ MAILPATH_TRANSPORT: "graph", ...ENTRA, [name]: value }),
    );
    expect(error.issues).toEqual([{ path: name, message: expect.stringMatching(message) }]);
  });

  it("refuses a SOCKS proxy in MAILPATH_PROXY at start", async () => {
    const error = await failure(
      createMailerFromEnv({
        MAILPATH_TRANSPORT: "graph",
        ...ENTRA,
        MAILPATH_PROXY: "socks5://127.0.0.1:1080",
      }),
    );
    expect(error.code).toBe("INVALID_CONFIG");
    expect(error.issues).toEqual([
      {
        path: "MAILPATH_PROXY",
        message: expect.stringMatching(/socks5:\/\/.*SOCKS is not supported/),
      },
    ]);
  });

  it.each([
    [
      "ftp://proxy.contoso.com:21",
      /^must be an http:\/\/ or https:\/\/ proxy \(HTTP CONNECT\), got ftp:\/\/ \(graph transport\)$/,
    ],
    ["http://[::1", /^is not a URL/],
  ])("names MAILPATH_PROXY (not the option key) when it is %s", async (proxy, message) => {
    const error = await failure(
      createMailerFromEnv({ MAILPATH_TRANSPORT: "graph", ...ENTRA, MAILPATH_PROXY: proxy }),
    );
    expect(error.issues).toEqual([
      { path: "MAILPATH_PROXY", message: expect.stringMatching(message) },
    ]);
    // The same value given in code is named by its config key.
    const overridden = await failure(
      createMailerFromEnv({ MAILPATH_TRANSPORT: "graph", ...ENTRA }, { proxy }),
    );
    expect(overridden.issues).toEqual([{ path: "proxy", message: expect.stringMatching(message) }]);
  });

  it("names MAILPATH_PROXY when the Entra provider of SMTP OAuth refuses it", async () => {
    const error = await failure(
      createMailerFromEnv({
        MAILPATH_TRANSPORT: "smtp",
        MAILPATH_SMTP_AUTH: "oauth",
        MAILPATH_SMTP_USER: "notify@contoso.com",
        ...ENTRA,
        MAILPATH_PROXY: "socks5://127.0.0.1:1080",
      }),
    );
    expect(error.issues?.map((issue) => issue.path)).toEqual(["MAILPATH_PROXY"]);
  });

  it("logs JSON lines from MAILPATH_LOG_LEVEL and turns telemetry on with MAILPATH_OTEL=on", async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const mailer = await createMailerFromEnv(
      {
        MAILPATH_TRANSPORT: "smtp",
        MAILPATH_FROM: "notify@contoso.com",
        MAILPATH_LOG_LEVEL: "info",
        MAILPATH_OTEL: "on",
      },
      undefined,
      { transports: { smtp: createMemoryTransport({ name: "smtp" }) } },
    );
    await mailer.send({ to: "ada@fabrikam.com", subject: "Hello", text: "Body text" });
    await mailer.close();
    vi.restoreAllMocks();
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toEqual([
      expect.objectContaining({ level: 30, msg: expect.stringMatching(/^sent /), attempts: 1 }),
    ]);
    expect(lines.every((line) => line.endsWith("\n"))).toBe(true);
    expect(lines.join("")).not.toContain("ada@fabrikam.com");
  });

  it("writes nothing below its level and nothing at all when silent", () => {
    const lines: string[] = [];
    const logger = createJsonLogger("warn", (line) => lines.push(line));
    logger?.debug?.({ a: 1 }, "debug");
    logger?.info?.({ a: 1 }, "info");
    logger?.warn?.({ a: 1 }, "warn");
    logger?.error?.({ a: 1 }, "error");
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(["warn", "error"]);
    expect(createJsonLogger("silent")).toBeUndefined();
  });
});
