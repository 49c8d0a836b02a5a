// core-overhead: what the full pipeline (validation, per-sender p-queue, retry loop, opossum
// breaker, per-attempt timeout and abort wiring, events) costs over calling a transport directly.
// A script that prints figures, not a test. Bounded: a fixed number of sends, in batches.
//
//   pnpm --filter @mailpath/bench core-overhead           (after `pnpm build`)
//   SENDS=200000 CONCURRENCY=64 node bench/core-overhead/index.mjs
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
let sent = 0;
mailer.on("sent", () => sent++);
const signal = new AbortController().signal;
const normalized = normalizeMessage(message);

const results = { direct: [], pipeline: [] };
// Warm up both paths, then alternate rounds so both see the same machine state.
await run("warm-up", () => noop.send(normalized, { signal }));
await run("warm-up", () => mailer.send(message));
for (let round = 0; round < ROUNDS; round++) {
  results.direct.push(await run("direct", () => noop.send(normalizeMessage(message), { signal })));
  results.pipeline.push(await run("pipeline", () => mailer.send(message)));
}
await mailer.close();

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
console.log(`  sent events counted: ${sent.toLocaleString("en-US")}`);
