// outbox-quota: 4 outbox worker processes share one sender mailbox; the emulator (in its own
// process) enforces 3 SMTP AUTH connections and a message rate scaled to seconds (RATE per
// WINDOW_MS). A script that prints figures, not a test. Bounded: MESSAGES messages, a time cap.
//
//   Targets: aggregate rate >= 0.95 of the allowed rate, 0 throttling replies, never more
//   than 3 connections at once.
//
//   pnpm --filter @mailpath/bench outbox-quota          (after `pnpm build`; needs redis-server)
//   WORKERS=4 MESSAGES=600 RATE=30 WINDOW_MS=2000 node bench/outbox-quota/index.mjs
import { randomUUID } from "node:crypto";
import { DEFAULT_PASSWORD, DEFAULT_SENDER } from "@mailpath/emulator";
import { createOutbox } from "@mailpath/outbox";
import { forkEmulator } from "../emulator-process.mjs";
import { fixed, forkWorker, startRedis, verdict } from "../outbox-support.mjs";
import { scaledQuota } from "../support/scaled-quota.mjs";

const WORKERS = Number(process.env.WORKERS ?? 4);
const MESSAGES = Number(process.env.MESSAGES ?? 600);
const LIMIT_MS = Number(process.env.LIMIT_MS ?? 180_000);
const quota = scaledQuota();
const { connections: CONNECTIONS, rate: RATE, windowMs: WINDOW_MS } = quota;

const emulator = await forkEmulator({
  tenant: {
    // An excess is answered 451 4.7.500 (a throttling reply), not delayed as Exchange does.
    messageRateExcess: "refuse",
    limits: quota.emulatorLimits,
  },
});
const redis = await startRedis();
const prefix = `bench-quota-${randomUUID().slice(0, 8)}`;
const smtp = {
  host: emulator.smtp.host,
  port: emulator.smtp.port,
  ca: emulator.ca,
  user: DEFAULT_SENDER,
  pass: DEFAULT_PASSWORD,
};
const transportLimits = quota.transportLimits();
const workers = [];
const sentBy = [];
const durations = [];
let retries = 0;
let throttledRetries = 0;
try {
  console.log(
    `outbox-quota: ${WORKERS} worker processes, one mailbox, emulator allows ${CONNECTIONS} connections and ${RATE} messages per ${WINDOW_MS} ms; ${MESSAGES} messages`,
  );
  for (let index = 0; index < WORKERS; index++) {
    sentBy.push(0);
    workers.push(
      forkWorker({ redisUrl: redis.url, prefix, smtp, transportLimits }, (message) => {
        if (message.type === "sent") {
          sentBy[index]++;
          durations.push(message.durationMs);
        }
        if (message.type === "retrying") {
          retries++;
          if (message.throttled) throttledRetries++;
        }
      }),
    );
  }
  const started = await Promise.all(workers);
  workers.splice(0, workers.length, ...started);

  const producer = createOutbox({
    connection: redis.url,
    queue: { prefix },
    from: DEFAULT_SENDER,
  });
  const startedAt = performance.now();
  for (let index = 0; index < MESSAGES; index++) {
    await producer.enqueue({
      to: `reader${index}@fabrikam.com`,
      subject: `Quota ${index}`,
      text: "hi",
    });
  }
  const enqueueSeconds = (performance.now() - startedAt) / 1_000;
  await emulator.waitForMessages(MESSAGES, { timeoutMs: LIMIT_MS });
  const seconds = (performance.now() - startedAt) / 1_000;
  await producer.close();
  const stats = await emulator.stats();
  const delivered = await emulator.count();
  const allowed = quota.allowedPerSecond;
  const rate = MESSAGES / seconds;
  const idealSeconds = quota.idealSeconds(MESSAGES);
  console.log(
    `  delivered ${delivered} in ${fixed(seconds, 1)} s (all enqueued after ${fixed(enqueueSeconds, 2)} s); per process: ${sentBy.join(", ")}`,
  );
  console.log(
    `  aggregate rate ${fixed(rate, 2)} msg/s, allowed ${fixed(allowed, 2)} msg/s: fraction ${fixed(rate / allowed, 3)} (target >= 0.95: ${verdict(rate / allowed >= 0.95)}); schedule efficiency ${fixed(idealSeconds / seconds, 3)} (ideal ${fixed(idealSeconds, 1)} s)`,
  );
  console.log(
    `  throttling replies ${stats.throttled.smtp} (target 0: ${verdict(stats.throttled.smtp === 0)}); retries ${retries} (${throttledRetries} throttled)`,
  );
  const sorted = [...durations].sort((a, b) => a - b);
  const mean = durations.reduce((sum, value) => sum + value, 0) / Math.max(1, durations.length);
  console.log(
    `  send time (connection reused or opened, TLS, AUTH, DATA): mean ${fixed(mean, 0)} ms, p95 ${fixed(sorted[Math.floor(sorted.length * 0.95)] ?? 0, 0)} ms; ${CONNECTIONS} connections carry at most ${fixed((CONNECTIONS * 1000) / Math.max(1, mean), 1)} msg/s at that pace`,
  );
  console.log(
    `  max concurrent connections ${stats.maxConcurrency.smtp} (target <= ${CONNECTIONS}: ${verdict(stats.maxConcurrency.smtp <= CONNECTIONS)}); SMTP sessions ${stats.requests.smtp}`,
  );
} finally {
  await Promise.all(workers.map((worker) => worker.stop?.()));
  await redis.stop();
  await emulator.stop();
}
