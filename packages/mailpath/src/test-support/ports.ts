// A port nothing listens on (bound once, then released): the "unreachable" end of a path.
import { createServer } from "node:net";

export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

/** The address the emulator's default IP-matched relay connector lists. */
export const CONNECTOR_IP = "127.0.0.2";
