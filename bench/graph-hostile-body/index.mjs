// graph-hostile-body: a "Graph" that answers sendMail with an HTTP 500 whose body never ends.
// Figures: the client process's peak RSS growth over its RSS just before the send, how long
// the send took to reject, its code and message length, and how many bytes the server got to
// write before the client closed the connection.
//
// A script that prints figures, not a test. Bounded: one send; the server stops writing after
// LIMIT_MB or when the client hangs up, and the request times out after TIMEOUT_MS. The server
// (and the emulator that issues its certificate) runs in a child process
// (../support/endless-500-server.mjs), so the RSS measured here is the client's alone.
//
//   cd /work/main && pnpm --filter @mailpath/transport-graph build
//   node bench/graph-hostile-body/index.mjs
import { normalizeMessage } from "@mailpath/core";
import { createGraphTransport } from "@mailpath/transport-graph";
import { forkEndless500Server } from "../support/endless-500-server.mjs";
import { sampleRss } from "../support/rss.mjs";

const MiB = 1024 * 1024;
const MB = (bytes) => +(bytes / MiB).toFixed(1);

const server = await forkEndless500Server();
const timeoutMs = Number(process.env.TIMEOUT_MS ?? 5_000);
const transport = createGraphTransport({
  tokenProvider: { getToken: async () => "token" },
  baseUrl: `https://localhost:${server.port}`,
  tls: { ca: server.ca },
  requestTimeoutMs: timeoutMs,
});
const message = normalizeMessage(
  { to: "ada@contoso.com", subject: "Endless 500", text: "x" },
  { from: "notifications@contoso.com" },
);
const rss = sampleRss(20);
const started = performance.now();
const outcome = await transport.send(message, { signal: new AbortController().signal }).then(
  () => ({ code: "resolved", length: 0 }),
  (error) => ({ code: error.code, length: String(error.message).length }),
);
const elapsed = performance.now() - started;
const peak = rss.stop();
const stats = await server.stats();
console.log(
  JSON.stringify(
    {
      node: process.version,
      outcome: outcome.code,
      messageLength: outcome.length,
      rejectedAfterMs: Math.round(elapsed),
      rssBeforeMB: MB(rss.before),
      peakRssGrowthMB: MB(peak - rss.before),
      serverWroteMB: MB(stats.written),
      connectionClosedAfterMB: stats.closedAfter < 0 ? null : MB(stats.closedAfter),
    },
    null,
    2,
  ),
);
await transport.close();
server.stop();
