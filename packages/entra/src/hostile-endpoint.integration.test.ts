// What answers at authorityHost may not be Entra: a proxy, a captive portal, a wrong host.
// Redirects are never followed, error answers are read only up to a bound, and tls.ca adds
// to the roots the process trusts by default.
import { once } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { rootCertificates } from "node:tls";
import { MailError, withDefaultRoots } from "@mailpath/core";
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  type Emulator,
  startEmulator,
} from "@mailpath/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decodeTokenClaims } from "./claims.js";
import { createClientCredentialsProvider } from "./client-credentials.js";
import { MAX_ERROR_BODY_BYTES } from "./network-client.js";
import type { ClientCredentialsOptions } from "./options.js";

// Two emulators: two unrelated CAs.
let emulator: Emulator;
let other: Emulator;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  [emulator, other] = await Promise.all([startEmulator(), startEmulator()]);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await Promise.all([emulator?.stop(), other?.stop()]);
});

interface Loopback {
  readonly url: string;
  readonly requests: string[];
  readonly sockets: Socket[];
}

/** An HTTPS server on 127.0.0.1 with a `localhost` certificate from the emulator's CA. */
async function loopback(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<Loopback> {
  const requests: string[] = [];
  const sockets: Socket[] = [];
  const server = createServer(
    await emulator.issueClientCertificate("localhost"),
    (request, response) => {
      requests.push(`${request.method} ${request.url}`);
      response.on("error", () => {});
      handler(request, response);
    },
  );
  server.on("secureConnection", (socket: Socket) => {
    sockets.push(socket);
    socket.on("error", () => {});
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, "close");
  });
  const { port } = server.address() as AddressInfo;
  return { url: `https://localhost:${port}`, requests, sockets };
}

function tokens(overrides: Partial<ClientCredentialsOptions> = {}) {
  return createClientCredentialsProvider({
    tenantId: emulator.entra.tenantId,
    clientId: DEFAULT_CLIENT_ID,
    clientSecret: DEFAULT_CLIENT_SECRET,
    tls: { ca: emulator.ca },
    timeoutMs: 15_000,
    ...overrides,
  });
}

async function failure(promise: Promise<unknown>): Promise<MailError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!MailError.isInstance(outcome)) throw new Error(`expected a MailError, got ${outcome}`);
  expect(outcome.message).not.toContain(DEFAULT_CLIENT_SECRET);
  return outcome;
}

describe("redirects from the token endpoint", () => {
  for (const status of [301, 302, 307, 308]) {
    it(`a ${status} rejects with a redirect error and the other origin receives nothing`, async () => {
      const target = await loopback((_request, response) => {
        response.writeHead(200, { "Content-Type": "application/json" }).end("{}");
      });
      const first = await loopback((request, response) => {
        request.resume();
        response.writeHead(status, { Location: `${target.url}/token?code=s3cr3t` }).end();
      });
      const error = await failure(tokens({ authorityHost: first.url }).getToken());
      expect(error).toMatchObject({ code: "CONNECTION_FAILED", retryable: false });
      expect(error.http?.status).toBe(status);
      expect(error.message).toContain(`redirecting to ${target.url}/token`);
      expect(error.message).not.toContain("s3cr3t");
      expect(error.hint).toMatch(/never redirects/);
      expect(error.hint).toMatch(/authorityHost/);
      expect(first.requests).toHaveLength(1);
      expect(target.requests).toHaveLength(0);
      expect(target.sockets).toHaveLength(0);
    });
  }
});

describe("bounded error answers", () => {
  it("a 900 kB error_description becomes a short MailError.message", async () => {
    const server = await loopback((request, response) => {
      request.resume();
      response.writeHead(400, { "Content-Type": "application/json" });
      response.end(
        JSON.stringify({ error: "invalid_request", error_description: "A".repeat(900 * 1024) }),
      );
    });
    const error = await failure(tokens({ authorityHost: server.url }).getToken());
    expect(error.http?.status).toBe(400);
    expect(error.message.length).toBeLessThan(2_000);
  });

  it("an endless 500 answer is cut, the request rejects and the connection is closed", async () => {
    const chunk = Buffer.alloc(64 * 1024, "x");
    const limit = 64 * 1024 * 1024;
    let written = 0;
    const server = await loopback((request, response) => {
      request.resume();
      response.writeHead(500, { "Content-Type": "text/html" });
      const pump = () => {
        while (written < limit && !response.destroyed) {
          written += chunk.length;
          if (!response.write(chunk)) {
            response.once("drain", pump);
            return;
          }
        }
      };
      pump();
    });
    const error = await failure(tokens({ authorityHost: server.url }).getToken());
    expect(error).toMatchObject({ code: "SERVER_ERROR" });
    expect(error.http?.status).toBe(500);
    expect(error.message).toContain(`answer cut after ${MAX_ERROR_BODY_BYTES / 1024} kB`);
    for (const socket of server.sockets) if (!socket.closed) await once(socket, "close");
    expect(written).toBeLessThan(limit);
  });
});

describe("tls.ca adds to the default roots", () => {
  it("keeps every default root next to the private CA", () => {
    expect(withDefaultRoots([emulator.ca])).toEqual(
      expect.arrayContaining([...rootCertificates, emulator.ca]),
    );
  });

  it("gets a token from a host signed by a default CA while a private CA is set", async () => {
    // NODE_EXTRA_CA_CERTS stands for a root the process trusts by default.
    const previous = process.env.NODE_EXTRA_CA_CERTS;
    process.env.NODE_EXTRA_CA_CERTS = other.caFile;
    try {
      const provider = tokens({
        tenantId: other.entra.tenantId,
        authorityHost: other.entra.authorityHost,
        tls: { ca: emulator.ca },
      });
      expect(decodeTokenClaims(await provider.getToken()).appid).toBe(DEFAULT_CLIENT_ID);
    } finally {
      if (previous === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
      else process.env.NODE_EXTRA_CA_CERTS = previous;
    }
  });
});
