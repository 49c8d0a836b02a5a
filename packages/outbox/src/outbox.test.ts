// The outbox against a real redis-server (see test/support/redis-global-setup.ts) and core's
// memory transport, a real in-process transport: queue semantics, retries, dead letters,
// idempotency, shutdown and the Redis checks.
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { MailError } from "@mailpath/core";
import { createMemoryTransport, type MemoryTransport } from "@mailpath/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  collectEvents,
  keysUnder,
  nextEvent,
  redisUrl,
  uniquePrefix,
} from "../test/support/harness.js";
import { startRedisServer } from "../test/support/redis-global-setup.js";
import { createOutbox, type Outbox, type OutboxOptions } from "./index.js";

const FROM = "notifications@contoso.com";
const message = (subject = "Your order shipped") => ({
  to: "ada@contoso.com",
  subject,
  text: "It is on its way.",
});

const open: Outbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((outbox) => outbox.close({ timeoutMs: 2_000 })));
});

function outboxWith(
  transport: MemoryTransport,
  options: Partial<OutboxOptions> = {},
): { outbox: Outbox; prefix: string } {
  const prefix = options.queue?.prefix ?? uniquePrefix();
  const outbox = createOutbox({
    connection: redisUrl(),
    transport,
    from: FROM,
    retry: { baseDelayMs: 50, maxDelayMs: 200 },
    ...options,
    queue: { prefix },
  });
  open.push(outbox);
  return { outbox, prefix };
}

describe("enqueue", () => {
  it("stores the message with a Message-ID fixed at enqueue, and the worker sends it with that Message-ID", async () => {
    const transport = createMemoryTransport();
    const { outbox } = outboxWith(transport);
    const { id, messageId, duplicate } = await outbox.enqueue(message());
    expect(duplicate).toBe(false);
    expect(messageId).toMatch(/^<[^@]+@contoso\.com>$/);
    expect(await outbox.status(id)).toMatchObject({ state: "queued", messageId, attempts: 0 });

    const sent = nextEvent(outbox, "sent");
    await outbox.startWorker();
    expect(await sent).toMatchObject({ id, messageId, attempts: 1, ambiguous: false });
    expect(transport.sent.map((delivered) => delivered.messageId)).toEqual([messageId]);
    expect(await outbox.status(id)).toMatchObject({
      state: "sent",
      attempts: 1,
      result: { accepted: ["ada@contoso.com"] },
    });
  });

  it("refuses an invalid message with INVALID_MESSAGE and writes nothing to Redis", async () => {
    const { outbox, prefix } = outboxWith(createMemoryTransport());
    const error = await outbox
      .enqueue({ to: "not an address", subject: "Hi\r\nBcc: x@y.z", text: "x" })
      .catch((caught: unknown) => caught);
    expect(MailError.isInstance(error) && error.code).toBe("INVALID_MESSAGE");
    expect((error as MailError).issues?.map((issue) => issue.path)).toEqual(["to", "subject"]);
    expect(await keysUnder(prefix)).toEqual([]);
  });

  it("refuses a Readable attachment with INVALID_MESSAGE naming the attachment", async () => {
    const { outbox, prefix } = outboxWith(createMemoryTransport());
    const error = await outbox
      .enqueue({
        ...message(),
        attachments: [{ filename: "report.csv", content: Readable.from(["a,b\n"]) }],
      })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "INVALID_MESSAGE" });
    expect((error as MailError).issues?.[0]?.path).toBe("attachments[0].content");
    expect(await keysUnder(prefix)).toEqual([]);
  });

  it("stores bytes attachments inline and delivers the same bytes", async () => {
    const transport = createMemoryTransport();
    const { outbox } = outboxWith(transport);
    const bytes = new Uint8Array([0, 1, 2, 250, 251, 255]);
    await outbox.enqueue({
      ...message(),
      attachments: [
        { filename: "blob.bin", content: bytes },
        { filename: "note.txt", content: "héllo" },
      ],
    });
    const sent = nextEvent(outbox, "sent");
    await outbox.startWorker();
    await sent;
    const [delivered] = transport.sent;
    const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");
    expect(
      delivered!.attachments.map(({ filename, size, sha256 }) => ({ filename, size, sha256 })),
    ).toEqual([
      { filename: "blob.bin", size: 6, sha256: sha256(bytes) },
      { filename: "note.txt", size: Buffer.byteLength("héllo"), sha256: sha256("héllo") },
    ]);
  });

  it("refuses a message larger than maxStoredBytes with MESSAGE_TOO_LARGE", async () => {
    const { outbox, prefix } = outboxWith(createMemoryTransport(), { maxStoredBytes: 2_000 });
    const error = await outbox
      .enqueue({
        ...message(),
        attachments: [{ filename: "big.bin", content: new Uint8Array(4_000) }],
      })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MESSAGE_TOO_LARGE", retryable: false });
    expect(await keysUnder(prefix)).toEqual([]);
  });

  it("rejects with ABORTED when the signal has fired, and queues nothing", async () => {
    const { outbox, prefix } = outboxWith(createMemoryTransport());
    const error = await outbox
      .enqueue(message(), { signal: AbortSignal.abort() })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "ABORTED" });
    expect(await keysUnder(prefix)).toEqual([]);
  });
});

describe("idempotency", () => {
  it("sends once when the same idempotencyKey is enqueued twice, reporting the first job", async () => {
    const transport = createMemoryTransport();
    const { outbox } = outboxWith(transport);
    const first = await outbox.enqueue(message(), { idempotencyKey: "order-42:shipped" });
    const second = await outbox.enqueue(message("a retry by the caller"), {
      idempotencyKey: "order-42:shipped",
    });
    const other = await outbox.enqueue(message(), { idempotencyKey: "order-43:shipped" });
    expect(second).toEqual({ id: first.id, messageId: first.messageId, duplicate: true });
    expect(other.id).not.toBe(first.id);

    const sent = collectEvents(outbox, "sent", 2);
    await outbox.startWorker();
    await sent;
    const again = await outbox.enqueue(message(), { idempotencyKey: "order-42:shipped" });
    expect(again).toMatchObject({ id: first.id, duplicate: true });
    expect(transport.sent.map((delivered) => delivered.messageId).sort()).toEqual(
      [first.messageId, other.messageId].sort(),
    );
  });
});

describe("retries through the queue", () => {
  it("delays a retryable failure by the server's retryAfterMs and sends it with the same Message-ID", async () => {
    const transport = createMemoryTransport();
    transport.failNext({ code: "SERVER_ERROR", retryable: true, retryAfterMs: 600 });
    const { outbox } = outboxWith(transport);
    const { id, messageId } = await outbox.enqueue(message());
    const retrying = nextEvent(outbox, "retrying");
    const sent = nextEvent(outbox, "sent");
    await outbox.startWorker();
    const retry = await retrying;
    const failedAt = Date.now();
    expect(retry).toMatchObject({ id, code: "SERVER_ERROR", delayMs: 600, throttled: false });
    const delayed = await outbox.status(id);
    expect(delayed).toMatchObject({
      state: "delayed",
      attempts: 1,
      error: { code: "SERVER_ERROR" },
    });
    expect(delayed!.dueAt!.getTime()).toBeGreaterThanOrEqual(failedAt + 400);

    expect(await sent).toMatchObject({ id, messageId, attempts: 2, ambiguous: false });
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(550);
    expect(transport.calls).toBe(2);
    expect(transport.sent.map((delivered) => delivered.messageId)).toEqual([messageId]);
  });

  it("pauses the sender's queue for a throttle's retryAfterMs without using an attempt", async () => {
    const transport = createMemoryTransport();
    transport.failNext({ code: "THROTTLED", retryAfterMs: 500 });
    const { outbox } = outboxWith(transport, { retry: { maxAttempts: 1 } });
    const { id } = await outbox.enqueue(message());
    const retrying = nextEvent(outbox, "retrying");
    const sent = nextEvent(outbox, "sent");
    await outbox.startWorker();
    expect(await retrying).toMatchObject({ id, code: "THROTTLED", delayMs: 500, throttled: true });
    const throttledAt = Date.now();
    // maxAttempts 1: a throttle that used an attempt would have made it a dead letter.
    expect(await sent).toMatchObject({ id, attempts: 2 });
    expect(Date.now() - throttledAt).toBeGreaterThanOrEqual(450);
  });

  it("flags the send ambiguous when an earlier attempt may have been accepted", async () => {
    const transport = createMemoryTransport();
    transport.failNext({ code: "TIMEOUT", retryable: true, delivered: true, retryAfterMs: 0 });
    const { outbox } = outboxWith(transport);
    const { id, messageId } = await outbox.enqueue(message());
    const sent = nextEvent(outbox, "sent");
    await outbox.startWorker();
    expect(await sent).toMatchObject({ id, attempts: 2, ambiguous: true });
    expect(await outbox.status(id)).toMatchObject({ state: "sent", ambiguous: true });
    // The duplicate carries the same Message-ID, so a reader can tell.
    expect(transport.sent.map((delivered) => delivered.messageId)).toEqual([messageId, messageId]);
  });
});

describe("dead letters", () => {
  it("moves a permanent failure to the dead letters with its code, hint and SMTP reply, and no secret", async () => {
    const transport = createMemoryTransport();
    const secret = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJlc2lnbmF0dXJl";
    transport.failNext({
      code: "SEND_AS_DENIED",
      message: `Bearer ${secret} was refused`,
      hint: "Grant Send As to the app's mailbox.",
      smtp: {
        replyCode: 550,
        enhancedCode: "5.7.60",
        response: `550 5.7.60 SMTP; Client does not have permissions to send as this sender ${secret}`,
      },
    });
    const { outbox } = outboxWith(transport);
    const { id, messageId } = await outbox.enqueue(message());
    const dead = nextEvent(outbox, "dead");
    await outbox.startWorker();
    expect(await dead).toMatchObject({ id, messageId, attempts: 1, code: "SEND_AS_DENIED" });
    const status = await outbox.status(id);
    expect(status).toMatchObject({
      state: "dead",
      attempts: 1,
      error: {
        code: "SEND_AS_DENIED",
        retryable: false,
        hint: "Grant Send As to the app's mailbox.",
        smtp: { replyCode: 550, enhancedCode: "5.7.60" },
        messageId,
      },
    });
    expect(JSON.stringify(status)).not.toContain(secret);
    expect(transport.calls).toBe(1);
  });

  it("moves a message to the dead letters once its attempts are used up", async () => {
    const transport = createMemoryTransport();
    transport.failNext({ code: "SERVER_ERROR", retryAfterMs: 0 }, 3);
    const { outbox } = outboxWith(transport, { retry: { maxAttempts: 3, baseDelayMs: 10 } });
    const { id } = await outbox.enqueue(message());
    const failures = collectEvents(outbox, "failed", 3);
    const dead = nextEvent(outbox, "dead");
    await outbox.startWorker();
    expect((await failures).map((failure) => failure.attempt)).toEqual([1, 2, 3]);
    expect(await dead).toMatchObject({ id, attempts: 3, code: "SERVER_ERROR" });
    expect(await outbox.status(id)).toMatchObject({ state: "dead", attempts: 3 });
    expect(transport.sent).toHaveLength(0);
  });
});

describe("graceful shutdown", () => {
  /** Starts the worker and waits for its first attempt. */
  const startAttempting = async (outbox: Outbox) => {
    const attempt = nextEvent(outbox, "attempt");
    await outbox.startWorker();
    await attempt;
  };
  /** A second outbox on the same queue, sending through a fresh memory transport. */
  const successorOn = (prefix: string) => {
    const next = createMemoryTransport();
    return { next, successor: outboxWith(next, { queue: { prefix } }).outbox };
  };

  it("finishes the send in flight and leaves queued messages in Redis for the next worker", async () => {
    const transport = createMemoryTransport({ latencyMs: 300, limits: { maxConcurrency: 1 } });
    const { outbox, prefix } = outboxWith(transport);
    const ids: string[] = [];
    for (let index = 0; index < 4; index++)
      ids.push((await outbox.enqueue(message(`#${index}`))).id);
    await startAttempting(outbox);
    await outbox.close({ timeoutMs: 5_000 });
    expect(transport.sent).toHaveLength(1);

    const { next, successor } = successorOn(prefix);
    const states = await Promise.all(ids.map(async (id) => (await successor.status(id))?.state));
    expect(states.filter((state) => state === "sent")).toHaveLength(1);
    expect(states.filter((state) => state === "queued")).toHaveLength(3);
    const sent = collectEvents(successor, "sent", 3);
    await successor.startWorker();
    await sent;
    expect(next.sent).toHaveLength(3);
  });

  it("puts a send still running at the timeout back in the queue, unsent, for the next worker", async () => {
    const transport = createMemoryTransport({ latencyMs: 10_000 });
    const { outbox, prefix } = outboxWith(transport);
    const { id, messageId } = await outbox.enqueue(message());
    await startAttempting(outbox);
    await outbox.close({ timeoutMs: 200 });
    expect(transport.sent).toHaveLength(0);

    const { next, successor } = successorOn(prefix);
    expect((await successor.status(id))?.state).toMatch(/queued|delayed/);
    const sent = nextEvent(successor, "sent");
    await successor.startWorker();
    expect(await sent).toMatchObject({ id, messageId, attempts: 2 });
  });

  it("refuses to enqueue after close", async () => {
    const { outbox } = outboxWith(createMemoryTransport());
    await outbox.close();
    await expect(outbox.enqueue(message())).rejects.toMatchObject({ code: "ABORTED" });
  });
});

describe("Redis checks", () => {
  it("refuses a Redis whose maxmemory-policy evicts keys, with INVALID_CONFIG, and writes nothing", async () => {
    const evicting = await startRedisServer([
      "--maxmemory",
      "64mb",
      "--maxmemory-policy",
      "allkeys-lru",
    ]);
    try {
      const prefix = uniquePrefix();
      const outbox = createOutbox({
        connection: evicting.url,
        transport: createMemoryTransport(),
        from: FROM,
        queue: { prefix },
      });
      open.push(outbox);
      const error = await outbox.enqueue(message()).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: "INVALID_CONFIG" });
      expect((error as MailError).message).toContain("allkeys-lru");
      expect((error as MailError).hint).toContain("noeviction");
      await expect(outbox.startWorker()).rejects.toMatchObject({ code: "INVALID_CONFIG" });
      await outbox.close();
    } finally {
      await evicting.stop();
    }
  });

  it("refuses options without a connection or with both a transport and a mailer", () => {
    expect(() =>
      createOutbox({ transport: createMemoryTransport() } as unknown as OutboxOptions),
    ).toThrow(expect.objectContaining({ code: "INVALID_CONFIG" }));
    expect(() =>
      createOutbox({
        connection: redisUrl(),
        transport: createMemoryTransport(),
        mailer: {} as never,
        limits: false,
      }),
    ).toThrow(/one of `transport` and `mailer`, not both/);
  });

  it("enqueues without a transport, and refuses to start a worker there", async () => {
    const prefix = uniquePrefix();
    const producer = createOutbox({ connection: redisUrl(), from: FROM, queue: { prefix } });
    open.push(producer);
    const { id } = await producer.enqueue(message());
    expect((await producer.status(id))?.state).toBe("queued");
    await expect(producer.startWorker()).rejects.toMatchObject({ code: "INVALID_CONFIG" });
  });
});
