// Trace context across the queue, against a real redis-server: with `telemetry`, enqueue stores
// the caller's W3C traceparent with the job and the worker's mailpath.send span is its child
// (two outboxes on one Redis, as an API process and a worker process would be), through the
// real OpenTelemetry SDK with an in-memory exporter.
import { createMemoryTransport } from "@mailpath/core/testing";
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { keysUnder, nextEvent, redisUrl, uniquePrefix } from "../test/support/harness.js";
import { createOutbox, type Outbox, type OutboxOptions } from "./index.js";

const FROM = "notifications@contoso.com";
const spans = new InMemorySpanExporter();
const tracer = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(spans)],
}).getTracer("test");

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(() => {
  context.disable();
  propagation.disable();
});
beforeEach(() => spans.reset());

const open: Outbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((outbox) => outbox.close({ timeoutMs: 2_000 })));
});

function outbox(prefix: string, options: Partial<OutboxOptions>): Outbox {
  const created = createOutbox({
    connection: redisUrl(),
    from: FROM,
    retry: { baseDelayMs: 50, maxDelayMs: 200 },
    ...options,
    queue: { prefix },
  });
  open.push(created);
  return created;
}

/** The Redis key of the hash BullMQ keeps for the job `id` (`sender/jobId`). */
async function jobKey(prefix: string, id: string): Promise<string> {
  const jobId = id.slice(id.lastIndexOf("/") + 1);
  const [key] = (await keysUnder(prefix)).filter((name) => name.endsWith(`:${jobId}`));
  return key!;
}

/** The data BullMQ stored for the job `id`. */
async function storedData(prefix: string, id: string): Promise<Record<string, unknown>> {
  const key = await jobKey(prefix, id);
  const client = new Redis(redisUrl());
  try {
    return JSON.parse((await client.hget(key, "data")) ?? "{}") as Record<string, unknown>;
  } finally {
    client.disconnect();
  }
}

/**
 * Starts a worker with telemetry on `prefix` and waits for its first message sent.
 * @returns the `sent` event and the finished mailpath.send spans
 */
async function sendThroughTracedWorker(prefix: string) {
  const worker = outbox(prefix, { transport: createMemoryTransport(), telemetry: { tracer } });
  const sent = nextEvent(worker, "sent");
  await worker.startWorker();
  const event = await sent;
  return {
    event,
    sends: spans.getFinishedSpans().filter((span) => span.name === "mailpath.send"),
  };
}

async function enqueueUnderSpan(producer: Outbox) {
  const parent = tracer.startSpan("POST /orders");
  const enqueued = await context.with(trace.setSpan(context.active(), parent), () =>
    producer.enqueue({ to: "ada@contoso.com", subject: "Shipped", text: "On its way." }),
  );
  parent.end();
  return { parent, enqueued };
}

describe("trace context through the outbox", () => {
  it("stores the enqueuing span's traceparent with the job; the worker's send span is its child", async () => {
    const prefix = uniquePrefix();
    const producer = outbox(prefix, { telemetry: {} });
    const { parent, enqueued } = await enqueueUnderSpan(producer);
    const { traceId, spanId } = parent.spanContext();
    expect((await storedData(prefix, enqueued.id)).trace).toEqual({
      traceparent: `00-${traceId}-${spanId}-01`,
    });

    const { event, sends } = await sendThroughTracedWorker(prefix);
    expect(event).toMatchObject({ id: enqueued.id, messageId: enqueued.messageId });

    const [send, ...more] = sends;
    expect(more).toHaveLength(0);
    expect(send!.spanContext().traceId).toBe(traceId);
    expect(send!.parentSpanContext?.spanId).toBe(spanId);
    expect(send!.parentSpanContext?.isRemote).toBe(true);
    expect(send!.attributes["mailpath.message.id"]).toBe(enqueued.messageId);
    const [attempt] = spans.getFinishedSpans().filter((span) => span.name === "mailpath.attempt");
    expect(attempt!.parentSpanContext?.spanId).toBe(send!.spanContext().spanId);
  });

  it("without telemetry nothing is stored and the worker's send starts its own trace", async () => {
    const prefix = uniquePrefix();
    const producer = outbox(prefix, {});
    const { parent, enqueued } = await enqueueUnderSpan(producer);
    expect((await storedData(prefix, enqueued.id)).trace).toBeUndefined();

    // A worker with telemetry still sends; with nothing stored, its send span has no parent.
    const {
      sends: [send],
    } = await sendThroughTracedWorker(prefix);
    expect(send!.parentSpanContext).toBeUndefined();
    expect(send!.spanContext().traceId).not.toBe(parent.spanContext().traceId);
  });

  it("a job whose stored trace is not propagation headers is sent as a new trace", async () => {
    const prefix = uniquePrefix();
    const producer = outbox(prefix, { telemetry: {} });
    const { enqueued } = await enqueueUnderSpan(producer);
    const data = await storedData(prefix, enqueued.id);
    const client = new Redis(redisUrl());
    try {
      await client.hset(
        await jobKey(prefix, enqueued.id),
        "data",
        JSON.stringify({ ...data, trace: { Traceparent: 42 } }),
      );
    } finally {
      client.disconnect();
    }
    const {
      sends: [send],
    } = await sendThroughTracedWorker(prefix);
    expect(send!.parentSpanContext).toBeUndefined();
  });
});
