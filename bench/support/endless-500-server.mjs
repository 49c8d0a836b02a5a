// A hostile "Graph": an HTTPS server (its certificate from the emulator) that answers every
// request with an HTTP 500 whose body never ends. It runs in a child process, so that a
// benchmark's own process measures only the client (its memory above all).
// Parent side: `const server = await forkEndless500Server()` → port, ca, stats(), stop().
// Child side: this same file, run with `--child`. It stops writing after LIMIT_MB (default
// 4096) or when the client hangs up.
import { fork } from "node:child_process";
import { createServer } from "node:https";
import { fileURLToPath } from "node:url";

const MiB = 1024 * 1024;

/** Writes `chunk` until `stats.written` reaches `limit` or the client is gone, waiting on each drain. */
async function writeEndlessBody(response, chunk, limit, stats) {
  while (stats.written < limit && !response.destroyed) {
    stats.written += chunk.length;
    if (!response.write(chunk)) await new Promise((resolve) => response.once("drain", resolve));
  }
}

if (process.argv.includes("--child")) {
  const { startEmulator } = await import("@mailpath/emulator");
  const emulator = await startEmulator();
  const tls = await emulator.issueClientCertificate("localhost");
  const limit = Number(process.env.LIMIT_MB ?? 4096) * MiB;
  const chunk = Buffer.alloc(64 * 1024, "x");
  const stats = { written: 0, closedAfter: -1 };
  const server = createServer(tls, (request, response) => {
    request.resume();
    response.on("error", () => {});
    response.on("close", () => {
      stats.closedAfter = stats.written;
    });
    response.writeHead(500, { "Content-Type": "text/plain" });
    writeEndlessBody(response, chunk, limit, stats);
  });
  server.listen(0, "127.0.0.1", () => {
    process.send({ port: server.address().port, ca: emulator.ca });
  });
  process.on("message", async (message) => {
    if (message === "stats") process.send(stats);
    if (message === "stop") {
      server.closeAllConnections();
      server.close();
      await emulator.stop();
      process.exit(0);
    }
  });
}

/**
 * Starts the endless-500 server in a child process.
 * @returns {Promise<{ port: number, ca: string, stats(): Promise<{ written: number, closedAfter: number }>, stop(): void }>}
 *   `stats()`: the bytes the server wrote, and after how many the connection closed (-1: open)
 */
export async function forkEndless500Server() {
  const child = fork(fileURLToPath(import.meta.url), ["--child"]);
  const next = () => new Promise((resolve) => child.once("message", resolve));
  const { port, ca } = await next();
  return {
    port,
    ca,
    stats() {
      const reply = next();
      child.send("stats");
      return reply;
    },
    stop: () => child.send("stop"),
  };
}
