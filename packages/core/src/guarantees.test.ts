// Delivery guarantees of issue 9 at the core level: what the breaker counts (1), ambiguity
// through routing (2) and aborts (3), delays a timer can wait (7), close() with a deadline (8)
// and routed paths reporting their events (9).
import { describe, expect, it, vi } from "vitest";
import type { NormalizedMessage } from "./contract/message.js";
import type { Transport, TransportReceipt, TransportSendOptions } from "./contract/transport.js";
import { MailError } from "./errors/mail-error.js";
import { createMailer, type Mailer, type MailerEvents } from "./mailer.js";
import { MAX_DELAY_MS } from "./resilience/delays.js";
import { failover } from "./routing/failover.js";
import { weighted } from "./routing/weighted.js";
import { useFakeTimersInEachTest } from "./test-support/fake-timers.js";
import { createMemoryStore, createMemoryTransport } from "./testing/index.js";
import { rejectedMailError, thrownMailError } from "./testing/mail-error.js";

const message = { from: "app@contoso.com", to: "ada@contoso.com", subject: "Hello", text: "Hi" };

useFakeTimersInEachTest();

function collect<E extends keyof MailerEvents>(mailer: Mailer, event: E) {
  const seen: MailerEvents[E][0][] = [];
  mailer.on(event, ((payload: MailerEvents[E][0]) => seen.push(payload)) as never);
  return seen;
}

/** A transport whose send() throws a plain TypeError, as a transport with a bug does. */
function buggy(name: string): Transport & { calls: number } {
  const transport = {
    specificationVersion: "v1" as const,
    name,
    calls: 0,
    send(): Promise<TransportReceipt> {
      transport.calls++;
      return Promise.reject(new TypeError("contentId.replace is not a function"));
    },
  };
  return transport;
}

/**
 * A transport whose server takes the message (recorded in `accepted`) and then answers only
 * when told: an abort after that is answered with an ambiguous ABORTED, as the SMTP and Graph
 * transports do once the message left. `ignoreAbort` never answers at all.
 */
function slowAfterAccept(name: string, options: { ignoreAbort?: boolean } = {}) {
  const accepted: string[] = [];
  const transport: Transport = {
    specificationVersion: "v1",
    name,
    send(normalized: NormalizedMessage, sendOptions: TransportSendOptions) {
      accepted.push(normalized.messageId);
      return new Promise<TransportReceipt>((_, reject) => {
        if (options.ignoreAbort) return;
        sendOptions.signal.addEventListener("abort", () =>
          reject(
            new MailError({
              code: "ABORTED",
              message: `${name}: the send was aborted.`,
              transport: name,
              ambiguous: true,
            }),
          ),
        );
      });
    },
  };
  return { transport, accepted };
}

describe("defect 1: only classified path failures count toward the breaker", () => {
  it("a transport throwing a non-MailError fails UNKNOWN each time and never opens the breaker", async () => {
    const broken = buggy("graph");
    const mailer = createMailer({
      transport: broken,
      retry: false,
      circuitBreaker: { volumeThreshold: 2 },
    });
    const opened = collect(mailer, "breaker:open");
    for (let index = 0; index < 10; index++) {
      const error = await rejectedMailError(mailer.send(message));
      expect(error).toMatchObject({ code: "UNKNOWN", transport: "graph", ambiguous: true });
    }
    expect(broken.calls).toBe(10);
    expect(opened).toEqual([]);
  });

  it("failover moves on past a path that throws a non-MailError, whose breaker stays closed", async () => {
    const graph = buggy("graph");
    const smtp = createMemoryTransport({ name: "smtp" });
    const mailer = createMailer({
      transport: failover([graph, smtp], { circuitBreaker: { volumeThreshold: 2 } }),
      retry: false,
    });
    const opened = collect(mailer, "breaker:open");
    for (let index = 0; index < 10; index++) {
      // The bug may have struck after the request left: the delivery is flagged.
      await expect(mailer.send(message)).resolves.toMatchObject({
        transport: "smtp",
        ambiguousAttempts: 1,
      });
    }
    expect(graph.calls).toBe(10);
    expect(opened).toEqual([]);
  });
});

describe("defect 2: routing follows the ambiguity rule of retry", () => {
  const ambiguousDrop = { code: "CONNECTION_FAILED", delivered: true } as const;

  it("failover after an ambiguous failure flags the delivery, in the result and the events", async () => {
    const store = createMemoryStore();
    const graph = createMemoryTransport({ name: "graph", store }).failNext(ambiguousDrop);
    const smtp = createMemoryTransport({ name: "smtp", store });
    const mailer = createMailer({ transport: failover([graph, smtp]) });
    const sent = collect(mailer, "sent");
    const retries = collect(mailer, "retry");

    const result = await mailer.send(message);

    expect(result).toMatchObject({ transport: "smtp", attempts: 1, ambiguousAttempts: 1 });
    expect(sent).toEqual([expect.objectContaining({ transport: "smtp", ambiguousAttempts: 1 })]);
    expect(retries).toEqual([
      expect.objectContaining({
        transport: "graph",
        nextTransport: "smtp",
        code: "CONNECTION_FAILED",
        delayMs: 0,
      }),
    ]);
    // The duplicate is there, and it carries the same Message-ID.
    expect(store.sent.map((delivered) => delivered.messageId)).toEqual([
      result.messageId,
      result.messageId,
    ]);
  });

  it("failover does not resend an ambiguous failure when retryAmbiguous is false", async () => {
    const graph = createMemoryTransport({ name: "graph" }).failNext(ambiguousDrop);
    const smtp = createMemoryTransport({ name: "smtp" });
    const mailer = createMailer({
      transport: failover([graph, smtp]),
      retry: { retryAmbiguous: false },
    });
    const error = await rejectedMailError(mailer.send(message));
    expect(error).toMatchObject({ code: "CONNECTION_FAILED", transport: "graph", ambiguous: true });
    expect(smtp.calls).toBe(0);
    expect(graph.sent).toHaveLength(1);
  });

  /** Two weighted paths of weight 1; the draw picks "a", which drops after the DATA. */
  const weightedAmbiguousFirst = () => {
    const a = createMemoryTransport({ name: "a" }).failNext(ambiguousDrop);
    const b = createMemoryTransport({ name: "b" });
    const paths = [
      { transport: a, weight: 1 },
      { transport: b, weight: 1 },
    ];
    return { b, transport: weighted(paths, { random: () => 0.1 }) };
  };

  it("weighted does not move an ambiguous failure to another path when retryAmbiguous is false", async () => {
    const { b, transport } = weightedAmbiguousFirst();
    const mailer = createMailer({ transport, retry: { retryAmbiguous: false } });
    expect(await rejectedMailError(mailer.send(message))).toMatchObject({ ambiguous: true });
    expect(b.calls).toBe(0);
  });

  it("weighted moving an ambiguous failure flags the delivery", async () => {
    const { transport } = weightedAmbiguousFirst();
    await expect(createMailer({ transport }).send(message)).resolves.toMatchObject({
      transport: "b",
      ambiguousAttempts: 1,
    });
  });

  it("a retry that delivers after an ambiguous attempt is flagged; a clean one is not", async () => {
    const memory = createMemoryTransport().failWith([ambiguousDrop, "ok", "SERVER_ERROR", "ok"]);
    const mailer = createMailer({
      transport: memory,
      retry: { random: () => 0 },
      sleep: () => Promise.resolve(),
    });
    await expect(mailer.send(message)).resolves.toMatchObject({
      attempts: 2,
      ambiguousAttempts: 1,
    });
    await expect(mailer.send(message)).resolves.toMatchObject({
      attempts: 2,
      ambiguousAttempts: 0,
    });
  });

  it("a send that fails for good after an ambiguous attempt is ambiguous", async () => {
    const memory = createMemoryTransport().failWith([ambiguousDrop, "RECIPIENT_REJECTED"]);
    const mailer = createMailer({
      transport: memory,
      retry: { random: () => 0 },
      sleep: () => Promise.resolve(),
    });
    expect(await rejectedMailError(mailer.send(message))).toMatchObject({
      code: "RECIPIENT_REJECTED",
      attempts: 2,
      ambiguous: true,
    });
  });

  it("a route whose last path fails after an earlier ambiguous one throws an ambiguous error", async () => {
    const graph = createMemoryTransport({ name: "graph" }).failNext(ambiguousDrop);
    const smtp = createMemoryTransport({ name: "smtp" }).failNext("CONNECTION_FAILED");
    const mailer = createMailer({ transport: failover([graph, smtp]), retry: false });
    expect(await rejectedMailError(mailer.send(message))).toMatchObject({
      code: "CONNECTION_FAILED",
      transport: "smtp",
      ambiguous: true,
    });
  });
});

describe("defect 3: an abort during an attempt in flight", () => {
  /**
   * Sends `message` through `transport` and aborts it after `afterMs` of fake time.
   * @returns the send's rejection, still to be awaited (wrapped, so awaiting this does not)
   */
  async function abortAfter(
    transport: Transport,
    afterMs: number,
  ): Promise<{ readonly rejection: Promise<MailError> }> {
    const mailer = createMailer({ transport });
    const controller = new AbortController();
    const rejection = rejectedMailError(mailer.send(message, { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(afterMs);
    controller.abort();
    return { rejection };
  }

  it("keeps the transport's ambiguous ABORTED ambiguous", async () => {
    const { transport, accepted } = slowAfterAccept("graph");
    const { rejection } = await abortAfter(transport, 10);
    const error = await rejection;
    expect(error).toMatchObject({ code: "ABORTED", ambiguous: true, attempts: 1 });
    expect(accepted).toEqual([error.messageId]);
  });

  it("is ambiguous when the transport does not answer the abort", async () => {
    const { transport } = slowAfterAccept("custom", { ignoreAbort: true });
    const { rejection } = await abortAfter(transport, 10);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await rejection).toMatchObject({ code: "ABORTED", ambiguous: true });
  });

  it("is not ambiguous when the transport says nothing was accepted", async () => {
    const memory = createMemoryTransport({ latencyMs: 5_000 });
    const { rejection } = await abortAfter(memory, 100);
    expect(await rejection).toMatchObject({ code: "ABORTED", ambiguous: false });
    expect(memory.sent).toHaveLength(0);
  });

  it("through failover, keeps the path's ambiguous ABORTED ambiguous", async () => {
    const { transport } = slowAfterAccept("graph");
    const smtp = createMemoryTransport({ name: "smtp" });
    const { rejection } = await abortAfter(failover([transport, smtp]), 10);
    expect(await rejection).toMatchObject({ code: "ABORTED", ambiguous: true });
    expect(smtp.calls).toBe(0);
  });
});

describe("an abort in flight keeps its rate-limit slot until the transport stops", () => {
  it("does not start the next attempt of the sender while the aborted one still runs", async () => {
    let running = 0;
    let most = 0;
    const transport: Transport = {
      specificationVersion: "v1",
      name: "smtp",
      send(_normalized, sendOptions) {
        running++;
        most = Math.max(most, running);
        return new Promise<TransportReceipt>((resolve, reject) => {
          const timer = setTimeout(() => {
            running--;
            resolve({ accepted: ["ada@contoso.com"], rejected: [] });
          }, 1_000);
          // It takes 200 ms to stop (say, to close its connection).
          sendOptions.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            setTimeout(() => {
              running--;
              reject(new MailError({ code: "ABORTED", message: "aborted", transport: "smtp" }));
            }, 200);
          });
        });
      },
    };
    const mailer = createMailer({ transport, rateLimit: { concurrency: 1 } });
    const controller = new AbortController();
    const first = rejectedMailError(mailer.send(message, { signal: controller.signal }));
    const second = mailer.send(message);
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await first).toMatchObject({ code: "ABORTED", ambiguous: false });
    await expect(second).resolves.toMatchObject({ attempts: 1 });
    expect(most).toBe(1);
  });
});

describe("defect 7: delays above 2^31 - 1 ms are refused", () => {
  const transport = () => createMemoryTransport();
  it.each([
    ["timeoutMs", { timeoutMs: 3_000_000_000 }],
    ["retry.baseDelayMs", { retry: { baseDelayMs: MAX_DELAY_MS + 1 } }],
    ["retry.maxDelayMs", { retry: { maxDelayMs: 2 ** 40 } }],
    ["retry.maxRetryAfterMs", { retry: { maxRetryAfterMs: Number.POSITIVE_INFINITY } }],
    ["circuitBreaker.resetTimeoutMs", { circuitBreaker: { resetTimeoutMs: 2 ** 31 } }],
    ["circuitBreaker.rollingWindowMs", { circuitBreaker: { rollingWindowMs: 2 ** 31 } }],
    ["rateLimit.intervalMs", { rateLimit: { maxPerInterval: 1, intervalMs: 2 ** 31 } }],
  ])("createMailer refuses %s as INVALID_CONFIG", (path, options) => {
    expect(
      thrownMailError(() => createMailer({ transport: transport(), ...options })),
    ).toMatchObject({
      code: "INVALID_CONFIG",
      issues: [expect.objectContaining({ path })],
    });
  });

  it("accepts 2^31 - 1 ms", () => {
    expect(() =>
      createMailer({
        transport: transport(),
        timeoutMs: MAX_DELAY_MS,
        retry: { maxDelayMs: MAX_DELAY_MS, maxRetryAfterMs: MAX_DELAY_MS },
        circuitBreaker: { resetTimeoutMs: MAX_DELAY_MS },
      }),
    ).not.toThrow();
  });

  it("routing refuses a breaker reset or pacing window over the limit", () => {
    expect(() => failover([transport()], { circuitBreaker: { resetTimeoutMs: 2 ** 31 } })).toThrow(
      expect.objectContaining({ code: "INVALID_CONFIG" }),
    );
    expect(() =>
      weighted([{ transport: transport(), weight: 1 }], {
        rateLimit: { maxPerInterval: 1, intervalMs: 2 ** 32 },
      }),
    ).toThrow(expect.objectContaining({ code: "INVALID_CONFIG" }));
  });

  it("close() refuses such a deadline", async () => {
    const mailer = createMailer({ transport: transport() });
    expect(await rejectedMailError(mailer.close({ timeoutMs: 2 ** 31 }))).toMatchObject({
      code: "INVALID_CONFIG",
    });
  });
});

describe("defect 8: close({ timeoutMs })", () => {
  it("rejects queued sends as never attempted and aborts the one in flight at the deadline", async () => {
    const memory = createMemoryTransport({ latencyMs: 60_000 });
    const mailer = createMailer({ transport: memory, rateLimit: { concurrency: 1 } });
    const sends = [1, 2, 3].map(() => rejectedMailError(mailer.send(message)));
    await vi.advanceTimersByTimeAsync(10);
    let closed = false;
    const closing = mailer.close({ timeoutMs: 5_000 }).then(() => {
      closed = true;
    });
    await vi.advanceTimersByTimeAsync(4_990);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(10);
    await closing;
    const [inFlight, ...queued] = await Promise.all(sends);
    // The memory transport honours the abort before the server took anything.
    expect(inFlight).toMatchObject({ code: "ABORTED", ambiguous: false, attempts: 1 });
    for (const error of queued) {
      expect(error).toMatchObject({ code: "ABORTED", ambiguous: false, attempts: 1 });
      expect(error.message).toMatch(/closed with a 5000 ms deadline/);
    }
    expect(memory.calls).toBe(1);
    expect(memory.closed).toBe(true);
  });

  it("aborts an attempt in flight as ambiguous when its transport cannot say", async () => {
    const { transport } = slowAfterAccept("custom", { ignoreAbort: true });
    const mailer = createMailer({ transport });
    const sending = rejectedMailError(mailer.send(message));
    await vi.advanceTimersByTimeAsync(10);
    const closing = mailer.close({ timeoutMs: 100 });
    await vi.advanceTimersByTimeAsync(1_100);
    await closing;
    expect(await sending).toMatchObject({ code: "ABORTED", ambiguous: true });
  });

  it("rejects a send backing off before its retry, ambiguous only if an earlier attempt was", async () => {
    const memory = createMemoryTransport().failWith([
      "SERVER_ERROR",
      { code: "CONNECTION_FAILED", delivered: true },
    ]);
    const mailer = createMailer({
      transport: memory,
      retry: { baseDelayMs: 60_000, random: () => 0.99 },
    });
    const clean = rejectedMailError(mailer.send(message));
    const afterDrop = rejectedMailError(mailer.send(message));
    await vi.advanceTimersByTimeAsync(10);
    const closing = mailer.close({ timeoutMs: 0 });
    await vi.advanceTimersByTimeAsync(0);
    await closing;
    expect(await clean).toMatchObject({ code: "ABORTED", ambiguous: false, attempts: 1 });
    expect(await afterDrop).toMatchObject({ code: "ABORTED", ambiguous: true, attempts: 1 });
  });

  it("lets sends that finish before the deadline deliver", async () => {
    const memory = createMemoryTransport({ latencyMs: 500 });
    const mailer = createMailer({ transport: memory });
    const sending = mailer.send(message);
    await vi.advanceTimersByTimeAsync(1);
    const closing = mailer.close({ timeoutMs: 10_000 });
    await vi.advanceTimersByTimeAsync(500);
    await closing;
    await expect(sending).resolves.toMatchObject({ attempts: 1, ambiguousAttempts: 0 });
  });

  it("a later close({ timeoutMs }) shortens an earlier close() without a deadline", async () => {
    const memory = createMemoryTransport({ latencyMs: 600_000 });
    const mailer = createMailer({ transport: memory });
    const sending = rejectedMailError(mailer.send(message));
    await vi.advanceTimersByTimeAsync(1);
    const first = mailer.close();
    const second = mailer.close({ timeoutMs: 1_000 });
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all([first, second]);
    expect(await sending).toMatchObject({ code: "ABORTED" });
  });
});

describe("defect 9: routed paths report through the mailer's events", () => {
  it("reports each path's breaker changes and failures with the path's name", async () => {
    const graph = createMemoryTransport({ name: "graph" }).failNext("CONNECTION_FAILED", 2);
    const smtp = createMemoryTransport({ name: "smtp" });
    const mailer = createMailer({
      transport: failover([graph, smtp], {
        circuitBreaker: { volumeThreshold: 2, resetTimeoutMs: 30_000 },
      }),
      retry: false,
    });
    const breaker: string[] = [];
    for (const state of ["open", "halfOpen", "close"] as const) {
      mailer.on(`breaker:${state}`, (event) => breaker.push(`${event.transport}:${state}`));
    }
    const retries = collect(mailer, "retry");

    for (let index = 0; index < 3; index++) {
      await expect(mailer.send(message)).resolves.toMatchObject({ transport: "smtp" });
    }
    expect(breaker).toEqual(["graph:open"]);
    // Two failures of graph; the third send skipped its open breaker without a retry event.
    expect(retries.map((retry) => [retry.transport, retry.code, retry.nextTransport])).toEqual([
      ["graph", "CONNECTION_FAILED", "smtp"],
      ["graph", "CONNECTION_FAILED", "smtp"],
    ]);
    expect(graph.calls).toBe(2);

    await vi.advanceTimersByTimeAsync(30_000);
    expect(breaker).toEqual(["graph:open", "graph:halfOpen"]);
    await expect(mailer.send(message)).resolves.toMatchObject({ transport: "graph" });
    expect(breaker).toEqual(["graph:open", "graph:halfOpen", "graph:close"]);
    await mailer.close();
  });

  it("reports a failure of every path with its name in retry and failed", async () => {
    const graph = createMemoryTransport({ name: "graph" }).failNext("SERVER_ERROR");
    const smtp = createMemoryTransport({ name: "smtp" }).failNext("CONNECTION_FAILED");
    const mailer = createMailer({ transport: failover([graph, smtp]), retry: false });
    const retries = collect(mailer, "retry");
    const failures = collect(mailer, "failed");
    await rejectedMailError(mailer.send(message));
    expect(retries.map((retry) => retry.transport)).toEqual(["graph"]);
    expect(failures).toEqual([
      expect.objectContaining({ transport: "smtp", code: "CONNECTION_FAILED" }),
    ]);
  });

  it("passes on the breaker changes of a nested route", async () => {
    const graph = createMemoryTransport({ name: "graph" }).failNext("SERVER_ERROR", 2);
    const smtp = createMemoryTransport({ name: "smtp" });
    const relay = createMemoryTransport({ name: "relay" });
    const inner = failover([graph, smtp], { circuitBreaker: { volumeThreshold: 2 } });
    const outer = failover([inner, relay]);
    expect(outer.router?.paths).toEqual(["graph", "smtp", "relay"]);
    const mailer = createMailer({ transport: outer, retry: false });
    const opened = collect(mailer, "breaker:open");
    await mailer.send(message);
    await mailer.send(message);
    expect(opened).toEqual([expect.objectContaining({ transport: "graph" })]);
    expect(relay.calls).toBe(0);
  });

  it("times each path attempt from when its rate limit lets it go, not while it waits", async () => {
    const slow = createMemoryTransport({
      name: "smtp",
      latencyMs: 5_000,
      limits: { maxConcurrency: 1 },
    });
    const mailer = createMailer({ transport: failover([slow]), timeoutMs: 8_000, retry: false });
    const sends = [1, 2, 3].map(() => mailer.send(message));
    await vi.advanceTimersByTimeAsync(15_000);
    const results = await Promise.allSettled(sends);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
    expect(slow.sent).toHaveLength(3);
  });

  it("times out a hanging path by its name, counts it toward its breaker, and moves on", async () => {
    const { transport: hanging } = slowAfterAccept("graph", { ignoreAbort: true });
    const smtp = createMemoryTransport({ name: "smtp" });
    const mailer = createMailer({
      transport: failover([hanging, smtp], { circuitBreaker: { volumeThreshold: 1 } }),
      timeoutMs: 1_000,
      retry: false,
    });
    const opened = collect(mailer, "breaker:open");
    const retries = collect(mailer, "retry");
    const sending = mailer.send(message);
    await vi.advanceTimersByTimeAsync(1_000);
    // The hanging path may have taken it: the delivery by smtp is flagged.
    await expect(sending).resolves.toMatchObject({ transport: "smtp", ambiguousAttempts: 1 });
    expect(retries).toEqual([
      expect.objectContaining({ transport: "graph", code: "TIMEOUT", nextTransport: "smtp" }),
    ]);
    expect(opened).toEqual([expect.objectContaining({ transport: "graph" })]);
  });

  it("puts no breaker or limiter of its own over a route, and says so when given one", () => {
    const route = failover([createMemoryTransport({ name: "graph" })]);
    expect(() =>
      createMailer({ transport: route, circuitBreaker: { volumeThreshold: 1 } }),
    ).toThrow(
      expect.objectContaining({
        code: "INVALID_CONFIG",
        issues: [expect.objectContaining({ path: "circuitBreaker" })],
      }),
    );
    expect(() => createMailer({ transport: route, rateLimit: false })).toThrow(
      expect.objectContaining({ code: "INVALID_CONFIG" }),
    );
  });
});
