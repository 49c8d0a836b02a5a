// The mailer's observability: OpenTelemetry spans and metrics, and log lines, both fed by the
// mailer's own events plus one wrapper around each send. Built only when `telemetry` or
// `logger` is given; without either the mailer does not even create it. `@opentelemetry/api`
// is required lazily, the first time a mailer with `telemetry` is created.
import type { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import type { Logger } from "../contract/logger.js";
import type { NormalizedMessage } from "../contract/message.js";
import type { Transport } from "../contract/transport.js";
import { MailError } from "../errors/mail-error.js";
import type { TelemetryOptions } from "./options.js";
import type {
  Attributes,
  Instrument,
  Meter,
  ObservableInstrument,
  ObservableResult,
  OtelApi,
  OtelContext,
  Span,
  Tracer,
} from "./otel-types.js";

/** What the send wrapper needs of a send's result. */
interface SentLike {
  readonly transport: string;
  readonly attempts: number;
  readonly ambiguousAttempts: number;
  readonly response?: string;
}

/** The mailer-side hooks. */
export interface Instrumentation {
  /**
   * Runs one validated send inside its span (active for the transport), recording its metrics.
   * `run` is called at once, told whether the send is tracked: when it is not (nothing records
   * it), what trackSend returns is `run`'s own promise.
   */
  trackSend<T extends SentLike>(
    message: NormalizedMessage,
    run: (tracked: boolean) => Promise<T>,
  ): Promise<T>;
  /** Stops the observable instruments and the event subscriptions. */
  close(): void;
}

const SCOPE = "@mailpath/core";
// OpenTelemetry's enum values (SpanKind.INTERNAL / CLIENT, SpanStatusCode.ERROR), inlined so
// nothing but the API object is needed at run time.
const SPAN_KIND_INTERNAL = 0;
const SPAN_KIND_CLIENT = 2;
const STATUS_ERROR = 2;
const BREAKER_VALUE = { close: 0, halfOpen: 1, open: 2 } as const;
const SEND_SPAN_OPTIONS = { kind: SPAN_KIND_INTERNAL } as const;

let api: OtelApi | null | undefined;
let scopeKey: symbol | undefined;

/**
 * What a transport's own spans (a token fetch, an upload chunk) hang under: the tracer of the
 * mailer whose send is running, and the context of its current attempt (of the send between
 * attempts). Stored on the send's context, so only code running inside a traced send sees it.
 */
export interface RequestScope {
  readonly tracer: Tracer;
  parent: OtelContext;
}

/** The context key of the RequestScope. */
export function requestScopeKey(otel: OtelApi): symbol {
  scopeKey ??= otel.createContextKey("mailpath request scope");
  return scopeKey;
}

/** `@opentelemetry/api` if a mailer with telemetry has loaded it already; never loads it. */
export function loadedOtelApi(): OtelApi | undefined {
  return api ?? undefined;
}

/** `@opentelemetry/api`, or undefined when it is not installed. Loaded once. */
export function loadOtelApi(): OtelApi | undefined {
  if (api === undefined) {
    try {
      api = createRequire(import.meta.url)("@opentelemetry/api") as OtelApi;
    } catch {
      api = null;
    }
  }
  return api ?? undefined;
}

export function compact(attributes: Attributes): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}

function domainOf(address: string): string {
  const at = address.lastIndexOf("@");
  return at < 0 ? "" : address.slice(at + 1).toLowerCase();
}

/** What a failure says, as span and log attributes: codes and numbers, never the server's text. */
export function errorAttributes(error: MailError): Attributes {
  return compact({
    "error.type": error.code,
    "mailpath.error.code": error.code,
    "mailpath.error.retryable": error.retryable,
    "mailpath.ambiguous": error.ambiguous,
    "mailpath.smtp.reply_code": error.smtp?.replyCode,
    "mailpath.smtp.enhanced_code": error.smtp?.enhancedCode,
    "http.response.status_code": error.http?.status,
    "mailpath.graph.error_code": error.http?.code,
    "mailpath.graph.request_id": error.http?.requestId,
    "mailpath.retry_after_ms": error.retryAfterMs,
  });
}

/** A success reply's codes: `250 2.0.0 OK <id>` (SMTP) or `202 Accepted (request-id …)` (Graph). */
function responseAttributes(response: string | undefined): Attributes {
  if (!response) return {};
  const graph = /^(\d{3}) Accepted(?: \(request-id ([^)\s]{1,200})\))?/.exec(response);
  if (graph) {
    return compact({
      "http.response.status_code": Number(graph[1]),
      "mailpath.graph.request_id": graph[2],
    });
  }
  const smtp = /^(\d{3})[ -](?:(\d\.\d{1,3}\.\d{1,3})\b)?/.exec(response);
  return smtp
    ? compact({
        "mailpath.smtp.reply_code": Number(smtp[1]),
        "mailpath.smtp.enhanced_code": smtp[2],
      })
    : {};
}

/** `server.address` / `server.port` of a transport that exposes them (Graph's baseUrl, SMTP host). */
function serverAttributes(transport: Transport): Attributes {
  const shape = transport as { baseUrl?: unknown; host?: unknown; port?: unknown };
  if (typeof shape.baseUrl === "string") {
    try {
      const url = new URL(shape.baseUrl);
      return { "server.address": url.hostname, "server.port": Number(url.port || 443) };
    } catch {
      return {};
    }
  }
  return compact({
    "server.address": typeof shape.host === "string" ? shape.host : undefined,
    "server.port": typeof shape.port === "number" ? shape.port : undefined,
  });
}

/** The bytes of text, html and in-memory attachments (streams and files are not counted). */
function messageBytes(message: NormalizedMessage): number {
  let bytes = 0;
  if (message.text) bytes += Buffer.byteLength(message.text);
  if (message.html) bytes += Buffer.byteLength(message.html);
  for (const attachment of message.attachments) {
    const content = attachment.content as unknown;
    if (typeof content === "string") bytes += Buffer.byteLength(content);
    else if (content instanceof Uint8Array) bytes += content.byteLength;
  }
  return bytes;
}

interface AttemptState {
  readonly span?: Span;
  readonly startedAt: number;
  readonly path: string;
  readonly number: number;
}

interface SendState {
  readonly context?: OtelContext;
  readonly scope?: RequestScope;
  readonly sender: string;
  attempt?: AttemptState | undefined;
}

interface Instruments {
  readonly sends: Instrument;
  readonly sendDuration: Instrument;
  readonly attemptDuration: Instrument;
  readonly retries: Instrument;
  readonly throttles: Instrument;
  readonly bytes: Instrument;
  readonly breaker: ObservableInstrument;
  readonly queued: ObservableInstrument;
}

function createInstruments(meter: Meter): Instruments {
  // Seconds, as OpenTelemetry's semantic conventions want durations; buckets from 5 ms to 2 min.
  const boundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
  return {
    sends: meter.createCounter("mailpath.sends", {
      description: "Sends finished, by outcome, path and error code.",
      unit: "{send}",
    }),
    sendDuration: meter.createHistogram("mailpath.send.duration", {
      description: "Time of one send(), retries and waits included.",
      unit: "s",
      advice: { explicitBucketBoundaries: boundaries },
    }),
    attemptDuration: meter.createHistogram("mailpath.attempt.duration", {
      description: "Time of one attempt through a transport.",
      unit: "s",
      advice: { explicitBucketBoundaries: boundaries },
    }),
    retries: meter.createCounter("mailpath.retries", {
      description:
        "Failed attempts followed by another try (a retry, or the next path of a route).",
      unit: "{retry}",
    }),
    throttles: meter.createCounter("mailpath.throttles", {
      description: "Attempts the server throttled (THROTTLED or a Retry-After).",
      unit: "{throttle}",
    }),
    bytes: meter.createCounter("mailpath.sent.bytes", {
      description: "Bytes of text, html and in-memory attachments of delivered messages.",
      unit: "By",
    }),
    breaker: meter.createObservableGauge("mailpath.breaker.state", {
      description: "Circuit breaker state per path: 0 closed, 1 half-open, 2 open.",
    }),
    queued: meter.createObservableGauge("mailpath.sends.queued", {
      description: "Sends waiting for a rate-limit slot or backing off, per sender.",
      unit: "{send}",
    }),
  };
}

/**
 * The instrumentation for a mailer, or undefined when it has neither telemetry nor a logger.
 */
export function createInstrumentation(input: {
  readonly telemetry?: TelemetryOptions | false;
  readonly logger?: Logger;
  readonly transport: Transport;
  readonly events: EventEmitter;
}): Instrumentation | undefined {
  const { transport, events, logger } = input;
  const telemetry = input.telemetry || undefined;
  const otel = telemetry ? loadOtelApi() : undefined;
  if (!logger && !otel) return undefined;
  const recordAddresses = telemetry?.recordAddresses === true;
  const tracer: Tracer | undefined = otel
    ? (telemetry?.tracer ?? otel.trace.getTracer(SCOPE))
    : undefined;
  // Without a registered MeterProvider the API hands out its no-op meter, for good (the metrics
  // API has no proxy that a provider registered later would feed): then there is nothing to
  // count, and no per-send bookkeeping for it.
  const globalMeter = otel && !telemetry?.meter ? otel.metrics.getMeter(SCOPE) : undefined;
  const meter: Meter | undefined =
    telemetry?.meter ??
    (globalMeter && globalMeter !== otel?.createNoopMeter?.() ? globalMeter : undefined);
  const instruments = meter ? createInstruments(meter) : undefined;
  const server = serverAttributes(transport);
  // Label sets of the common cases, built once per path: a send allocates none of its own.
  const labelCache = new Map<string, Attributes>();
  const labelsOf = (path: string, outcome: string): Attributes => {
    const key = `${outcome}\u0000${path}`;
    let labels = labelCache.get(key);
    if (!labels) {
      labels = { "mailpath.path": path, ...(outcome !== "" && { "mailpath.outcome": outcome }) };
      if (labelCache.size < 256) labelCache.set(key, labels);
    }
    return labels;
  };
  const sends = new Map<string, SendState>();
  const breakers = new Map<string, number>();
  if (!transport.router) breakers.set(transport.name, BREAKER_VALUE.close);

  // Which levels the logger has: fields and texts are built only for those.
  const logs = {
    debug: typeof logger?.debug === "function",
    info: typeof logger?.info === "function",
    warn: typeof logger?.warn === "function",
    error: typeof logger?.error === "function",
  };
  const log = (level: keyof Logger, fields: Record<string, unknown>, message: string) => {
    const write = logger?.[level];
    if (typeof write !== "function") return;
    try {
      write.call(logger, { component: "mailer", ...fields }, message);
    } catch {
      // A logger's failure must not fail a send.
    }
  };

  const endAttempt = (
    state: SendState,
    outcome: "sent" | "retry" | "failed",
    attributes: () => Attributes,
    error?: MailError,
  ) => {
    const attempt = state.attempt;
    if (!attempt) return;
    state.attempt = undefined;
    if (state.scope && state.context) state.scope.parent = state.context;
    if (instruments) {
      const labels = labelsOf(attempt.path, outcome);
      instruments.attemptDuration.record?.(
        (performance.now() - attempt.startedAt) / 1000,
        error ? { ...labels, "error.type": error.code } : labels,
      );
    }
    if (attempt.span) {
      attempt.span.setAttributes({ ...attributes(), "mailpath.outcome": outcome });
      if (error) attempt.span.setStatus({ code: STATUS_ERROR, message: error.code });
      attempt.span.end();
    }
  };

  const listeners: [string, (payload: never) => void][] = [
    [
      "attempt",
      ({
        messageId,
        transport: path,
        attempt,
      }: {
        messageId: string;
        transport: string;
        attempt: number;
      }) => {
        if (logs.debug) {
          log("debug", { messageId, transport: path, attempt }, `attempt ${attempt} via ${path}`);
        }
        const state = sends.get(messageId);
        if (!state) return;
        const span =
          tracer && state.context !== undefined
            ? tracer.startSpan(
                "mailpath.attempt",
                {
                  kind: SPAN_KIND_CLIENT,
                  attributes: { "mailpath.attempt": attempt, "mailpath.path": path, ...server },
                },
                state.context,
              )
            : undefined;
        state.attempt = {
          startedAt: performance.now(),
          path,
          number: attempt,
          ...(span && { span }),
        };
        // Requests the transport traces during this attempt (token, upload chunks) are its children.
        if (span && state.scope && otel && state.context)
          state.scope.parent = otel.trace.setSpan(state.context, span);
      },
    ],
    [
      "retry",
      (payload: {
        messageId: string;
        transport: string;
        attempt: number;
        code: string;
        delayMs: number;
        error: MailError;
        nextTransport?: string;
      }) => {
        const {
          messageId,
          transport: path,
          attempt,
          code,
          delayMs,
          error,
          nextTransport,
        } = payload;
        if (logs.warn)
          log(
            "warn",
            {
              messageId,
              transport: path,
              attempt,
              code,
              delayMs,
              ...(nextTransport !== undefined && { nextTransport }),
              ...errorAttributes(error),
            },
            nextTransport !== undefined
              ? `${path} failed with ${code}: moving on to ${nextTransport}`
              : `attempt ${attempt} via ${path} failed with ${code}: retrying in ${delayMs} ms`,
          );
        instruments?.retries.add?.(1, { "mailpath.path": path, "error.type": code });
        const state = sends.get(messageId);
        if (!state) return;
        if (nextTransport !== undefined) {
          // A route moved on inside this attempt: an event on the attempt's span.
          state.attempt?.span?.addEvent("mailpath.path_failed", {
            "mailpath.path": path,
            "mailpath.next_path": nextTransport,
            ...errorAttributes(error),
          });
          return;
        }
        endAttempt(
          state,
          "retry",
          () => ({ ...errorAttributes(error), "mailpath.retry.delay_ms": delayMs }),
          error,
        );
      },
    ],
    [
      "throttled",
      (payload: { messageId: string; transport: string; code: string; retryAfterMs?: number }) => {
        instruments?.throttles.add?.(1, {
          "mailpath.path": payload.transport,
          "error.type": payload.code,
        });
        sends.get(payload.messageId)?.attempt?.span?.setAttribute("mailpath.throttled", true);
      },
    ],
    [
      "sent",
      (payload: {
        messageId: string;
        transport: string;
        attempts: number;
        durationMs: number;
        ambiguousAttempts: number;
        accepted: readonly string[];
        rejected: readonly string[];
      }) =>
        logs.info &&
        log(
          "info",
          {
            messageId: payload.messageId,
            transport: payload.transport,
            attempts: payload.attempts,
            durationMs: payload.durationMs,
            ambiguousAttempts: payload.ambiguousAttempts,
            // Counts only: the addresses stay out of the logs.
            accepted: payload.accepted.length,
            rejected: payload.rejected.length,
          },
          `sent ${payload.messageId} via ${payload.transport}`,
        ),
    ],
    [
      "failed",
      (payload: {
        messageId: string;
        transport: string;
        attempts: number;
        code: string;
        error: MailError;
      }) =>
        logs.error &&
        log(
          "error",
          {
            messageId: payload.messageId,
            transport: payload.transport,
            attempts: payload.attempts,
            ...errorAttributes(payload.error),
            error: payload.error.message,
            ...(payload.error.hint !== undefined && { hint: payload.error.hint }),
          },
          `send ${payload.messageId} failed with ${payload.code}`,
        ),
    ],
    ...(["open", "halfOpen", "close"] as const).map(
      (state) =>
        [
          `breaker:${state}`,
          (payload: { transport: string; retryAfterMs?: number }) => {
            breakers.set(payload.transport, BREAKER_VALUE[state]);
            if (!logger) return;
            log(
              state === "open" ? "warn" : "info",
              { ...payload, breaker: state },
              `circuit breaker of ${payload.transport}: ${state}`,
            );
          },
        ] as [string, (payload: never) => void],
    ),
  ];
  // Only the listeners that can do something here: an event without listeners costs the
  // mailer nothing.
  // Attempts matter to spans only while a recorded send is in flight: without metrics or
  // debug logs, that listener is attached for those sends alone.
  const attemptAlways = instruments !== undefined || logs.debug;
  const useful = (name: string) =>
    name === "sent"
      ? logs.info
      : name === "failed"
        ? logs.error
        : name === "attempt"
          ? attemptAlways
          : name.startsWith("breaker:")
            ? instruments !== undefined || logger !== undefined
            : true;
  for (const [name, listener] of listeners.filter(([name]) => useful(name)))
    events.on(name, listener as (...args: unknown[]) => void);
  const onAttempt = listeners[0]![1] as (...args: unknown[]) => void;
  let recordedInFlight = 0;

  const observeBreakers = (result: ObservableResult) => {
    for (const [path, value] of breakers) result.observe(value, { "mailpath.path": path });
  };
  const observeQueued = (result: ObservableResult) => {
    const counts = new Map<string, number>();
    for (const state of sends.values()) {
      if (!state.attempt) counts.set(state.sender, (counts.get(state.sender) ?? 0) + 1);
    }
    for (const [sender, count] of counts) {
      result.observe(count, {
        [recordAddresses ? "mailpath.sender.address" : "mailpath.sender.domain"]: sender,
      });
    }
  };
  instruments?.breaker.addCallback(observeBreakers);
  instruments?.queued.addCallback(observeQueued);

  return {
    trackSend(message, run) {
      // Read for the send duration histogram alone: without instruments no clock is read.
      const startedAt = instruments ? performance.now() : 0;
      const address = message.from.address;
      let span: Span | undefined;
      let context: OtelContext | undefined;
      let scope: RequestScope | undefined;
      if (tracer && otel) {
        const parent = otel.context.active();
        span = tracer.startSpan("mailpath.send", SEND_SPAN_OPTIONS, parent);
        // A sampler that drops the send (or no SDK at all: the API's no-op tracer) leaves
        // nothing to record: no attempt spans, no attributes, no context switch.
        if (span.isRecording?.() === false) span = undefined;
        else {
          span.setAttributes({
            "mailpath.transport": transport.name,
            "mailpath.message.id": message.messageId,
            "mailpath.sender.domain": domainOf(address),
            "mailpath.recipients.count": message.recipients.length,
            ...(recordAddresses && {
              "mailpath.sender.address": address,
              "mailpath.recipients": [...message.recipients],
            }),
          });
          scope = { tracer, parent };
          context = otel.trace.setSpan(parent.setValue(requestScopeKey(otel), scope), span);
          scope.parent = context;
        }
      }
      // Nothing to record for this send (no recording span, no metrics): the logger, if any,
      // is fed by the events alone.
      if (!span && !instruments) return run(false);
      const sender = recordAddresses ? address.toLowerCase() : domainOf(address);
      return tracked(message, run, startedAt, sender, span, context, scope);
    },
    close() {
      for (const [name, listener] of listeners) {
        events.off(name, listener as (...args: unknown[]) => void);
      }
      instruments?.breaker.removeCallback(observeBreakers);
      instruments?.queued.removeCallback(observeQueued);
    },
  };

  async function tracked<T extends SentLike>(
    message: NormalizedMessage,
    run: (tracked: boolean) => Promise<T>,
    startedAt: number,
    sender: string,
    span: Span | undefined,
    context: OtelContext | undefined,
    scope: RequestScope | undefined,
  ): Promise<T> {
    const state: SendState = {
      sender,
      ...(context !== undefined && { context }),
      ...(scope !== undefined && { scope }),
    };
    const previous = sends.get(message.messageId);
    sends.set(message.messageId, state);
    const attachAttempts = span !== undefined && !attemptAlways;
    if (attachAttempts && recordedInFlight++ === 0) events.on("attempt", onAttempt);
    try {
      // The send span is the active one while the transport works, so spans of instrumented
      // clients (undici, net) nest under it.
      const result = await (otel && context !== undefined
        ? otel.context.with(context, () => run(true))
        : run(true));
      endAttempt(state, "sent", () => responseAttributes(result.response));
      if (instruments) {
        const labels = labelsOf(result.transport, "sent");
        instruments.sends.add?.(1, labels);
        instruments.sendDuration.record?.((performance.now() - startedAt) / 1000, labels);
        instruments.bytes.add?.(messageBytes(message), labelsOf(result.transport, ""));
      }
      span?.setAttributes({
        "mailpath.outcome": "sent",
        "mailpath.path": result.transport,
        "mailpath.attempts": result.attempts,
        "mailpath.ambiguous_attempts": result.ambiguousAttempts,
      });
      return result;
    } catch (caught) {
      const error = MailError.isInstance(caught) ? caught : undefined;
      const attributes = error ? errorAttributes(error) : { "error.type": "UNKNOWN" };
      endAttempt(state, "failed", () => attributes, error);
      const path = error?.transport ?? transport.name;
      const labels = {
        "mailpath.outcome": "failed",
        "mailpath.path": path,
        "error.type": String(attributes["error.type"]),
      };
      instruments?.sends.add?.(1, labels);
      instruments?.sendDuration.record?.((performance.now() - startedAt) / 1000, labels);
      if (span) {
        span.setAttributes({
          ...attributes,
          "mailpath.outcome": "failed",
          "mailpath.path": path,
          ...(error?.attempts !== undefined && { "mailpath.attempts": error.attempts }),
        });
        span.setStatus({ code: STATUS_ERROR, message: String(attributes["error.type"]) });
      }
      throw caught;
    } finally {
      if (previous) sends.set(message.messageId, previous);
      else sends.delete(message.messageId);
      if (attachAttempts && --recordedInFlight === 0) events.off("attempt", onAttempt);
      span?.end();
    }
  }
}
