// smtp-throughput: SMTP AUTH submission into the emulator (in a child process, see
// ../emulator-process.mjs), over real loopback TLS.
// A script that prints figures, not a test. Bounded: fixed message counts and a time cap.
//
//   Part 1 — limits lifted: mailpath (createMailer + createSmtpTransport) against plain
//   nodemailer (pool: true, the same 3 connections and TLS settings), in one run, alternating
//   rounds. Target: mailpath / nodemailer >= 0.95. Three more arms tell apart where mailpath's
//   client CPU per message goes, each a step toward mailpath: bytes composed once handed to a
//   nodemailer pool's own send (the floor of any client on that pool), the transport alone
//   (validation, one-pass composition, the engine; one signal for every send), a mailer with
//   no policy (each attempt's options and abort, its timeout, events), then mailpath (retry,
//   rate limiter, circuit breaker).
//
//   Part 2 — the emulator enforces 3 connections per mailbox and a message rate scaled to
//   seconds (RATE messages per WINDOW_MS). mailpath paces itself from the transport's limits.
//   Targets: achieved rate >= 0.95 of the allowed rate, and 0 throttle replies.
//
//   pnpm --filter @mailpath/bench smtp-throughput          (after `pnpm build`)
//   MESSAGES=2000 ROUNDS=2 PACED_MESSAGES=200 RATE=30 WINDOW_MS=2000 node bench/smtp-throughput/index.mjs
import { setMaxListeners } from "node:events";
import { createMailer, normalizeMessage } from "@mailpath/core";
import { DEFAULT_SENDER } from "@mailpath/emulator";
import { createSmtpTransport } from "@mailpath/transport-smtp";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import { forkEmulator } from "../emulator-process.mjs";
import { drive } from "../support/drive.mjs";
import { fixed, loadavg, median, printTargets } from "../support/figures.mjs";
import { scaledQuota } from "../support/scaled-quota.mjs";
import { mailpathAndNodemailer, poolFloor } from "../support/smtp-clients.mjs";

const MESSAGES = Number(process.env.MESSAGES ?? 2_000);
const ROUNDS = Number(process.env.ROUNDS ?? 6);
/** Untimed messages per client first, so connections are open and the JIT is warm. */
const WARM_UP = Number(process.env.WARM_UP ?? 2_000);
/** Sends kept outstanding by the caller, the same for both clients. */
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 64);
const PACED_MESSAGES = Number(process.env.PACED_MESSAGES ?? 200);
/** Hard stop for part 2, whatever happens. */
const PACED_LIMIT_MS = Number(process.env.PACED_LIMIT_MS ?? 60_000);
/** Added to the window the transport is told in the second paced run (see part 2). */
const MARGIN_MS = Number(process.env.MARGIN_MS ?? 50);
/** Part 2's quota; part 1 opens as many connections, Exchange's limit per mailbox. */
const quota = scaledQuota();
const { connections: CONNECTIONS, rate: RATE, windowMs: WINDOW_MS } = quota;

const message = (index) => ({
  from: DEFAULT_SENDER,
  to: "ada@contoso.com",
  subject: `Throughput ${index}`,
  text: `Message ${index}: the quick brown fox jumps over the lazy dog.`,
});

/** Failures are counted by their code, else the whole error as text. */
const errorKey = (error) => error?.code ?? String(error);

// Part 1 lifts every limit, the connection cap too: both clients keep their own 3 pooled
// connections to the same mailbox open between rounds.
const LIFTED = {
  smtpConnectionsPerMailbox: 1_000,
  smtpMessagesPerWindow: 1_000_000_000,
  recipientsPerWindow: 1_000_000_000,
};
const emulator = await forkEmulator({ tenant: { limits: LIFTED } });
/** The machine-readable line printed at the end (figures, targets, load). */
const report = { bench: "smtp-throughput", node: process.version, loadStart: loadavg() };

try {
  // ---- Part 1: limits lifted ------------------------------------------------------------
  const { connection, mailer, plain } = mailpathAndNodemailer(emulator, {
    connections: CONNECTIONS,
    inFlight: IN_FLIGHT,
  });
  // The transport alone (normalizeMessage + transport.send, no mailer), to tell the
  // transport's cost from the mailer pipeline's (validation, rate limit, retry, breaker).
  const bare = createSmtpTransport({ ...connection, tls: { ca: emulator.ca } });
  const bareSignal = new AbortController().signal;
  setMaxListeners(IN_FLIGHT + 10, bareSignal);
  const noPolicy = createMailer({
    transport: createSmtpTransport({ ...connection, tls: { ca: emulator.ca } }),
    retry: { maxAttempts: 1 },
    rateLimit: false,
    circuitBreaker: false,
  });
  const floorSend = poolFloor(plain, { from: DEFAULT_SENDER, to: ["ada@contoso.com"] });
  const composed = await new MailComposer(message(0)).compile().build();
  const clients = {
    mailpath: (index) => mailer.send(message(index)),
    nodemailer: (index) => plain.sendMail(message(index)),
    transport: (index) => bare.send(normalizeMessage(message(index)), { signal: bareSignal }),
    "pool floor": () => floorSend(composed),
    "mailer, no policy": (index) => noPolicy.send(message(index)),
  };

  console.log(
    `smtp-throughput part 1: ${MESSAGES} messages per round, ${ROUNDS} rounds per client, ` +
      `${CONNECTIONS} connections, ${IN_FLIGHT} sends outstanding, limits lifted`,
  );
  for (const [name, sendOne] of Object.entries(clients)) {
    await drive(WARM_UP, IN_FLIGHT, sendOne, errorKey);
    await emulator.reset();
    console.log(`  warm-up ${name}: done`);
  }
  const rates = Object.fromEntries(Object.keys(clients).map((name) => [name, []]));
  const cpuCosts = Object.fromEntries(Object.keys(clients).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate who goes first, so both see the same drift of a shared machine.
    const order = Object.entries(clients);
    if (round % 2 === 1) order.reverse();
    for (const [name, sendOne] of order) {
      const result = await drive(MESSAGES, IN_FLIGHT, sendOne, errorKey);
      const delivered = await emulator.count();
      await emulator.reset();
      rates[name].push(result.perSecond);
      cpuCosts[name].push(result.cpuMsPerMessage);
      console.log(
        `  round ${round + 1} ${name.padEnd(17)} ${fixed(result.perSecond).padStart(7)} msg/s ` +
          `(${fixed(result.seconds, 2)} s, client CPU ${fixed(result.cpuMsPerMessage, 3)} ms/msg, ` +
          `delivered ${delivered}, failed ${result.failed}` +
          `${result.failed ? ` ${JSON.stringify(result.errors)}` : ""})`,
      );
    }
  }
  // Each round's two runs are adjacent in time: their ratio cancels most of the machine's
  // drift (other processes on a shared machine), so the median of those ratios is the figure.
  const pairRatios = rates.mailpath.map((rate, round) => rate / rates.nodemailer[round]);
  const ratio = median(pairRatios);
  console.log(
    `  median: mailpath ${fixed(median(rates.mailpath))} msg/s, nodemailer ${fixed(median(rates.nodemailer))} msg/s, ` +
      `transport alone ${fixed(median(rates.transport))} msg/s`,
  );
  console.log(
    `  ratio mailpath/nodemailer per round: ${pairRatios.map((value) => fixed(value, 3)).join(", ")}; ` +
      `median ${fixed(ratio, 3)}`,
  );
  const rateTarget = {
    target: "mailpath msgs/s >= 0.95 x nodemailer (median of per-round ratios)",
    value: Number(fixed(ratio, 3)),
    met: ratio >= 0.95,
  };
  printTargets([rateTarget], "  ");
  const transportRatio = median(
    rates.transport.map((rate, round) => rate / rates.nodemailer[round]),
  );
  console.log(`  ratio transport alone/nodemailer: median ${fixed(transportRatio, 3)}`);
  console.log(
    `  client CPU per message (median): mailpath ${fixed(median(cpuCosts.mailpath), 3)} ms, ` +
      `nodemailer ${fixed(median(cpuCosts.nodemailer), 3)} ms, transport alone ${fixed(median(cpuCosts.transport), 3)} ms`,
  );
  // Where mailpath's client CPU per message goes: each step adds one part to the one before.
  const steps = [
    ["pool floor", "bytes composed once, nodemailer's pool, SMTP dialogue, TLS"],
    ["transport", "+ validation, one-pass composition, the engine (one shared signal)"],
    ["mailer, no policy", "+ the mailer: each attempt's options and abort, its timeout, events"],
    ["mailpath", "+ retry loop, per-sender rate limiter, circuit breaker"],
  ];
  const breakdown = steps.map(([name, what], index) => {
    const ms = median(cpuCosts[name]);
    const added = index === 0 ? ms : ms - median(cpuCosts[steps[index - 1][0]]);
    return { name, what, cpuMsPerMessage: Number(fixed(ms, 3)), addedMs: Number(fixed(added, 3)) };
  });
  console.log(
    "  where mailpath's client CPU per message goes (medians; a step's cost is its difference):",
  );
  for (const step of breakdown) {
    console.log(
      `    ${step.name.padEnd(17)} ${fixed(step.cpuMsPerMessage, 3)} ms  (${step.addedMs >= 0 ? "+" : ""}${fixed(step.addedMs, 3)})  ${step.what}`,
    );
  }
  await mailer.close();
  await noPolicy.close();
  await bare.close();
  plain.close();
  report.lifted = {
    msgsPerSecond: Object.fromEntries(
      Object.entries(rates).map(([name, list]) => [name, Number(fixed(median(list)))]),
    ),
    cpuMsPerMessage: Object.fromEntries(
      Object.entries(cpuCosts).map(([name, list]) => [name, Number(fixed(median(list), 3))]),
    ),
    breakdown: breakdown.map(({ name, cpuMsPerMessage, addedMs }) => ({
      name,
      cpuMsPerMessage,
      addedMs,
    })),
    targets: [rateTarget],
  };
  report.paced = [];

  // ---- Part 2: the emulator enforces Exchange's limits, scaled to seconds ----------------
  await emulator.configure({ limits: quota.emulatorLimits });
  const { allowedPerSecond } = quota;
  console.log(
    `smtp-throughput part 2: ${PACED_MESSAGES} messages, emulator allows ${CONNECTIONS} connections ` +
      `and ${RATE} messages per ${WINDOW_MS} ms (${fixed(allowedPerSecond)} msg/s)`,
  );
  /**
   * One paced run. `intervalMs` is the window the transport is told (the emulator keeps
   * WINDOW_MS); `warm` first sends RATE untimed messages so the pool's connections are open,
   * then lets a whole window pass before the timed run.
   */
  const pacedRun = async (label, { intervalMs, warm }) => {
    await emulator.reset();
    const paced = createMailer({
      transport: createSmtpTransport({
        ...connection,
        tls: { ca: emulator.ca },
        limits: quota.transportLimits(intervalMs),
      }),
      from: DEFAULT_SENDER,
      // A throttle must show up in the figures, not be hidden by a retry.
      retry: false,
    });
    const stop = new AbortController();
    setMaxListeners(IN_FLIGHT + 10, stop.signal);
    const cap = setTimeout(() => stop.abort(new Error("part 2 time cap")), PACED_LIMIT_MS);
    const sendOne = (index) => paced.send(message(index), { signal: stop.signal });
    if (warm) {
      await drive(RATE, IN_FLIGHT, sendOne, errorKey);
      // Past the server's window too (it counts completions), with the connections kept open.
      await new Promise((resolve) => setTimeout(resolve, intervalMs + 100));
    }
    const before = {
      throttled: (await emulator.stats()).throttled.smtp,
      delivered: await emulator.count(),
    };
    const result = await drive(PACED_MESSAGES, IN_FLIGHT, sendOne, errorKey);
    clearTimeout(cap);
    await paced.close();
    const after = await emulator.stats();
    const throttled = after.throttled.smtp - before.throttled;
    const delivered = (await emulator.count()) - before.delivered;
    const idealSeconds = quota.idealSeconds(PACED_MESSAGES);
    // msg/s over the allowed rate; above 1 is possible, the first RATE go at once.
    const fraction = result.perSecond / allowedPerSecond;
    console.log(`  ${label}: transport told ${RATE} per ${intervalMs} ms`);
    console.log(
      `    ${fixed(result.perSecond, 2)} msg/s in ${fixed(result.seconds, 2)} s ` +
        `(delivered ${delivered}, failed ${result.failed}` +
        `${result.failed ? ` ${JSON.stringify(result.errors)}` : ""})`,
    );
    console.log(
      `    schedule efficiency ${fixed(idealSeconds / result.seconds, 3)} (ideal ${fixed(idealSeconds, 1)} s), ` +
        `max concurrent connections ${after.maxConcurrency.smtp}`,
    );
    const targets = [
      {
        target: "fraction of the allowed rate >= 0.95",
        value: Number(fixed(fraction, 3)),
        met: fraction >= 0.95,
      },
      { target: "throttle replies = 0", value: throttled, met: throttled === 0 },
    ];
    printTargets(targets);
    report.paced.push({
      run: label,
      msgsPerSecond: Number(fixed(result.perSecond, 2)),
      delivered,
      failed: result.failed,
      targets,
    });
  };
  // The mailer's window counts each send from its start; the server counts each message at
  // its completion. A cold pool opens its connections (TLS + AUTH, ~0.2 s) inside the first
  // window, so the first messages complete late and the next window's first sends can arrive
  // while the server still counts them: expect throttles at the first window edge.
  await pacedRun("cold pool, exact window", { intervalMs: WINDOW_MS, warm: false });
  // Connections already open: start and completion are a round trip apart.
  await pacedRun("warm pool, exact window", { intervalMs: WINDOW_MS, warm: true });
  // Plus MARGIN_MS, about a few round trips: the window we recommend declaring.
  await pacedRun("warm pool, window + margin", { intervalMs: WINDOW_MS + MARGIN_MS, warm: true });
  report.loadEnd = loadavg();
  report.met = [...report.lifted.targets, ...report.paced.flatMap((run) => run.targets)].every(
    (target) => target.met,
  );
  console.log(JSON.stringify(report));
} finally {
  await emulator.stop();
}
