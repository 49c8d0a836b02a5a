// core-overhead: what the full pipeline (validation, per-sender p-queue, retry loop, opossum
// breaker, per-attempt timeout and abort wiring, events, rate limiter) costs over calling a
// transport directly. Target (issue 16): the pipeline at >= 0.6 of the direct call, each arm's best
// round (see below why; medians printed too).
// A script that prints figures, not a test. Bounded: a fixed number of sends, in batches.
//
//   pnpm --filter @mailpath/bench core-overhead           (after `pnpm build`)
//   SENDS=200000 CONCURRENCY=64 node bench/core-overhead/index.mjs
//   TELEMETRY_SDK=1 ...   telemetry through a registered SDK (spans sampled, no exporter)
//
// It also measures the pipeline with `telemetry: {}` (OpenTelemetry API loaded, no provider
// registered: every span and instrument is a no-op), against telemetry off — printed, under no
// target here: telemetry-overhead (telemetry.mjs) holds issue 14's 10% with steadier methods
// (alternating rounds in one process, or instruction counts; by rate in separate processes
// this line read 0.88-0.97 on a machine where callgrind counted +2.3%) — and where the
// pipeline's cost goes: a mailer with no policy at all (one attempt, no limiter, no breaker),
// then retry + limiter without the breaker; each step's CPU per send is the policy's price.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createMailer, normalizeMessage } from "@mailpath/core";
import { everyPolicy, message, noopTransport as noop, registerSdkWhenAsked } from "./fixtures.mjs";

const SENDS = Number(process.env.SENDS ?? 200_000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64);
// Seven: the more rounds, the likelier each arm has one that nothing from outside reached (see
// the best rounds below; within one process, rounds of 2.5, 2.6, 2.7, then 4.1 us per send).
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const ARMS = ["direct", "bare", "no-breaker", "pipeline", "telemetry"];
/** The mailer options of each mailer arm (the breakdown steps toward every policy on). */
const MAILER_OPTIONS = {
  bare: { transport: noop, retry: { maxAttempts: 1 }, rateLimit: false, circuitBreaker: false },
  "no-breaker": { ...everyPolicy, circuitBreaker: false },
  pipeline: everyPolicy,
  telemetry: { ...everyPolicy, telemetry: {} },
};

async function run(label, sendOne) {
  const cpu = process.cpuUsage();
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
  const used = process.cpuUsage(cpu);
  // Process CPU (GC threads included) per send: steadier than the rate on a shared machine.
  const cpuUsPerSend = (used.user + used.system) / SENDS;
  return { label, sendsPerSecond: SENDS / seconds, seconds, cpuUsPerSend };
}

// One arm, one round, in a process of its own: the arms share no JIT feedback and no heap, so
// one arm's garbage or deoptimisations cannot land on another's figures (in one process the
// direct arm measured 160k or 700k sends/s depending on what had run before it, and a mailer
// with telemetry that had sent 1,000 messages tripled the CPU of the plain mailer after it).
// Each child warms its arm up with one round, then measures one.
if (process.env.CORE_OVERHEAD_ARM) {
  const arm = process.env.CORE_OVERHEAD_ARM;
  registerSdkWhenAsked();
  const signal = new AbortController().signal;
  let sendOne;
  let mailer;
  let sent = 0;
  if (arm === "direct") sendOne = () => noop.send(normalizeMessage(message), { signal });
  else {
    mailer = createMailer(MAILER_OPTIONS[arm]);
    mailer.on("sent", () => sent++);
    sendOne = () => mailer.send(message);
  }
  await run("warm-up", sendOne);
  const result = await run(arm, sendOne);
  await mailer?.close();
  process.stdout.write(`${JSON.stringify({ ...result, sentEvents: sent })}\n`);
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const measure = (arm) =>
  JSON.parse(
    execFileSync(process.execPath, [self], {
      env: { ...process.env, CORE_OVERHEAD_ARM: arm },
      encoding: "utf8",
    }),
  );
const results = Object.fromEntries(ARMS.map((arm) => [arm, []]));
const loadStart = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
// Rounds alternate the arms' order, so each arm meets the same machine states.
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? ARMS : [...ARMS].reverse();
  for (const arm of order) results[arm].push(measure(arm));
}
// Every send of the mailer arms (warm-up included) was counted by a "sent" listener.
const sent = ARMS.filter((arm) => arm !== "direct")
  .flatMap((arm) => results[arm])
  .reduce((sum, r) => sum + r.sentEvents, 0);

const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const rate = (list) => median(list.map((result) => result.sendsPerSecond));
const cpu = (list) => median(list.map((result) => result.cpuUsPerSend));
const bestRate = (list) => Math.max(...list.map((result) => result.sendsPerSecond));
const bestCpu = (list) => Math.min(...list.map((result) => result.cpuUsPerSend));
const direct = rate(results.direct);
const pipeline = rate(results.pipeline);
const telemetry = rate(results.telemetry);
// Ratios of medians, and per round (direct and pipeline of the same round).
const ratio = pipeline / direct;
const roundRatios = results.pipeline.map(
  (result, index) => result.sendsPerSecond / results.direct[index].sendsPerSecond,
);
const cpuRatio = cpu(results.direct) / cpu(results.pipeline);
// The targets compare each arm's best round. On this machine kind a process's CPU per send
// swings by up to 1.8x for seconds at a time, whatever it runs (the direct arm, no mailer code,
// measured 1.47-2.83 us; the telemetry arm, a superset of the pipeline, once came out 12%
// cheaper than it): time added from outside, which falls on one arm's round and not the
// other's. A round that met none of it is each arm's fastest, so the best rounds compare the
// code; the medians and per-round ratios stay printed beside them.
const bestRatio = bestRate(results.pipeline) / bestRate(results.direct);
const bestCpuRatio = bestCpu(results.direct) / bestCpu(results.pipeline);
const telemetryBest = bestRate(results.telemetry) / bestRate(results.pipeline);
// Met only by both measures: on a loaded machine the rate of the short direct arm swings with
// what else runs (a rate ratio of 0.87 at load 8, 0.21 at load 2), its CPU per send less.
const ratioMet = bestRatio >= 0.6 && bestCpuRatio >= 0.6;
const fmt = (value) => Math.round(value).toLocaleString("en-US");
const verdict = (met) => (met ? "MET" : "NOT MET");
console.log(
  `core-overhead: ${SENDS} sends x ${ROUNDS} rounds (medians; targets on each arm's best round), concurrency ${CONCURRENCY}, node ${process.version}, load ${loadStart} .. ${loadavg()}`,
);
console.log(
  `  transport called directly (normalize + send): ${fmt(direct)} sends/s, ${cpu(results.direct).toFixed(2)} us CPU/send`,
);
console.log(
  `  createMailer, every policy on:                ${fmt(pipeline)} sends/s, ${cpu(results.pipeline).toFixed(2)} us CPU/send`,
);
console.log(
  `  ratio pipeline/direct, best rounds: ${bestRatio.toFixed(3)}, by CPU per send ${bestCpuRatio.toFixed(3)}   target: both >= 0.600 -> ${verdict(ratioMet)}`,
);
console.log(
  `    medians: ${ratio.toFixed(3)}, by CPU per send ${cpuRatio.toFixed(3)}; per round: ${roundRatios.map((value) => value.toFixed(3)).join(", ")}`,
);
console.log(
  `  createMailer + telemetry (${process.env.TELEMETRY_SDK === "1" ? "SDK registered, no exporter" : "API, no provider: no-op"}): ${fmt(telemetry)} sends/s, ${cpu(results.telemetry).toFixed(2)} us CPU/send`,
);
console.log(
  `  ratio telemetry/off, best rounds: ${telemetryBest.toFixed(3)} (medians: ${(telemetry / pipeline).toFixed(3)})   no target here: telemetry-overhead measures it`,
);
// Where the pipeline's CPU goes: each step adds one part of the pipeline to the one before.
const steps = [
  ["direct", "normalize + transport.send"],
  ["bare", "+ the mailer itself (send, attempt, timeout, events; no policy)"],
  ["no-breaker", "+ retry loop and per-sender rate limiter"],
  ["pipeline", "+ circuit breaker (opossum)"],
];
const breakdown = steps.map(([arm, what], index) => ({
  arm,
  what,
  cpuUsPerSend: bestCpu(results[arm]),
  addedUs: bestCpu(results[arm]) - (index === 0 ? 0 : bestCpu(results[steps[index - 1][0]])),
}));
console.log(
  "  where the pipeline's CPU per send goes (best rounds; a step's cost is its difference):",
);
for (const step of breakdown) {
  console.log(
    `    ${step.arm.padEnd(10)} ${step.cpuUsPerSend.toFixed(2).padStart(6)} us  (${step.addedUs >= 0 ? "+" : ""}${step.addedUs.toFixed(2)})  ${step.what}`,
  );
}
console.log(`  sent events counted: ${sent.toLocaleString("en-US")}`);
console.log(
  JSON.stringify({
    bench: "core-overhead",
    sends: SENDS,
    rounds: ROUNDS,
    concurrency: CONCURRENCY,
    node: process.version,
    directPerSecond: Math.round(direct),
    pipelinePerSecond: Math.round(pipeline),
    telemetryPerSecond: Math.round(telemetry),
    directCpuUsPerSend: Number(cpu(results.direct).toFixed(2)),
    pipelineCpuUsPerSend: Number(cpu(results.pipeline).toFixed(2)),
    telemetryCpuUsPerSend: Number(cpu(results.telemetry).toFixed(2)),
    ratio: Number(ratio.toFixed(3)),
    roundRatios: roundRatios.map((value) => Number(value.toFixed(3))),
    cpuRatio: Number(cpuRatio.toFixed(3)),
    telemetryRatio: Number((telemetry / pipeline).toFixed(3)),
    best: {
      ratio: Number(bestRatio.toFixed(3)),
      cpuRatio: Number(bestCpuRatio.toFixed(3)),
      telemetryRatio: Number(telemetryBest.toFixed(3)),
      directCpuUsPerSend: Number(bestCpu(results.direct).toFixed(2)),
      pipelineCpuUsPerSend: Number(bestCpu(results.pipeline).toFixed(2)),
    },
    breakdown: breakdown.map(({ arm, cpuUsPerSend, addedUs }) => ({
      arm,
      cpuUsPerSend: Number(cpuUsPerSend.toFixed(2)),
      addedUs: Number(addedUs.toFixed(2)),
    })),
    load: [loadStart, loadavg()],
    targets: {
      ratio: { min: 0.6, met: ratioMet, by: "rate and CPU per send, best rounds" },
    },
  }),
);
