// core-overhead: what the full pipeline (validation, per-sender p-queue, retry loop, opossum
// breaker, per-attempt timeout and abort wiring, events) costs over calling a transport directly.
// A script that prints figures, not a test. Bounded: a fixed number of sends, in batches.
//
//   pnpm --filter @mailpath/bench core-overhead           (after `pnpm build`)
//   SENDS=200000 CONCURRENCY=64 node bench/core-overhead/index.mjs
//   TELEMETRY_SDK=1 ...   telemetry through a registered SDK (spans sampled, no exporter)
//
// It also measures the pipeline with `telemetry: {}` (OpenTelemetry API loaded, no provider
// registered: every span and instrument is a no-op), against telemetry off.
import { createRequire } from "node:module";
import { createMailer, normalizeMessage } from "@mailpath/core";

const SENDS = Number(process.env.SENDS ?? 200_000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

const noop = {
  specificationVersion: "v1",
  name: "noop",
  limits: { maxConcurrency: 1_000_000, maxMessagesPerInterval: 100_000_000, intervalMs: 1_000 },
  async send(message) {
    return { accepted: message.recipients, rejected: [] };
  },
};
const message = {
  from: "app@contoso.com",
  to: "Ada Lovelace <ada@contoso.com>",
  subject: "Report ready",
  text: "Your report is ready.",
};

async function run(label, sendOne) {
  const started = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < SENDS) {
      next++;
      await sendOne();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { label, sendsPerSecond: SENDS / seconds, seconds };
}

const mailer = createMailer({
  transport: noop,
  retry: { maxAttempts: 3 },
  rateLimit: {},
  circuitBreaker: {},
  timeoutMs: 30_000,
});
if (process.env.TELEMETRY_SDK === "1") {
  // The SDK is a dev dependency of core, not of this bench: resolved from there.
  const fromCore = createRequire(new URL("../../packages/core/package.json", import.meta.url));
  const { trace, metrics } = fromCore("@opentelemetry/api");
  const { BasicTracerProvider } = fromCore("@opentelemetry/sdk-trace-base");
  const { MeterProvider } = fromCore("@opentelemetry/sdk-metrics");
  trace.setGlobalTracerProvider(new BasicTracerProvider());
  metrics.setGlobalMeterProvider(new MeterProvider());
}
const observed = createMailer({
  transport: noop,
  retry: { maxAttempts: 3 },
  rateLimit: {},
  circuitBreaker: {},
  timeoutMs: 30_000,
  telemetry: {},
});
let sent = 0;
mailer.on("sent", () => sent++);
const signal = new AbortController().signal;
const normalized = normalizeMessage(message);

const results = { direct: [], pipeline: [], telemetry: [] };
// Warm up both paths, then alternate rounds so both see the same machine state.
await run("warm-up", () => noop.send(normalized, { signal }));
await run("warm-up", () => mailer.send(message));
await run("warm-up", () => observed.send(message));
for (let round = 0; round < ROUNDS; round++) {
  results.direct.push(await run("direct", () => noop.send(normalizeMessage(message), { signal })));
  // Alternated: whichever runs second in a round meets the first one's garbage.
  const pair = [
    async () => results.pipeline.push(await run("pipeline", () => mailer.send(message))),
    async () => results.telemetry.push(await run("telemetry", () => observed.send(message))),
  ];
  if (round % 2 === 1) pair.reverse();
  for (const measure of pair) await measure();
}
await mailer.close();
await observed.close();

const best = (list) => Math.max(...list.map((result) => result.sendsPerSecond));
const direct = best(results.direct);
const pipeline = best(results.pipeline);
console.log(
  `core-overhead: ${SENDS} sends x ${ROUNDS} rounds, concurrency ${CONCURRENCY}, node ${process.version}`,
);
console.log(
  `  transport called directly (normalize + send): ${Math.round(direct).toLocaleString("en-US")} sends/s`,
);
console.log(
  `  createMailer, every policy on:                ${Math.round(pipeline).toLocaleString("en-US")} sends/s`,
);
console.log(
  `  ratio pipeline/direct: ${(pipeline / direct).toFixed(3)}   target: >= 50,000 sends/s through the pipeline -> ${pipeline >= 50_000 ? "met" : "NOT met"}`,
);
const telemetry = best(results.telemetry);
console.log(
  `  createMailer + telemetry (${process.env.TELEMETRY_SDK === "1" ? "SDK registered, no exporter" : "API, no provider: no-op"}): ${Math.round(telemetry).toLocaleString("en-US")} sends/s`,
);
console.log(
  `  ratio telemetry/off: ${(telemetry / pipeline).toFixed(3)}   target: within 10% (>= 0.900) -> ${telemetry / pipeline >= 0.9 ? "met" : "NOT met"}`,
);
console.log(`  sent events counted: ${sent.toLocaleString("en-US")}`);
