// The copy-out procedure of examples/README.md, run for this example: deployed outside the
// repository with `pnpm deploy`, it must run on its own (scripts/verify-example-copy-out.sh).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);
const script = fileURLToPath(new URL("../../scripts/verify-example-copy-out.sh", import.meta.url));

it("runs when copied out of the repository with pnpm deploy", async () => {
  // The packages were built before the tests (turbo's ^build), so the script skips building.
  const { stdout } = await run("bash", [script, "quickstart"], {
    env: { ...process.env, SKIP_BUILD: "1" },
    timeout: 180_000,
    maxBuffer: 10 * 1024 * 1024,
  });
  // workspace:* became the version the mailpath package has in this checkout.
  const { version } = JSON.parse(
    readFileSync(new URL("../../packages/mailpath/package.json", import.meta.url), "utf8"),
  );
  expect(stdout).toContain(`"mailpath":"^${version}"`);
  expect(stdout).toContain("== OK: @mailpath-examples/quickstart runs outside the repository");
}, 200_000);
