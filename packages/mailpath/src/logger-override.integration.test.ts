// createMailerFromEnv(env, overrides, { logger }): a logger given in code is the one the mailer
// and every path built from the environment write to, over MAILPATH_LOG_LEVEL's JSON lines;
// against the emulator (Graph and its Entra token request) over loopback TLS.
import type { Logger } from "@mailpath/core";
import { useEmulator } from "@mailpath/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createMailerFromEnv } from "./index.js";
import { captureStdout } from "./test-support/config.js";

const emulator = useEmulator({ beforeAll, afterAll });
afterEach(() => {
  vi.restoreAllMocks();
  emulator.reset({ tenant: true });
});

describe("a logger passed in code", () => {
  it("wins over MAILPATH_LOG_LEVEL for the mailer, the Graph path and its Entra token provider", async () => {
    const stdout = captureStdout();
    const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
    const record =
      (level: string) =>
      (fields: Record<string, unknown>, message: string): void => {
        lines.push({ level, fields, message });
      };
    const logger: Logger = {
      debug: record("debug"),
      info: record("info"),
      warn: record("warn"),
      error: record("error"),
    };
    const env = emulator.env({ MAILPATH_TRANSPORT: "graph", MAILPATH_LOG_LEVEL: "debug" });
    const mailer = await createMailerFromEnv(env, undefined, { logger });
    const result = await mailer.send({ to: "ada@contoso.com", subject: "Hello", text: "Body" });
    await mailer.close();
    vi.restoreAllMocks();

    // Nothing went to the JSON-lines logger MAILPATH_LOG_LEVEL would have built.
    expect(stdout.filter((line) => line.startsWith("{"))).toEqual([]);
    const components = new Set(lines.map((line) => line.fields.component));
    expect(components).toEqual(new Set(["mailer", "graph", "entra"]));
    expect(lines).toContainEqual({
      level: "info",
      fields: expect.objectContaining({ component: "mailer", messageId: result.messageId }),
      message: `sent ${result.messageId} via graph`,
    });
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: "debug",
        fields: expect.objectContaining({ component: "entra", status: 200 }),
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: "debug",
        fields: expect.objectContaining({ component: "graph", status: 202 }),
      }),
    );
    expect(JSON.stringify(lines)).not.toContain(env.MAILPATH_CLIENT_SECRET);
  });

  it("without one, MAILPATH_LOG_LEVEL's JSON lines are written", async () => {
    const stdout = captureStdout();
    const mailer = await createMailerFromEnv(
      emulator.env({ MAILPATH_TRANSPORT: "graph", MAILPATH_LOG_LEVEL: "info" }),
    );
    await mailer.send({ to: "ada@contoso.com", subject: "Hello", text: "Body" });
    await mailer.close();
    vi.restoreAllMocks();
    const records = stdout.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toContainEqual(expect.objectContaining({ level: 30, component: "mailer" }));
  });
});
