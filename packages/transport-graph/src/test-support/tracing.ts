// Test support: spans through the real OpenTelemetry SDK into memory, with async context
// propagation (a span started while another is active is its child) while the test file runs.
import { context, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll } from "vitest";

/** A tracer whose finished spans collect in `spans`, for the test file that calls it. */
export function useMemoryTracer(): {
  readonly spans: InMemorySpanExporter;
  readonly tracer: Tracer;
} {
  const spans = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterAll(() => {
    context.disable();
  });
  return { spans, tracer: provider.getTracer("test") };
}
