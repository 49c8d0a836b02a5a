// @opentelemetry/api is an optional peer of core, loaded (with require, once) only when
// telemetry is on. Each app runs in a fresh Node process on the built packages (turbo builds
// them before these tests), and reports the CommonJS modules it loaded.
import { describe, expect, it } from "vitest";
import { ENTRY, GRAPH_ENV, runApp } from "./test-support/fresh-process.js";

const APP = `
import { createRequire } from "node:module";
const { createMailerFromEnv } = await import(${JSON.stringify(ENTRY)});
const mailer = await createMailerFromEnv(JSON.parse(process.env.APP_ENV));
await mailer.close();
process.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));
`;

function requiredBy(env: Record<string, string>): Promise<string[]> {
  return runApp(APP, env);
}

const otel = (paths: readonly string[]) =>
  paths.some((path) => path.includes("/@opentelemetry/api/"));

describe("OpenTelemetry loads only when telemetry is on (each app in a fresh process)", () => {
  it("a mailer without MAILPATH_OTEL never loads @opentelemetry/api", async () => {
    expect(otel(await requiredBy(GRAPH_ENV))).toBe(false);
    expect(otel(await requiredBy({ ...GRAPH_ENV, MAILPATH_LOG_LEVEL: "silent" }))).toBe(false);
  });

  it("MAILPATH_OTEL=on loads it", async () => {
    expect(otel(await requiredBy({ ...GRAPH_ENV, MAILPATH_OTEL: "on" }))).toBe(true);
  });
});
