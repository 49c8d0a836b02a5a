// Shared by the sandbox tests: the emulator with its web inbox and header analysis, a
// mailer per path, and a loopback "remote" server that counts what it is asked for.
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { startEmulator } from "@mailpath/emulator";
import { analyzeHeaders } from "@mailpath/inspect";
import { createMailerFromEnv } from "mailpath";

/** The paths the sandbox shows, with whether Exchange keeps a Sent Items copy. */
export const PATHS = [
  { transport: "smtp", sentItems: true },
  { transport: "relay", sentItems: false },
  { transport: "graph", sentItems: true },
];

/** Starts the emulator with the sandbox on. */
export function startSandbox(options = {}) {
  return startEmulator({ web: { analyzeHeaders }, ...options });
}

/** A mailer over one path of this emulator. */
export function mailerFor(emulator, transport) {
  return createMailerFromEnv(emulator.env({ MAILPATH_TRANSPORT: transport }));
}

/** Sends one message over `transport` and closes the mailer. */
export async function sendOver(emulator, transport, message) {
  const mailer = await mailerFor(emulator, transport);
  try {
    return await mailer.send({ to: "ada@contoso.com", ...message });
  } finally {
    await mailer.close();
  }
}

export function sha256(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A 1×1 PNG. */
export const PIXEL = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

/** A loopback server standing for the internet: counts requests per path. */
export async function startRemoteServer() {
  const hits = new Map();
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://x").pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    response.writeHead(200, { "content-type": "image/png", "cache-control": "no-store" });
    response.end(PIXEL);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    hits: (path) => hits.get(path) ?? 0,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
