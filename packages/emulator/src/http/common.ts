// Plumbing shared by the Entra and Graph endpoints: bounded body reading, JSON replies and
// the latency a fault asks for.
import type { IncomingMessage, ServerResponse } from "node:http";

/** A body read with a byte limit: `tooLarge` when the client sent more than allowed. */
export interface ReadBody {
  readonly body: Buffer;
  readonly bytes: number;
  readonly tooLarge: boolean;
}

/**
 * Reads the request body, keeping at most `limitBytes`. A larger body is still drained (and
 * discarded) so the client gets the error reply instead of a reset while it is uploading.
 */
export async function readBody(request: IncomingMessage, limitBytes: number): Promise<ReadBody> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let tooLarge = false;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > limitBytes) {
      tooLarge = true;
      chunks.length = 0;
      continue;
    }
    chunks.push(chunk);
  }
  return { body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), bytes, tooLarge };
}

/** Writes a JSON reply (Graph and Entra both answer `application/json; charset=utf-8`). */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(payload)),
  });
  response.end(payload);
}

/** Writes a reply without a body (Graph's `202 Accepted` for sendMail, `204` for DELETE). */
export function sendEmpty(
  response: ServerResponse,
  status: number,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { ...headers, "Content-Length": "0" });
  response.end();
}

/** Destroys the connection without an answer, as a dropped connection looks to the client. */
export function dropConnection(request: IncomingMessage, response: ServerResponse): void {
  response.socket?.destroy();
  request.socket.destroy();
}

/** Path segments, percent-decoded where valid (a malformed escape stays as sent). */
export function pathSegments(path: string): string[] {
  return path
    .split("/")
    .filter(Boolean)
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
}

/** Waits `ms` milliseconds (fault latency). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A header's first value. */
export function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Listens on host:port (0 = ephemeral) and resolves the bound port. */
export function listen(
  server: import("node:net").Server,
  host: string,
  port: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

/** Formats host:port for a URL (IPv6 hosts in brackets). */
export function urlHost(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
