// outbox-kill: MESSAGES messages through WORKERS outbox worker processes (SMTP AUTH into the
// emulator, in its own process); every KILL_EVERY_MS one worker is killed with SIGKILL mid-run
// and a new one started. A script that prints figures, not a test. Bounded: a time cap.
//
//   Targets: 0 lost (every Message-ID delivered at least once), duplicates only where the job
//   is flagged ambiguous.
//
//   pnpm --filter @mailpath/bench outbox-kill          (after `pnpm build`; needs redis-server)
//   MESSAGES=2000 WORKERS=2 KILL_EVERY_MS=3000 node bench/outbox-kill/index.mjs
import { randomUUID } from "node:crypto";
import { DEFAULT_PASSWORD, DEFAULT_SENDER } from "@mailpath/emulator";
import { createOutbox } from "@mailpath/outbox";
import { forkEmulator } from "../emulator-process.mjs";
import { fixed, forkWorker, startRedis, verdict } from "../outbox-support.mjs";

const MESSAGES = Number(process.env.MESSAGES ?? 2_000);
const WORKERS = Number(process.env.WORKERS ?? 2);
const KILL_EVERY_MS = Number(process.env.KILL_EVERY_MS ?? 3_000);
const LIMIT_MS = Number(process.env.LIMIT_MS ?? 300_000);

// The mailbox's message rate is lifted (this measures crash safety, not pacing); 3 connections.
const emulator = await forkEmulator({
  tenant: { limits: { smtpConnectionsPerMailbox: 3, smtpMessagesPerWindow: 1_000_000_000 } },
});
const redis = await startRedis();
const prefix = `bench-kill-${randomUUID().slice(0, 8)}`;
const config = {
  redisUrl: redis.url,
  prefix,
  smtp: {
    host: emulator.smtp.host,
    port: emulator.smtp.port,
    ca: emulator.ca,
    user: DEFAULT_SENDER,
    pass: DEFAULT_PASSWORD,
  },
  limits: { maxConcurrency: 3 },
  // Short locks so a killed worker's jobs come back within seconds.
  lockDurationMs: 2_000,
  stalledIntervalMs: 1_000,
};
const workers = [];
let kills = 0;
let restarts = 0;
const producer = createOutbox({ connection: redis.url, queue: { prefix }, from: DEFAULT_SENDER });
try {
  console.log(
    `outbox-kill: ${MESSAGES} messages, ${WORKERS} worker processes, one SIGKILLed every ${KILL_EVERY_MS} ms and replaced`,
  );
  for (let index = 0; index < WORKERS; index++) workers.push(await forkWorker(config));
  const jobs = [];
  for (let index = 0; index < MESSAGES; index++) {
    jobs.push(
      await producer.enqueue({
        to: `reader${index}@fabrikam.com`,
        subject: `Kill ${index}`,
        text: "hi",
      }),
    );
  }
  const startedAt = performance.now();
  // One kill at a time: wait, kill a worker with SIGKILL, start its replacement, repeat.
  let finished = false; // stops the kill loop
  const killing = (async () => {
    while (!finished) {
      await new Promise((resolve) => setTimeout(resolve, KILL_EVERY_MS));
      if (finished) break;
      const index = kills % workers.length;
      await workers[index].kill("SIGKILL");
      kills++;
      workers[index] = await forkWorker(config);
      restarts++;
    }
  })();
  // Done when every job is sent (or dead), or at the time cap.
  let states = {};
  for (;;) {
    const statuses = await Promise.all(jobs.map((job) => producer.status(job.id)));
    states = {};
    for (const status of statuses)
      states[status?.state ?? "gone"] = (states[status?.state ?? "gone"] ?? 0) + 1;
    const done = (states.sent ?? 0) + (states.dead ?? 0);
    if (done === MESSAGES || performance.now() - startedAt > LIMIT_MS) break;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  finished = true;
  await killing;
  const seconds = (performance.now() - startedAt) / 1_000;
  const statuses = await Promise.all(jobs.map((job) => producer.status(job.id)));
  const delivered = await emulator.messages();
  const copies = new Map();
  for (const message of delivered)
    copies.set(message.messageId, (copies.get(message.messageId) ?? 0) + 1);
  const lost = jobs.filter((job) => !copies.has(job.messageId)).length;
  const duplicated = jobs.filter((job) => (copies.get(job.messageId) ?? 0) > 1);
  const flagged = statuses.filter((status) => status?.ambiguous).length;
  const unflaggedDuplicates = duplicated.filter(
    (job) => !statuses[jobs.indexOf(job)]?.ambiguous,
  ).length;
  const extraCopies = delivered.length - copies.size;
  console.log(
    `  ${fixed(seconds, 1)} s, ${kills} kills, ${restarts} restarts; job states ${JSON.stringify(states)}`,
  );
  console.log(
    `  delivered ${delivered.length} copies of ${copies.size} Message-IDs; lost ${lost} (target 0: ${verdict(lost === 0)})`,
  );
  console.log(
    `  duplicated Message-IDs ${duplicated.length} (${extraCopies} extra copies), flagged ambiguous ${flagged}; duplicates not flagged ${unflaggedDuplicates} (target 0: ${verdict(unflaggedDuplicates === 0)})`,
  );
} finally {
  await producer.close();
  await Promise.all(workers.map((worker) => worker.kill("SIGKILL")));
  await redis.stop();
  await emulator.stop();
}
