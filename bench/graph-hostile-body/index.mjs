// graph-hostile-body: a "Graph" that answers sendMail with an HTTP 500 whose body never ends.
// Figures: the client process's peak RSS growth over its RSS just before the send, how long
// the send took to reject, its code and message length, and how many bytes the server got to
// write before the client closed the connection.
//
// A script that prints figures, not a test. Bounded: one send; the server stops writing after
// LIMIT_MB or when the client hangs up, and the request times out after TIMEOUT_MS. The server
// (and the emulator that issues its certificate) runs in a child process, so the RSS measured
// here is the client's alone.
//
//   cd /work/main && pnpm --filter @mailpath/transport-graph build
//   node bench/graph-hostile-body/index.mjs
import { fork } from "node:child_process";
import { createServer } from "node:https";
import { fileURLToPath } from "node:url";

const MiB = 1024 * 1024;

if (process.argv.includes("--child")) {
  const { startEmulator } = await import("@mailpath/emulator");
  const emulator = await startEmulator();
  const tls = await emulator.issueClientCertificate("localhost");
  const limit = Number(process.env.LIMIT_MB ?? 4096) * MiB;
  const chunk = Buffer.alloc(64 * 1024, "x");
  let written = 0;
  let closedAfter = -1;
  const server = createServer(tls, (request, response) => {
    request.resume();
    response.on("error", () => {});
    response.on("close", () => {
      closedAfter = written;
    });
    response.writeHead(500, { "Content-Type": "text/plain" });
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
  server.listen(0, "127.0.0.1", () => {
    process.send({ port: server.address().port, ca: emulator.ca });
  });
  process.on("message", async (message) => {
    if (message === "stats") process.send({ written, closedAfter });
    if (message === "stop") {
      server.closeAllConnections();
      server.close();
      await emulator.stop();
      process.exit(0);
    }
  });
} else {
  const { normalizeMessage } = await import("@mailpath/core");
  const { createGraphTransport } = await import("@mailpath/transport-graph");
  const child = fork(fileURLToPath(import.meta.url), ["--child"]);
  const next = () => new Promise((resolve) => child.once("message", resolve));
  const { port, ca } = await next();
  const timeoutMs = Number(process.env.TIMEOUT_MS ?? 5_000);
  const transport = createGraphTransport({
    tokenProvider: { getToken: async () => "token" },
    baseUrl: `https://localhost:${port}`,
    tls: { ca },
    requestTimeoutMs: timeoutMs,
  });
  const message = normalizeMessage(
    { to: "ada@contoso.com", subject: "Endless 500", text: "x" },
    { from: "notifications@contoso.com" },
  );
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const started = performance.now();
  const outcome = await transport.send(message, { signal: new AbortController().signal }).then(
    () => ({ code: "resolved", length: 0 }),
    (error) => ({ code: error.code, length: String(error.message).length }),
  );
  const elapsed = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  child.send("stats");
  const stats = await next();
  console.log(
    JSON.stringify(
      {
        node: process.version,
        outcome: outcome.code,
        messageLength: outcome.length,
        rejectedAfterMs: Math.round(elapsed),
        rssBeforeMB: +(before / MiB).toFixed(1),
        peakRssGrowthMB: +((peak - before) / MiB).toFixed(1),
        serverWroteMB: +(stats.written / MiB).toFixed(1),
        connectionClosedAfterMB:
          stats.closedAfter < 0 ? null : +(stats.closedAfter / MiB).toFixed(1),
      },
      null,
      2,
    ),
  );
  await transport.close();
  child.send("stop");
}
