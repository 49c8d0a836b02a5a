// What both core-overhead benches (index.mjs, telemetry.mjs) send through: a transport that
// does no I/O, one short message, the every-policy mailer options, and the optional OTel SDK.
import { createRequire } from "node:module";

/** A transport that accepts every recipient at once, with limits that never bind. */
export const noopTransport = {
  specificationVersion: "v1",
  name: "noop",
  limits: { maxConcurrency: 1_000_000, maxMessagesPerInterval: 100_000_000, intervalMs: 1_000 },
  async send(message) {
    return { accepted: message.recipients, rejected: [] };
  },
};

export const message = {
  from: "app@contoso.com",
  to: "Ada Lovelace <ada@contoso.com>",
  subject: "Report ready",
  text: "Your report is ready.",
};

/** createMailer options with every policy on (retry, rate limit, breaker, timeout). */
export const everyPolicy = {
  transport: noopTransport,
  retry: { maxAttempts: 3 },
  rateLimit: {},
  circuitBreaker: {},
  timeoutMs: 30_000,
};

/** With TELEMETRY_SDK=1, registers the OTel SDK's providers (spans sampled, no exporter). */
export function registerSdkWhenAsked() {
  if (process.env.TELEMETRY_SDK !== "1") return;
  // The SDK is a dev dependency of core, not of the bench: resolved from there.
  const fromCore = createRequire(new URL("../../packages/core/package.json", import.meta.url));
  const { trace, metrics } = fromCore("@opentelemetry/api");
  const { BasicTracerProvider } = fromCore("@opentelemetry/sdk-trace-base");
  const { MeterProvider } = fromCore("@opentelemetry/sdk-metrics");
  trace.setGlobalTracerProvider(new BasicTracerProvider());
  metrics.setGlobalMeterProvider(new MeterProvider());
}
