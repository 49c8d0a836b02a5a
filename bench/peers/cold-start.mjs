// cold-start: a fresh Node process per sample, Graph-only configuration from MAILPATH_* variables,
// against the emulator (in its own process). Per sample: time to `import("mailpath")`, to
// await createMailerFromEnv(), to the first send's answer (token + sendMail), and whether nodemailer
// was loaded by then. Figures: medians over SAMPLES. Target: nodemailer not loaded for a JSON
// (Graph) send. A script that prints figures, not a test; bounded by SAMPLES and a time cap.
//
//   pnpm --filter @mailpath/bench cold-start               (after `pnpm build`)
//   SAMPLES=7 node bench/peers/cold-start.mjs
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

if (process.argv.includes("--child")) {
  // performance.now() counts from this process's start: Node's own boot is the first figure.
  const boot = performance.now();
  // --probe: module hooks see what gets loaded (they slow loading: probes are not timed).
  const probe = process.argv.includes("--probe");
  const hooked = [];
  if (probe) {
    const { register } = await import("node:module");
    const { port1, port2 } = new MessageChannel();
    port1.on("message", (url) => hooked.push(url));
    port1.unref();
    register("./cold-start-hooks.mjs", import.meta.url, {
      data: { port: port2 },
      transferList: [port2],
    });
    // The control: a module known to be nodemailer's must be seen.
    if (process.argv.includes("--control")) await import("nodemailer/lib/mail-composer/index.js");
  }
  const { createMailerFromEnv } = await import("mailpath");
  const imported = performance.now();
  const mailer = await createMailerFromEnv();
  const created = performance.now();
  await mailer.send({ to: "ada@contoso.com", subject: "Cold start", text: "First message" });
  const sent = performance.now();
  // nodemailer is CommonJS: whoever loads it, ESM import or require, goes through this cache.
  const require = createRequire(import.meta.url);
  await mailer.close();
  // The hooks thread's last messages: a round trip through it flushes them.
  if (probe) await import(`data:text/javascript,export default 1`);
  await new Promise((resolve) => setImmediate(resolve));
  const nodemailerLoaded =
    hooked.length > 0 ||
    Object.keys(require.cache).some((path) => /[/\\]nodemailer[/\\]/.test(path));
  process.stdout.write(
    JSON.stringify({
      bootMs: boot,
      importMs: imported - boot,
      createMs: created - imported,
      firstSendMs: sent - created,
      totalMs: sent,
      nodemailerLoaded,
      modules: Object.keys(require.cache).length,
    }),
  );
  process.exit(0);
}

const { forkEmulator } = await import("../emulator-process.mjs");
const { DEFAULT_SENDER } = await import("@mailpath/emulator");
const SAMPLES = Number(process.env.SAMPLES ?? 7);
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const emulator = await forkEmulator();
const directory = mkdtempSync(join(tmpdir(), "mailpath-cold-"));
const caFile = join(directory, "ca.pem");
writeFileSync(caFile, emulator.ca);
const env = {
  PATH: process.env.PATH,
  MAILPATH_TRANSPORT: "graph",
  MAILPATH_FROM: DEFAULT_SENDER,
  MAILPATH_TENANT_ID: emulator.graphApp.tenantId,
  MAILPATH_CLIENT_ID: emulator.graphApp.clientId,
  MAILPATH_CLIENT_SECRET: emulator.graphApp.clientSecret,
  MAILPATH_AUTHORITY_HOST: emulator.graphApp.authorityHost,
  MAILPATH_GRAPH_BASE_URL: emulator.graphApp.baseUrl,
  MAILPATH_TLS_CA_FILE: caFile,
};
const samples = [];
const loads = [];
const child = (...flags) =>
  new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [fileURLToPath(import.meta.url), "--child", ...flags],
      { env, timeout: 60_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    ),
  );
let probe;
let control;
try {
  for (let i = 0; i < SAMPLES; i++) {
    samples.push(await child());
    loads.push(loadavg());
  }
  probe = await child("--probe");
  control = await child("--probe", "--control");
} finally {
  await emulator.stop().catch(() => {});
  rmSync(directory, { recursive: true, force: true });
}
const figure = (key) => Math.round(median(samples.map((sample) => sample[key])) * 10) / 10;
const result = {
  bench: "cold-start",
  samples: SAMPLES,
  node: process.version,
  bootMs: figure("bootMs"),
  importMs: figure("importMs"),
  createMs: figure("createMs"),
  firstSendMs: figure("firstSendMs"),
  totalMs: figure("totalMs"),
  commonJsModules: figure("modules"),
  nodemailerLoaded: probe.nodemailerLoaded,
  probeControlSawNodemailer: control.nodemailerLoaded,
  load: loads,
};
console.log(
  `cold-start (Graph-only, ${SAMPLES} fresh processes, medians; load ${loads[0]} .. ${loads.at(-1)}):\n` +
    `  node boot ${result.bootMs} ms, import("mailpath") ${result.importMs} ms, createMailerFromEnv() ${result.createMs} ms, ` +
    `first send (token + sendMail) ${result.firstSendMs} ms, total ${result.totalMs} ms since process start\n` +
    `  CommonJS modules in require.cache: ${result.commonJsModules}; nodemailer loaded: ${result.nodemailerLoaded} ` +
    `(module hooks; their control, importing nodemailer, was seen: ${result.probeControlSawNodemailer})\n` +
    `  target: nodemailer not loaded for a JSON send -> ${result.nodemailerLoaded ? "NOT MET" : "MET"}`,
);
result.met = !result.nodemailerLoaded && result.probeControlSawNodemailer;
console.log(JSON.stringify(result));
