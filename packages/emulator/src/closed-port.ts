// A loopback port with nothing listening on it, for "connection refused" tests.
import { createServer } from "node:net";

/**
 * Finds a port nothing listens on: binds an ephemeral port, then releases it. A connection
 * to it is refused (`ECONNREFUSED`), unless another process takes the port in between.
 * @param host the address to bind
 * @default host "127.0.0.1"
 * @returns the released port
 * @throws Error when the port cannot be bound
 * @since 0.1.0
 */
export async function closedPort(host = "127.0.0.1"): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== "object" || address === null) throw new Error("no port was bound");
  return address.port;
}
