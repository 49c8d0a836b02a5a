// @ts-check
// The copy-out procedure of examples/README.md, run for this example: copied out of the
// repository with the workspace packages packed into tarballs and installed with plain npm (into
// an empty npm cache of its own), it must run on its own (scripts/verify-example-copy-out.sh).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const script = fileURLToPath(new URL("../../scripts/verify-example-copy-out.sh", import.meta.url));

/** Runs the script; resolves with its output, or rejects with all of it (the tools' own words). */
function copyOut(example) {
  return new Promise((resolve, reject) => {
    // The packages were built before the tests (turbo's ^build), so the script skips building.
    execFile(
      "bash",
      [script, example],
      { env: { ...process.env, SKIP_BUILD: "1" }, timeout: 400_000, maxBuffer: 20 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const how = error.killed
          ? `killed (${error.signal}) after the timeout`
          : `exit ${error.code}`;
        reject(
          new Error(`${script} ${example}: ${how}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`),
        );
      },
    );
  });
}

it("runs when copied out of the repository and installed from packed tarballs with npm", async () => {
  const stdout = await copyOut("quickstart");
  // workspace:* became the tarballs of this checkout's packages, in the copy's vendor/ folder.
  const { version } = JSON.parse(
    readFileSync(new URL("../../packages/mailpath/package.json", import.meta.url), "utf8"),
  );
  expect(stdout).toContain(`"mailpath":"file:vendor/mailpath-${version}.tgz"`);
  expect(stdout).toContain("3 messages delivered, one through each path.");
  expect(stdout).toContain("== OK: @mailpath-examples/quickstart runs outside the repository");
}, 420_000);
