// Test support: a loopback HTTPS (or plain HTTP) server that plays a hostile or misconfigured
// Graph, with a certificate from the emulator's CA, recording every request and connection.
import { once } from "node:events";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Emulator } from "@mailpath/emulator";

/** One request the server received. */
export interface LoopbackRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization?: string;
}

/** A running loopback server. */
export interface Loopback {
  /** `https://localhost:<port>` (or `http://127.0.0.1:<port>` for a plain server). */
  readonly url: string;
  readonly requests: LoopbackRequest[];
  /** Every connection accepted so far. */
  readonly sockets: Socket[];
  close(): Promise<void>;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

const certificates = new WeakMap<Emulator, Promise<{ cert: string; key: string }>>();

/** A server certificate for `localhost` signed by the emulator's CA (trusted with `emulator.ca`). */
function localhostCertificate(emulator: Emulator): Promise<{ cert: string; key: string }> {
  let certificate = certificates.get(emulator);
  if (!certificate) {
    certificate = emulator.issueClientCertificate("localhost");
    certificates.set(emulator, certificate);
  }
  return certificate;
}

/**
 * Starts a server on 127.0.0.1. HTTPS by default, with a `localhost` certificate from the
 * emulator's CA; `plain: true` for an http:// one.
 */
export async function startLoopback(
  emulator: Emulator,
  handler: Handler,
  options: { readonly plain?: boolean } = {},
): Promise<Loopback> {
  const requests: LoopbackRequest[] = [];
  const sockets: Socket[] = [];
  const record: Handler = (request, response) => {
    requests.push({
      method: request.method ?? "",
      url: request.url ?? "",
      ...(request.headers.authorization !== undefined && {
        authorization: request.headers.authorization,
      }),
    });
    // A client that hangs up mid-answer is part of these tests, not a failure of the server.
    response.on("error", () => {});
    handler(request, response);
  };
  const server = options.plain
    ? createHttpServer(record)
    : createHttpsServer({ ...(await localhostCertificate(emulator)) }, record);
  server.on(options.plain ? "connection" : "secureConnection", (socket: Socket) => {
    sockets.push(socket);
    socket.on("error", () => {});
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: options.plain ? `http://127.0.0.1:${port}` : `https://localhost:${port}`,
    requests,
    sockets,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

/** What a scripted server saw of one request, with its whole body. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  /** The body as UTF-8 text. */
  readonly body: string;
  /** The body's size in bytes. */
  readonly bytes: number;
}

/**
 * A loopback server (see `startLoopback`) that reads each request's whole body, records it in
 * `seen`, then lets `answer` reply.
 */
export async function startScripted(
  emulator: Emulator,
  answer: (request: SeenRequest, response: ServerResponse) => void,
): Promise<{ server: Loopback; seen: SeenRequest[] }> {
  const seen: SeenRequest[] = [];
  const server = await startLoopback(emulator, (request, response) => {
    const parts: Buffer[] = [];
    request.on("data", (part: Buffer) => parts.push(part));
    request.on("end", () => {
      const body = Buffer.concat(parts);
      const entry = {
        method: request.method ?? "",
        url: request.url ?? "",
        headers: request.headers,
        body: body.toString("utf8"),
        bytes: body.length,
      };
      seen.push(entry);
      answer(entry, response);
    });
  });
  return { server, seen };
}
