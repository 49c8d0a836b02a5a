// outbox-overhead: what the outbox costs against mailer.send directly, on core's memory
// transport (no network, no pacing): enqueue throughput into Redis, and the added latency
// from enqueue to "sent" (a worker in this process) versus one mailer.send. A script that
// prints figures, not a test. Bounded: fixed message counts.
//
//   Targets: enqueue >= 500 msg/s one at a time; added latency p50 <= 20 ms.
//
//   pnpm --filter @mailpath/bench outbox-overhead          (after `pnpm build`; needs redis-server)
//   MESSAGES=2000 LATENCY_MESSAGES=300 node bench/outbox-overhead/index.mjs
import { randomUUID } from "node:crypto";
import { createMailer } from "@mailpath/core";
import { createMemoryTransport } from "@mailpath/core/testing";
import { createOutbox } from "@mailpath/outbox";
import { fixed, startRedis, verdict } from "../outbox-support.mjs";

const MESSAGES = Number(process.env.MESSAGES ?? 2_000);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 32);
const LATENCY_MESSAGES = Number(process.env.LATENCY_MESSAGES ?? 300);
const FROM = "notifications@contoso.com";
const message = (index) => ({ to: "ada@contoso.com", subject: `Overhead ${index}`, text: "hi" });
const percentile = (values, fraction) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
};

const redis = await startRedis();
try {
  console.log(
    `outbox-overhead: memory transport, Redis ${redis.url.replace(/:[^:@/]+@/, ":***@")}`,
  );

  // 1. Enqueue throughput (no worker): one at a time, then IN_FLIGHT at once.
  const producer = createOutbox({
    connection: redis.url,
    queue: { prefix: `bench-overhead-${randomUUID().slice(0, 8)}` },
    from: FROM,
  });
  await producer.enqueue(message(-1));
  let started = performance.now();
  for (let index = 0; index < MESSAGES; index++) await producer.enqueue(message(index));
  const sequential = MESSAGES / ((performance.now() - started) / 1_000);
  started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < MESSAGES) {
        next++;
        await producer.enqueue(message(next));
      }
    }),
  );
  const parallel = MESSAGES / ((performance.now() - started) / 1_000);
  await producer.close();
  console.log(
    `  enqueue: ${fixed(sequential, 0)} msg/s one at a time (target >= 500: ${verdict(sequential >= 500)}), ${fixed(parallel, 0)} msg/s with ${IN_FLIGHT} in flight`,
  );

  // 2. Latency: mailer.send directly, then enqueue → sent through a worker in this process.
  const direct = [];
  const mailer = createMailer({ transport: createMemoryTransport(), from: FROM });
  for (let index = 0; index < 50; index++) await mailer.send(message(index));
  for (let index = 0; index < LATENCY_MESSAGES; index++) {
    const at = performance.now();
    await mailer.send(message(index));
    direct.push(performance.now() - at);
  }
  await mailer.close();

  const outbox = createOutbox({
    connection: redis.url,
    queue: { prefix: `bench-overhead-${randomUUID().slice(0, 8)}` },
    transport: createMemoryTransport(),
    from: FROM,
  });
  await outbox.startWorker();
  const sentAt = new Map();
  outbox.on("sent", ({ id }) => sentAt.get(id)?.());
  const queued = [];
  const sendOne = async (index) => {
    const at = performance.now();
    let resolve;
    const sent = new Promise((done) => {
      resolve = done;
    });
    const { id } = await outbox.enqueue(message(index));
    sentAt.set(id, resolve);
    await sent;
    return performance.now() - at;
  };
  for (let index = 0; index < 50; index++) await sendOne(index);
  for (let index = 0; index < LATENCY_MESSAGES; index++) queued.push(await sendOne(index));
  await outbox.close();
  const added = percentile(queued, 0.5) - percentile(direct, 0.5);
  console.log(
    `  mailer.send: p50 ${fixed(percentile(direct, 0.5), 2)} ms, p95 ${fixed(percentile(direct, 0.95), 2)} ms`,
  );
  console.log(
    `  enqueue → sent: p50 ${fixed(percentile(queued, 0.5), 2)} ms, p95 ${fixed(percentile(queued, 0.95), 2)} ms; added p50 ${fixed(added, 2)} ms (target <= 20: ${verdict(added <= 20)})`,
  );
} finally {
  await redis.stop();
}
