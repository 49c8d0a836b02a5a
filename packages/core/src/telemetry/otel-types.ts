// The parts of @opentelemetry/api the mailer uses, as structural types: core's published types
// do not import the optional peer, so an app without it still type-checks. Real Tracer and
// Meter objects satisfy them.

/** An attribute value as OpenTelemetry takes it. */
export type AttributeValue = string | number | boolean | string[];
/** Span or metric attributes. */
export type Attributes = Record<string, AttributeValue | undefined>;

/** A span, as far as the mailer uses it. */
export interface Span {
  setAttribute(key: string, value: AttributeValue): unknown;
  setAttributes(attributes: Attributes): unknown;
  addEvent(name: string, attributes?: Attributes): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(endTime?: number): void;
  isRecording?(): boolean;
}

/** An OpenTelemetry `Tracer`. */
export interface Tracer {
  startSpan(
    name: string,
    options?: { kind?: number; attributes?: Attributes; startTime?: number },
    context?: unknown,
  ): Span;
}

/** An OpenTelemetry `Counter` or `Histogram`. */
export interface Instrument {
  add?(value: number, attributes?: Attributes): void;
  record?(value: number, attributes?: Attributes): void;
}

/** What an observable callback reports to. */
export interface ObservableResult {
  observe(value: number, attributes?: Attributes): void;
}

/** An OpenTelemetry observable instrument. */
export interface ObservableInstrument {
  addCallback(callback: (result: ObservableResult) => void): void;
  removeCallback(callback: (result: ObservableResult) => void): void;
}

/** An OpenTelemetry `Meter`. */
export interface Meter {
  createCounter(name: string, options?: { description?: string; unit?: string }): Instrument;
  createHistogram(
    name: string,
    options?: {
      description?: string;
      unit?: string;
      advice?: { explicitBucketBoundaries?: number[] };
    },
  ): Instrument;
  createObservableGauge(
    name: string,
    options?: { description?: string; unit?: string },
  ): ObservableInstrument;
}

/** An OpenTelemetry `Context`, as far as the mailer uses it. */
export interface OtelContext {
  getValue(key: symbol): unknown;
  setValue(key: symbol, value: unknown): OtelContext;
}

/** The module `@opentelemetry/api`, as far as the mailer uses it. */
export interface OtelApi {
  trace: {
    getTracer(name: string, version?: string): Tracer;
    setSpan(context: OtelContext, span: Span): OtelContext;
  };
  metrics: { getMeter(name: string, version?: string): Meter };
  /** The API's no-op meter (the one `getMeter` returns when no MeterProvider is registered). */
  createNoopMeter?(): Meter;
  context: { active(): OtelContext; with<R>(context: OtelContext, fn: () => R): R };
  propagation: {
    inject(context: OtelContext, carrier: Record<string, string>): void;
    extract(context: OtelContext, carrier: Record<string, string>): OtelContext;
  };
  ROOT_CONTEXT: OtelContext;
  createContextKey(description: string): symbol;
}
