// Renders docs/observability.md's trace: one Graph send through the emulator (loopback TLS),
// traced with the OpenTelemetry SDK's in-memory exporter, whose first attempt fails on an
// upload-session PUT (500) and whose second delivers. Prints the waterfall and writes the same
// trace as Jaeger JSON (`/api/traces` shape) to docs/observability-trace.jaeger.json.
// The emulator runs in a child process (bench/emulator-process.mjs), as Graph runs elsewhere:
// only the client's work shares this process.
//
//   pnpm build && node scripts/observability-trace.mjs
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { forkEmulator } from "../bench/emulator-process.mjs";

// The SDK and the emulator are dev dependencies of the Graph transport: resolved from there.
const require = createRequire(new URL("../packages/transport-graph/package.json", import.meta.url));
const load = (name) => import(require.resolve(name));
const { context, trace } = await load("@opentelemetry/api");
const { AsyncLocalStorageContextManager } = await load("@opentelemetry/context-async-hooks");
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await load(
  "@opentelemetry/sdk-trace-base",
);
const { createMailer } = await load("@mailpath/core");
const { DEFAULT_SENDER } = await load("@mailpath/emulator");
const { createGraphTransport } = await import(
  new URL("../packages/transport-graph/dist/index.js", import.meta.url).href
);

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer("notification-service");

const emulator = await forkEmulator({}, { maxSendBytes: 150 * 1024 * 1024 });
const transport = createGraphTransport(emulator.graphApp);
const mailer = createMailer({
  transport,
  from: DEFAULT_SENDER,
  retry: { baseDelayMs: 200, maxDelayMs: 200, random: () => 0.5 },
  telemetry: { tracer },
});
await emulator.failNext({
  endpoint: "graph",
  kind: "reply",
  status: 500,
  pathIncludes: "AttachmentSessions",
});
const request = tracer.startSpan("POST /reports/send");
await context.with(trace.setSpan(context.active(), request), () =>
  mailer.send({
    to: "ada@contoso.com",
    subject: "Quarterly report",
    text: "Attached.",
    attachments: [{ filename: "report.pdf", content: Buffer.alloc(4_000_000, 1) }],
  }),
);
request.end();
await mailer.close();
await emulator.stop();

const spans = exporter.getFinishedSpans();
const micros = ([seconds, nanos]) => seconds * 1e6 + Math.round(nanos / 1e3);
const start = Math.min(...spans.map((span) => micros(span.startTime)));
const end = Math.max(...spans.map((span) => micros(span.endTime)));
const width = 50;
const depth = (span) => {
  let level = 0;
  for (let parent = span.parentSpanContext?.spanId; parent; level++) {
    parent = spans.find((other) => other.spanContext().spanId === parent)?.parentSpanContext
      ?.spanId;
  }
  return level;
};
const shown = {
  "mailpath.attempt": [
    "mailpath.attempt",
    "mailpath.outcome",
    "error.type",
    "mailpath.retry.delay_ms",
  ],
  "mailpath.send": ["mailpath.outcome", "mailpath.attempts"],
  "mailpath.token": ["server.address", "http.response.status_code"],
  "mailpath.graph.upload_chunk": [
    "mailpath.graph.upload.offset",
    "mailpath.graph.upload.bytes",
    "http.response.status_code",
    "error.type",
  ],
};
const ordered = [...spans].sort((a, b) => micros(a.startTime) - micros(b.startTime));
for (const span of ordered) {
  const from = Math.floor(((micros(span.startTime) - start) / (end - start)) * width);
  const to = Math.max(
    from + 1,
    Math.ceil(((micros(span.endTime) - start) / (end - start)) * width),
  );
  const bar = " ".repeat(from) + "█".repeat(to - from) + " ".repeat(width - to);
  const name = `${"  ".repeat(depth(span))}${span.name}`.padEnd(34);
  const ms = `${Math.round((micros(span.endTime) - micros(span.startTime)) / 1000)} ms`.padStart(7);
  const attributes = (shown[span.name] ?? [])
    .filter((key) => span.attributes[key] !== undefined)
    .map((key) => `${key.replace(/^mailpath\.(graph\.upload\.)?/, "")}=${span.attributes[key]}`)
    .join(" ");
  console.log(`${name}|${bar}| ${ms}  ${attributes}`.trimEnd());
}

const tags = (attributes) =>
  Object.entries(attributes).map(([key, value]) => ({
    key,
    type: typeof value === "number" ? "int64" : typeof value === "boolean" ? "bool" : "string",
    value,
  }));
const traceId = spans[0].spanContext().traceId;
const jaeger = {
  data: [
    {
      traceID: traceId,
      spans: ordered.map((span) => ({
        traceID: traceId,
        spanID: span.spanContext().spanId,
        operationName: span.name,
        references: span.parentSpanContext
          ? [{ refType: "CHILD_OF", traceID: traceId, spanID: span.parentSpanContext.spanId }]
          : [],
        startTime: micros(span.startTime),
        duration: micros(span.endTime) - micros(span.startTime),
        tags: [
          ...tags(span.attributes),
          {
            key: "span.kind",
            type: "string",
            value: ["internal", "server", "client"][span.kind] ?? "internal",
          },
          ...(span.status.code === 2 ? [{ key: "error", type: "bool", value: true }] : []),
        ],
        processID: "p1",
      })),
      processes: { p1: { serviceName: "notification-service", tags: [] } },
    },
  ],
};
const out = new URL("../docs/observability-trace.jaeger.json", import.meta.url);
writeFileSync(out, `${JSON.stringify(jaeger, null, 2)}\n`);
console.log(`\nJaeger JSON: ${out.pathname}`);
