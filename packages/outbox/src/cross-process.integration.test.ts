// Workers in separate processes (test/support/worker-process.ts) against the emulator, which
// enforces the mailbox's connection and message limits the way Exchange does: the quota must
// hold across processes, and a worker killed with SIGKILL mid-send must lose nothing.
import { DEFAULT_PASSWORD, DEFAULT_SENDER, type Emulator, startEmulator } from "@mailpath/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  collectEvents,
  nextEvent,
  redisUrl,
  startWorkerProcess,
  uniquePrefix,
  type WorkerProcess,
} from "../test/support/harness.js";
import { createSmtpTransportFor } from "../test/support/smtp.js";
import { createOutbox, type Outbox } from "./index.js";

const WINDOW_MS = 2_000;
const PER_WINDOW = 6;
const LIMITS = { maxConcurrency: 3, maxMessagesPerInterval: PER_WINDOW, intervalMs: WINDOW_MS };

let emulator: Emulator;
const processes: WorkerProcess[] = [];
const outboxes: Outbox[] = [];

beforeAll(async () => {
  emulator = await startEmulator({
    tenant: {
      // Over the rate, answer 451 4.7.500 as a throttle (not Exchange's default delay), so an
      // excess shows up in the stats and as a retry.
      messageRateExcess: "refuse",
      limits: {
        smtpConnectionsPerMailbox: 3,
        smtpMessagesPerWindow: PER_WINDOW,
        smtpMessageWindowMs: WINDOW_MS,
      },
    },
  });
});
afterAll(async () => {
  await emulator?.stop();
});
afterEach(async () => {
  await Promise.all(processes.splice(0).map((worker) => worker.kill("SIGKILL")));
  await Promise.all(outboxes.splice(0).map((outbox) => outbox.close({ timeoutMs: 2_000 })));
  emulator.reset();
});

const smtp = () => ({
  host: emulator.smtp.host,
  port: emulator.smtp.port,
  ca: emulator.ca,
  user: DEFAULT_SENDER,
  pass: DEFAULT_PASSWORD,
});

function producer(prefix: string): Outbox {
  const outbox = createOutbox({
    connection: redisUrl(),
    queue: { prefix },
    transport: () => createSmtpTransportFor(smtp(), LIMITS),
    from: DEFAULT_SENDER,
  });
  outboxes.push(outbox);
  return outbox;
}

describe("the mailbox quota across processes", () => {
  it("two worker processes share 3 connections and 6 messages per 2 s: no throttling reply, every message once", async () => {
    const prefix = uniquePrefix();
    const outbox = producer(prefix);
    processes.push(
      ...(await Promise.all(
        [0, 1].map(() =>
          // Two sends at most per process and 3 per mailbox: neither process can take them all.
          startWorkerProcess({
            redisUrl: redisUrl(),
            prefix,
            smtp: smtp(),
            limits: LIMITS,
            concurrency: 2,
          }),
        ),
      )),
    );
    // Every session answers its DATA 100 ms late, so sends overlap and the 3 connections are used.
    emulator.inject({ endpoint: "smtp", kind: "latency", ms: 100, stage: "after-data", rate: 1 });
    const count = 15;
    const startedAt = Date.now();
    const enqueued = [];
    for (let index = 0; index < count; index++) {
      enqueued.push(
        await outbox.enqueue({
          to: `reader${index}@fabrikam.com`,
          subject: `#${index}`,
          text: "hi",
        }),
      );
    }
    const delivered = await emulator.waitForMessages(count, { timeoutMs: 15_000 });
    const elapsedMs = Date.now() - startedAt;

    const stats = emulator.stats();
    expect(stats.throttled.smtp).toBe(0);
    expect(stats.maxConcurrency.smtp).toBeLessThanOrEqual(3);
    expect(delivered.map((message) => message.messageId).sort()).toEqual(
      enqueued.map((job) => job.messageId).sort(),
    );
    // Never more than the quota in any rolling window, measured where Exchange measures it.
    const times = delivered.map((message) => message.receivedAt.getTime()).sort((a, b) => a - b);
    for (let index = PER_WINDOW; index < times.length; index++) {
      expect(times[index]! - times[index - PER_WINDOW]!).toBeGreaterThan(WINDOW_MS - 50);
    }
    // 15 messages at 6 per window: the third window's messages wait for the first two.
    expect(elapsedMs).toBeGreaterThan(2 * WINDOW_MS);
    // Both processes took a share.
    for (const worker of processes) {
      expect(worker.messages.filter((message) => message.type === "sent").length).toBeGreaterThan(
        0,
      );
    }
  });
});

describe("crash safety", () => {
  it("recovers the job of a worker killed with SIGKILL mid-send, sends it with the same Message-ID and flags it ambiguous", async () => {
    const prefix = uniquePrefix();
    const outbox = producer(prefix);
    // The first session hangs after DATA: the kill lands while the send is in flight.
    emulator.inject({
      endpoint: "smtp",
      kind: "latency",
      ms: 4_000,
      stage: "after-data",
      count: 1,
    });
    const doomed = await startWorkerProcess({
      redisUrl: redisUrl(),
      prefix,
      smtp: smtp(),
      limits: LIMITS,
      lockDurationMs: 1_000,
      stalledIntervalMs: 500,
    });
    processes.push(doomed);
    const { id, messageId } = await outbox.enqueue({
      to: "reader@fabrikam.com",
      subject: "Your invoice",
      text: "Attached.",
    });
    await doomed.waitFor((message) => message.type === "attempt" && message.id === id);
    await doomed.kill("SIGKILL");
    expect((await outbox.status(id))?.state).toBe("sending");

    const sent = nextEvent(outbox, "sent", (event) => event.id === id, 15_000);
    await outbox.startWorker({ lockDurationMs: 1_000, stalledIntervalMs: 500 });
    expect(await sent).toMatchObject({ id, messageId, attempts: 2, ambiguous: true });
    expect(await outbox.status(id)).toMatchObject({ state: "sent", ambiguous: true, attempts: 2 });
    const copies = emulator.messages().filter((message) => message.messageId === messageId);
    expect(copies.length).toBeGreaterThanOrEqual(1);
    expect(copies.length).toBeLessThanOrEqual(2);
  });

  it("a graceful stop of a worker process finishes its send and leaves the rest queued for another process", async () => {
    const prefix = uniquePrefix();
    const outbox = producer(prefix);
    emulator.inject({ endpoint: "smtp", kind: "latency", ms: 500, stage: "after-data", count: 1 });
    const first = await startWorkerProcess({
      redisUrl: redisUrl(),
      prefix,
      smtp: smtp(),
      limits: { ...LIMITS, maxConcurrency: 1 },
      concurrency: 1,
    });
    processes.push(first);
    const jobs = [];
    for (let index = 0; index < 5; index++) {
      jobs.push(
        await outbox.enqueue({ to: "reader@fabrikam.com", subject: `#${index}`, text: "hi" }),
      );
    }
    await first.waitFor((message) => message.type === "attempt");
    await first.stop(10_000);
    const sentByFirst = first.messages.filter((message) => message.type === "sent").length;
    expect(sentByFirst).toBeGreaterThanOrEqual(1);
    expect(emulator.messages()).toHaveLength(sentByFirst);

    const rest = collectEvents(outbox, "sent", jobs.length - sentByFirst, 15_000);
    await outbox.startWorker();
    await rest;
    const ids = emulator
      .messages()
      .map((message) => message.messageId)
      .sort();
    expect(ids).toEqual(jobs.map((job) => job.messageId).sort());
  });
});
