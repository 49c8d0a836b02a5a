import { inspect } from "node:util";
import { describe, expect, it, vi } from "vitest";
import type { NormalizedMessage } from "./contract/message.js";
import type { Transport, TransportReceipt } from "./contract/transport.js";
import { MailError } from "./errors/mail-error.js";
import { createMailer, type MailerEvents } from "./mailer.js";
import { useFakeTimersInEachTest } from "./test-support/fake-timers.js";
import { rejectedMailError } from "./testing/mail-error.js";
import { createMemoryTransport } from "./testing/memory-transport.js";

const message = {
  from: "app@contoso.com",
  to: "ada@contoso.com",
  subject: "Hello",
  text: "Hi Ada",
};

/** Wraps a transport and records what each attempt carried and when it started. */
function recording(inner: Transport) {
  const attempts: { messageId: string; at: number; from: string }[] = [];
  const transport: Transport = {
    specificationVersion: "v1",
    name: inner.name,
    ...(inner.limits && { limits: inner.limits }),
    send(normalized: NormalizedMessage, options) {
      attempts.push({
        messageId: normalized.messageId,
        at: Date.now(),
        from: normalized.from.address,
      });
      return inner.send(normalized, options);
    },
    close: () => inner.close?.() ?? Promise.resolve(),
  };
  return { transport, attempts };
}

function collect<E extends keyof MailerEvents>(mailer: ReturnType<typeof createMailer>, event: E) {
  const seen: MailerEvents[E][0][] = [];
  mailer.on(event, ((payload: MailerEvents[E][0]) => seen.push(payload)) as never);
  return seen;
}

useFakeTimersInEachTest();

describe("createMailer retry", () => {
  it("retries two retryable failures and succeeds on the third attempt with the same Message-ID", async () => {
    const memory = createMemoryTransport().failWith(["CONNECTION_FAILED", "SERVER_ERROR", "ok"]);
    const { transport, attempts } = recording(memory);
    const mailer = createMailer({ transport, retry: { random: () => 0.5 } });
    const retries = collect(mailer, "retry");

    const sending = mailer.send(message);
    await vi.advanceTimersByTimeAsync(120_000);
    const result = await sending;

    expect(result.attempts).toBe(3);
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((attempt) => attempt.messageId))).toEqual(
      new Set([result.messageId]),
    );
    expect(memory.sent).toHaveLength(1);
    expect(memory.sent[0]!.messageId).toBe(result.messageId);
    // Full jitter: random 0.5 of 500 ms, then of 1000 ms.
    expect(retries.map((retry) => [retry.code, retry.delayMs])).toEqual([
      ["CONNECTION_FAILED", 250],
      ["SERVER_ERROR", 500],
    ]);
  });

  it("makes one attempt for a permanent failure", async () => {
    const memory = createMemoryTransport().failNext("SEND_AS_DENIED");
    const mailer = createMailer({ transport: memory });
    const error = await rejectedMailError(mailer.send(message));
    expect(error.code).toBe("SEND_AS_DENIED");
    expect(error.attempts).toBe(1);
    expect(memory.calls).toBe(1);
  });

  it("waits for the server's retryAfterMs before the next attempt", async () => {
    const memory = createMemoryTransport().failNext({
      code: "THROTTLED",
      retryable: true,
      retryAfterMs: 7_000,
    });
    const { transport, attempts } = recording(memory);
    const mailer = createMailer({ transport, retry: { random: () => 0 } });
    const throttled = collect(mailer, "throttled");

    const sending = mailer.send(message);
    await vi.advanceTimersByTimeAsync(6_999);
    expect(attempts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(attempts).toHaveLength(2);
    await expect(sending).resolves.toMatchObject({ attempts: 2 });
    expect(attempts[1]!.at - attempts[0]!.at).toBe(7_000);
    expect(throttled).toEqual([
      expect.objectContaining({ code: "THROTTLED", retryAfterMs: 7_000, delayMs: 7_000 }),
    ]);
  });

  it("gives up when the server asks for a wait longer than maxRetryAfterMs", async () => {
    const memory = createMemoryTransport().failNext({
      code: "QUOTA_EXCEEDED",
      retryable: true,
      retryAfterMs: 3_600_000,
    });
    const mailer = createMailer({ transport: memory, retry: { maxRetryAfterMs: 60_000 } });
    const error = await rejectedMailError(mailer.send(message));
    expect(error).toMatchObject({ code: "QUOTA_EXCEEDED", retryAfterMs: 3_600_000, attempts: 1 });
  });

  it("does not retry an ambiguous failure when retryAmbiguous is false", async () => {
    const memory = createMemoryTransport().failNext({
      code: "CONNECTION_FAILED",
      retryable: true,
      ambiguous: true,
      delivered: true,
    });
    const mailer = createMailer({ transport: memory, retry: { retryAmbiguous: false } });
    const error = await rejectedMailError(mailer.send(message));
    expect(error).toMatchObject({ code: "CONNECTION_FAILED", ambiguous: true, attempts: 1 });
    expect(memory.sent).toHaveLength(1);
  });

  it("aborts an attempt that exceeds timeoutMs with a retryable, ambiguous TIMEOUT", async () => {
    const transport = createMemoryTransport({ latencyMs: 10_000 });
    const mailer = createMailer({ transport, timeoutMs: 1_000, retry: false });
    const sending = rejectedMailError(mailer.send(message));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await sending).toMatchObject({
      code: "TIMEOUT",
      retryable: true,
      ambiguous: true,
      attempts: 1,
    });
    expect(transport.sent).toHaveLength(0);
  });
});

describe("createMailer validation", () => {
  it.each([
    ["a CRLF in the subject", { ...message, subject: "Hi\r\nBcc: x@evil.com" }],
    ["a CRLF in a header value", { ...message, headers: { "X-Id": "1\r\nBcc: x@evil.com" } }],
    ["no recipient", { from: message.from, subject: "s", text: "t" }],
    ["a malformed address", { ...message, to: "ada@" }],
  ])("sends nothing for %s", async (_, invalid) => {
    const transport = createMemoryTransport();
    const mailer = createMailer({ transport });
    const error = await rejectedMailError(mailer.send(invalid as never));
    expect(error.code).toBe("INVALID_MESSAGE");
    expect(transport.calls).toBe(0);
  });

  it("refuses more recipients than the transport allows per message before sending", async () => {
    const transport = createMemoryTransport({ limits: { maxRecipientsPerMessage: 2 } });
    const mailer = createMailer({ transport });
    const error = await rejectedMailError(
      mailer.send({ ...message, to: ["a@contoso.com", "b@contoso.com", "c@contoso.com"] }),
    );
    expect(error.code).toBe("INVALID_MESSAGE");
    expect(transport.calls).toBe(0);
  });

  it("refuses a transport of another specification version", () => {
    expect(() =>
      createMailer({
        transport: { ...createMemoryTransport(), specificationVersion: "v2" as never },
      }),
    ).toThrow(expect.objectContaining({ code: "INVALID_CONFIG" }));
  });
});

describe("createMailer circuit breaker", () => {
  const breaker = { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 10_000 };

  it("opens after its threshold, fails fast with CIRCUIT_OPEN, and closes through half-open", async () => {
    const memory = createMemoryTransport().failNext("CONNECTION_FAILED", 3);
    const mailer = createMailer({ transport: memory, retry: false, circuitBreaker: breaker });
    const opened = collect(mailer, "breaker:open");
    const halfOpened = collect(mailer, "breaker:halfOpen");
    const closed = collect(mailer, "breaker:close");

    for (let index = 0; index < 3; index++) {
      expect((await rejectedMailError(mailer.send(message))).code).toBe("CONNECTION_FAILED");
    }
    expect(opened).toEqual([{ transport: "memory", retryAfterMs: 10_000 }]);

    await vi.advanceTimersByTimeAsync(4_000);
    const fast = await rejectedMailError(mailer.send(message));
    expect(fast).toMatchObject({
      code: "CIRCUIT_OPEN",
      retryable: true,
      retryAfterMs: 6_000,
      attempts: 1,
    });
    expect(memory.calls).toBe(3);

    await vi.advanceTimersByTimeAsync(6_000);
    expect(halfOpened).toHaveLength(1);
    await expect(mailer.send(message)).resolves.toMatchObject({ attempts: 1 });
    expect(closed).toHaveLength(1);
    expect(memory.sent).toHaveLength(1);
  });

  it("is not opened by throttles, rejected recipients or invalid messages", async () => {
    const memory = createMemoryTransport()
      .failNext({ code: "THROTTLED", retryable: true, retryAfterMs: 10 }, 4)
      .failNext("RECIPIENT_REJECTED", 4);
    const mailer = createMailer({ transport: memory, retry: false, circuitBreaker: breaker });
    const opened = collect(mailer, "breaker:open");
    for (let index = 0; index < 8; index++) await rejectedMailError(mailer.send(message));
    for (let index = 0; index < 4; index++)
      await rejectedMailError(mailer.send({ ...message, to: "nope" }));
    expect(opened).toHaveLength(0);
    await expect(mailer.send(message)).resolves.toMatchObject({ attempts: 1 });
  });
});

describe("createMailer rate limit", () => {
  it("starts no more than maxPerInterval attempts per sender in any interval, other senders unaffected", async () => {
    const memory = createMemoryTransport({ latencyMs: 10 });
    const { transport, attempts } = recording(memory);
    const mailer = createMailer({
      transport,
      rateLimit: { concurrency: 2, maxPerInterval: 3, intervalMs: 1_000 },
    });

    const sends = [
      ...Array.from({ length: 7 }, () => mailer.send(message)),
      ...Array.from({ length: 2 }, () => mailer.send({ ...message, from: "other@contoso.com" })),
    ];
    await vi.advanceTimersByTimeAsync(50);
    expect(attempts.filter((attempt) => attempt.from === "app@contoso.com")).toHaveLength(3);
    expect(attempts.filter((attempt) => attempt.from === "other@contoso.com")).toHaveLength(2);

    await vi.advanceTimersByTimeAsync(120_000);
    await Promise.all(sends);
    const starts = attempts
      .filter((attempt) => attempt.from === "app@contoso.com")
      .map((attempt) => attempt.at);
    expect(starts).toHaveLength(7);
    for (const start of starts) {
      expect(
        starts.filter((other) => other >= start && other < start + 1_000).length,
      ).toBeLessThanOrEqual(3);
    }
  });

  /** `count` sends of 500 ms each under `maxPerInterval` per second: attempts started by 1,499 ms, and every start. */
  async function windowStarts(maxPerInterval: number, count: number) {
    const { transport, attempts } = recording(createMemoryTransport({ latencyMs: 500 }));
    const mailer = createMailer({ transport, rateLimit: { maxPerInterval, intervalMs: 1_000 } });
    const startedAt = Date.now();
    const sends = Array.from({ length: count }, () => mailer.send(message));
    await vi.advanceTimersByTimeAsync(1_499);
    const early = attempts.length;
    await vi.advanceTimersByTimeAsync(5_000);
    await Promise.all(sends);
    return { early, starts: attempts.map((attempt) => attempt.at - startedAt) };
  }

  it("counts a send against the window until one interval after it completes, as Exchange does", async () => {
    // Two start at once and complete at 500 ms; their tokens come back at 1,500 ms.
    expect((await windowStarts(2, 3)).starts).toEqual([0, 0, 1_500]);
  });

  it("gives back every token due in the same millisecond, and none before its interval is over", async () => {
    const { early, starts } = await windowStarts(3, 7);
    expect(early).toBe(3);
    // Three finish together at 500 ms: all three tokens are back at 1,500 ms, then at 3,000 ms.
    expect(starts).toEqual([0, 0, 0, 1_500, 1_500, 1_500, 3_000]);
  });

  it("takes its defaults from transport.limits", async () => {
    const memory = createMemoryTransport({ latencyMs: 100, limits: { maxConcurrency: 1 } });
    const { transport, attempts } = recording(memory);
    const mailer = createMailer({ transport });
    const sends = [mailer.send(message), mailer.send(message)];
    await vi.advanceTimersByTimeAsync(50);
    expect(attempts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(120_000);
    await Promise.all(sends);
    expect(attempts).toHaveLength(2);
  });
});

describe("createMailer abort and close", () => {
  it("rejects with ABORTED promptly when aborted during backoff, and frees its slot", async () => {
    const memory = createMemoryTransport().failNext("SERVER_ERROR");
    const { transport, attempts } = recording(memory);
    const mailer = createMailer({
      transport,
      rateLimit: { concurrency: 1 },
      retry: { baseDelayMs: 60_000, random: () => 0.99 },
    });
    const controller = new AbortController();
    const first = rejectedMailError(mailer.send(message, { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(10);
    expect(attempts).toHaveLength(1);
    controller.abort();
    expect(await first).toMatchObject({ code: "ABORTED", attempts: 1 });
    await expect(mailer.send(message)).resolves.toMatchObject({ attempts: 1 });
  });

  it("rejects with ABORTED when aborted while waiting for a rate-limit slot, without sending", async () => {
    const memory = createMemoryTransport({ latencyMs: 1_000 });
    const mailer = createMailer({ transport: memory, rateLimit: { concurrency: 1 } });
    const busy = mailer.send(message);
    const controller = new AbortController();
    const waiting = rejectedMailError(mailer.send(message, { signal: controller.signal }));
    controller.abort();
    expect((await waiting).code).toBe("ABORTED");
    await vi.advanceTimersByTimeAsync(120_000);
    await busy;
    expect(memory.calls).toBe(1);
  });

  it("hands the attempt's signal as an own property, so a wrapper that spreads the options still passes it on", async () => {
    const memory = createMemoryTransport({ latencyMs: 60_000 });
    const received: AbortSignal[] = [];
    const keys: string[][] = [];
    // A wrapper transport as users write them: it copies the options and adds nothing.
    const transport: Transport = {
      specificationVersion: "v1",
      name: "wrapper",
      send(normalized, options) {
        const copied = { ...options };
        keys.push(Object.keys(options));
        received.push(copied.signal);
        return memory.send(normalized, copied);
      },
    };
    const mailer = createMailer({ transport, retry: false, timeoutMs: 1_000 });
    const sending = rejectedMailError(mailer.send(message));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(received).toHaveLength(1);
    expect(received[0]).toBeInstanceOf(AbortSignal);
    expect(received[0]?.reason).toMatchObject({ code: "TIMEOUT" });
    expect(await sending).toMatchObject({ code: "TIMEOUT", attempts: 1 });
    // Over a plain transport the mailer times the attempt itself: no timeoutMs is passed.
    expect(keys[0]?.sort()).toEqual(["onPathFailure", "retryAmbiguous", "signal"]);
  });

  // An abort of the attempt in flight (ABORTED, nothing sent): guarantees.test.ts, "is not
  // ambiguous when the transport says nothing was accepted".

  it("close() drains sends in flight, closes the transport once, and later sends fail clearly", async () => {
    const memory = createMemoryTransport({ latencyMs: 500 });
    const mailer = createMailer({ transport: memory });
    const sending = mailer.send(message);
    await vi.advanceTimersByTimeAsync(1);
    const closing = mailer.close();
    expect(memory.closed).toBe(false);
    await vi.advanceTimersByTimeAsync(120_000);
    await expect(sending).resolves.toMatchObject({ attempts: 1 });
    await closing;
    await mailer.close();
    expect(memory.closed).toBe(true);
    const error = await rejectedMailError(mailer.send(message));
    expect(error.code).toBe("ABORTED");
    expect(error.message).toMatch(/closed/);
  });
});

describe("createMailer events", () => {
  it("reports attempt, retry, sent and failed with message id, transport, attempt, code and delay", async () => {
    const memory = createMemoryTransport().failWith(["TIMEOUT", "ok", "MESSAGE_TOO_LARGE"]);
    const mailer = createMailer({ transport: memory, retry: { random: () => 0 } });
    const seen: [string, unknown][] = [];
    for (const event of ["attempt", "retry", "sent", "failed"] as const) {
      mailer.on(event, (payload: unknown) => seen.push([event, payload]));
    }
    const first = mailer.send(message);
    await vi.advanceTimersByTimeAsync(120_000);
    const result = await first;
    await rejectedMailError(mailer.send(message));
    expect(seen.map(([event]) => event)).toEqual([
      "attempt",
      "retry",
      "attempt",
      "sent",
      "attempt",
      "failed",
    ]);
    expect(seen[1]![1]).toMatchObject({
      messageId: result.messageId,
      transport: "memory",
      attempt: 1,
      code: "TIMEOUT",
      delayMs: 0,
    });
    expect(seen[5]![1]).toMatchObject({
      transport: "memory",
      attempts: 1,
      code: "MESSAGE_TOO_LARGE",
    });
  });

  it("verify() goes through the transport", async () => {
    const memory = createMemoryTransport().failVerify("AUTH_FAILED");
    const mailer = createMailer({ transport: memory });
    expect((await rejectedMailError(mailer.verify())).code).toBe("AUTH_FAILED");
    memory.failVerify(null);
    await expect(mailer.verify()).resolves.toBeUndefined();
  });
});

describe("createMailer sleep injection", () => {
  it("waits through the injected sleep with the computed delay", async () => {
    vi.useRealTimers();
    const memory = createMemoryTransport().failNext({
      code: "THROTTLED",
      retryable: true,
      retryAfterMs: 30_000,
    });
    const waits: number[] = [];
    const mailer = createMailer({
      transport: memory,
      retry: { random: () => 0 },
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    await expect(mailer.send(message)).resolves.toMatchObject({ attempts: 2 });
    expect(waits).toEqual([30_000]);
  });
});

describe("createMailer with a transport that breaks the contract", () => {
  it("wraps a non-MailError into UNKNOWN", async () => {
    const transport: Transport = {
      specificationVersion: "v1",
      name: "broken",
      send: (): Promise<TransportReceipt> => Promise.reject(new TypeError("boom")),
    };
    const error = await rejectedMailError(createMailer({ transport }).send(message));
    expect(error).toMatchObject({ code: "UNKNOWN", transport: "broken", attempts: 1 });
  });

  it("fails an attempt whose send() throws instead of rejecting as UNKNOWN, ambiguous, and gives its slot back", async () => {
    let calls = 0;
    const transport: Transport = {
      specificationVersion: "v1",
      name: "throws",
      limits: { maxConcurrency: 1 },
      send: (): Promise<TransportReceipt> => {
        calls++;
        throw new TypeError("boom");
      },
    };
    const mailer = createMailer({ transport, retry: { maxAttempts: 1 } });
    const first = await rejectedMailError(mailer.send(message));
    expect(first).toMatchObject({ code: "UNKNOWN", ambiguous: true, attempts: 1 });
    // The one concurrency slot came back: a second send is attempted too, at once.
    const second = await rejectedMailError(mailer.send(message));
    expect(second).toMatchObject({ code: "UNKNOWN", attempts: 1 });
    expect(calls).toBe(2);
    await mailer.close();
  });
});

describe("createMailer never lets a raw error or a secret out", () => {
  const PASSWORD = "Mailer-Test-Password-31c9";
  // What nodemailer and HTTP clients attach to their errors beside the message.
  const thirdPartyError = () =>
    Object.assign(new Error("Connection closed unexpectedly"), {
      code: "ECONNECTION",
      options: { auth: { user: "app@contoso.com", pass: PASSWORD } },
      request: { headers: { authorization: "Bearer opaque-token-value-123456" } },
    });

  it("rejects a message it cannot read (a throwing getter) with INVALID_MESSAGE and sends nothing", async () => {
    const transport = createMemoryTransport();
    const unreadable = {
      ...message,
      get attachments(): never {
        throw new TypeError("Cannot read the attachments");
      },
    };
    const error = await rejectedMailError(createMailer({ transport }).send(unreadable));
    expect(MailError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "INVALID_MESSAGE", issues: [{ path: "message" }] });
    expect(transport.calls).toBe(0);
  });

  it("wraps a raw error from the transport's close() into a MailError", async () => {
    const transport: Transport = {
      specificationVersion: "v1",
      name: "leaky",
      send: (): Promise<TransportReceipt> => Promise.reject(new Error("unused")),
      close: () => Promise.reject(thirdPartyError()),
    };
    const error = await rejectedMailError(createMailer({ transport }).close());
    expect(MailError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "UNKNOWN", transport: "leaky" });
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(PASSWORD);
  });

  it("keeps the caught error's message and code in cause, not its auth options or headers", async () => {
    const transport: Transport = {
      specificationVersion: "v1",
      name: "leaky",
      send: (): Promise<TransportReceipt> => Promise.reject(thirdPartyError()),
    };
    const mailer = createMailer({ transport, retry: false });
    const failed = collect(mailer, "failed");
    const error = await rejectedMailError(mailer.send(message));
    expect(error.cause).toMatchObject({
      message: "Connection closed unexpectedly",
      code: "ECONNECTION",
    });
    for (const seen of [error, failed[0]]) {
      const printed = inspect(seen, { depth: 10, showHidden: true });
      expect(printed).toContain("ECONNECTION");
      expect(printed).not.toContain(PASSWORD);
      expect(printed).not.toContain("opaque-token-value");
    }
  });
});
