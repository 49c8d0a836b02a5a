// soak: the fault soak of issue 9, longer than the CI run, and the failover chaos run; prints
// the figures. A script, not a test: it runs the two vitest files of packages/mailpath
// (src/soak.integration.test.ts, src/failover-chaos.integration.test.ts) with more sends and
// reads the figures they print. Against the emulator on loopback; bounded by SOAK_SENDS.
//
//   Faults per path (seeded): 10% temporary errors, 2% dropped connections (half after the
//   message was stored), 1% throttling, 2% server errors (5xx). Backoff is requested, not waited.
//   Targets: lost 0, every duplicate flagged (ambiguousAttempts > 0) with the same Message-ID,
//   no unhandled rejection, nothing left open after close().
//
//   pnpm --filter @mailpath/bench soak
//   SOAK_SENDS=20000 SOAK_SEED=7 node bench/soak/index.mjs
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";

const SENDS = Number(process.env.SOAK_SENDS ?? 5_000);
const SEED = Number(process.env.SOAK_SEED ?? 20_261_205);
const mailpath = fileURLToPath(new URL("../../packages/mailpath/", import.meta.url));

const run = spawnSync(
  "npx",
  [
    "vitest",
    "run",
    "src/soak.integration.test.ts",
    "src/failover-chaos.integration.test.ts",
    "--reporter=dot",
  ],
  {
    cwd: mailpath,
    env: { ...process.env, SOAK_SENDS: String(SENDS), SOAK_SEED: String(SEED) },
    encoding: "utf8",
    // Far more than the sends need; a hung run must still end.
    timeout: Math.max(120_000, SENDS * 3 * 50),
    maxBuffer: 64 * 1024 * 1024,
  },
);
const output = `${run.stdout ?? ""}\n${run.stderr ?? ""}`;
const figures = (prefix) =>
  output
    .split("\n")
    .map((line) => stripVTControlCharacters(line))
    .filter((line) => line.startsWith(`${prefix} {`))
    .map((line) => JSON.parse(line.slice(prefix.length + 1)));

const soak = figures("soak");
const chaos = figures("chaos");
console.log(`fault soak: ${SENDS} sends per path, seed ${SEED}`);
console.table(
  soak.map((row) => ({
    path: row.path,
    sends: row.sends,
    delivered: row.delivered,
    "failed (told)": row.failed,
    lost: row.lost,
    duplicates: row.duplicates,
    flagged: row.flagged,
    "foreign ids": row.foreignMessageIds,
    attempts: row.attempts,
    "sends/s": Math.round(row.sends / row.seconds),
  })),
);
for (const row of soak) {
  if (row.failed > 0)
    console.log(`${row.path} failures by code: ${JSON.stringify(row.failedByCode)}`);
}
console.log(
  "failover chaos (graph,smtp; primary down: closed port, 503, drop after accept; back):",
);
for (const row of chaos) console.log(JSON.stringify(row));
if (run.status !== 0 || soak.length !== 3 || chaos.length !== 1) {
  console.log(output.split("\n").slice(-60).join("\n"));
  console.error(
    `soak: the run failed (exit ${run.status}${run.error ? `, ${run.error.message}` : ""})`,
  );
  process.exitCode = 1;
}
