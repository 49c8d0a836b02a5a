import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compareDelivered } from "@mailpath/conformance";
import { type MailError, type MailMessage, normalizeMessage } from "@mailpath/core";
import { rejectedMailError } from "@mailpath/core/testing";
import { useEmulator } from "@mailpath/emulator";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  allowLargeMessages,
  closedPort,
  DEFAULT_CLIENT_ID,
  DEFAULT_SENDER,
  emulatorTransport,
  recordingFetch,
} from "./test-support/emulator.js";

const emulator = useEmulator({ beforeAll, afterAll });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "graph-transport-test-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});
beforeEach(() => emulator.reset({ tenant: true }));

const PIXEL = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

function message(overrides: Partial<MailMessage> = {}) {
  return normalizeMessage(
    { to: "ada@contoso.com", subject: "Graph test", text: "Hello", ...overrides },
    { from: DEFAULT_SENDER },
  );
}

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Bytes that differ at every offset, so a misplaced chunk changes the hash. */
function pattern(size: number, seed: number): Buffer {
  const buffer = Buffer.alloc(size);
  let state = seed;
  for (let index = 0; index < size; index += 4) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    buffer.writeUInt32LE(state, Math.min(index, size - 4));
  }
  return buffer;
}

const signal = () => new AbortController().signal;

/**
 * Sends `sent` through a fresh transport (the emulator's defaults with `overrides`), closes it
 * and returns the MailError the send rejected with.
 */
async function sendError(
  overrides: Parameters<typeof emulatorTransport>[1] = {},
  sent = message(),
): Promise<MailError> {
  const transport = emulatorTransport(emulator, overrides);
  try {
    return await rejectedMailError(transport.send(sent, { signal: signal() }));
  } finally {
    await transport.close();
  }
}

describe("JSON and MIME modes", () => {
  const rich = (): Partial<MailMessage> => ({
    from: "Contoso Notifications <notifications@contoso.com>",
    to: ["Ada Lovelace <ada@contoso.com>", "grace@contoso.com"],
    cc: "alan@contoso.com",
    bcc: "reports@contoso.com",
    replyTo: "help@contoso.com",
    subject: "Quarterly report: Zürich ✓",
    html: '<p>Report attached <img src="cid:logo@contoso"></p>',
    importance: "high",
    headers: { "X-Campaign": "q3-report" },
    attachments: [
      { filename: "report.csv", content: "a,b\n1,2\n", contentType: "text/csv" },
      { filename: "logo.png", content: PIXEL, contentId: "logo@contoso" },
    ],
  });

  it("delivers the same fields whether the message goes as JSON or as MIME", async () => {
    const json = emulatorTransport(emulator, { mode: "json" });
    const mime = emulatorTransport(emulator, { mode: "mime" });
    const viaJson = message({ ...rich(), messageId: "<parity-json@contoso.com>" });
    const viaMime = message({ ...rich(), messageId: "<parity-mime@contoso.com>" });
    await json.send(viaJson, { signal: signal() });
    await mime.send(viaMime, { signal: signal() });
    const [first, second] = await emulator.waitForMessages(2);
    expect(first?.messageId).toBe("<parity-json@contoso.com>");
    expect(second?.messageId).toBe("<parity-mime@contoso.com>");
    expect(compareDelivered(first!, second!, { ignore: ["messageId", "text"] })).toEqual([]);
    expect(first?.bcc.map((address) => address.address)).toEqual(["reports@contoso.com"]);
    expect(second?.headers.bcc).toBeUndefined();
    expect(first?.attachments.find((item) => item.inline)?.contentId).toBe("logo@contoso");
    await Promise.all([json.close(), mime.close()]);
  });

  it("posts MIME as base64 text/plain and JSON as application/json", async () => {
    const recorder = recordingFetch();
    const json = emulatorTransport(emulator, { mode: "json", fetch: recorder.fetch });
    const mime = emulatorTransport(emulator, { mode: "mime", fetch: recorder.fetch });
    await json.send(message(), { signal: signal() });
    await mime.send(message(), { signal: signal() });
    const sends = recorder.requests.filter((request) => request.url.endsWith("/sendMail"));
    expect(sends.map((request) => [request.contentType, request.status])).toEqual([
      ["application/json", 202],
      ["text/plain", 202],
    ]);
    await Promise.all([json.close(), mime.close()]);
  });

  it("keeps List-Unsubscribe and both bodies in MIME mode, and auto mode picks MIME for them", async () => {
    const transport = emulatorTransport(emulator);
    const newsletter = message({
      subject: "Newsletter",
      text: "Plain version",
      html: "<p>HTML version</p>",
      headers: {
        "List-Unsubscribe": "<https://contoso.com/unsubscribe?u=42>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
      },
    });
    expect(transport.modeFor(newsletter)).toBe("mime");
    await transport.send(newsletter, { signal: signal() });
    const [delivered] = await emulator.waitForMessages(1);
    expect(delivered?.headers["list-unsubscribe"]).toBe("<https://contoso.com/unsubscribe?u=42>");
    expect(delivered?.headers["list-unsubscribe-post"]).toBe("List-Unsubscribe=One-Click");
    expect(delivered?.text?.trim()).toBe("Plain version");
    expect(delivered?.html).toContain("HTML version");
    expect(delivered?.messageId).toBe(newsletter.messageId);
    await transport.close();
  });

  it("auto mode sends a message JSON can carry whole as JSON", async () => {
    const recorder = recordingFetch();
    const transport = emulatorTransport(emulator, { fetch: recorder.fetch });
    await transport.send(
      normalizeMessage(
        {
          to: "ada@contoso.com",
          subject: "Graph test",
          html: "<b>hi</b>",
          headers: { "X-Tag": "1" },
        },
        { from: DEFAULT_SENDER },
      ),
      {
        signal: signal(),
      },
    );
    expect(recorder.requests.at(-1)?.contentType).toBe("application/json");
    const [delivered] = await emulator.waitForMessages(1);
    expect(delivered?.headers["x-tag"]).toBe("1");
    await transport.close();
  });

  it("JSON mode drops a non-X- header that Graph would refuse, where MIME keeps it", async () => {
    const transport = emulatorTransport(emulator, { mode: "json" });
    await transport.send(message({ headers: { "List-Id": "<news.contoso.com>" } }), {
      signal: signal(),
    });
    const [delivered] = await emulator.waitForMessages(1);
    expect(delivered?.headers["list-id"]).toBeUndefined();
    await transport.close();
  });

  it("leaves a copy out of Sent Items when saveToSentItems is false (JSON)", async () => {
    const transport = emulatorTransport(emulator, { mode: "json", saveToSentItems: false });
    await transport.send(message(), { signal: signal() });
    const [delivered] = await emulator.waitForMessages(1);
    expect(delivered?.savedToSentItems).toBe(false);
    await transport.close();
  });
});

describe("large messages", () => {
  it("sends 10 MB (from a stream) and 40 MB (from a file) attachments through upload sessions in chunks of at most 4 MB", async () => {
    allowLargeMessages(emulator);
    const ten = pattern(10 * 1024 * 1024, 1);
    const forty = pattern(40 * 1024 * 1024, 2);
    const fortyPath = join(dir, "forty.bin");
    await writeFile(fortyPath, forty);
    const tenPath = join(dir, "ten.bin");
    await writeFile(tenPath, ten);
    const recorder = recordingFetch();
    const transport = emulatorTransport(emulator, { fetch: recorder.fetch });
    const sent = message({
      subject: "Large attachments",
      attachments: [
        { filename: "ten.bin", content: createReadStream(tenPath) },
        { filename: "forty.bin", content: { path: fortyPath } },
        { filename: "notes.txt", content: "small one" },
      ],
    });
    const receipt = await transport.send(sent, { signal: signal() });
    expect(receipt.accepted).toEqual(["ada@contoso.com"]);
    const [delivered] = await emulator.waitForMessages(1, { timeoutMs: 30_000 });
    const byName = Object.fromEntries(delivered!.attachments.map((item) => [item.filename, item]));
    expect(byName["ten.bin"]).toMatchObject({ size: ten.length, sha256: sha256(ten) });
    expect(byName["forty.bin"]).toMatchObject({ size: forty.length, sha256: sha256(forty) });
    expect(byName["notes.txt"]?.size).toBe(9);
    expect(delivered?.messageId).toBe(sent.messageId);

    expect(emulator.stats().maxUploadChunkBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    const puts = recorder.requests.filter((request) => request.method === "PUT");
    expect(puts.length).toBe(
      Math.ceil(ten.length / 3_932_160) + Math.ceil(forty.length / 3_932_160),
    );
    expect(puts.every((request) => request.token === undefined)).toBe(true);
    expect(puts.every((request) => (request.bodyBytes ?? 0) <= 4 * 1024 * 1024)).toBe(true);
    const paths = recorder.requests
      .filter((request) => request.method === "POST")
      .map((request) => new URL(request.url).pathname.replace(/messages\/[^/]+/, "messages/{id}"));
    expect(paths).toEqual([
      "/v1.0/users/notifications%40contoso.com/messages",
      "/v1.0/users/notifications%40contoso.com/messages/{id}/attachments/createUploadSession",
      "/v1.0/users/notifications%40contoso.com/messages/{id}/attachments/createUploadSession",
      "/v1.0/users/notifications%40contoso.com/messages/{id}/attachments",
      "/v1.0/users/notifications%40contoso.com/messages/{id}/send",
    ]);
    await transport.close();
  }, 60_000);

  it("creates the draft from MIME when the message needs it, so a 10 MB attachment message keeps List-Unsubscribe, both bodies and threading", async () => {
    const ten = pattern(10 * 1024 * 1024, 7);
    const recorder = recordingFetch();
    const transport = emulatorTransport(emulator, { fetch: recorder.fetch });
    const sent = message({
      subject: "Large MIME",
      text: "plain body",
      html: "<p>html body</p>",
      headers: { "List-Unsubscribe": "<mailto:unsubscribe@contoso.com>" },
      inReplyTo: "<question@contoso.com>",
      references: ["<thread@contoso.com>"],
      attachments: [
        { filename: "ten.bin", content: ten },
        { filename: "notes.txt", content: "small one" },
      ],
    });
    expect(transport.modeFor(sent)).toBe("mime");
    await transport.send(sent, { signal: signal() });
    const [delivered] = await emulator.waitForMessages(1, { timeoutMs: 30_000 });
    expect(delivered).toMatchObject({
      messageId: sent.messageId,
      subject: "Large MIME",
      text: "plain body",
      html: "<p>html body</p>",
    });
    expect(delivered?.headers["list-unsubscribe"]).toBe("<mailto:unsubscribe@contoso.com>");
    expect(delivered?.headers["in-reply-to"]).toBe("<question@contoso.com>");
    expect(delivered?.headers.references).toBe("<thread@contoso.com>");
    const byName = Object.fromEntries(delivered!.attachments.map((item) => [item.filename, item]));
    expect(byName["ten.bin"]).toMatchObject({ size: ten.length, sha256: sha256(ten) });
    expect(byName["notes.txt"]?.size).toBe(9);

    const puts = recorder.requests.filter((request) => request.method === "PUT");
    expect(puts.length).toBe(Math.ceil(ten.length / 3_932_160));
    expect(puts.every((request) => (request.bodyBytes ?? 0) <= 4 * 1024 * 1024)).toBe(true);
    const posts = recorder.requests.filter((request) => request.method === "POST");
    // The small attachment rides inside the MIME draft; only the large one is uploaded.
    expect(
      posts.map((request) => [
        new URL(request.url).pathname.replace(/messages\/[^/]+/, "messages/{id}"),
        request.contentType,
      ]),
    ).toEqual([
      ["/v1.0/users/notifications%40contoso.com/messages", "text/plain"],
      [
        "/v1.0/users/notifications%40contoso.com/messages/{id}/attachments/createUploadSession",
        "application/json",
      ],
      ["/v1.0/users/notifications%40contoso.com/messages/{id}/send", "application/json"],
    ]);
    await transport.close();
  }, 60_000);

  it("adds small attachments that do not fit the MIME draft one by one, keeping both bodies", async () => {
    const parts = [pattern(2 * 1024 * 1024, 9), pattern(2 * 1024 * 1024, 10)];
    const transport = emulatorTransport(emulator);
    const sent = message({
      text: "plain body",
      html: "<p>html body</p>",
      attachments: parts.map((content, index) => ({ filename: `part${index}.bin`, content })),
    });
    await transport.send(sent, { signal: signal() });
    const [delivered] = await emulator.waitForMessages(1);
    expect(delivered).toMatchObject({ text: "plain body", html: "<p>html body</p>" });
    expect(delivered?.attachments.map((item) => item.sha256)).toEqual(parts.map(sha256));
    await transport.close();
  });

  it("creates a JSON draft for a large message that JSON carries whole", async () => {
    const recorder = recordingFetch();
    const transport = emulatorTransport(emulator, { fetch: recorder.fetch });
    const sent = message({
      attachments: [{ filename: "big.bin", content: pattern(3_200_000, 8) }],
    });
    expect(transport.modeFor(sent)).toBe("json");
    await transport.send(sent, { signal: signal() });
    const draft = recorder.requests.find((request) => request.url.endsWith("/messages"));
    expect(draft?.contentType).toBe("application/json");
    const [delivered] = await emulator.waitForMessages(1);
    expect(delivered?.messageId).toBe(sent.messageId);
    await transport.close();
  });

  it("goes through a draft when small attachments together pass 4 MB", async () => {
    const transport = emulatorTransport(emulator);
    const parts = [pattern(2 * 1024 * 1024, 3), pattern(2 * 1024 * 1024, 4)];
    await transport.send(
      message({
        attachments: parts.map((content, index) => ({ filename: `part${index}.bin`, content })),
      }),
      { signal: signal() },
    );
    const [delivered] = await emulator.waitForMessages(1);
    expect(delivered?.attachments.map((item) => item.sha256)).toEqual(parts.map(sha256));
    await transport.close();
  });

  it("answers PERMISSION_DENIED naming Mail.ReadWrite when the app may only send", async () => {
    emulator.configure({
      apps: emulator.tenant.apps.map((app) => ({ ...app, permissions: ["Mail.Send"] })),
    });
    const transport = emulatorTransport(emulator);
    const error = await rejectedMailError(
      transport.send(
        message({ attachments: [{ filename: "big.bin", content: pattern(3_200_000, 5) }] }),
        {
          signal: signal(),
        },
      ),
    );
    expect(error.code).toBe("PERMISSION_DENIED");
    expect(error.hint).toContain("Mail.ReadWrite");
    expect(error.http).toMatchObject({ status: 403, code: "ErrorAccessDenied" });
    expect(error.retryable).toBe(false);
    await transport.close();
  });

  it("deletes its draft when an upload fails", async () => {
    const recorder = recordingFetch();
    const transport = emulatorTransport(emulator, { fetch: recorder.fetch });
    emulator.failNext({
      endpoint: "graph",
      kind: "reply",
      status: 500,
      pathIncludes: "AttachmentSessions",
    });
    const error = await rejectedMailError(
      transport.send(
        message({ attachments: [{ filename: "big.bin", content: pattern(3_200_000, 6) }] }),
        {
          signal: signal(),
        },
      ),
    );
    expect(error.code).toBe("SERVER_ERROR");
    // Nothing was sent yet: a failed upload is not ambiguous.
    expect(error.ambiguous).toBeUndefined();
    const draft = recorder.requests.find((request) => request.url.endsWith("/messages"));
    const deletion = recorder.requests.find((request) => request.method === "DELETE");
    expect(draft?.status).toBe(201);
    expect(deletion?.status).toBe(204);
    expect(emulator.messages()).toEqual([]);
    await transport.close();
  });
});

describe("tokens", () => {
  it("fetches one token for 100 sends", async () => {
    const transport = emulatorTransport(emulator);
    for (let index = 0; index < 100; index++) {
      await transport.send(message({ subject: `Token reuse ${index}` }), { signal: signal() });
    }
    await emulator.waitForMessages(100);
    expect(emulator.stats().tokensIssued).toBe(1);
    await transport.close();
  }, 60_000);

  it("fetches one token for 10 concurrent first sends", async () => {
    emulator.configure({ limits: { graphConcurrentRequests: 10 } });
    const transport = emulatorTransport(emulator);
    await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        transport.send(message({ subject: `Concurrent ${index}` }), { signal: signal() }),
      ),
    );
    await emulator.waitForMessages(10);
    expect(emulator.stats().tokensIssued).toBe(1);
    await transport.close();
  });

  it("reads a custom token provider's own failure as AUTH_FAILED, sending nothing", async () => {
    const error = await sendError({
      clientSecret: undefined,
      tokenProvider: {
        getToken: async () => {
          throw new Error("vault unreachable");
        },
      },
    });
    expect(error).toMatchObject({ code: "AUTH_FAILED", transport: "graph" });
    expect(error.message).toContain("vault unreachable");
    expect(emulator.stats().requests.graph).toBe(0);
  });

  it("gets a new token after a 401 and sends with it", async () => {
    const recorder = recordingFetch();
    const transport = emulatorTransport(emulator, { fetch: recorder.fetch });
    await transport.send(message(), { signal: signal() });
    emulator.failNext({
      endpoint: "graph",
      kind: "reply",
      status: 401,
      errorCode: "InvalidAuthenticationToken",
      errorMessage: "Access token has expired or is not yet valid.",
    });
    await transport.send(message(), { signal: signal() });
    expect(emulator.stats().tokensIssued).toBe(2);
    const statuses = recorder.requests.map((request) => request.status);
    expect(statuses).toEqual([202, 401, 202]);
    await transport.close();
  });

  it("authenticates with a client certificate against the token endpoint", async () => {
    const { cert, key } = await emulator.issueClientCertificate("mailpath-graph-test");
    emulator.configure({
      apps: emulator.tenant.apps.map((app) => ({ ...app, secrets: [], certificates: [cert] })),
    });
    const transport = emulatorTransport(emulator, {
      clientSecret: undefined,
      clientCertificate: { privateKey: key, certificate: cert },
    });
    await transport.verify();
    await transport.send(message({ subject: "Certificate credential" }), { signal: signal() });
    const [delivered] = await emulator.waitForMessages(1);
    expect(delivered?.submittedBy?.toLowerCase()).toBe(DEFAULT_CLIENT_ID.toLowerCase());
    await transport.close();
  });
});

describe("errors", () => {
  const fault = (status: number, errorCode: string, extra: Record<string, unknown> = {}) =>
    emulator.failNext({ endpoint: "graph", kind: "reply", status, errorCode, ...extra });

  it("maps a second 401 to AUTH_FAILED after one refresh", async () => {
    emulator.inject({
      endpoint: "graph",
      kind: "reply",
      status: 401,
      errorCode: "InvalidAuthenticationToken",
      count: 2,
    });
    const error = await sendError();
    expect(error.code).toBe("AUTH_FAILED");
    expect(error.retryable).toBe(false);
    expect(error.http).toMatchObject({ status: 401, code: "InvalidAuthenticationToken" });
    expect(error.http?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(emulator.stats().tokensIssued).toBe(2);
  });

  it("maps 403 ErrorSendAsDenied to SEND_AS_DENIED", async () => {
    const error = await sendError(
      { mailbox: DEFAULT_SENDER },
      message({ from: "grace@contoso.com" }),
    );
    expect(error).toMatchObject({
      code: "SEND_AS_DENIED",
      retryable: false,
      transport: "graph",
      http: { status: 403, code: "ErrorSendAsDenied" },
    });
    expect(emulator.stats().requests.graph).toBeGreaterThan(0); // it was refused, not skipped
    expect(emulator.messages()).toEqual([]);
  });

  it("maps 403 ErrorAccessDenied (mailbox outside the app's scope) to PERMISSION_DENIED", async () => {
    emulator.configure({
      apps: emulator.tenant.apps.map((app) => ({ ...app, mailboxes: ["reports@contoso.com"] })),
    });
    const error = await sendError();
    expect(error).toMatchObject({
      code: "PERMISSION_DENIED",
      retryable: false,
      http: { status: 403, code: "ErrorAccessDenied" },
    });
    expect(error.hint).toMatch(/Mail\.Send/);
  });

  it("maps 404 MailboxNotEnabledForRESTAPI (unlicensed mailbox) to MAILBOX_UNAVAILABLE", async () => {
    emulator.configure({
      mailboxes: emulator.tenant.mailboxes.map((mailbox) =>
        mailbox.address === DEFAULT_SENDER ? { ...mailbox, licensed: false } : mailbox,
      ),
    });
    expect(await sendError()).toMatchObject({
      code: "MAILBOX_UNAVAILABLE",
      http: { status: 404, code: "MailboxNotEnabledForRESTAPI" },
    });
  });

  it("maps 413 and ErrorMessageSizeExceeded to MESSAGE_TOO_LARGE", async () => {
    const transport = emulatorTransport(emulator);
    fault(413, "RequestEntityTooLarge");
    expect(await rejectedMailError(transport.send(message(), { signal: signal() }))).toMatchObject({
      code: "MESSAGE_TOO_LARGE",
      retryable: false,
      http: { status: 413 },
    });
    fault(400, "ErrorMessageSizeExceeded");
    expect(await rejectedMailError(transport.send(message(), { signal: signal() }))).toMatchObject({
      code: "MESSAGE_TOO_LARGE",
      http: { status: 400, code: "ErrorMessageSizeExceeded" },
    });
    await transport.close();
  });

  it("maps 429 to THROTTLED with retryAfterMs from Retry-After", async () => {
    fault(429, "ApplicationThrottled", { retryAfterSeconds: 7 });
    const error = await sendError();
    expect(error).toMatchObject({
      code: "THROTTLED",
      retryable: true,
      retryAfterMs: 7000,
      http: { status: 429, code: "ApplicationThrottled" },
    });
    expect(error.ambiguous).toBeUndefined();
  });

  it("marks a 5xx answer to sendMail retryable and ambiguous", async () => {
    fault(503, "ServiceUnavailable");
    expect(await sendError()).toMatchObject({
      code: "SERVER_ERROR",
      retryable: true,
      ambiguous: true,
      http: { status: 503 },
    });
  });

  it("marks a connection dropped after the request was sent as retryable and ambiguous", async () => {
    emulator.failNext({ endpoint: "graph", kind: "drop", stage: "after-data" });
    const sent = message();
    expect(await sendError({}, sent)).toMatchObject({
      code: "CONNECTION_FAILED",
      retryable: true,
      ambiguous: true,
      messageId: sent.messageId,
    });
    // The request took effect before the connection dropped: that is why it is ambiguous.
    expect(emulator.messages()).toHaveLength(1);
  });

  it("marks a request that outlives requestTimeoutMs as TIMEOUT, retryable and ambiguous", async () => {
    const transport = emulatorTransport(emulator, { requestTimeoutMs: 200 });
    // Warm up the token first so only the Graph request is timed.
    await transport.verify();
    emulator.failNext({ endpoint: "graph", kind: "latency", ms: 2_000 });
    const error = await rejectedMailError(transport.send(message(), { signal: signal() }));
    expect(error).toMatchObject({ code: "TIMEOUT", retryable: true, ambiguous: true });
    // Graph carried on after the client gave up: the message is delivered all the same.
    expect(await emulator.waitForMessages(1, { timeoutMs: 5_000 })).toHaveLength(1);
    await transport.close();
  });

  it("does not call a refused connection ambiguous", async () => {
    const error = await sendError({ baseUrl: `https://127.0.0.1:${await closedPort()}` });
    expect(error).toMatchObject({ code: "CONNECTION_FAILED", retryable: true });
    expect(error.ambiguous).toBeUndefined();
  });

  it("rejects with TLS_ERROR when the emulator's CA is not trusted", async () => {
    const error = await sendError({
      tls: {},
      tokenProvider: { getToken: async () => "x.y.z" },
      clientSecret: undefined,
    });
    expect(error.code).toBe("TLS_ERROR");
  });

  it("aborts an in-flight send with ABORTED", async () => {
    const transport = emulatorTransport(emulator);
    await transport.verify();
    emulator.failNext({ endpoint: "graph", kind: "latency", ms: 2_000 });
    const controller = new AbortController();
    const sending = transport.send(message(), { signal: controller.signal });
    // Aborted once the emulator holds the message and its answer waits out the latency: the
    // request had left, and aborting it cannot take the message back. (An abort after a fixed
    // 50 ms could come before the request arrived on a loaded machine, and nothing was stored.)
    expect(await emulator.waitForMessages(1, { timeoutMs: 10_000 })).toHaveLength(1);
    controller.abort();
    const error = await rejectedMailError(sending);
    expect(error.code).toBe("ABORTED");
    expect(error.ambiguous).toBe(true);
    await transport.close();
  });

  it("verify() fails with PERMISSION_DENIED when the app has no Mail.Send", async () => {
    emulator.configure({
      apps: emulator.tenant.apps.map((app) => ({ ...app, permissions: ["Mail.ReadWrite"] })),
    });
    const transport = emulatorTransport(emulator);
    const error = await rejectedMailError(transport.verify());
    expect(error.code).toBe("PERMISSION_DENIED");
    expect(error.hint).toContain("Mail.Send");
    await transport.close();
  });
});
