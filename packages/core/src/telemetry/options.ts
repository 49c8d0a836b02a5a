import type { Meter, Tracer } from "./otel-types.js";

/**
 * OpenTelemetry settings of `createMailer`. `@opentelemetry/api` is an optional peer
 * dependency: it is loaded only when this option is given, and when it is not installed the
 * mailer runs without telemetry. No SDK is ever loaded by mailpath: register yours (NodeSDK,
 * or a TracerProvider and MeterProvider) and the mailer uses the global providers.
 * @since 0.1.0
 */
export interface TelemetryOptions {
  /** Where spans go. @default trace.getTracer("@mailpath/core") of the global provider */
  readonly tracer?: Tracer;
  /** Where metrics go. @default metrics.getMeter("@mailpath/core") of the global provider */
  readonly meter?: Meter;
  /**
   * Put full addresses (sender, recipients) on spans and the sender mailbox on metrics.
   * Off, only the sender's domain is recorded.
   * @default false
   */
  readonly recordAddresses?: boolean;
}
