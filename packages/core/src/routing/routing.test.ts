import { describe, expect, it, vi } from "vitest";
import type { MailError } from "../errors/mail-error.js";
import { createMailer } from "../mailer.js";
import { useFakeTimersInEachTest } from "../test-support/fake-timers.js";
import { createMemoryStore, createMemoryTransport } from "../testing/index.js";
import { failover } from "./failover.js";
import { weighted } from "./weighted.js";

const message = { from: "app@contoso.com", to: "ada@contoso.com", subject: "Hello", text: "Hi" };

useFakeTimersInEachTest();

describe("failover", () => {
  it("moves to the next transport on a path failure and reports the path used", async () => {
    const graph = createMemoryTransport({ name: "graph" }).failNext("CONNECTION_FAILED");
    const smtp = createMemoryTransport({ name: "smtp" });
    const mailer = createMailer({ transport: failover([graph, smtp]), retry: false });
    await expect(mailer.send(message)).resolves.toMatchObject({ transport: "smtp", attempts: 1 });
    expect(graph.sent).toHaveLength(0);
    expect(smtp.sent).toHaveLength(1);
  });

  it.each([
    "RECIPIENT_REJECTED",
    "INVALID_MESSAGE",
    "SEND_AS_DENIED",
    "THROTTLED",
    "MESSAGE_TOO_LARGE",
  ] as const)("never moves on for %s", async (code) => {
    const graph = createMemoryTransport({ name: "graph" }).failNext(code);
    const smtp = createMemoryTransport({ name: "smtp" });
    const error = await createMailer({ transport: failover([graph, smtp]), retry: false })
      .send(message)
      .catch((caught: MailError) => caught);
    expect(error).toMatchObject({ code });
    expect(smtp.calls).toBe(0);
  });

  it("skips a path whose breaker is open without calling it", async () => {
    const graph = createMemoryTransport({ name: "graph" }).failNext("SERVER_ERROR", 2);
    const smtp = createMemoryTransport({ name: "smtp" });
    const states: string[] = [];
    const transport = failover([graph, smtp], {
      circuitBreaker: { volumeThreshold: 2, resetTimeoutMs: 60_000 },
      onBreakerStateChange: (name, state) => states.push(`${name}:${state}`),
    });
    const mailer = createMailer({ transport, retry: false });
    for (let index = 0; index < 4; index++) await mailer.send(message);
    expect(states).toEqual(["graph:open"]);
    expect(graph.calls).toBe(2);
    expect(smtp.sent).toHaveLength(4);
  });

  it("throws the last path failure when every path fails", async () => {
    const graph = createMemoryTransport({ name: "graph" }).failNext("CONNECTION_FAILED");
    const smtp = createMemoryTransport({ name: "smtp" }).failNext("TIMEOUT");
    const error = await createMailer({ transport: failover([graph, smtp]), retry: false })
      .send(message)
      .catch((caught: MailError) => caught);
    expect(error).toMatchObject({ code: "TIMEOUT" });
  });

  it("paces each path by its own limits", async () => {
    const graph = createMemoryTransport({
      name: "graph",
      latencyMs: 100,
      limits: { maxConcurrency: 1 },
    });
    const transport = failover([graph]);
    expect(transport.limits).toBeUndefined();
    const mailer = createMailer({ transport });
    const sends = [mailer.send(message), mailer.send(message)];
    await vi.advanceTimersByTimeAsync(150);
    expect(graph.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all(sends);
    expect(graph.sent).toHaveLength(2);
  });
});

describe("routing limits", () => {
  it("refuses before sending a message over the smallest per-message recipient limit of its paths", async () => {
    const graph = createMemoryTransport({
      name: "graph",
      limits: { maxRecipientsPerMessage: 500, maxConcurrency: 4 },
    });
    const smtp = createMemoryTransport({
      name: "smtp",
      limits: { maxRecipientsPerMessage: 2, maxConcurrency: 3 },
    });
    const transport = weighted([
      { transport: graph, weight: 1 },
      { transport: smtp, weight: 1 },
    ]);
    expect(transport.limits).toEqual({ maxRecipientsPerMessage: 2 });
    expect(failover([graph, smtp]).limits).toEqual({ maxRecipientsPerMessage: 2 });
    const error = await createMailer({ transport })
      .send({ ...message, to: ["a@contoso.com", "b@contoso.com", "c@contoso.com"] })
      .catch((caught: MailError) => caught);
    expect(error).toMatchObject({ code: "INVALID_MESSAGE" });
    expect(graph.calls + smtp.calls).toBe(0);
  });
});

describe("weighted", () => {
  it("splits traffic by weight", async () => {
    const store = createMemoryStore();
    const graph = createMemoryTransport({ name: "graph", store });
    const smtp = createMemoryTransport({ name: "smtp", store });
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return (seed - 1) / 2147483646;
    };
    const mailer = createMailer({
      transport: weighted(
        [
          { transport: graph, weight: 1 },
          { transport: smtp, weight: 9 },
        ],
        { random },
      ),
      retry: false,
    });
    const used: string[] = [];
    for (let index = 0; index < 1_000; index++) used.push((await mailer.send(message)).transport);
    const graphShare = used.filter((name) => name === "graph").length / used.length;
    expect(graphShare).toBeGreaterThan(0.07);
    expect(graphShare).toBeLessThan(0.13);
  });

  it("keeps a retried message on the path it was first sent by", async () => {
    const a = createMemoryTransport({ name: "a" }).failNext("THROTTLED");
    const b = createMemoryTransport({ name: "b" });
    const picks = [0.1, 0.9, 0.9, 0.9];
    const transport = weighted(
      [
        { transport: a, weight: 1 },
        { transport: b, weight: 1 },
      ],
      { random: () => picks.shift() ?? 0.9 },
    );
    const mailer = createMailer({ transport, retry: { random: () => 0 } });
    const sending = mailer.send(message);
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(sending).resolves.toMatchObject({ transport: "a", attempts: 2 });
    expect(b.calls).toBe(0);
  });

  it("moves a message to another path on a path failure", async () => {
    const a = createMemoryTransport({ name: "a" }).failNext("CONNECTION_FAILED");
    const b = createMemoryTransport({ name: "b" });
    const transport = weighted(
      [
        { transport: a, weight: 1 },
        { transport: b, weight: 1 },
      ],
      { random: () => 0.1 },
    );
    await expect(createMailer({ transport, retry: false }).send(message)).resolves.toMatchObject({
      transport: "b",
    });
  });

  it("refuses weights that add up to zero", () => {
    expect(() => weighted([{ transport: createMemoryTransport(), weight: 0 }])).toThrow(
      expect.objectContaining({ code: "INVALID_CONFIG" }),
    );
  });
});
