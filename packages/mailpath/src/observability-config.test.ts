// MAILPATH_LOG_LEVEL, MAILPATH_OTEL and MAILPATH_PROXY: read, validated and named like every
// other variable; the log lines are JSON, one per line.
import { createMemoryTransport } from "@mailpath/core/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createMailerFromEnv } from "./index.js";
import { createJsonLogger } from "./json-logger.js";
import {
  captureStdout,
  ENTRA,
  failure,
  graphFailure,
  issuePaths,
  itNamesWrongValues,
} from "./test-support/config.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("observability settings from the environment", () => {
  itNamesWrongValues([
    ["MAILPATH_LOG_LEVEL", "loud", /must be "debug", "info", "warn", "error" or "silent"/],
    ["MAILPATH_OTEL", "maybe", /must be true or false/],
  ]);

  it("refuses a SOCKS proxy in MAILPATH_PROXY at start", async () => {
    const error = await graphFailure({ MAILPATH_PROXY: "socks5://127.0.0.1:1080" });
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
    const error = await graphFailure({ MAILPATH_PROXY: proxy });
    expect(error.issues).toEqual([
      { path: "MAILPATH_PROXY", message: expect.stringMatching(message) },
    ]);
    // The same value given in code is named by its config key.
    const overridden = await graphFailure({}, { proxy });
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
    expect(issuePaths(error)).toEqual(["MAILPATH_PROXY"]);
  });

  it("logs JSON lines from MAILPATH_LOG_LEVEL and turns telemetry on with MAILPATH_OTEL=on", async () => {
    const lines = captureStdout();
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
