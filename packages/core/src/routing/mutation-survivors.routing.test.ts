// Routing at its edges (issue 17, core-routing survivors): how weighted() picks a path at the
// boundaries of its random point, weights it refuses, the sticky memory's size, names and limits
// of a route, and what moving on between paths reports.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { NormalizedMessage } from "../contract/message.js";
import type { Transport, TransportSendOptions } from "../contract/transport.js";
import { MailError } from "../errors/mail-error.js";
import { normalizeMessage } from "../message/normalize.js";
import { createMemoryTransport } from "../testing/index.js";
import { failover } from "./failover.js";
import { weighted } from "./weighted.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const normalized = (messageId?: string): NormalizedMessage =>
  normalizeMessage(
    {
      from: "app@contoso.com",
      to: "ada@contoso.com",
      subject: "s",
      text: "t",
      ...(messageId && { messageId }),
    },
    {},
  );

const sendOptions = (overrides: Partial<TransportSendOptions> = {}): TransportSendOptions => ({
  signal: new AbortController().signal,
  ...overrides,
});

const resolvedInstead = (): never => {
  throw new Error("expected a rejection");
};

function refusal(run: () => unknown): MailError {
  try {
    run();
  } catch (error) {
    if (MailError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected INVALID_CONFIG");
}

describe("weighted picks a path by its share of the weights", () => {
  const route = (random: number, weights: number[]) => {
    const paths = weights.map((weight, index) => ({
      transport: createMemoryTransport({ name: String.fromCharCode(97 + index) }),
      weight,
    }));
    return weighted(paths, { random: () => random, circuitBreaker: false, rateLimit: false });
  };

  it("a point on the boundary between two shares goes to the later path", async () => {
    // Weights 1 and 3: [0, 0.25) is a's, [0.25, 1) is b's.
    await expect(route(0.25, [1, 3]).send(normalized(), sendOptions())).resolves.toMatchObject({
      transport: "b",
    });
    await expect(route(0.2499, [1, 3]).send(normalized(), sendOptions())).resolves.toMatchObject({
      transport: "a",
    });
  });

  it("never picks a path of weight 0, even at the point 0", async () => {
    await expect(route(0, [0, 1]).send(normalized(), sendOptions())).resolves.toMatchObject({
      transport: "b",
    });
  });

  it("a random source answering 1 gets the last path that has a weight", async () => {
    await expect(route(1, [1, 1, 1, 0]).send(normalized(), sendOptions())).resolves.toMatchObject({
      transport: "c",
    });
  });

  it("moves a failed message among the paths not tried yet, by their weights", async () => {
    const a = createMemoryTransport({ name: "a" }).failNext("CONNECTION_FAILED");
    const b = createMemoryTransport({ name: "b" }).failNext("CONNECTION_FAILED");
    const c = createMemoryTransport({ name: "c" });
    const moves: string[] = [];
    const transport = weighted(
      [
        { transport: a, weight: 1 },
        { transport: b, weight: 1 },
        { transport: c, weight: 1 },
      ],
      { random: () => 0, circuitBreaker: false },
    );
    await expect(
      transport.send(normalized(), sendOptions({ onPathFailure: ({ next }) => moves.push(next) })),
    ).resolves.toMatchObject({ transport: "c" });
    expect(moves).toEqual(["b", "c"]);
    expect([a.calls, b.calls, c.calls]).toEqual([1, 1, 1]);
  });

  it("throws the last path's error once every path was tried", async () => {
    const a = createMemoryTransport({ name: "a" }).failNext("CONNECTION_FAILED");
    const b = createMemoryTransport({ name: "b" }).failNext("SERVER_ERROR");
    const transport = weighted(
      [
        { transport: a, weight: 1 },
        { transport: b, weight: 1 },
      ],
      { random: () => 0, circuitBreaker: false },
    );
    await expect(transport.send(normalized(), sendOptions())).rejects.toMatchObject({
      code: "SERVER_ERROR",
      transport: "b",
    });
    expect(a.calls + b.calls).toBe(2);
  });
});

describe("weighted remembers the path of the last stickyMessages messages", () => {
  it("keeps a remembered message on its path, and forgets the oldest beyond the limit", async () => {
    const a = createMemoryTransport({ name: "a" });
    const b = createMemoryTransport({ name: "b" });
    const picks = [0.1, 0.9, 0.9, 0.9];
    const transport = weighted(
      [
        { transport: a, weight: 1 },
        { transport: b, weight: 1 },
      ],
      { random: () => picks.shift() ?? 0.9, stickyMessages: 1 },
    );
    const first = normalized("<first@contoso.com>");
    await expect(transport.send(first, sendOptions())).resolves.toMatchObject({ transport: "a" });
    // Sent again while remembered: the same path, no new pick.
    await expect(transport.send(first, sendOptions())).resolves.toMatchObject({ transport: "a" });
    await expect(
      transport.send(normalized("<second@contoso.com>"), sendOptions()),
    ).resolves.toMatchObject({ transport: "b" });
    // Only one is remembered: the first was forgotten and is picked anew (0.9: b).
    await expect(transport.send(first, sendOptions())).resolves.toMatchObject({ transport: "b" });
  });

  it("remembers 10,000 messages by default", async () => {
    const bare = (name: string): Transport => ({
      specificationVersion: "v1",
      name,
      send: async () => ({ accepted: [], rejected: [] }),
    });
    let next = 0.1;
    const transport = weighted(
      [
        { transport: bare("a"), weight: 1 },
        { transport: bare("b"), weight: 1 },
      ],
      { random: () => next, circuitBreaker: false, rateLimit: false },
    );
    const base = normalized();
    const send = (messageId: string) => transport.send({ ...base, messageId }, sendOptions());
    await send("<first@contoso.com>");
    await send("<second@contoso.com>");
    next = 0.9;
    for (let index = 0; index < 9_998; index++) await send(`<m${index}@contoso.com>`);
    // 10,000 remembered: the first still is (and is now the newest).
    await expect(send("<first@contoso.com>")).resolves.toMatchObject({ transport: "a" });
    // One more pushes out the oldest, the second, which is picked anew (0.9: b).
    await send("<one-more@contoso.com>");
    await expect(send("<second@contoso.com>")).resolves.toMatchObject({ transport: "b" });
  });
});

describe("weighted refuses weights it cannot split by", () => {
  const t = (name: string) => createMemoryTransport({ name });

  it.each([
    ["negative", -1],
    ["NaN", Number.NaN],
    ["infinite", Number.POSITIVE_INFINITY],
    ["a string", "1"],
  ])("a %s weight, naming the path", (_, weight) => {
    const error = refusal(() =>
      weighted([
        { transport: t("a"), weight: 1 },
        { transport: t("b"), weight: weight as number },
      ]),
    );
    expect(error.code).toBe("INVALID_CONFIG");
    expect(error.issues).toEqual([
      { path: "paths[1].weight", message: "must be a finite number >= 0" },
    ]);
  });

  it("weights that add up to 0, or no paths", () => {
    expect(
      refusal(() =>
        weighted([
          { transport: t("a"), weight: 0 },
          { transport: t("b"), weight: 0 },
        ]),
      ).issues,
    ).toEqual([{ path: "paths", message: "the weights add up to 0" }]);
    expect(refusal(() => weighted([])).message).toBe(
      "weighted() needs transports with weights >= 0 and at least one weight > 0.",
    );
    expect(refusal(() => weighted("a" as never)).issues).toEqual([
      { path: "paths", message: "the weights add up to 0" },
    ]);
    expect(refusal(() => failover([])).issues).toEqual([
      { path: "transports", message: "must be a non-empty array" },
    ]);
  });

  it("accepts a path of weight 0 next to one that has weight", () => {
    expect(() =>
      weighted([
        { transport: t("a"), weight: 0 },
        { transport: t("b"), weight: 2 },
      ]),
    ).not.toThrow();
  });
});

describe("a route's name and limits", () => {
  it("is named after its paths unless given a name", () => {
    const a = createMemoryTransport({ name: "a" });
    const b = createMemoryTransport({ name: "b" });
    expect(failover([a, b]).name).toBe("failover(a,b)");
    expect(failover([a, b], { name: "mail" }).name).toBe("mail");
    expect(
      weighted([
        { transport: a, weight: 1 },
        { transport: b, weight: 9 },
      ]).name,
    ).toBe("weighted(a:1,b:9)");
    expect(weighted([{ transport: a, weight: 1 }], { name: "split" }).name).toBe("split");
  });

  it("takes the smallest per-message limits of its paths and none of their pacing", () => {
    const a = createMemoryTransport({
      name: "a",
      limits: { maxRecipientsPerMessage: 500, maxMessageBytes: 35_000_000, maxConcurrency: 4 },
    });
    const b = createMemoryTransport({
      name: "b",
      limits: { maxRecipientsPerMessage: 100, maxMessageBytes: 150_000_000 },
    });
    const c = createMemoryTransport({ name: "c" });
    expect(failover([a, b, c]).limits).toEqual({
      maxRecipientsPerMessage: 100,
      maxMessageBytes: 35_000_000,
    });
    expect(weighted([{ transport: b, weight: 1 }]).limits).toEqual({
      maxRecipientsPerMessage: 100,
      maxMessageBytes: 150_000_000,
    });
    // No key for a limit no path has (toStrictEqual: not even one set to undefined).
    expect(
      failover([createMemoryTransport({ name: "x", limits: { maxMessageBytes: 10 } })]).limits,
    ).toStrictEqual({ maxMessageBytes: 10 });
    expect(
      failover([createMemoryTransport({ name: "y", limits: { maxRecipientsPerMessage: 5 } })])
        .limits,
    ).toStrictEqual({ maxRecipientsPerMessage: 5 });
    expect(failover([c]).limits).toBeUndefined();
    expect("limits" in failover([c])).toBe(false);
    expect(
      failover([createMemoryTransport({ name: "p", limits: { maxConcurrency: 4 } })]).limits,
    ).toBeUndefined();
  });

  it("lists its paths, a nested route's flattened", () => {
    const a = createMemoryTransport({ name: "a" });
    const b = createMemoryTransport({ name: "b" });
    const c = createMemoryTransport({ name: "c" });
    expect(
      failover([
        a,
        weighted([
          { transport: b, weight: 1 },
          { transport: c, weight: 1 },
        ]),
      ]).router?.paths,
    ).toEqual(["a", "b", "c"]);
  });
});

describe("a route's lifecycle", () => {
  it("verifies every path, and closes every path though one fails to close", async () => {
    const verified: string[] = [];
    const closed: string[] = [];
    const path = (name: string, failClose = false): Transport => ({
      specificationVersion: "v1",
      name,
      send: async () => ({ accepted: [], rejected: [] }),
      verify: async () => {
        verified.push(name);
      },
      close: async () => {
        closed.push(name);
        if (failClose) throw new Error("close failed");
      },
    });
    const route = failover([path("a", true), path("b")]);
    await route.verify?.();
    expect(verified).toEqual(["a", "b"]);
    await expect(route.close?.()).resolves.toBeUndefined();
    expect(closed).toEqual(["a", "b"]);
  });

  it("stops telling a listener of breaker changes once it unsubscribed", async () => {
    const a = createMemoryTransport({ name: "a" }).failNext("CONNECTION_FAILED", 10);
    const b = createMemoryTransport({ name: "b" });
    const route = failover([a, b], { circuitBreaker: { volumeThreshold: 1 } });
    const seen: string[] = [];
    const router = route.router;
    if (!router) throw new Error("a route has a router");
    const unsubscribe = router.subscribe((event) => seen.push(`${event.transport}:${event.state}`));
    await route.send(normalized(), sendOptions());
    expect(seen).toEqual(["a:open"]);
    unsubscribe();
    await vi.advanceTimersByTimeAsync(30_000);
    await route.send(normalized(), sendOptions());
    expect(seen).toEqual(["a:open"]);
    await route.close?.();
  });
});

describe("moving on between paths", () => {
  it("does not report a path skipped for its open breaker as a failure", async () => {
    const a = createMemoryTransport({ name: "a" }).failNext("CONNECTION_FAILED", 10);
    const b = createMemoryTransport({ name: "b" });
    const route = failover([a, b], { circuitBreaker: { volumeThreshold: 1 } });
    const moves: string[] = [];
    const options = sendOptions({
      onPathFailure: ({ error, next }) => moves.push(`${error.code}->${next}`),
    });
    await route.send(normalized(), options);
    await route.send(normalized(), options);
    expect(moves).toEqual(["CONNECTION_FAILED->b"]);
    expect(a.calls).toBe(1);
    await route.close?.();
  });

  it("does not move on after a failure of the message itself", async () => {
    const a = createMemoryTransport({ name: "a" }).failNext("RECIPIENT_REJECTED");
    const b = createMemoryTransport({ name: "b" });
    await expect(failover([a, b]).send(normalized(), sendOptions())).rejects.toMatchObject({
      code: "RECIPIENT_REJECTED",
    });
    expect(b.calls).toBe(0);
  });

  it("stops between paths when the send was aborted, as not delivered unless a path may have", async () => {
    const controller = new AbortController();
    const a: Transport = {
      specificationVersion: "v1",
      name: "a",
      async send() {
        controller.abort(new Error("gave up"));
        throw new MailError({ code: "CONNECTION_FAILED", message: "down", retryable: true });
      },
    };
    const b = createMemoryTransport({ name: "b" });
    const error = await failover([a, b])
      .send(normalized(), sendOptions({ signal: controller.signal }))
      .then(resolvedInstead, (caught: unknown) => caught as MailError);
    expect(error).toMatchObject({ code: "CONNECTION_FAILED" });
    expect(error.ambiguous ?? false).toBe(false);
    expect(b.calls).toBe(0);
  });

  it("refuses to start a path once the send was aborted", async () => {
    const controller = new AbortController();
    controller.abort(new Error("gave up"));
    const a = createMemoryTransport({ name: "a" });
    for (const route of [
      failover([a], { name: "r" }),
      weighted([{ transport: a, weight: 1 }], { name: "r" }),
    ]) {
      const error = await route
        .send(normalized("<m@contoso.com>"), sendOptions({ signal: controller.signal }))
        .then(resolvedInstead, (caught: unknown) => caught as MailError);
      expect(error).toMatchObject({
        code: "ABORTED",
        transport: "r",
        messageId: "<m@contoso.com>",
        message: 'The send through "r" was aborted.',
      });
      expect(error.ambiguous ?? false).toBe(false);
      expect(error.cause).toEqual(new Error("gave up"));
    }
    expect(a.calls).toBe(0);
  });

  it("names the path that delivered when the receipt does not", async () => {
    const bare: Transport = {
      specificationVersion: "v1",
      name: "bare",
      send: async () => ({ accepted: ["ada@contoso.com"], rejected: [] }),
    };
    await expect(failover([bare]).send(normalized(), sendOptions())).resolves.toMatchObject({
      transport: "bare",
    });
  });
});

describe("ambiguity across the paths of a route, sent through the route itself", () => {
  // A failover and a weighted route, each over its own pair made by `pair()`.
  const routes = (pair: () => [Transport, Transport]) => {
    const [a, b] = pair();
    const [c, d] = pair();
    return [
      failover([a, b], { circuitBreaker: false }),
      weighted(
        [
          { transport: c, weight: 1 },
          { transport: d, weight: 1 },
        ],
        { random: () => 0, circuitBreaker: false },
      ),
    ];
  };

  it("moves on after an ambiguous failure when the caller says nothing of retryAmbiguous", async () => {
    for (const route of routes(() => [
      createMemoryTransport({ name: "a" }).failNext({ code: "CONNECTION_FAILED", delivered: true }),
      createMemoryTransport({ name: "b" }),
    ])) {
      await expect(route.send(normalized(), sendOptions())).resolves.toMatchObject({
        transport: "b",
      });
    }
  });

  it("throws the last path's error as ambiguous when an earlier path may have delivered", async () => {
    for (const route of routes(() => [
      createMemoryTransport({ name: "a" }).failNext({ code: "CONNECTION_FAILED", delivered: true }),
      createMemoryTransport({ name: "b" }).failNext("SERVER_ERROR"),
    ])) {
      const error = await route
        .send(normalized(), sendOptions())
        .then(resolvedInstead, (caught: unknown) => caught as MailError);
      expect(error).toMatchObject({ code: "SERVER_ERROR", transport: "b", ambiguous: true });
    }
  });

  it("throws the last path's error as it is when no path may have delivered", async () => {
    for (const route of routes(() => [
      createMemoryTransport({ name: "a" }).failNext("CONNECTION_FAILED"),
      createMemoryTransport({ name: "b" }).failNext("SERVER_ERROR"),
    ])) {
      const error = await route
        .send(normalized(), sendOptions())
        .then(resolvedInstead, (caught: unknown) => caught as MailError);
      expect(error.code).toBe("SERVER_ERROR");
      expect(error.ambiguous ?? false).toBe(false);
    }
  });

  it("an abort between paths after an ambiguous failure is ambiguous, after a clean one it is not", async () => {
    for (const delivered of [true, false]) {
      for (const route of routes(() => [
        createMemoryTransport({ name: "a" }).failNext({ code: "CONNECTION_FAILED", delivered }),
        createMemoryTransport({ name: "b" }),
      ])) {
        const controller = new AbortController();
        const error = await route
          .send(
            normalized(),
            sendOptions({
              signal: controller.signal,
              onPathFailure: () => controller.abort(new Error("stop")),
            }),
          )
          .then(resolvedInstead, (caught: unknown) => caught as MailError);
        expect(error).toMatchObject({ code: "ABORTED" });
        expect(error.ambiguous ?? false).toBe(delivered);
      }
    }
  });
});

describe("a routed path's guards", () => {
  it("tells the breaker's open state with its wait, and the others without one", async () => {
    const events: unknown[] = [];
    const a = createMemoryTransport({ name: "a" }).failNext("CONNECTION_FAILED", 1);
    const route = failover([a, createMemoryTransport({ name: "b" })], {
      circuitBreaker: { volumeThreshold: 1, resetTimeoutMs: 1_000 },
      onBreakerStateChange: (transport, state, retryAfterMs) =>
        events.push([transport, state, retryAfterMs]),
    });
    const listened: unknown[] = [];
    route.router?.subscribe((event) => listened.push(event));
    await route.send(normalized(), sendOptions());
    await vi.advanceTimersByTimeAsync(1_000);
    await route.send(normalized(), sendOptions());
    expect(events).toEqual([
      ["a", "open", 1_000],
      ["a", "halfOpen", undefined],
      ["a", "close", undefined],
    ]);
    // No retryAfterMs key at all on halfOpen and close.
    expect(listened).toStrictEqual([
      { transport: "a", state: "open", retryAfterMs: 1_000 },
      { transport: "a", state: "halfOpen" },
      { transport: "a", state: "close" },
    ]);
    await route.close?.();
  });

  it("closing the route stops its paths' breakers: no timer left", async () => {
    const before = vi.getTimerCount();
    const a = createMemoryTransport({ name: "a" }).failNext("CONNECTION_FAILED", 1);
    const route = failover([a, createMemoryTransport({ name: "b" })], {
      circuitBreaker: { volumeThreshold: 1 },
    });
    await route.send(normalized(), sendOptions());
    expect(vi.getTimerCount()).toBeGreaterThan(before);
    await route.close?.();
    expect(vi.getTimerCount()).toBe(before);
  });

  it("paces a sender whatever the case of its address", async () => {
    const log: string[] = [];
    let finish!: () => void;
    const a: Transport = {
      specificationVersion: "v1",
      name: "a",
      limits: { maxConcurrency: 1 },
      send: (message) =>
        new Promise((resolve) => {
          log.push(message.from.address);
          finish = () => resolve({ accepted: [], rejected: [] });
        }),
    };
    const route = failover([a], { circuitBreaker: false });
    const upper = normalizeMessage(
      { from: "App@Contoso.com", to: "ada@contoso.com", subject: "s", text: "t" },
      {},
    );
    const first = route.send(normalized(), sendOptions());
    const second = route.send(upper, sendOptions());
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(["app@contoso.com"]);
    finish();
    await first;
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(["app@contoso.com", "App@Contoso.com"]);
    finish();
    await second;
  });

  it("a send aborted while waiting for a slot is ABORTED on that path, never tried", async () => {
    let finish!: () => void;
    let calls = 0;
    const a: Transport = {
      specificationVersion: "v1",
      name: "a",
      limits: { maxConcurrency: 1 },
      send: () =>
        new Promise((resolve) => {
          calls++;
          finish = () => resolve({ accepted: [], rejected: [] });
        }),
    };
    const route = failover([a], { circuitBreaker: false });
    const first = route.send(normalized(), sendOptions());
    const controller = new AbortController();
    const waiting = route.send(
      normalized("<w@contoso.com>"),
      sendOptions({ signal: controller.signal }),
    );
    controller.abort(new Error("gave up"));
    const error = await waiting.then(resolvedInstead, (caught: unknown) => caught as MailError);
    expect(MailError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: "ABORTED",
      transport: "a",
      messageId: "<w@contoso.com>",
      message: 'The send was aborted while waiting for a slot on "a".',
    });
    expect(error.cause).toEqual(new Error("gave up"));
    finish();
    await first;
    expect(calls).toBe(1);
  });
});

describe("a path that throws something other than a MailError", () => {
  it("is UNKNOWN and ambiguous, named, with a hint; the route moves on, a nested route too", async () => {
    const buggy: Transport = {
      specificationVersion: "v1",
      name: "buggy",
      send: () => Promise.reject(new TypeError("boom")),
    };
    const failures: MailError[] = [];
    const options = sendOptions({ onPathFailure: ({ error }) => failures.push(error) });
    const b = createMemoryTransport({ name: "b" });
    await expect(failover([buggy, b]).send(normalized(), options)).resolves.toMatchObject({
      transport: "b",
    });
    const nested = failover([failover([buggy], { name: "inner" }), b]);
    const innerBug: Transport = {
      ...buggy,
      name: "bug-route",
      router: { paths: ["x"], subscribe: () => () => {} },
    };
    await expect(failover([innerBug, b]).send(normalized(), options)).resolves.toMatchObject({
      transport: "b",
    });
    expect(
      failures.map((error) => [error.code, error.ambiguous, error.transport, error.message]),
    ).toEqual([
      ["UNKNOWN", true, "buggy", 'Transport "buggy" failed with a non-MailError: boom'],
      ["UNKNOWN", true, "bug-route", 'Transport "bug-route" failed with a non-MailError: boom'],
    ]);
    expect(failures[0]?.hint).toMatch(/only throw MailError/);
    expect(nested.router?.paths).toEqual(["buggy", "b"]);
  });

  it("a route over no array is refused in its own name", () => {
    expect(refusal(() => failover("ab" as never))).toMatchObject({
      code: "INVALID_CONFIG",
      message: "failover() needs at least one transport.",
    });
    expect(refusal(() => weighted([null] as never)).code).toBe("INVALID_CONFIG");
  });
});
