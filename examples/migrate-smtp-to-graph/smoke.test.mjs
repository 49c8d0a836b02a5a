// @ts-check
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);
const directory = fileURLToPath(new URL(".", import.meta.url));

it("plans, sends on smtp, fails over during a Graph outage and ramps to graph against the emulator", async () => {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("MAILPATH_")),
  );
  const { stdout } = await run(process.execPath, ["migrate.mjs"], {
    cwd: directory,
    env,
    timeout: 90_000,
  });
  // The plan names what Graph keeps thanks to MIME (auto mode).
  expect(stdout).toMatch(/graph: would send by Graph sendMail, MIME/);
  expect(stdout).toMatch(/MAILPATH_TRANSPORT=smtp\s+10 sent: smtp 10/);
  expect(stdout).toMatch(/MAILPATH_TRANSPORT=graph,smtp\s+10 sent: graph 10/);
  expect(stdout).toMatch(/MAILPATH_TRANSPORT=graph,smtp\s+3 sent: smtp 3/);
  expect(stdout).toMatch(/MAILPATH_TRANSPORT=graph\s+10 sent: graph 10/);
  expect(stdout).toMatch(/The emulator received 53 messages/);
});
