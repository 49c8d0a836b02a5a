// OpenTelemetry through the real SDK with in-memory exporters: spans, their parents and
// attributes, metrics counted once, and nothing secret in any attribute, label or log line.
import { Writable } from "node:stream";
import { context, metrics, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  AggregationTemporality,
  type DataPoint,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MailError } from "../errors/mail-error.js";
import { createMailer } from "../mailer.js";
import { createMemoryTransport } from "../testing/memory-transport.js";

/** A reader that collects on demand (cumulative). */
class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(spans)],
});
let reader: TestReader;
let meterProvider: MeterProvider;
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});
beforeEach(() => {
  spans.reset();
  reader = new TestReader();
  meterProvider = new MeterProvider({ readers: [reader] });
});

const noWait = () => Promise.resolve();

async function points(name: string): Promise<DataPoint<unknown>[]> {
  const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics };
  return resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric) => metric.dataPoints as DataPoint<unknown>[]);
}

function byName(name: string): ReadableSpan[] {
  return spans.getFinishedSpans().filter((span) => span.name === name);
}

describe("OpenTelemetry", () => {
  it("a send that retries once then succeeds makes one send span with two attempt spans, and counts once", async () => {
    const transport = createMemoryTransport({ name: "graph" });
    transport.failNext({
      code: "THROTTLED",
      retryAfterMs: 20,
      http: { status: 429, code: "ApplicationThrottled", requestId: "req-429" },
    });
    const mailer = createMailer({
      transport,
      from: "Notifications <notify@contoso.com>",
      sleep: noWait,
      // No jitter: the delay is the server's Retry-After.
      retry: { random: () => 0 },
      telemetry: {
        tracer: tracerProvider.getTracer("test"),
        meter: meterProvider.getMeter("test"),
      },
    });
    const parent = tracerProvider.getTracer("app").startSpan("handle-request");
    const before = performance.now();
    const result = await context.with(trace.setSpan(context.active(), parent), () =>
      mailer.send({ to: "ada@fabrikam.com", subject: "Hello", text: "Hi Ada" }),
    );
    const elapsedSeconds = (performance.now() - before) / 1000;
    parent.end();
    await mailer.close();
    expect(result.attempts).toBe(2);

    const [send, ...moreSends] = byName("mailpath.send");
    expect(moreSends).toHaveLength(0);
    expect(send!.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(send!.attributes).toMatchObject({
      "mailpath.transport": "graph",
      "mailpath.message.id": result.messageId,
      "mailpath.sender.domain": "contoso.com",
      "mailpath.recipients.count": 1,
      "mailpath.outcome": "sent",
      "mailpath.path": "graph",
      "mailpath.attempts": 2,
      "mailpath.ambiguous_attempts": 0,
    });
    expect(send!.attributes["mailpath.sender.address"]).toBeUndefined();
    expect(send!.status.code).toBe(0);

    const attempts = byName("mailpath.attempt");
    expect(attempts).toHaveLength(2);
    for (const attempt of attempts) {
      expect(attempt.parentSpanContext?.spanId).toBe(send!.spanContext().spanId);
      expect(attempt.spanContext().traceId).toBe(parent.spanContext().traceId);
    }
    const [first, second] = attempts.sort(
      (a, b) => Number(a.attributes["mailpath.attempt"]) - Number(b.attributes["mailpath.attempt"]),
    );
    expect(first!.attributes).toMatchObject({
      "mailpath.attempt": 1,
      "mailpath.path": "graph",
      "mailpath.outcome": "retry",
      "error.type": "THROTTLED",
      "mailpath.error.code": "THROTTLED",
      "http.response.status_code": 429,
      "mailpath.graph.error_code": "ApplicationThrottled",
      "mailpath.graph.request_id": "req-429",
      "mailpath.retry.delay_ms": 20,
      "mailpath.throttled": true,
    });
    expect(first!.status.code).toBe(2);
    expect(second!.attributes).toMatchObject({ "mailpath.attempt": 2, "mailpath.outcome": "sent" });
    expect(second!.status.code).toBe(0);

    const sends = await points("mailpath.sends");
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({
      value: 1,
      attributes: { "mailpath.outcome": "sent", "mailpath.path": "graph" },
    });
    const sendDuration = await points("mailpath.send.duration");
    expect(sendDuration.map((point) => (point.value as { count: number }).count)).toEqual([1]);
    // The send's own duration, in seconds: from its start, not from the clock's origin.
    const sendSeconds = (sendDuration[0]!.value as { sum: number }).sum;
    expect(sendSeconds).toBeGreaterThanOrEqual(0);
    expect(sendSeconds).toBeLessThanOrEqual(elapsedSeconds);
    const attemptDuration = await points("mailpath.attempt.duration");
    expect(
      attemptDuration.reduce((sum, point) => sum + (point.value as { count: number }).count, 0),
    ).toBe(2);
    expect(await points("mailpath.retries")).toMatchObject([
      { value: 1, attributes: { "mailpath.path": "graph", "error.type": "THROTTLED" } },
    ]);
    expect(await points("mailpath.throttles")).toMatchObject([{ value: 1 }]);
    expect(await points("mailpath.sent.bytes")).toMatchObject([{ value: 6 }]);
  });

  it("a send that fails for good sets the error status, error.type and the SMTP codes", async () => {
    const transport = createMemoryTransport({ name: "smtp" });
    transport.failNext(
      new MailError({
        code: "SEND_AS_DENIED",
        message: "550 5.7.60 SMTP; Client does not have permissions to send as this sender",
        smtp: {
          replyCode: 550,
          enhancedCode: "5.7.60",
          response: "550 5.7.60 SMTP; Client does not have permissions to send as this sender",
        },
        transport: "smtp",
      }),
    );
    const mailer = createMailer({
      transport,
      from: "notify@contoso.com",
      sleep: noWait,
      telemetry: { tracer: tracerProvider.getTracer("test"), meter: meterProvider.getMeter("t") },
    });
    await expect(
      mailer.send({ to: "ada@fabrikam.com", subject: "x", text: "y" }),
    ).rejects.toThrow();
    await mailer.close();
    const [send] = byName("mailpath.send");
    expect(send!.status.code).toBe(2);
    expect(send!.attributes).toMatchObject({
      "mailpath.outcome": "failed",
      "error.type": "SEND_AS_DENIED",
      "mailpath.smtp.reply_code": 550,
      "mailpath.smtp.enhanced_code": "5.7.60",
      "mailpath.attempts": 1,
    });
    expect(byName("mailpath.attempt")).toHaveLength(1);
    expect(await points("mailpath.sends")).toMatchObject([
      {
        value: 1,
        attributes: {
          "mailpath.outcome": "failed",
          "mailpath.path": "smtp",
          "error.type": "SEND_AS_DENIED",
        },
      },
    ]);
  });

  it("records full addresses only with recordAddresses", async () => {
    const mailer = createMailer({
      transport: createMemoryTransport(),
      from: "notify@contoso.com",
      telemetry: { tracer: tracerProvider.getTracer("test"), recordAddresses: true },
    });
    await mailer.send({ to: "ada@fabrikam.com", subject: "x", text: "y" });
    await mailer.close();
    expect(byName("mailpath.send")[0]!.attributes).toMatchObject({
      "mailpath.sender.address": "notify@contoso.com",
      "mailpath.recipients": ["ada@fabrikam.com"],
    });
  });

  it("reports breaker state and queued sends per sender domain through observable gauges", async () => {
    const transport = createMemoryTransport({ name: "smtp" });
    transport.failNext("CONNECTION_FAILED", 5);
    const mailer = createMailer({
      transport,
      from: "notify@contoso.com",
      retry: false,
      circuitBreaker: { volumeThreshold: 2, errorThresholdPercentage: 50 },
      telemetry: { tracer: tracerProvider.getTracer("test"), meter: meterProvider.getMeter("t") },
    });
    expect(await points("mailpath.breaker.state")).toMatchObject([
      { value: 0, attributes: { "mailpath.path": "smtp" } },
    ]);
    for (let index = 0; index < 3; index++) {
      await mailer.send({ to: "ada@fabrikam.com", subject: "x", text: "y" }).catch(() => {});
    }
    expect(await points("mailpath.breaker.state")).toMatchObject([
      { value: 2, attributes: { "mailpath.path": "smtp" } },
    ]);
    await mailer.close();
  });
});

describe("secret sweep of telemetry and logs", () => {
  const PASSWORD = "Sweep-Password-7c1d0e";
  const TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJyb2xlcyI6WyJNYWlsLlNlbmQiXX0.c2lnbmF0dXJl";
  const BODY = "Body-Text-That-Must-Not-Leak-93af";
  const SUBJECT = "Subject-That-Must-Not-Leak-51bd";

  it("no span attribute, metric label or log line holds a password, token, subject or body", async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: "debug" },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const transport = createMemoryTransport({ name: "smtp" });
    // Failures as transports report them: their messages were redacted at the source, but the
    // pieces that travel further (attributes, labels, log fields) must not even depend on that.
    transport.failNext(
      new MailError({
        code: "AUTH_FAILED",
        message: "535 5.7.139 Authentication unsuccessful",
        smtp: { replyCode: 535, enhancedCode: "5.7.139", response: "535 5.7.139" },
        retryable: true,
        transport: "smtp",
      }),
    );
    transport.failNext({ code: "THROTTLED", retryAfterMs: 10 });
    const mailer = createMailer({
      transport,
      from: "notify@contoso.com",
      sleep: noWait,
      retry: { maxAttempts: 4 },
      logger,
      telemetry: { tracer: tracerProvider.getTracer("test"), meter: meterProvider.getMeter("t") },
    });
    await mailer.send({
      to: "ada@fabrikam.com",
      subject: SUBJECT,
      text: BODY,
      html: `<p>${BODY}</p>`,
      headers: { "X-Password": PASSWORD, "X-Token": TOKEN },
      attachments: [{ filename: "secret.txt", content: `${PASSWORD} ${TOKEN}` }],
    });
    transport.failNext("SERVER_ERROR", 4);
    await mailer
      .send({ to: "ada@fabrikam.com", subject: SUBJECT, text: BODY })
      .catch(() => undefined);
    await mailer.close();

    const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics };
    const everything = [
      ...spans.getFinishedSpans().map((span) =>
        JSON.stringify({
          name: span.name,
          attributes: span.attributes,
          events: span.events,
          status: span.status,
        }),
      ),
      JSON.stringify(
        resourceMetrics.scopeMetrics.flatMap((scope) =>
          scope.metrics.map((metric) => metric.dataPoints.map((point) => point.attributes)),
        ),
      ),
      ...lines,
    ].join("\n");
    expect(spans.getFinishedSpans().length).toBeGreaterThanOrEqual(6);
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const forbidden of [PASSWORD, TOKEN, BODY, SUBJECT, "ada@fabrikam.com", "notify@"]) {
      expect(everything).not.toContain(forbidden);
    }
    expect(everything).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}/);
    // The lines are JSON with the levels pino gives them.
    const levels = lines.map((line) => (JSON.parse(line) as { level: number }).level);
    expect(levels).toContain(20); // debug: attempts
    expect(levels).toContain(30); // info: sent
    expect(levels).toContain(40); // warn: retries
    expect(levels).toContain(50); // error: failed
  });
});

describe("global providers", () => {
  /** A mailer with a tracer and no meter, whose first attempt fails and is retried. */
  const retryOnceMailer = () => {
    const transport = createMemoryTransport({ name: "smtp" });
    transport.failNext({ code: "CONNECTION_FAILED", retryable: true });
    return createMailer({
      transport,
      from: "notify@contoso.com",
      sleep: noWait,
      telemetry: { tracer: tracerProvider.getTracer("test") },
    });
  };

  it("counts through a MeterProvider registered before the mailer, and records attempt spans with no meter", async () => {
    metrics.setGlobalMeterProvider(meterProvider);
    try {
      const mailer = retryOnceMailer();
      await mailer.send({ to: "ada@fabrikam.com", subject: "Hi", text: "Hello" });
      await mailer.close();
      const sends = await points("mailpath.sends");
      expect(sends.map((point) => [point.attributes["mailpath.outcome"], point.value])).toEqual([
        ["sent", 1],
      ]);
      expect((await points("mailpath.retries")).map((point) => point.value)).toEqual([1]);
    } finally {
      metrics.disable();
    }
    // Without a MeterProvider (the API's no-op meter) the spans are whole all the same.
    spans.reset();
    const mailer = retryOnceMailer();
    await mailer.send({ to: "ada@fabrikam.com", subject: "Hi", text: "Hello" });
    // A later send after the first: the attempt listener attaches again for it.
    await mailer.send({ to: "ada@fabrikam.com", subject: "Again", text: "Hello" });
    await mailer.close();
    const attempts = byName("mailpath.attempt");
    expect(attempts.map((span) => span.attributes["mailpath.outcome"]).sort()).toEqual([
      "retry",
      "sent",
      "sent",
    ]);
  });
});
