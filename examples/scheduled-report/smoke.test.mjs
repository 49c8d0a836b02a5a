// @ts-check
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);
const directory = fileURLToPath(new URL(".", import.meta.url));

it("mails a 5 MB CSV through Graph's upload session against the emulator, intact", async () => {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("MAILPATH_")),
  );
  const { stdout } = await run(process.execPath, ["report.mjs"], {
    cwd: directory,
    env,
    timeout: 120_000,
  });
  expect(stdout).toMatch(/Generated .*sales-.*\.csv \(5\.\d MB, 115000 rows\)/);
  expect(stdout).toContain("graph: would send by Graph draft + upload session + send");
  expect(stdout).toMatch(/Sent by graph in \d+ ms/);
  expect(stdout).toMatch(/sha256 matches, largest upload chunk [1-9]\d* bytes/);
});
