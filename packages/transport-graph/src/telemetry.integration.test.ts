// A Graph send with a large attachment, traced through the real OpenTelemetry SDK (in-memory
// exporter) against the emulator over loopback TLS: the Entra token request and each upload
// session PUT are spans under the attempt that made them, with host, port, range, HTTP status,
// request-id and error.type, and without the upload URL's credential or any secret.
import { createMailer } from "@mailpath/core";
import { useEmulator } from "@mailpath/emulator";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UPLOAD_CHUNK_BYTES } from "./attachments.js";
import {
  allowLargeMessages,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_SENDER,
  emulatorTransport,
  recordingFetch,
} from "./test-support/emulator.js";
import { useMemoryTracer } from "./test-support/tracing.js";

const emulator = useEmulator({ beforeAll, afterAll });
const { spans, tracer } = useMemoryTracer();

describe("Graph spans", () => {
  it("a token span and one span per upload PUT under each attempt; a failed PUT carries its 500 and error.type", async () => {
    emulator.reset({ tenant: true });
    allowLargeMessages(emulator);
    const recorder = recordingFetch();
    const transport = emulatorTransport(emulator, { fetch: recorder.fetch });
    const mailer = createMailer({
      transport,
      from: DEFAULT_SENDER,
      circuitBreaker: false,
      sleep: () => Promise.resolve(),
      telemetry: { tracer },
    });
    // The first PUT of attempt 1 fails; attempt 2 uploads both chunks and sends.
    emulator.failNext({
      endpoint: "graph",
      kind: "reply",
      status: 500,
      pathIncludes: "AttachmentSessions",
    });
    const size = UPLOAD_CHUNK_BYTES + 67_840;
    const result = await mailer.send({
      to: "ada@contoso.com",
      subject: "Quarterly figures",
      text: "attached",
      attachments: [{ filename: "figures.bin", content: Buffer.alloc(size, 7) }],
    });
    await mailer.close();
    expect(result.attempts).toBe(2);

    const finished = spans.getFinishedSpans();
    const [send] = finished.filter((span) => span.name === "mailpath.send");
    const attempt = (n: number) =>
      finished.find(
        (span) =>
          span.name === "mailpath.attempt" &&
          span.parentSpanContext?.spanId === send?.spanContext().spanId &&
          span.attributes["mailpath.attempt"] === n,
      );
    const childrenOf = (parent: ReadableSpan | undefined, name: string) =>
      finished
        .filter(
          (span) =>
            span.name === name && span.parentSpanContext?.spanId === parent?.spanContext().spanId,
        )
        .sort(
          (a, b) =>
            Number(a.attributes["mailpath.graph.upload.offset"]) -
            Number(b.attributes["mailpath.graph.upload.offset"]),
        );
    const first = attempt(1);
    const second = attempt(2);
    expect(first).toBeDefined();
    expect(second).toBeDefined();

    const uploads = recorder.requests.filter((request) =>
      request.url.includes("AttachmentSessions"),
    );
    expect(uploads.length).toBeGreaterThan(0);
    // The upload session's own host (Graph hands out its URL), not baseUrl's.
    const graph = new URL(uploads[0]!.url);
    const entra = new URL(emulator.entra.authorityHost);
    // The token is fetched once, by the first attempt, and cached for the second.
    const tokens = childrenOf(first, "mailpath.token");
    expect(tokens).toHaveLength(1);
    expect(tokens[0]?.attributes).toMatchObject({
      "server.address": entra.hostname,
      "server.port": Number(entra.port),
      "http.response.status_code": 200,
    });
    expect(childrenOf(second, "mailpath.token")).toHaveLength(0);

    const failedPuts = childrenOf(first, "mailpath.graph.upload_chunk");
    expect(failedPuts).toHaveLength(1);
    expect(failedPuts[0]?.attributes).toMatchObject({
      "server.address": graph.hostname,
      "server.port": Number(graph.port),
      "mailpath.graph.upload.size": size,
      "mailpath.graph.upload.offset": 0,
      "mailpath.graph.upload.bytes": UPLOAD_CHUNK_BYTES,
      "http.response.status_code": 500,
      "error.type": "SERVER_ERROR",
    });
    expect(failedPuts[0]?.status.code).toBe(2);

    const puts = childrenOf(second, "mailpath.graph.upload_chunk");
    expect(puts.map((span) => span.attributes["mailpath.graph.upload.offset"])).toEqual([
      0,
      UPLOAD_CHUNK_BYTES,
    ]);
    expect(puts.map((span) => span.attributes["mailpath.graph.upload.bytes"])).toEqual([
      UPLOAD_CHUNK_BYTES,
      67_840,
    ]);
    for (const put of puts) {
      expect(put.kind).toBe(2);
      expect(put.status.code).toBe(0);
      expect(put.attributes["error.type"]).toBeUndefined();
      expect([200, 201]).toContain(put.attributes["http.response.status_code"]);
      expect(typeof put.attributes["mailpath.graph.request_id"]).toBe("string");
    }

    // Nothing secret: no upload URL (its query is a credential), no token, no client secret.
    const dump = JSON.stringify(finished.map((span) => [span.name, span.attributes, span.events]));
    expect(dump).not.toContain(DEFAULT_CLIENT_SECRET);
    expect(dump).not.toContain("AttachmentSessions");
    for (const upload of uploads) {
      const query = new URL(upload.url).search;
      if (query.length > 1) expect(dump).not.toContain(query.slice(1));
    }
    expect(dump).not.toContain("eyJ");
  });
});
