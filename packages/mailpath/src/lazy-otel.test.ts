// @opentelemetry/api is an optional peer of core, loaded (with require, once) only when
// telemetry is on. Each app runs in a fresh Node process on the built packages (turbo builds
// them before these tests), and reports the CommonJS modules it loaded.
import { execFile } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const ENTRY = pathToFileURL(fileURLToPath(new URL("../dist/index.js", import.meta.url))).href;

const APP = `
import { createRequire } from "node:module";
const { createMailerFromEnv } = await import(${JSON.stringify(ENTRY)});
const mailer = await createMailerFromEnv(JSON.parse(process.env.APP_ENV));
await mailer.close();
process.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));
`;

async function requiredBy(env: Record<string, string>): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--input-type=module", "--eval", APP],
    { env: { PATH: process.env.PATH ?? "", APP_ENV: JSON.stringify(env) }, timeout: 15_000 },
  );
  return JSON.parse(stdout) as string[];
}

const GRAPH_ENV = {
  MAILPATH_TRANSPORT: "graph",
  MAILPATH_TENANT_ID: "8a6e2f4c-1b3d-4e5f-9a7b-0c1d2e3f4a5b",
  MAILPATH_CLIENT_ID: "3f1c9d2e-7a4b-4c5d-8e6f-1a2b3c4d5e6f",
  MAILPATH_CLIENT_SECRET: "not-a-real-secret",
};
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
