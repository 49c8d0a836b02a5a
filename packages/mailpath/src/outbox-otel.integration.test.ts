// createOutboxFromEnv with MAILPATH_OTEL=on: the trace context of each enqueue is stored with
// its job (through the propagation API and whatever propagator the app registered), against a
// real Redis (MAILPATH_TEST_REDIS_URL, or a private redis-server) and the emulator. The API is
// core's optional peer; the propagator and the context manager here are the smallest that
// satisfy its interfaces.
import { createRequire } from "node:module";
import { useEmulator } from "@mailpath/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testRedis } from "../../outbox/test/support/redis-global-setup.js";
import { graphOutbox } from "./test-support/outbox.js";

/** The parts of @opentelemetry/api used here (mailpath has neither it nor its types). */
interface Context {
  getValue(key: symbol): unknown;
  setValue(key: symbol, value: unknown): Context;
}
interface SpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
}
interface OtelApi {
  ROOT_CONTEXT: Context;
  context: {
    setGlobalContextManager(manager: object): boolean;
    with<R>(context: Context, fn: () => R): R;
    disable(): void;
  };
  propagation: { setGlobalPropagator(propagator: object): boolean; disable(): void };
  trace: {
    getSpanContext(context: Context): SpanContext | undefined;
    setSpanContext(context: Context, span: SpanContext): Context;
  };
}
interface RedisClient {
  keys(pattern: string): Promise<string[]>;
  hget(key: string, field: string): Promise<string | null>;
  disconnect(): void;
}

// Core's optional peer, resolved where core resolves it (the same module instance).
const api = createRequire(new URL("../../core/package.json", import.meta.url))(
  "@opentelemetry/api",
) as OtelApi;

// ioredis is the outbox's dependency, not mailpath's.
const { Redis } = createRequire(new URL("../../outbox/package.json", import.meta.url))(
  "ioredis",
) as { Redis: new (url: string) => RedisClient };

const emulator = useEmulator({ beforeAll, afterAll });
let redisUrl: string;
let stopRedis: (() => Promise<void>) | undefined;
let current: Context = api.ROOT_CONTEXT;

beforeAll(async () => {
  const server = await testRedis();
  redisUrl = server.url;
  stopRedis = server.stop;
  api.context.setGlobalContextManager({
    active: () => current,
    with: (
      context: Context,
      fn: (...args: unknown[]) => unknown,
      thisArg: unknown,
      ...args: unknown[]
    ) => {
      const previous = current;
      current = context;
      try {
        return fn.call(thisArg, ...args);
      } finally {
        current = previous;
      }
    },
    bind: (_context: Context, target: unknown) => target,
    enable() {
      return this;
    },
    disable() {
      return this;
    },
  });
  api.propagation.setGlobalPropagator({
    inject(
      context: Context,
      carrier: unknown,
      setter: { set(carrier: unknown, key: string, value: string): void },
    ) {
      const span = api.trace.getSpanContext(context);
      if (span) setter.set(carrier, "traceparent", `00-${span.traceId}-${span.spanId}-01`);
    },
    extract: (context: Context) => context,
    fields: () => ["traceparent"],
  });
});
afterAll(async () => {
  api.context.disable();
  api.propagation.disable();
  await stopRedis?.();
});

async function storedTrace(prefix: string, id: string): Promise<unknown> {
  const client = new Redis(redisUrl);
  try {
    const jobId = id.slice(id.lastIndexOf("/") + 1);
    const [key] = (await client.keys(`${prefix}:*`)).filter((name) => name.endsWith(`:${jobId}`));
    return (JSON.parse((await client.hget(key!, "data")) ?? "{}") as { trace?: unknown }).trace;
  } finally {
    client.disconnect();
  }
}

describe("createOutboxFromEnv with MAILPATH_OTEL", () => {
  it.each([
    ["on", true],
    ["off", false],
  ])(
    "MAILPATH_OTEL=%s: the enqueuing span's traceparent is stored with the job: %s",
    async (flag, stored) => {
      const { outbox, prefix } = await graphOutbox(emulator, redisUrl, { MAILPATH_OTEL: flag });
      try {
        const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        const spanId = "00f067aa0ba902b7";
        const parent = api.trace.setSpanContext(api.ROOT_CONTEXT, {
          traceId,
          spanId,
          traceFlags: 1,
        });
        const { id } = await api.context.with(parent, () =>
          outbox.enqueue({ to: "ada@contoso.com", subject: "Traced", text: "Queued." }),
        );
        expect(await storedTrace(prefix, id)).toEqual(
          stored ? { traceparent: `00-${traceId}-${spanId}-01` } : undefined,
        );
      } finally {
        await outbox.close();
      }
    },
  );
});
