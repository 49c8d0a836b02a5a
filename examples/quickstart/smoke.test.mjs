// @ts-check
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);
const directory = fileURLToPath(new URL(".", import.meta.url));

/** The environment without MAILPATH_* variables, so the example uses the emulator. */
function emulatorEnv() {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("MAILPATH_")),
  );
}

it("sends through smtp, relay and graph against the emulator and exits 0", async () => {
  const { stdout } = await run(process.execPath, ["index.mjs"], {
    cwd: directory,
    env: emulatorEnv(),
    timeout: 60_000,
  });
  for (const path of ["smtp", "relay", "graph"]) {
    expect(stdout).toContain(`MAILPATH_TRANSPORT=${path}`);
    expect(stdout).toContain(`sent by ${path} in`);
  }
  expect(stdout).toContain("3 messages delivered, one through each path.");
  expect(stdout).toContain("✓ doctor: smtp pass, relay pass, graph pass");
});
