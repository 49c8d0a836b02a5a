// What answers at baseUrl may not be Graph: a proxy, a captive portal, a wrong baseUrl or a
// hostile server. Redirects are never followed, error answers are read only up to a bound,
// and an upload URL that is not https:// gets no bytes.
import { once } from "node:events";
import { pipeline } from "node:stream/promises";
import { normalizeMessage, type TokenProvider } from "@mailpath/core";
import { rejectedMailError } from "@mailpath/core/testing";
import { useEmulator } from "@mailpath/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MAX_ERROR_BODY_BYTES } from "./http.js";
import { createGraphTransport, type GraphTransport } from "./index.js";
import { DEFAULT_SENDER } from "./test-support/emulator.js";
import { type Loopback, startLoopback } from "./test-support/loopback.js";

const emulator = useEmulator({ beforeAll, afterAll });
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const TOKEN = "eyJ0eXAiOiJKV1QifQ.eyJyb2xlcyI6WyJNYWlsLlNlbmQiXX0.c2lnbmF0dXJl";
const tokenProvider: TokenProvider = { getToken: async () => TOKEN };

async function server(...args: Parameters<typeof startLoopback>): Promise<Loopback> {
  const started = await startLoopback(...args);
  cleanups.push(() => started.close());
  return started;
}

function transport(baseUrl: string, requestTimeoutMs = 10_000): GraphTransport {
  const created = createGraphTransport({
    tokenProvider,
    baseUrl,
    tls: { ca: emulator.ca },
    requestTimeoutMs,
  });
  cleanups.push(() => created.close());
  return created;
}

function message(attachments: { filename: string; content: Buffer }[] = []) {
  return normalizeMessage(
    { to: "ada@contoso.com", subject: "Hostile server", text: "Hello", attachments },
    { from: DEFAULT_SENDER },
  );
}

const send = (graph: GraphTransport, attachments?: { filename: string; content: Buffer }[]) =>
  graph.send(message(attachments), { signal: new AbortController().signal });

describe("redirects from Graph", () => {
  for (const status of [301, 302, 307, 308]) {
    it(`a ${status} to sendMail rejects and the other origin receives nothing`, async () => {
      const other = await server(emulator, (_request, response) => {
        response.writeHead(202).end();
      });
      const first = await server(emulator, (request, response) => {
        request.resume();
        response
          .writeHead(status, { Location: `${other.url}/v1.0/users/x/sendMail?sig=s3cr3t` })
          .end();
      });
      const error = await rejectedMailError(send(transport(first.url)));
      expect(error).toMatchObject({ code: "CONNECTION_FAILED", retryable: false });
      expect(error.ambiguous).toBeFalsy();
      expect(error.http?.status).toBe(status);
      expect(error.message).toContain(`redirecting to ${other.url}/v1.0/users/x/sendMail`);
      expect(error.message).not.toContain("s3cr3t");
      expect(error.hint).toMatch(/never redirects sendMail/);
      expect(error.hint).toMatch(/baseUrl/);
      expect(first.requests).toHaveLength(1);
      expect(other.requests).toHaveLength(0);
      expect(other.sockets).toHaveLength(0);
    });
  }
});

describe("bounded error answers", () => {
  it("a 20 MB error text becomes a short MailError.message", async () => {
    const huge = "A".repeat(20 * 1024 * 1024);
    const graph = await server(emulator, (request, response) => {
      request.resume();
      response.writeHead(500, { "Content-Type": "application/json" });
      response.end(JSON.stringify({ error: { code: "InternalServerError", message: huge } }));
    });
    const error = await rejectedMailError(send(transport(graph.url)));
    expect(error.code).toBe("SERVER_ERROR");
    expect(error.message.length).toBeLessThan(2_000);
    expect(error.message).toMatch(/cut/);
    expect(error.http?.status).toBe(500);
  });

  it("an endless 500 answer is cut, the send rejects and the connection is closed", async () => {
    const chunk = Buffer.alloc(64 * 1024, "x");
    // Bounded for the test's sake: without the cap the client reads all of it, then waits for
    // an end that never comes until requestTimeoutMs.
    const limit = 64 * 1024 * 1024;
    let written = 0;
    async function* endless() {
      while (written < limit) {
        written += chunk.length;
        yield chunk;
      }
    }
    const graph = await server(emulator, (request, response) => {
      request.resume();
      response.writeHead(500, { "Content-Type": "text/plain" });
      // Written as fast as the client reads, until it hangs up; never ended.
      pipeline(endless(), response, { end: false }).catch(() => {});
    });
    const error = await rejectedMailError(send(transport(graph.url, 15_000)));
    expect(error.code).toBe("SERVER_ERROR");
    expect(error.message.length).toBeLessThan(2_000);
    expect(error.message).toContain(`answer cut after ${MAX_ERROR_BODY_BYTES / 1024} kB`);
    const [socket] = graph.sockets;
    if (!socket!.closed) await once(socket!, "close");
    expect(written).toBeLessThan(limit);
  });
});

describe("upload sessions", () => {
  /** A Graph that creates a draft and hands out `uploadUrl` for its upload session. */
  async function draftGraph(uploadUrl: () => string): Promise<Loopback> {
    return server(emulator, (request, response) => {
      request.resume();
      const url = request.url ?? "";
      if (request.method === "POST" && url.endsWith("/attachments/createUploadSession")) {
        response.writeHead(201, { "Content-Type": "application/json" });
        response.end(JSON.stringify({ uploadUrl: uploadUrl(), nextExpectedRanges: ["0-"] }));
      } else if (request.method === "POST" && url.endsWith("/messages")) {
        response.writeHead(201, { "Content-Type": "application/json" });
        response.end(JSON.stringify({ id: "draft-1" }));
      } else if (request.method === "DELETE") {
        response.writeHead(204).end();
      } else {
        response.writeHead(500).end();
      }
    });
  }
  const large = () => [{ filename: "large.bin", content: Buffer.alloc(3 * 1024 * 1024, 1) }];

  it("refuses an http:// upload URL before sending it a byte", async () => {
    const plain = await server(emulator, (_request, response) => response.writeHead(200).end(), {
      plain: true,
    });
    const graph = await draftGraph(() => `${plain.url}/upload/draft-1?sig=s3cr3t`);
    const error = await rejectedMailError(send(transport(graph.url), large()));
    expect(error).toMatchObject({
      code: "SERVER_ERROR",
      retryable: false,
      hint: expect.stringContaining("always https://"),
    });
    expect(error.message).toMatch(/not https:\/\/ \(http:\/\/127\.0\.0\.1:\d+\)/);
    expect(error.message).not.toContain("s3cr3t");
    expect(plain.requests).toHaveLength(0);
    expect(plain.sockets).toHaveLength(0);
    // The draft was deleted.
    expect(graph.requests.map((request) => request.method)).toEqual(["POST", "POST", "DELETE"]);
  });

  it("does not follow a redirect from the upload URL", async () => {
    const other = await server(emulator, (request, response) => {
      request.resume();
      response.writeHead(201).end();
    });
    const upload = await server(emulator, (request, response) => {
      request.resume();
      response.writeHead(307, { Location: `${other.url}/upload` }).end();
    });
    const graph = await draftGraph(() => `${upload.url}/upload/draft-1?sig=s3cr3t`);
    const error = await rejectedMailError(send(transport(graph.url), large()));
    expect(error).toMatchObject({ code: "CONNECTION_FAILED", retryable: false });
    expect(error.message).toMatch(/upload URL answered HTTP 307/);
    expect(upload.requests).toHaveLength(1);
    expect(other.requests).toHaveLength(0);
  });
});
