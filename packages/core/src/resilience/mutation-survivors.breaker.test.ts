// The circuit breaker and the attempt timeout at their edges (issue 17, core-resilience
// survivors): a configured threshold is the one used, CIRCUIT_OPEN says which path and for how
// long, shutdown() leaves no timer, and withTimeout lets go of its timer and of the caller's
// signal once the attempt ended.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MailError } from "../errors/mail-error.js";
import { createBreaker, type TransportBreaker } from "./circuit-breaker.js";
import { timeoutError, withTimeout } from "./timeout.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const down = () =>
  Promise.reject(new MailError({ code: "CONNECTION_FAILED", message: "down", retryable: true }));
const fine = () => Promise.resolve("ok");

function breaker(options: Parameters<typeof createBreaker>[1], states: string[] = []) {
  const created = createBreaker("smtp", options, (state) => states.push(state));
  if (!created) throw new Error("expected a breaker");
  return created;
}

async function settle(b: TransportBreaker, task: () => Promise<unknown>) {
  return b.run(task).catch((error: unknown) => error);
}

describe("the breaker's threshold", () => {
  it("is the configured errorThresholdPercentage: two failures in three stay closed under 100", async () => {
    const states: string[] = [];
    const b = breaker({ errorThresholdPercentage: 100, volumeThreshold: 2 }, states);
    await settle(b, fine);
    await settle(b, down);
    await settle(b, down);
    expect(states).toEqual([]);
    await expect(b.run(fine)).resolves.toBe("ok");
    b.shutdown();
  });

  it("is 50% by default: half failed stays closed, two in three opens it", async () => {
    const states: string[] = [];
    const b = breaker({ volumeThreshold: 2 }, states);
    await settle(b, fine);
    await settle(b, down);
    expect(states).toEqual([]);
    await settle(b, down);
    expect(states).toEqual(["open"]);
    b.shutdown();
  });
});

describe("the breaker's rolling window", () => {
  it("is 60 s by default: two failures 15 s apart open it", async () => {
    const states: string[] = [];
    const b = breaker({ volumeThreshold: 2 }, states);
    await settle(b, down);
    await vi.advanceTimersByTimeAsync(15_000);
    await settle(b, down);
    expect(states).toEqual(["open"]);
    b.shutdown();
  });

  it("is the configured rollingWindowMs: two failures 1.5 s apart in a 1 s window do not", async () => {
    const states: string[] = [];
    const b = breaker({ volumeThreshold: 2, rollingWindowMs: 1_000 }, states);
    await settle(b, down);
    await vi.advanceTimersByTimeAsync(1_500);
    await settle(b, down);
    expect(states).toEqual([]);
    b.shutdown();
  });
});

describe("CIRCUIT_OPEN", () => {
  it("names the path and how long it is not tried, with a hint", async () => {
    const b = breaker({ volumeThreshold: 1, resetTimeoutMs: 5_000 });
    await settle(b, down);
    await vi.advanceTimersByTimeAsync(1_000);
    const error = (await settle(b, fine)) as MailError;
    expect(error).toMatchObject({ code: "CIRCUIT_OPEN", retryAfterMs: 4_000, transport: "smtp" });
    expect(error.message).toBe(
      'The circuit breaker of transport "smtp" is open after repeated path failures; not trying it for 4000 ms.',
    );
    expect(error.hint).toMatch(/keeps failing/);
    b.shutdown();
  });

  it("passes on whatever else the task rejected with, even undefined", async () => {
    const b = breaker({});
    await expect(b.run(() => Promise.reject(undefined))).rejects.toBeUndefined();
    await expect(b.run(() => Promise.reject(null))).rejects.toBeNull();
    b.shutdown();
  });
});

describe("shutdown()", () => {
  it("leaves no timer of the breaker behind, open or closed", async () => {
    const before = vi.getTimerCount();
    const closed = breaker({});
    const open = breaker({ volumeThreshold: 1 });
    await settle(open, down);
    expect(vi.getTimerCount()).toBeGreaterThan(before);
    closed.shutdown();
    open.shutdown();
    expect(vi.getTimerCount()).toBe(before);
  });
});

describe("the breaker's delays", () => {
  it("are refused in the breaker's name", () => {
    expect(() => createBreaker("smtp", { resetTimeoutMs: 0 }, () => {})).toThrow(
      expect.objectContaining({
        code: "INVALID_CONFIG",
        message:
          "circuitBreaker: circuitBreaker.resetTimeoutMs must be a positive number of milliseconds, got 0.",
      }),
    );
  });
});

describe("TIMEOUT", () => {
  it("names the path, the bound, and is retryable and ambiguous, with a hint", () => {
    const error = timeoutError("graph", "<m@contoso.com>", 1_500);
    expect(error).toMatchObject({
      code: "TIMEOUT",
      retryable: true,
      ambiguous: true,
      transport: "graph",
      messageId: "<m@contoso.com>",
      message: 'The attempt through "graph" took longer than 1500 ms and was aborted.',
    });
    expect(error.hint).toMatch(/timeoutMs/);
  });
});

describe("withTimeout", () => {
  const timeout = () => timeoutError("graph", "<m@contoso.com>", 1_000);

  it("hands the attempt an aborted signal when the caller's already is", async () => {
    const outer = AbortSignal.abort(new Error("gave up"));
    let seen: AbortSignal | undefined;
    await withTimeout(
      async (signal) => {
        seen = signal;
      },
      outer,
      1_000,
      timeout,
    );
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toEqual(new Error("gave up"));
  });

  it("passes the caller's abort on to an attempt in flight", async () => {
    const outer = new AbortController();
    let seen: AbortSignal | undefined;
    const running = withTimeout(
      (signal) =>
        new Promise<string>((resolve) => {
          seen = signal;
          signal.addEventListener("abort", () => resolve("stopped"));
        }),
      outer.signal,
      1_000,
      timeout,
    );
    outer.abort(new Error("stop"));
    await expect(running).resolves.toBe("stopped");
    expect(seen?.reason).toEqual(new Error("stop"));
  });

  it("lets go of its timer and of the caller's signal once the attempt ended", async () => {
    const outer = new AbortController();
    const before = vi.getTimerCount();
    let seen: AbortSignal | undefined;
    await withTimeout(
      async (signal) => {
        seen = signal;
        return "done";
      },
      outer.signal,
      1_000,
      timeout,
    );
    expect(vi.getTimerCount()).toBe(before);
    // Neither the timeout nor a later abort of the caller reaches an attempt that is over.
    await vi.advanceTimersByTimeAsync(2_000);
    outer.abort(new Error("later"));
    expect(seen?.aborted).toBe(false);
  });

  it("rejects with the timeout's error at the bound, and aborts the attempt with it", async () => {
    let seen: AbortSignal | undefined;
    const running = withTimeout(
      (signal) =>
        new Promise<never>(() => {
          seen = signal;
        }),
      new AbortController().signal,
      1_000,
      timeout,
    );
    const settled = running.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(999);
    expect(seen?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled).toMatchObject({ code: "TIMEOUT", transport: "graph" });
    expect(seen?.reason).toMatchObject({ code: "TIMEOUT" });
  });
});
