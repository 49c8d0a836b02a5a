// Request spans (what a transport traces inside an attempt) and trace-context propagation,
// through the real OpenTelemetry SDK with an in-memory exporter.
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Transport } from "../contract/transport.js";
import { MailError } from "../errors/mail-error.js";
import { createMailer } from "../mailer.js";
import { createMemoryTransport } from "../testing/memory-transport.js";
import { captureTraceContext, startRequestSpan, withTraceContext } from "./request-span.js";

const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(spans)],
});
const tracer = tracerProvider.getTracer("test");

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(() => {
  context.disable();
  propagation.disable();
});
beforeEach(() => spans.reset());

const named = (name: string): ReadableSpan[] =>
  spans.getFinishedSpans().filter((span) => span.name === name);

/** A memory transport that traces one "token" request per send, failing it when told. */
function tracingTransport(failTokenOnce: boolean): Transport {
  const inner = createMemoryTransport({ name: "graph" });
  let tokenFailures = failTokenOnce ? 1 : 0;
  return {
    ...inner,
    name: "graph",
    async send(message, options) {
      const span = startRequestSpan("mailpath.token", {
        "server.address": "login.example.test",
        "server.port": 443,
        "mailpath.unset": undefined,
      });
      if (tokenFailures > 0) {
        tokenFailures--;
        const error = new MailError({
          code: "SERVER_ERROR",
          retryable: true,
          message: "token endpoint failed",
          http: { status: 503, requestId: "req-503" },
        });
        span?.end({ error });
        throw error;
      }
      span?.end({ status: 200, attributes: { "mailpath.entra.request_id": "req-200" } });
      return inner.send(message, options);
    },
  };
}

describe("request spans", () => {
  it("are children of the attempt they run in, with status, request id and error.type", async () => {
    const mailer = createMailer({
      transport: tracingTransport(true),
      from: "notify@contoso.com",
      sleep: () => Promise.resolve(),
      telemetry: { tracer },
    });
    await mailer.send({ to: "ada@fabrikam.com", subject: "Hi", text: "Hello" });
    await mailer.close();

    const attempts = named("mailpath.attempt").sort(
      (a, b) => Number(a.attributes["mailpath.attempt"]) - Number(b.attributes["mailpath.attempt"]),
    );
    const tokens = named("mailpath.token");
    expect(attempts).toHaveLength(2);
    expect(tokens).toHaveLength(2);
    const byParent = new Map(tokens.map((span) => [span.parentSpanContext?.spanId, span]));
    const first = byParent.get(attempts[0]!.spanContext().spanId);
    const second = byParent.get(attempts[1]!.spanContext().spanId);
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(first!.kind).toBe(2);
    expect(first!.attributes).toEqual({
      "server.address": "login.example.test",
      "server.port": 443,
      "error.type": "SERVER_ERROR",
      "mailpath.error.code": "SERVER_ERROR",
      "mailpath.error.retryable": true,
      "http.response.status_code": 503,
      "mailpath.graph.request_id": "req-503",
    });
    expect(first!.status.code).toBe(2);
    expect(second!.attributes).toEqual({
      "server.address": "login.example.test",
      "server.port": 443,
      "http.response.status_code": 200,
      "mailpath.entra.request_id": "req-200",
    });
    expect(second!.status.code).toBe(0);
  });

  it("are not made outside a traced send, nor by a mailer without telemetry", async () => {
    expect(startRequestSpan("mailpath.token")).toBeUndefined();
    const parent = tracer.startSpan("request");
    await context.with(trace.setSpan(context.active(), parent), async () => {
      // An active span of the app is not a send: nothing to hang a request span under.
      expect(startRequestSpan("mailpath.token")).toBeUndefined();
      const mailer = createMailer({
        transport: tracingTransport(false),
        from: "notify@contoso.com",
      });
      await mailer.send({ to: "ada@fabrikam.com", subject: "Hi", text: "Hello" });
      await mailer.close();
    });
    parent.end();
    expect(named("mailpath.token")).toHaveLength(0);
  });

  it("a non-MailError failure gives its errno code as error.type, never its message", async () => {
    const mailer = createMailer({
      transport: {
        name: "graph",
        specificationVersion: "v1",
        async send() {
          const span = startRequestSpan("mailpath.graph.upload_chunk");
          const error = Object.assign(new Error("reset by https://up.example/?tempauth=SECRET"), {
            code: "ECONNRESET",
          });
          span?.end({ error });
          span?.end({ status: 200 });
          throw new MailError({ code: "CONNECTION_FAILED", message: "reset", retryable: false });
        },
      },
      from: "notify@contoso.com",
      telemetry: { tracer },
    });
    await expect(
      mailer.send({ to: "ada@fabrikam.com", subject: "Hi", text: "Hello" }),
    ).rejects.toMatchObject({ code: "CONNECTION_FAILED" });
    await mailer.close();
    const [chunk, ...more] = named("mailpath.graph.upload_chunk");
    expect(more).toHaveLength(0);
    expect(chunk!.attributes).toEqual({ "error.type": "ECONNRESET" });
    expect(JSON.stringify(chunk!.attributes)).not.toContain("SECRET");
  });
});

describe("trace context of a queued job", () => {
  it("is captured from the active span as a W3C traceparent and restored as the send's parent", async () => {
    expect(captureTraceContext()).toBeUndefined();
    const parent = tracer.startSpan("enqueue");
    const carrier = context.with(trace.setSpan(context.active(), parent), captureTraceContext);
    parent.end();
    const { traceId, spanId } = parent.spanContext();
    expect(carrier).toEqual({ traceparent: `00-${traceId}-${spanId}-01` });

    const mailer = createMailer({
      transport: createMemoryTransport(),
      from: "notify@contoso.com",
      telemetry: { tracer },
    });
    await withTraceContext(carrier, () =>
      mailer.send({ to: "ada@fabrikam.com", subject: "Hi", text: "Hello" }),
    );
    await mailer.close();
    const [send] = named("mailpath.send");
    expect(send!.spanContext().traceId).toBe(traceId);
    expect(send!.parentSpanContext?.spanId).toBe(spanId);
    expect(withTraceContext(undefined, () => 7)).toBe(7);
  });
});
