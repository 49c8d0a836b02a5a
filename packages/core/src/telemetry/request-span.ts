// Spans of the requests a transport makes inside a traced send (an Entra token fetch, a Graph
// upload-session chunk), and the W3C trace context a queue stores with a job. Both use
// `@opentelemetry/api` only as far as it is already there: a request span needs a send traced
// by a mailer with `telemetry` (which loaded the API), and the trace-context helpers load it
// only when called, which callers do only when their own `telemetry` option is set.
import { MailError } from "../errors/mail-error.js";
import {
  compact,
  errorAttributes,
  loadedOtelApi,
  loadOtelApi,
  type RequestScope,
  requestScopeKey,
} from "./instrumentation.js";
import type { Attributes } from "./otel-types.js";

// SpanKind.CLIENT and SpanStatusCode.ERROR of the API, inlined.
const SPAN_KIND_CLIENT = 2;
const STATUS_ERROR = 2;

/** How a traced request ended. */
export interface RequestSpanOutcome {
  /** The HTTP status of the answer (`http.response.status_code`). */
  readonly status?: number;
  /** The failure: a `MailError` gives its code as `error.type` and its HTTP details. */
  readonly error?: unknown;
  /** More attributes: codes and ids only, never a token, URL query or body. */
  readonly attributes?: Attributes;
}

/**
 * A span of one request made by a transport or token provider.
 * @since 0.1.0
 */
export interface RequestSpan {
  /** Ends the span with the request's outcome (once; later calls do nothing). */
  end(outcome?: RequestSpanOutcome): void;
}

/**
 * Starts a span for one request a transport makes during a send (a token fetch, an upload
 * chunk), as a child of the send's current attempt span. Returns undefined, at the cost of a
 * variable read, unless a mailer with `telemetry` is sending in the current async context:
 * it never loads `@opentelemetry/api`.
 * @param name - the span name (`mailpath.token`, `mailpath.graph.upload_chunk`).
 * @param attributes - `server.address`, `server.port` and the like; nothing secret.
 * @returns the span, or undefined when nothing is traced.
 * @since 0.1.0
 */
export function startRequestSpan(
  name: string,
  attributes: Attributes = {},
): RequestSpan | undefined {
  const otel = loadedOtelApi();
  if (!otel) return undefined;
  const scope = otel.context.active().getValue(requestScopeKey(otel)) as RequestScope | undefined;
  if (!scope) return undefined;
  const span = scope.tracer.startSpan(
    name,
    { kind: SPAN_KIND_CLIENT, attributes: compact(attributes) },
    scope.parent,
  );
  let ended = false;
  return {
    end(outcome = {}) {
      if (ended) return;
      ended = true;
      const { status, error, attributes: more } = outcome;
      const failure: Attributes | undefined =
        error === undefined
          ? undefined
          : MailError.isInstance(error)
            ? errorAttributes(error)
            : { "error.type": errorType(error) };
      span.setAttributes(
        compact({
          ...(status !== undefined && { "http.response.status_code": status }),
          ...more,
          ...failure,
        }),
      );
      if (failure) span.setStatus({ code: STATUS_ERROR, message: String(failure["error.type"]) });
      span.end();
    },
  };
}

/** A non-MailError failure's kind: its errno code (`ECONNRESET`) or class name, never its text. */
function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === "string" && /^[A-Za-z]{1,40}$/.test(name) ? name : "Error";
}

/**
 * The caller's active trace context as propagation headers (W3C `traceparent`, `tracestate`,
 * whatever propagators the app registered), to store with a queued job. Loads
 * `@opentelemetry/api` when it is installed; undefined when it is not, when no propagator is
 * registered or when there is no active span.
 * @returns the carrier, or undefined.
 * @since 0.1.0
 */
export function captureTraceContext(): Record<string, string> | undefined {
  const otel = loadOtelApi();
  if (!otel) return undefined;
  const carrier: Record<string, string> = {};
  otel.propagation.inject(otel.context.active(), carrier);
  return Object.keys(carrier).length > 0 ? carrier : undefined;
}

/**
 * Runs `fn` in the trace context `carrier` describes (from {@link captureTraceContext}), so a
 * send made by `fn` is traced as a child of the span that queued it.
 * @param carrier - propagation headers, or undefined to run `fn` as it is.
 * @param fn - the work.
 * @returns what `fn` returns.
 * @since 0.1.0
 */
export function withTraceContext<R>(carrier: Record<string, string> | undefined, fn: () => R): R {
  if (!carrier) return fn();
  const otel = loadOtelApi();
  if (!otel) return fn();
  return otel.context.with(otel.propagation.extract(otel.context.active(), carrier), fn);
}
