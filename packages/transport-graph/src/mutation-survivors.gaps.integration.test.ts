// The graph-transport mutation gaps of issue 17 (scripts/mutation/survivors/graph-transport.md,
// "Gaps"): what a send puts on the wire in the cases no other test reaches, against a scripted
// Graph on loopback TLS that answers as Graph does (413 for a body over 4 MB). Each test names
// the mutants it fails on.
import { readdirSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import {
  type MailMessage,
  type NormalizedMessage,
  normalizeMessage,
  type TokenProvider,
} from "@mailpath/core";
import { rejectedMailError } from "@mailpath/core/testing";
import { useEmulator } from "@mailpath/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { LARGE_ATTACHMENT_BYTES, MAX_REQUEST_BYTES, resolveAttachments } from "./attachments.js";
import { createGraphTransport, type GraphTransport } from "./index.js";
import { attachmentPostBytes } from "./json-message.js";
import { DEFAULT_SENDER } from "./test-support/emulator.js";
import { type Loopback, type SeenRequest, startScripted } from "./test-support/loopback.js";

const emulator = useEmulator({ beforeAll, afterAll });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const message = (overrides: Partial<MailMessage> = {}) =>
  normalizeMessage(
    { to: "ada@contoso.com", subject: "Gaps", text: "Hello", ...overrides },
    { from: DEFAULT_SENDER },
  );
const signal = () => new AbortController().signal;

/** Bytes that differ from offset to offset (binary: MIME encodes them as base64). */
function pattern(size: number, seed: number): Buffer {
  const buffer = Buffer.alloc(size);
  for (let index = 0; index < size; index++) buffer[index] = (index * seed + (index >> 9)) & 0xff;
  return buffer;
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** A scripted loopback server (test-support/loopback.ts), closed after the test. */
async function scripted(
  answer: (request: SeenRequest, response: ServerResponse) => void,
): Promise<{ server: Loopback; seen: SeenRequest[] }> {
  const started = await startScripted(emulator, answer);
  cleanups.push(() => started.server.close());
  return started;
}

const json = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { "Content-Type": "application/json" });
  response.end(JSON.stringify(body));
};

function transportFor(
  baseUrl: string,
  overrides: { mode?: "json" | "mime"; tokenProvider?: TokenProvider; logger?: unknown } = {},
): GraphTransport {
  const created = createGraphTransport({
    tokenProvider: { getToken: async () => "opaque-test-token" },
    baseUrl,
    tls: { ca: emulator.ca },
    ...overrides,
  } as Parameters<typeof createGraphTransport>[0]);
  cleanups.push(() => created.close());
  return created;
}

const USER = "/v1.0/users/notifications%40contoso.com";
const DRAFT = `${USER}/messages/draft-1`;

/**
 * A Graph with the limits that matter here: a request body over 4 MB is a 413, the draft's
 * send action takes an empty body (400 otherwise). sendMail, drafts, attachment POSTs, upload
 * sessions (to a second server) and deletions succeed unless `draftStatus` says otherwise.
 */
async function strictGraph(options: { draftStatus?: number; onDraft?: () => void } = {}) {
  const upload = await scripted((request, response) => {
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(request.headers["content-range"]));
    const last = range !== null && Number(range[2]) + 1 === Number(range[3]);
    json(response, last ? 201 : 200, {});
  });
  const graph = await scripted((request, response) => {
    const { method, url } = request;
    if (request.bytes > MAX_REQUEST_BYTES) {
      json(response, 413, { error: { code: "RequestEntityTooLarge", message: "too large" } });
    } else if (method === "POST" && url.endsWith("/sendMail")) {
      response.writeHead(202).end();
    } else if (method === "POST" && url.endsWith("/messages")) {
      options.onDraft?.();
      if (options.draftStatus) {
        json(response, options.draftStatus, { error: { code: "Boom", message: "no draft" } });
      } else json(response, 201, { id: "draft-1" });
    } else if (method === "POST" && url.endsWith("/attachments/createUploadSession")) {
      json(response, 201, { uploadUrl: `${upload.server.url}/up/draft-1?sig=s3cr3t` });
    } else if (method === "POST" && url.endsWith("/attachments")) {
      json(response, 201, { id: "attachment-1" });
    } else if (method === "POST" && url.endsWith("/send")) {
      if (request.bytes === 0) response.writeHead(202).end();
      else json(response, 400, { error: { code: "BadRequest", message: "unexpected body" } });
    } else if (method === "DELETE") {
      response.writeHead(204).end();
    } else {
      json(response, 500, { error: { code: "Unexpected", message: `${method} ${url}` } });
    }
  });
  const requests = () => graph.seen.map((request) => `${request.method} ${request.url}`);
  return { graph, upload, requests };
}

/** The MIME message a base64 request body carries, as text. */
const mimeOf = (body: string) => Buffer.from(body, "base64").toString("latin1");
/** The Content-Disposition lines of a MIME message (one per attachment). */
const dispositions = (mime: string) =>
  mime.split("\r\n").filter((line) => /^content-disposition:/i.test(line));

describe("which path a message takes", () => {
  // Mutants (transport.ts:232): the large-attachment predicate made `true`, and
  // `item.size < LARGE_ATTACHMENT_BYTES`: a small attachment would send the message through
  // a draft (which needs Mail.ReadWrite) instead of one sendMail request.
  it("sends a message with a small attachment in ONE sendMail request that carries it", async () => {
    const { graph, requests } = await strictGraph();
    const bytes = pattern(1024, 3);
    await transportFor(graph.server.url).send(
      message({ attachments: [{ filename: "small.bin", content: bytes }] }),
      { signal: signal() },
    );
    expect(requests()).toEqual([`POST ${USER}/sendMail`]);
    const body = JSON.parse(graph.seen[0]?.body ?? "");
    expect(body.message.attachments).toMatchObject([
      { name: "small.bin", contentBytes: bytes.toString("base64") },
    ]);
  });

  // Mutant (transport.ts:188): sendSmall's MIME length check made `false`. In MIME mode a
  // 2.6 MB attachment passes the JSON estimate (3.5 MB) but its base64 MIME is 4.7 MB: the
  // mutant POSTs that to sendMail (413); the draft path carries it.
  it("MIME mode: a message whose base64 MIME is over 4 MB goes through a draft", async () => {
    const { graph, requests } = await strictGraph();
    const bytes = pattern(2_600_000, 5);
    const receipt = await transportFor(graph.server.url, { mode: "mime" }).send(
      message({ attachments: [{ filename: "big.bin", content: bytes }] }),
      { signal: signal() },
    );
    expect(receipt.response).toBe("202 Accepted");
    expect(requests()).toEqual([
      `POST ${USER}/messages`,
      `POST ${DRAFT}/attachments`,
      `POST ${DRAFT}/send`,
    ]);
    expect(graph.seen[0]?.headers["content-type"]).toMatch(/^text\/plain/);
    expect(JSON.parse(graph.seen[1]?.body ?? "")).toMatchObject({
      name: "big.bin",
      contentBytes: bytes.toString("base64"),
    });
  });
});

describe("the MIME draft", () => {
  // Mutants (large-message.ts): 199 `item.size > LARGE_ATTACHMENT_BYTES` (the exactly-3 MB
  // attachment in neither list: silently dropped), 198 `item.size <= LARGE_ATTACHMENT_BYTES`
  // (in both lists: its estimate pushes the small one out of the MIME), 201 `* 4 * 4 * 9` (an
  // estimate 81 times too big: the small one always POSTed on its own), and 285, the send
  // action's empty body (the strict Graph answers 400 to any other).
  it("uploads an attachment of exactly 3 MB and carries a small one inside the draft MIME", async () => {
    const { graph, upload, requests } = await strictGraph();
    const small = pattern(100 * 1024, 7);
    const receipt = await transportFor(graph.server.url, { mode: "mime" }).send(
      message({
        attachments: [
          { filename: "exact.bin", content: pattern(LARGE_ATTACHMENT_BYTES, 3) },
          { filename: "small.bin", content: small },
        ],
      }),
      { signal: signal() },
    );
    expect(receipt.response).toBe("202 Accepted");
    expect(requests()).toEqual([
      `POST ${USER}/messages`,
      `POST ${DRAFT}/attachments/createUploadSession`,
      `POST ${DRAFT}/send`,
    ]);
    const mime = mimeOf(graph.seen[0]?.body ?? "");
    expect(dispositions(mime)).toEqual(["Content-Disposition: attachment; filename=small.bin"]);
    // Its bytes too (the first line of its base64); a failure here does not print the MIME.
    expect(mime.includes(small.subarray(0, 57).toString("base64"))).toBe(true);
    expect(JSON.parse(graph.seen[1]?.body ?? "").AttachmentItem).toMatchObject({
      name: "exact.bin",
      size: LARGE_ATTACHMENT_BYTES,
    });
    expect(upload.seen.reduce((sum, put) => sum + put.bytes, 0)).toBe(LARGE_ATTACHMENT_BYTES);
    const send = graph.seen[2];
    expect(send?.body).toBe("");
    expect(send?.headers["content-length"] ?? "0").toBe("0");
  });

  // Mutant (large-message.ts:204): the real-length check of the draft MIME made `true`. Small
  // attachments of 2.34 MB pass the estimate (16/9 per byte: 4.16 MB) but their base64-of-base64
  // with line breaks is over 4 MB: the mutant sends that draft (413); they are POSTed instead.
  it("leaves small attachments out of the draft MIME when the MIME would pass 4 MB", async () => {
    const { graph, requests } = await strictGraph();
    const parts = [pattern(1_170_000, 5), pattern(1_170_000, 9)];
    const receipt = await transportFor(graph.server.url, { mode: "mime" }).send(
      message({
        attachments: [
          { filename: "exact.bin", content: pattern(LARGE_ATTACHMENT_BYTES, 3) },
          ...parts.map((content, index) => ({ filename: `part${index}.bin`, content })),
        ],
      }),
      { signal: signal() },
    );
    expect(receipt.response).toBe("202 Accepted");
    expect(requests()).toEqual([
      `POST ${USER}/messages`,
      `POST ${DRAFT}/attachments/createUploadSession`,
      `POST ${DRAFT}/attachments`,
      `POST ${DRAFT}/attachments`,
      `POST ${DRAFT}/send`,
    ]);
    expect(dispositions(mimeOf(graph.seen[0]?.body ?? ""))).toEqual([]);
    expect(graph.seen.every((request) => request.bytes <= MAX_REQUEST_BYTES)).toBe(true);
  });
});

describe("an attachment just under 3 MB", () => {
  /** The one attachment of `sent`, resolved as a send resolves it. */
  async function onlyAttachment(sent: NormalizedMessage) {
    const [item] = (await resolveAttachments(sent.attachments)).items;
    if (!item) throw new Error("no attachment");
    return item;
  }

  /** A message whose one attachment's JSON POST body is `MAX_REQUEST_BYTES + extra` bytes. */
  async function edgeMessage(extra: 0 | 4): Promise<NormalizedMessage> {
    // The JSON around contentBytes, made a multiple of 4 by the name's length, so that the
    // base64 of some size fills the rest of the 4 MB exactly.
    for (let pad = 0; pad < 4; pad++) {
      const filename = `edge${"x".repeat(pad)}.bin`;
      const around = attachmentPostBytes(
        await onlyAttachment(message({ attachments: [{ filename, content: Buffer.alloc(0) }] })),
      );
      if ((MAX_REQUEST_BYTES - around) % 4 !== 0) continue;
      const size = ((MAX_REQUEST_BYTES - around) / 4) * 3 + (extra > 0 ? 1 : 0);
      const sent = message({ attachments: [{ filename, content: pattern(size, 11) }] });
      const item = await onlyAttachment(sent);
      expect(item.size).toBeLessThan(LARGE_ATTACHMENT_BYTES);
      expect(attachmentPostBytes(item)).toBe(MAX_REQUEST_BYTES + extra);
      return sent;
    }
    throw new Error("no name length fits");
  }

  // Mutant (large-message.ts:223): `attachmentPostBytes(item) >= MAX_REQUEST_BYTES`. A POST
  // body of exactly 4,194,304 bytes fits one request: the attachment is sent, not refused.
  it("sends one whose attachment POST is exactly 4 MB, and refuses one byte more", async () => {
    const { graph, requests } = await strictGraph();
    const transport = transportFor(graph.server.url);
    await transport.send(await edgeMessage(0), { signal: signal() });
    expect(requests()).toEqual([
      `POST ${USER}/messages`,
      `POST ${DRAFT}/attachments`,
      `POST ${DRAFT}/send`,
    ]);
    expect(graph.seen[1]?.bytes).toBe(MAX_REQUEST_BYTES);
    const error = await rejectedMailError(
      transport.send(await edgeMessage(4), { signal: signal() }),
    );
    expect(error.code).toBe("MESSAGE_TOO_LARGE");
    expect(graph.seen).toHaveLength(3);
  });
});

describe("tokens and token requests", () => {
  const FIRST = "opaque-access-token-first-4f1c";
  const SECOND = "opaque-access-token-second-9d2e";
  const bearer = (request: SeenRequest) =>
    String(request.headers.authorization).replace(/^Bearer /, "");

  // Mutants (transport.ts): 96 rememberToken's body `{}` and 97 `tokens.has(token)` made `true`
  // (no token remembered), 98 `tokens.size >= 64` made `true` and `tokens.size < 64` (only the
  // latest token remembered: the one before a 401's forced refresh is not redacted).
  it("redacts every access token it learned from error answers, the one before a refresh too", async () => {
    const seenTokens = new Set<string>();
    let count = 0;
    const { server } = await scripted((request, response) => {
      seenTokens.add(bearer(request));
      count++;
      if (count === 2) {
        json(response, 401, { error: { code: "InvalidAuthenticationToken", message: "expired" } });
      } else {
        response.writeHead(500, { "Content-Type": "text/plain" });
        response.end(`tokens seen: ${[...seenTokens].join(" , ")}`);
      }
    });
    let current = FIRST;
    const transport = transportFor(server.url, {
      tokenProvider: {
        getToken: async (options) => {
          if (options?.forceRefresh) current = SECOND;
          return current;
        },
      },
    });
    const leaks = (error: Error) =>
      [FIRST, SECOND].filter((token) =>
        `${error.message} ${JSON.stringify(error)} ${String(error.cause ?? "")}`.includes(token),
      );
    const first = await rejectedMailError(transport.send(message(), { signal: signal() }));
    expect(first).toMatchObject({ code: "SERVER_ERROR", http: { status: 500 } });
    expect(first.message).toContain("tokens seen: [redacted]");
    expect(leaks(first)).toEqual([]);
    const second = await rejectedMailError(transport.send(message(), { signal: signal() }));
    expect(second).toMatchObject({ code: "SERVER_ERROR", http: { status: 500 } });
    expect(second.message).toContain("tokens seen: [redacted] , [redacted]");
    expect(leaks(second)).toEqual([]);
    expect([...seenTokens]).toEqual([FIRST, SECOND]);
  });

  // Mutant (transport.ts:54): singleFlight's forceRefresh bypass made `false`. Send B's request
  // (token FIRST) is held while send A's ordinary token request waits at a gate; B is then
  // answered 401. The forced refresh must reach the provider and B be retried with SECOND;
  // under the mutant it joins A's pending request, gets FIRST again, and fails AUTH_FAILED.
  it("a forced refresh does not join another send's token request in flight", async () => {
    const bHeld = deferred<ServerResponse>();
    const aWaiting = deferred();
    const gate = deferred();
    let held = false;
    const { server, seen } = await scripted((request, response) => {
      if (!held) {
        held = true;
        bHeld.resolve(response);
      } else if (bearer(request) === SECOND) response.writeHead(202).end();
      else json(response, 401, { error: { code: "InvalidAuthenticationToken", message: "no" } });
    });
    let current = FIRST;
    let ordinary = 0;
    const forced: unknown[] = [];
    const transport = transportFor(server.url, {
      tokenProvider: {
        getToken: async (options) => {
          if (options?.forceRefresh) {
            forced.push(options);
            current = SECOND;
            return current;
          }
          ordinary++;
          if (ordinary === 2) {
            aWaiting.resolve();
            await gate.promise;
          }
          return current;
        },
      },
      // A's token request is let go once B's 401 has been handled (its forced refresh asked).
      logger: {
        debug: (fields: { status?: number }) => {
          if (fields.status === 401) setImmediate(() => gate.resolve());
        },
        info: () => {},
        warn: () => {},
        error: () => {},
      },
    });
    const b = transport.send(message({ subject: "B" }), { signal: signal() });
    const response = await bHeld.promise;
    const a = transport.send(message({ subject: "A" }), { signal: signal() });
    await aWaiting.promise;
    json(response, 401, { error: { code: "InvalidAuthenticationToken", message: "expired" } });
    await expect(b).resolves.toMatchObject({ response: "202 Accepted" });
    await expect(a).resolves.toMatchObject({ response: "202 Accepted" });
    expect(forced).toEqual([{ forceRefresh: true }]);
    expect(seen.map(bearer).slice(0, 2)).toEqual([FIRST, SECOND]);
  });
});

describe("the attachments a send reads", () => {
  // Mutant (transport.ts:242): the finally's `attachments.cleanup()` emptied. A stream of 3 MB
  // or more is spooled to a mailpath-graph-* directory in tmpdir; a send removes it, whether
  // it succeeded or failed.
  it("removes the temporary file a long stream was spooled to, after a success and a failure", async () => {
    const spool = await mkdtemp(join(tmpdir(), "graph-gaps-spool-"));
    cleanups.push(() => rm(spool, { recursive: true, force: true }));
    vi.stubEnv("TMPDIR", spool);
    const during: string[][] = [];
    const stream = () => Readable.from([pattern(LARGE_ATTACHMENT_BYTES + 10, 13)]);
    const ok = await strictGraph({ onDraft: () => during.push(readdirSync(spool)) });
    await transportFor(ok.graph.server.url).send(
      message({ attachments: [{ filename: "long.bin", content: stream() }] }),
      { signal: signal() },
    );
    expect(ok.upload.seen.reduce((sum, put) => sum + put.bytes, 0)).toBe(
      LARGE_ATTACHMENT_BYTES + 10,
    );
    expect(await readdir(spool)).toEqual([]);
    const failing = await strictGraph({
      draftStatus: 500,
      onDraft: () => during.push(readdirSync(spool)),
    });
    const error = await rejectedMailError(
      transportFor(failing.graph.server.url).send(
        message({ attachments: [{ filename: "long.bin", content: stream() }] }),
        { signal: signal() },
      ),
    );
    expect(error.code).toBe("SERVER_ERROR");
    expect(await readdir(spool)).toEqual([]);
    // The stream was spooled there while each send ran.
    expect(during).toEqual([[expect.stringMatching(/^mailpath-graph-/)], [expect.any(String)]]);
  });
});
