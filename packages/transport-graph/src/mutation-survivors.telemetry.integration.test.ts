// An upload PUT that gets no answer, traced (issue 17, mutation testing): the catch around the
// PUT had no test at all. Against the emulator over loopback TLS, real OpenTelemetry SDK.
import { createMailer } from "@mailpath/core";
import { useEmulator } from "@mailpath/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LARGE_ATTACHMENT_BYTES } from "./attachments.js";
import { allowLargeMessages, DEFAULT_SENDER, emulatorTransport } from "./test-support/emulator.js";
import { useMemoryTracer } from "./test-support/tracing.js";

const emulator = useEmulator({ beforeAll, afterAll });
const { spans, tracer } = useMemoryTracer();

describe("a dropped upload PUT", () => {
  // Mutants (large-message.ts:155–158): the mapping of a PUT without an answer (draft step: not
  // ambiguous) and the span's `{ error: mapped }` (ObjectLiteral `{}`: a span without its error).
  it("is a retryable CONNECTION_FAILED that is not ambiguous, and its span carries the error", async () => {
    emulator.reset({ tenant: true });
    allowLargeMessages(emulator);
    const mailer = createMailer({
      transport: emulatorTransport(emulator),
      from: DEFAULT_SENDER,
      circuitBreaker: false,
      // An ambiguous failure would end the send here: a failed PUT must not be one.
      retry: { retryAmbiguous: false },
      sleep: () => Promise.resolve(),
      telemetry: { tracer },
    });
    emulator.failNext({ endpoint: "graph", kind: "drop", pathIncludes: "AttachmentSessions" });
    const result = await mailer.send({
      to: "ada@contoso.com",
      subject: "Dropped PUT",
      text: "attached",
      attachments: [{ filename: "big.bin", content: Buffer.alloc(LARGE_ATTACHMENT_BYTES, 7) }],
    });
    await mailer.close();
    // Attempt 1 failed on the PUT and was retried: it was not ambiguous.
    expect(result.attempts).toBe(2);
    expect(emulator.messages()).toHaveLength(1);

    const puts = spans
      .getFinishedSpans()
      .filter((span) => span.name === "mailpath.graph.upload_chunk");
    const failed = puts.filter((span) => span.status.code === 2);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.attributes["error.type"]).toBe("CONNECTION_FAILED");
    expect(failed[0]?.attributes["http.response.status_code"]).toBeUndefined();
  });
});
