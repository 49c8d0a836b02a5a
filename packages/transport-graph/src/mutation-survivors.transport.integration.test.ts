// The Graph transport's send path and its draft + upload-session path, on the wire (issue 17,
// mutation testing): against the emulator's Graph, or a scripted Graph on loopback TLS where
// an answer Graph never gives is needed. Each test fails on the mutants its comment names.
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { type MailMessage, normalizeMessage, type TokenProvider } from "@mailpath/core";
import { rejectedMailError } from "@mailpath/core/testing";
import { useEmulator } from "@mailpath/emulator";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LARGE_ATTACHMENT_BYTES, UPLOAD_CHUNK_BYTES } from "./attachments.js";
import { createGraphTransport, type GraphTransport } from "./index.js";
import {
  allowLargeMessages,
  closedPort,
  DEFAULT_SENDER,
  emulatorTransport,
  recordingFetch,
} from "./test-support/emulator.js";
import { type Loopback, type SeenRequest, startScripted } from "./test-support/loopback.js";

const emulator = useEmulator({ beforeAll, afterAll });
beforeEach(() => emulator.reset({ tenant: true }));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "graph-survivors-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const message = (overrides: Partial<MailMessage> = {}) =>
  normalizeMessage(
    { to: "ada@contoso.com", subject: "Survivors", text: "Hello", ...overrides },
    { from: DEFAULT_SENDER },
  );
const signal = () => new AbortController().signal;

function transportFor(overrides: Parameters<typeof emulatorTransport>[1] = {}): GraphTransport {
  const created = emulatorTransport(emulator, overrides);
  cleanups.push(() => created.close());
  return created;
}

/** Bytes that differ at every offset, so a misplaced chunk changes the delivered hash. */
function pattern(size: number, seed: number): Buffer {
  const buffer = Buffer.alloc(size);
  for (let index = 0; index < size; index++) buffer[index] = (index * seed + (index >> 9)) & 0xff;
  return buffer;
}

/** An unsigned JWT carrying `claims` (verify() only reads the roles). */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ typ: "JWT", alg: "none" })}.${part(claims)}.c2ln`;
}

describe("upload sessions against the emulator", () => {
  // Mutants: the AttachmentItem's name, contentType, isInline and contentId (ObjectLiteral,
  // StringLiteral, ConditionalExpression on the contentId spread) in createUploadSession.
  it("gives Graph each large attachment's name, type, inline flag and content id", async () => {
    allowLargeMessages(emulator);
    const chart = pattern(LARGE_ATTACHMENT_BYTES, 3);
    const report = pattern(LARGE_ATTACHMENT_BYTES + 10, 5);
    const transport = transportFor({ mode: "json" });
    await transport.send(
      normalizeMessage(
        {
          to: "ada@contoso.com",
          subject: "Inline chart",
          html: '<p>See <img src="cid:chart@contoso"></p>',
          attachments: [
            {
              filename: "chart.png",
              content: chart,
              contentType: "image/png",
              contentId: "chart@contoso",
            },
            { filename: "report.pdf", content: report, contentType: "application/pdf" },
          ],
        },
        { from: DEFAULT_SENDER },
      ),
      { signal: signal() },
    );
    const [delivered] = await emulator.waitForMessages(1, { timeoutMs: 30_000 });
    const byName = Object.fromEntries(
      (delivered?.attachments ?? []).map((item) => [item.filename, item]),
    );
    expect(byName["chart.png"]).toMatchObject({
      contentType: "image/png",
      size: chart.length,
      inline: true,
      contentId: "chart@contoso",
    });
    expect(byName["report.pdf"]).toMatchObject({
      contentType: "application/pdf",
      size: report.length,
      inline: false,
    });
    expect(byName["report.pdf"]?.contentId).toBeUndefined();
  }, 60_000);

  // Mutants: the chunk arithmetic (`end`, `offset = end + 1`, the Content-Range text): one
  // byte over a chunk is two PUTs, the second of one byte, and the bytes arrive in order.
  it("uploads one byte over a chunk as two PUTs whose ranges Graph accepts", async () => {
    const bytes = pattern(UPLOAD_CHUNK_BYTES + 1, 11);
    const recorder = recordingFetch();
    const transport = transportFor({ fetch: recorder.fetch });
    await transport.send(message({ attachments: [{ filename: "d.bin", content: bytes }] }), {
      signal: signal(),
    });
    const [delivered] = await emulator.waitForMessages(1, { timeoutMs: 30_000 });
    const { createHash } = await import("node:crypto");
    expect(delivered?.attachments[0]).toMatchObject({
      size: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    });
    const puts = recorder.requests.filter((request) => request.method === "PUT");
    expect(puts.map((request) => [request.bodyBytes, request.status])).toEqual([
      [UPLOAD_CHUNK_BYTES, 200],
      [1, 201],
    ]);
  }, 60_000);

  // Mutants: `offset !== item.size` (ConditionalExpression false, EqualityOperator) and the
  // INVALID_MESSAGE it throws (with its hint): a file that shrinks during the upload is refused, not sent
  // short, and the draft is deleted.
  it("refuses an attachment file that shrinks while it is uploaded, and deletes the draft", async () => {
    const path = join(dir, "shrinking.bin");
    const size = 2 * UPLOAD_CHUNK_BYTES;
    await writeFile(path, pattern(size, 13));
    const recorder = recordingFetch();
    let shrunk = false;
    const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      if (!shrunk && init?.method === "PUT") {
        shrunk = true;
        await truncate(path, UPLOAD_CHUNK_BYTES + 1024 * 1024);
      }
      return recorder.fetch(input, init);
    }) as typeof globalThis.fetch;
    const transport = transportFor({ fetch });
    const sent = message({ attachments: [{ filename: "shrinking.bin", content: { path } }] });
    const error = await rejectedMailError(transport.send(sent, { signal: signal() }));
    expect(error).toMatchObject({
      code: "INVALID_MESSAGE",
      retryable: false,
      transport: "graph",
      messageId: sent.messageId,
      hint: "Do not modify an attachment file while it is being sent.",
    });
    expect(error.message).toContain(`(${UPLOAD_CHUNK_BYTES + 1024 * 1024} of ${size} bytes)`);
    expect(recorder.requests.some((request) => request.method === "DELETE")).toBe(true);
    expect(emulator.messages()).toEqual([]);
  }, 60_000);
});

/** A scripted loopback server (test-support/loopback.ts), closed after the test. */
async function scripted(
  answer: (request: SeenRequest, response: ServerResponse) => void,
): Promise<{ server: Loopback; seen: SeenRequest[] }> {
  const started = await startScripted(emulator, answer);
  cleanups.push(() => started.server.close());
  return started;
}

const json = (response: ServerResponse, status: number, body: unknown, headers = {}) => {
  response.writeHead(status, { "Content-Type": "application/json", ...headers });
  response.end(JSON.stringify(body));
};

const TOKEN = jwt({ roles: ["Mail.Send", "Mail.ReadWrite"] });

function scriptedTransport(
  baseUrl: string,
  overrides: { tokenProvider?: TokenProvider; mailbox?: string; logger?: unknown } = {},
): GraphTransport {
  const created = createGraphTransport({
    tokenProvider: { getToken: async () => TOKEN },
    baseUrl,
    tls: { ca: emulator.ca },
    ...overrides,
  } as Parameters<typeof createGraphTransport>[0]);
  cleanups.push(() => created.close());
  return created;
}

const large = (size = LARGE_ATTACHMENT_BYTES) => [
  {
    filename: "large.bin",
    content: Buffer.alloc(size, 1),
    contentType: "application/x-test",
  },
];

/** An answer without a body. */
const EMPTY = Symbol("empty");

describe("the draft and upload path against a scripted Graph", () => {
  /** A Graph whose draft is `draftId` and whose upload session answers `session`. */
  async function draftGraph(draftId: unknown, session: () => unknown) {
    return scripted((request, response) => {
      if (request.method === "POST" && request.url.endsWith("/attachments/createUploadSession")) {
        const body = session();
        if (body === EMPTY) response.writeHead(201).end();
        else json(response, 201, body);
      } else if (request.method === "POST" && request.url.endsWith("/messages")) {
        if (draftId === EMPTY) response.writeHead(201).end();
        else json(response, 201, draftId === undefined ? {} : { id: draftId });
      } else if (request.method === "POST" && request.url.endsWith("/send")) {
        response.writeHead(202, { "request-id": "send-rid" }).end();
      } else if (request.method === "DELETE") {
        response.writeHead(204).end();
      } else {
        json(response, 500, { error: { code: "Unexpected", message: request.url } });
      }
    });
  }

  // Mutants: the createUploadSession request (path, AttachmentItem fields, attachmentType),
  // the PUT's headers (Content-Type, Content-Length, Content-Range) and the draft id escaped
  // in every later path (encodeURIComponent), and the receipt's request id.
  it("creates the session, PUTs the bytes without the token, then sends the draft", async () => {
    const upload = await scripted((_request, response) => json(response, 201, { id: "att" }));
    const { server, seen } = await draftGraph("AAMk/a+b=", () => ({
      uploadUrl: `${upload.server.url}/up/AAMk?authtoken=s3cr3t`,
    }));
    const transport = scriptedTransport(server.url);
    const receipt = await transport.send(message({ attachments: large() }), {
      signal: signal(),
    });
    expect(receipt.response).toBe("202 Accepted (request-id send-rid)");
    const draft = "/v1.0/users/notifications%40contoso.com/messages/AAMk%2Fa%2Bb%3D";
    expect(seen.map((request) => `${request.method} ${request.url}`)).toEqual([
      "POST /v1.0/users/notifications%40contoso.com/messages",
      `POST ${draft}/attachments/createUploadSession`,
      `POST ${draft}/send`,
    ]);
    expect(JSON.parse(seen[1]?.body ?? "")).toEqual({
      AttachmentItem: {
        attachmentType: "file",
        name: "large.bin",
        size: LARGE_ATTACHMENT_BYTES,
        contentType: "application/x-test",
        isInline: false,
      },
    });
    expect(seen[1]?.headers["content-type"]).toMatch(/^application\/json/);
    const [put] = upload.seen;
    expect(put).toMatchObject({ method: "PUT", url: "/up/AAMk?authtoken=s3cr3t" });
    expect(put?.headers).toMatchObject({
      "content-type": "application/octet-stream",
      "content-length": String(LARGE_ATTACHMENT_BYTES),
      "content-range": `bytes 0-${LARGE_ATTACHMENT_BYTES - 1}/${LARGE_ATTACHMENT_BYTES}`,
    });
    expect(put?.headers.authorization).toBeUndefined();
  });

  // Mutants: `typeof id !== "string"` (ConditionalExpression false) and its SERVER_ERROR (with
  // its hint).
  it("a draft answered without an id is a retryable SERVER_ERROR, and nothing more is asked", async () => {
    const { server, seen } = await draftGraph(undefined, () => ({}));
    const sent = message({ attachments: large() });
    const error = await rejectedMailError(
      scriptedTransport(server.url).send(sent, { signal: signal() }),
    );
    expect(error).toMatchObject({
      code: "SERVER_ERROR",
      retryable: true,
      transport: "graph",
      messageId: sent.messageId,
      hint: "Graph returned an unexpected answer: retry later.",
    });
    expect(error.message).toContain("without an id");
    expect(error.ambiguous).toBeUndefined();
    expect(seen).toHaveLength(1);
  });

  // Mutants: the optional chaining on the draft's and the session's body (`?.id`,
  // `?.uploadUrl`): an answer without a body is the same SERVER_ERROR, not a TypeError.
  it("a draft or an upload session answered without a body is a SERVER_ERROR", async () => {
    const noDraft = await draftGraph(EMPTY, () => ({}));
    const draftError = await rejectedMailError(
      scriptedTransport(noDraft.server.url).send(message({ attachments: large() }), {
        signal: signal(),
      }),
    );
    expect(draftError).toMatchObject({ code: "SERVER_ERROR", retryable: true });
    const noSession = await draftGraph("draft-1", () => EMPTY);
    const sessionError = await rejectedMailError(
      scriptedTransport(noSession.server.url).send(message({ attachments: large() }), {
        signal: signal(),
      }),
    );
    expect(sessionError).toMatchObject({ code: "SERVER_ERROR", retryable: true });
    expect(sessionError.message).toContain("without an uploadUrl");
  });

  // Mutants: `typeof uploadUrl !== "string"` and its SERVER_ERROR (with its hint); the draft is
  // deleted.
  it("an upload session without an uploadUrl is a retryable SERVER_ERROR, and the draft is deleted", async () => {
    const { server, seen } = await draftGraph("draft-1", () => ({ nextExpectedRanges: ["0-"] }));
    const sent = message({ attachments: large() });
    const error = await rejectedMailError(
      scriptedTransport(server.url).send(sent, { signal: signal() }),
    );
    expect(error).toMatchObject({
      code: "SERVER_ERROR",
      retryable: true,
      messageId: sent.messageId,
      hint: "Graph returned an unexpected answer: retry later.",
    });
    expect(error.message).toContain("without an uploadUrl");
    expect(seen.map((request) => request.method)).toEqual(["POST", "POST", "DELETE"]);
    expect(seen[2]?.url).toBe("/v1.0/users/notifications%40contoso.com/messages/draft-1");
  });

  // Mutants: the catch of `new URL(uploadUrl)` (scheme "not a URL") and the host part of the
  // message.
  it("an upload URL that is no URL is refused, saying so, without quoting it", async () => {
    const { server } = await draftGraph("draft-1", () => ({ uploadUrl: "up/load?sig=s3cr3t" }));
    const error = await rejectedMailError(
      scriptedTransport(server.url).send(message({ attachments: large() }), { signal: signal() }),
    );
    expect(error).toMatchObject({ code: "SERVER_ERROR", retryable: false });
    expect(error.message).toContain("is not https:// (not a URL);");
    expect(error.message).not.toContain("s3cr3t");
  });

  // Mutants: the failed PUT's mapping (context: step draft, upload) and the deletion of the
  // draft: a 500 from the upload URL is SERVER_ERROR, not ambiguous (nothing was sent).
  it("a 500 to a PUT is not ambiguous, and the draft is deleted", async () => {
    const upload = await scripted((_request, response) =>
      json(response, 500, { error: { code: "generalException", message: "boom" } }),
    );
    const { server, seen } = await draftGraph("draft-1", () => ({
      uploadUrl: `${upload.server.url}/up`,
    }));
    const sent = message({ attachments: large() });
    const error = await rejectedMailError(
      scriptedTransport(server.url).send(sent, { signal: signal() }),
    );
    expect(error).toMatchObject({
      code: "SERVER_ERROR",
      http: { status: 500, code: "generalException" },
      messageId: sent.messageId,
    });
    expect(error.ambiguous).toBeUndefined();
    expect(seen.map((request) => request.method)).toEqual(["POST", "POST", "DELETE"]);
  });

  // Mutant: the send step of `${base}/send` ("send" → "draft"): a 5xx there is ambiguous.
  it("a 503 to the draft's send is ambiguous", async () => {
    const { server } = await scripted((request, response) => {
      if (request.url.endsWith("/messages")) json(response, 201, { id: "draft-1" });
      else if (request.url.endsWith("/attachments")) json(response, 201, { id: "att" });
      else if (request.method === "DELETE") response.writeHead(204).end();
      else json(response, 503, { error: { code: "ServiceUnavailable", message: "busy" } });
    });
    // Two small attachments that do not fit one request together: a draft, two POSTs, send.
    const half = Buffer.alloc(2_500_000, 2);
    const error = await rejectedMailError(
      scriptedTransport(server.url).send(
        message({
          attachments: [
            { filename: "a.bin", content: half },
            { filename: "b.bin", content: half },
          ],
        }),
        { signal: signal() },
      ),
    );
    expect(error).toMatchObject({ code: "SERVER_ERROR", ambiguous: true });
  });
});

describe("the transport around a send", () => {
  // Mutants: `if (closed)` (ConditionalExpression false), its hint, and close()'s
  // `closed = true`.
  it("refuses to send after close(), without a request, and close() twice is fine", async () => {
    const recorder = recordingFetch();
    const transport = transportFor({ fetch: recorder.fetch });
    await transport.close();
    await transport.close();
    const sent = message();
    const error = await rejectedMailError(transport.send(sent, { signal: signal() }));
    expect(error).toMatchObject({
      code: "ABORTED",
      transport: "graph",
      messageId: sent.messageId,
      hint: "Create a new transport after close().",
    });
    expect(error.message).toContain("closed");
    expect(recorder.requests).toEqual([]);
  });

  // Mutant: `sendOptions?.signal` (OptionalChaining): a send without options is not aborted.
  it("sends when it is given no options at all", async () => {
    const transport = transportFor();
    const receipt = await transport.send(
      message(),
      undefined as unknown as Parameters<GraphTransport["send"]>[1],
    );
    expect(receipt.accepted).toEqual(["ada@contoso.com"]);
  });

  // Mutants: `if (signal.aborted)` (ConditionalExpression false, its block emptied) and its
  // step ("draft": never ambiguous). The HTTP layer refuses an aborted signal too, so what
  // tells them apart is the attachment: read before any request under the mutants (a stream
  // read to its end cannot be sent again), left unread here.
  it("an already aborted signal is ABORTED, not ambiguous, without a request or a read", async () => {
    const recorder = recordingFetch();
    const transport = transportFor({ fetch: recorder.fetch });
    const controller = new AbortController();
    controller.abort();
    const stream = Readable.from([Buffer.from("attachment bytes")]);
    const sent = message({ attachments: [{ filename: "notes.txt", content: stream }] });
    const error = await rejectedMailError(transport.send(sent, { signal: controller.signal }));
    expect(error).toMatchObject({ code: "ABORTED", messageId: sent.messageId });
    expect(error.ambiguous).toBeUndefined();
    expect(stream.readableEnded).toBe(false);
    expect(stream.readableDidRead).toBe(false);
    expect(recorder.requests).toEqual([]);
    expect(emulator.messages()).toEqual([]);
  });

  // Mutants: the receipt (accepted, rejected, the request id in the response) and the
  // mailbox path (`resolved.mailbox ?? from`, encodeURIComponent).
  it("answers with every recipient accepted and Graph's request id, sending through the mailbox", async () => {
    const { server, seen } = await scripted((_request, response) =>
      response.writeHead(202, { "request-id": "rid-1" }).end(),
    );
    const transport = scriptedTransport(server.url, { mailbox: "shared+box@contoso.com" });
    const receipt = await transport.send(
      message({ cc: "grace@contoso.com", bcc: "alan@contoso.com" }),
      { signal: signal() },
    );
    expect(receipt).toEqual({
      accepted: ["ada@contoso.com", "grace@contoso.com", "alan@contoso.com"],
      rejected: [],
      response: "202 Accepted (request-id rid-1)",
    });
    expect(seen.map((request) => request.url)).toEqual([
      "/v1.0/users/shared%2Bbox%40contoso.com/sendMail",
    ]);
    const without = await scripted((_request, response) => response.writeHead(202).end());
    const plain = await scriptedTransport(without.server.url).send(message(), {
      signal: signal(),
    });
    expect(plain.response).toBe("202 Accepted");
  });

  // Mutants: the send step's messageId in the error context, and the request URL a redirect
  // is resolved against (`${baseUrl}/v1.0${path}`).
  it("a redirect to a relative Location names the target on Graph's own origin", async () => {
    const { server } = await scripted((_request, response) =>
      response.writeHead(302, { Location: "/login?next=1" }).end(),
    );
    const sent = message();
    const error = await rejectedMailError(
      scriptedTransport(server.url).send(sent, { signal: signal() }),
    );
    expect(error).toMatchObject({ code: "CONNECTION_FAILED", messageId: sent.messageId });
    expect(error.message).toContain(`redirecting to ${server.url}/login;`);
  });

  // Mutant: the single-flight token request forgetting a failed request (`pending = undefined`
  // in finally): the next send asks again and succeeds.
  it("asks for a token again after the token request failed", async () => {
    const { server } = await scripted((_request, response) => response.writeHead(202).end());
    let calls = 0;
    const transport = scriptedTransport(server.url, {
      tokenProvider: {
        getToken: async () => {
          calls++;
          if (calls === 1) throw new Error("entra is down");
          return TOKEN;
        },
      },
    });
    const error = await rejectedMailError(transport.send(message(), { signal: signal() }));
    expect(error.code).toBe("AUTH_FAILED");
    await transport.send(message(), { signal: signal() });
    expect(calls).toBe(2);
  });

  // Mutants: the logger's onRequest (the spread, its fields and its line).
  it("logs each request at debug with the transport, method, target and status", async () => {
    const { server } = await scripted((_request, response) => response.writeHead(202).end());
    const lines: { fields: Record<string, unknown>; text: string }[] = [];
    const logger = {
      debug: (fields: Record<string, unknown>, text: string) => lines.push({ fields, text }),
      info: () => {},
      warn: () => {},
      error: () => {},
    };
    await scriptedTransport(server.url, { logger }).send(message(), { signal: signal() });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.fields).toMatchObject({
      component: "graph",
      transport: "graph",
      method: "POST",
      target: "/users/notifications%40contoso.com/sendMail",
      status: 202,
    });
    expect(lines[0]?.text).toBe("graph POST /users/notifications%40contoso.com/sendMail 202");
    // A request without an answer is logged with what went wrong instead of a status.
    const refused = scriptedTransport(`https://127.0.0.1:${await closedPort()}`, { logger });
    await rejectedMailError(refused.send(message(), { signal: signal() }));
    expect(lines[1]?.text).toBe(
      "graph POST /users/notifications%40contoso.com/sendMail ECONNREFUSED",
    );
  });
});

describe("verify()", () => {
  const verify = (token: string | (() => Promise<string>)) =>
    createGraphTransport({
      tokenProvider: {
        getToken: typeof token === "string" ? async () => token : token,
      },
      baseUrl: "https://graph.invalid",
    }).verify();

  // Mutants: tokenRoles (not a JWT → nothing to check; no roles → none) and the Mail.Send check.
  it("accepts a token with Mail.Send, and an opaque token it cannot read", async () => {
    await expect(verify(jwt({ roles: ["Mail.Send"] }))).resolves.toBeUndefined();
    await expect(verify("opaque-token")).resolves.toBeUndefined();
  });

  it("refuses a token without Mail.Send, naming the roles it has (or none)", async () => {
    const other = await rejectedMailError(verify(jwt({ roles: ["Mail.Read", "User.Read"] })));
    expect(other).toMatchObject({ code: "PERMISSION_DENIED", transport: "graph" });
    expect(other.message).toContain("(roles: Mail.Read, User.Read)");
    expect(other.hint).toContain("Mail.Send");
    const none = await rejectedMailError(verify(jwt({ scp: "Mail.Send" })));
    expect(none.message).toContain("(roles: none)");
  });

  // Mutant: verify's catch (BlockStatement): the provider's failure as this transport's
  // MailError, with the code send() gives the same failure (it was UNKNOWN here once).
  it("maps a failing token provider to AUTH_FAILED of this transport, as send() does", async () => {
    const failing = async () => {
      throw new Error("no network");
    };
    const error = await rejectedMailError(verify(failing));
    expect(error).toMatchObject({ code: "AUTH_FAILED", retryable: false, transport: "graph" });
    expect(error.message).toContain("no network");
    const sent = await rejectedMailError(
      createGraphTransport({
        tokenProvider: { getToken: failing },
        baseUrl: "https://graph.invalid",
      }).send(
        normalizeMessage({ from: "a@contoso.com", to: "b@contoso.com", subject: "s", text: "t" }),
        { signal: new AbortController().signal },
      ),
    );
    expect(sent.code).toBe(error.code);
  });
});
