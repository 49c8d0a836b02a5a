// A real HTTP CONNECT proxy on loopback (node:http), recording every CONNECT.
// `routes` maps a requested `host:port` to the loopback port it really leads to, so a client
// pointed at a closed port can reach a server only through the proxy.
import { once } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";

/**
 * One CONNECT the proxy received.
 * @since 0.1.0
 */
export interface ConnectRecord {
  readonly target: string;
  readonly proxyAuthorization?: string;
  readonly status: number;
}

/**
 * A running proxy.
 * @since 0.1.0
 */
export interface ConnectProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly connects: ConnectRecord[];
  close(): Promise<void>;
}

/**
 * Starts an HTTP CONNECT proxy on 127.0.0.1, for testing a transport's `proxy` option (or
 * HTTPS_PROXY) against the emulator: a client pointed at a closed port reaches the emulator only
 * through the tunnel that `routes` maps.
 * @param options `routes` (requested `host:port` → loopback port) and optional Basic `credentials`
 * @returns the running proxy, its URL and the CONNECTs it received
 * @since 0.1.0
 */
export async function startConnectProxy(
  options: {
    readonly routes?: ReadonlyMap<string, number>;
    /** `user:password` the proxy wants in Proxy-Authorization (Basic); none when unset. */
    readonly credentials?: string;
  } = {},
): Promise<ConnectProxy> {
  const connects: ConnectRecord[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_request, response) => {
    // Only tunnels: a plain request to the proxy is refused.
    response.writeHead(405).end();
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("connect", (request: IncomingMessage, client: Socket, head: Buffer) => {
    const target = request.url ?? "";
    const authorization = request.headers["proxy-authorization"];
    const expected =
      options.credentials !== undefined
        ? `Basic ${Buffer.from(options.credentials).toString("base64")}`
        : undefined;
    const record = (status: number) =>
      connects.push({
        target,
        status,
        ...(authorization !== undefined && { proxyAuthorization: authorization }),
      });
    if (expected !== undefined && authorization !== expected) {
      record(407);
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    const match = /^(.*):(\d+)$/.exec(target);
    const port = options.routes?.get(target) ?? Number(match?.[2]);
    const host = options.routes?.has(target) ? "127.0.0.1" : (match?.[1] ?? "");
    const upstream = connect(port, host.replace(/^\[|\]$/g, ""));
    sockets.add(upstream);
    upstream.once("close", () => sockets.delete(upstream));
    let established = false;
    upstream.once("connect", () => {
      established = true;
      record(200);
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once("error", () => {
      // After the tunnel is up an error only ends it (a reset when the client closes).
      if (established) return client.destroy();
      record(502);
      client.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
    });
    client.once("error", () => upstream.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connects,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
