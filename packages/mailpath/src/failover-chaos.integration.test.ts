// Failover chaos (issue 9): MAILPATH_TRANSPORT=graph,smtp against the emulator while Graph, the
// primary, goes down in three ways — its port closed, then 503s, then a drop after it stored
// the message — and comes back. Every message must arrive exactly once or be flagged
// (`ambiguousAttempts`), every breaker change of the primary must reach the mailer's events,
// and traffic must return to Graph once the breaker's reset timeout passed. The clock is faked
// (it still moves with real time, so sockets work) and jumped over each reset timeout: no sleeps.
import { connect, createServer, type Server, type Socket } from "node:net";
import { createMailer, type Mailer } from "@mailpath/core";
import { DEFAULT_SENDER, useEmulator } from "@mailpath/emulator";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTransportFromEnv } from "./index.js";

const RESET_MS = 30_000;

/** A TCP forwarder on loopback in front of an endpoint; `down()` closes its port and cuts its connections. */
async function gate(targetPort: number) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const up = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(targetPort, "127.0.0.1");
        track(client);
        track(upstream);
        client.pipe(upstream).pipe(client);
        client.once("close", () => upstream.destroy());
        upstream.once("close", () => client.destroy());
      });
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  const down = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server ? server.close(() => resolve()) : resolve();
      server = undefined;
    });
  await up();
  return { port: () => port, up, down };
}

const emulator = useEmulator({ beforeAll, afterAll });
let graph: Awaited<ReturnType<typeof gate>>;

beforeAll(async () => {
  graph = await gate(Number(new URL(emulator.graph.baseUrl).port));
});
afterAll(async () => {
  await graph?.down();
});

describe("failover chaos: graph,smtp with the primary down and back", () => {
  it("delivers every message once or flags it, reports every breaker change, and returns to Graph", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true, toFake: ["setTimeout", "clearTimeout", "Date"] });
    let mailer: Mailer | undefined;
    try {
      const transport = await createTransportFromEnv(
        emulator.env({
          MAILPATH_TRANSPORT: "graph,smtp",
          MAILPATH_GRAPH_BASE_URL: `https://127.0.0.1:${graph.port()}`,
        }),
        {
          circuitBreaker: {
            volumeThreshold: 3,
            errorThresholdPercentage: 50,
            resetTimeoutMs: RESET_MS,
          },
          rateLimit: { maxPerInterval: 1_000_000, intervalMs: 1 },
        },
      );
      mailer = createMailer({
        transport,
        from: DEFAULT_SENDER,
        retry: { maxAttempts: 3 },
        sleep: () => Promise.resolve(),
      });
      const breaker: string[] = [];
      for (const state of ["open", "halfOpen", "close"] as const) {
        mailer.on(`breaker:${state}`, (event) => breaker.push(`${event.transport}:${state}`));
      }
      const sends: { phase: string; result: Awaited<ReturnType<Mailer["send"]>> }[] = [];
      let index = 0;
      const send = async (phase: string, count: number) => {
        for (let n = 0; n < count; n++) {
          const subject = `chaos ${index++} ${phase}`;
          sends.push({
            phase,
            result: await mailer!.send({ to: "ada@contoso.com", subject, text: phase }),
          });
        }
      };
      const resetPasses = async () => {
        await vi.advanceTimersByTimeAsync(RESET_MS);
      };
      const via = (phase: string) =>
        sends.filter((entry) => entry.phase === phase).map((entry) => entry.result.transport);

      await send("up", 4);
      expect(via("up")).toEqual(["graph", "graph", "graph", "graph"]);

      // 1. Graph's port is closed: each send fails over to SMTP until Graph's breaker opens.
      await graph.down();
      await send("closed-port", 8);
      expect(breaker).toEqual(["graph:open"]);
      expect(via("closed-port").every((name) => name === "smtp")).toBe(true);

      // 2. Graph answers again, but 503: the half-open trial fails and the breaker reopens.
      await graph.up();
      emulator.inject({
        endpoint: "graph",
        kind: "reply",
        status: 503,
        pathIncludes: "sendMail",
        count: 1,
      });
      await resetPasses();
      await send("503", 3);
      expect(breaker).toEqual(["graph:open", "graph:halfOpen", "graph:open"]);

      // 3. Graph stores the message, then drops the connection: the trial is ambiguous.
      emulator.inject({
        endpoint: "graph",
        kind: "drop",
        stage: "after-data",
        pathIncludes: "sendMail",
        count: 1,
      });
      await resetPasses();
      await send("drop-after-accept", 3);
      expect(breaker.slice(3)).toEqual(["graph:halfOpen", "graph:open"]);

      // 4. Graph is back: after the reset timeout the trial succeeds and traffic returns.
      await resetPasses();
      await send("back", 4);
      expect(breaker.slice(5)).toEqual(["graph:halfOpen", "graph:close"]);
      expect(via("back")).toEqual(["graph", "graph", "graph", "graph"]);

      // Exactly once, or flagged; every copy with the send's Message-ID.
      const delivered = emulator.messages();
      let duplicates = 0;
      const flagged: Record<string, number> = {};
      for (const { phase, result } of sends) {
        const copies = delivered.filter((message) => message.messageId === result.messageId);
        expect(copies.length).toBeGreaterThanOrEqual(1);
        if (copies.length > 1) {
          duplicates++;
          expect(result.ambiguousAttempts).toBeGreaterThan(0);
        }
        if (result.ambiguousAttempts > 0) flagged[phase] = (flagged[phase] ?? 0) + 1;
      }
      expect(delivered).toHaveLength(sends.length + duplicates);
      // The drop after accept stored one copy on Graph before SMTP delivered it.
      expect(duplicates).toBe(1);
      expect(flagged).toMatchObject({ "503": 1, "drop-after-accept": 1 });
      console.info(
        `chaos ${JSON.stringify({ sends: sends.length, delivered: delivered.length, lost: 0, duplicates, flagged, breaker })}`,
      );
    } finally {
      await mailer?.close({ timeoutMs: 0 });
      vi.useRealTimers();
    }
  }, 60_000);
});
