// The delay options at their edges (issue 17, core-resilience survivors): every delay is
// refused below its smallest value (0 for a backoff or a window, 1 for a timeout), when it is
// not a number, and above MAX_DELAY_MS; the refusal is INVALID_CONFIG naming each option.
import { describe, expect, it } from "vitest";
import type { Transport } from "../contract/transport.js";
import { createMailer } from "../mailer.js";
import { failover } from "../routing/failover.js";
import { rejectedMailError, thrownMailError } from "../testing/mail-error.js";
import { createBreaker } from "./circuit-breaker.js";
import { checkDelays, delayIssue, MAX_DELAY_MS } from "./delays.js";
import { createRateLimiter } from "./rate-limiter.js";
import { resolveRetryOptions } from "./retry.js";

const transport: Transport = {
  specificationVersion: "v1",
  name: "t",
  send: async () => ({ accepted: [], rejected: [] }),
};

describe("a negative delay", () => {
  it.each([
    ["timeoutMs", { timeoutMs: -1 }],
    ["retry.baseDelayMs", { retry: { baseDelayMs: -1 } }],
    ["retry.maxDelayMs", { retry: { maxDelayMs: -1 } }],
    ["retry.maxRetryAfterMs", { retry: { maxRetryAfterMs: -1 } }],
    ["circuitBreaker.resetTimeoutMs", { circuitBreaker: { resetTimeoutMs: -1 } }],
    ["circuitBreaker.rollingWindowMs", { circuitBreaker: { rollingWindowMs: -1 } }],
    ["rateLimit.intervalMs", { rateLimit: { maxPerInterval: 1, intervalMs: -1 } }],
  ])("createMailer refuses %s = -1 as INVALID_CONFIG naming it", (path, options) => {
    const error = thrownMailError(() => createMailer({ transport, ...options }));
    expect(error.code).toBe("INVALID_CONFIG");
    expect(error.retryable).toBe(false);
    expect(error.issues).toEqual([{ path, message: expect.stringMatching(/, got -1$/) }]);
    expect(error.message).toContain(`${path} must be`);
  });

  it("is refused on a transport's declared pacing window too", () => {
    const error = thrownMailError(() =>
      createMailer({ transport: { ...transport, limits: { intervalMs: -5 } } }),
    );
    expect(error.issues).toEqual([
      {
        path: "transport.limits.intervalMs",
        message: "must be a number of milliseconds >= 0, got -5",
      },
    ]);
  });

  it("close() refuses a negative deadline (and the mailer stays open)", async () => {
    const mailer = createMailer({ transport });
    await expect(mailer.close({ timeoutMs: -1 })).rejects.toMatchObject({
      code: "INVALID_CONFIG",
      issues: [{ path: "timeoutMs", message: "must be a number of milliseconds >= 0, got -1" }],
    });
    await expect(
      mailer.send({ from: "app@contoso.com", to: "ada@contoso.com", subject: "s", text: "t" }),
    ).resolves.toMatchObject({ attempts: 1 });
    await mailer.close();
  });

  it("is refused by each routing transport's breaker and pacing", () => {
    expect(
      thrownMailError(() => failover([transport], { circuitBreaker: { resetTimeoutMs: -1 } }))
        .issues,
    ).toEqual([{ path: "circuitBreaker.resetTimeoutMs", message: expect.any(String) }]);
    expect(
      thrownMailError(() =>
        failover([transport], { rateLimit: { maxPerInterval: 1, intervalMs: -1 } }),
      ).issues,
    ).toEqual([{ path: "rateLimit.intervalMs", message: expect.any(String) }]);
  });
});

describe("the smallest delay", () => {
  it("is 0 for a backoff, a pacing window and close()'s deadline", () => {
    expect(
      resolveRetryOptions({ baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 }),
    ).toMatchObject({ baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 });
    expect(() => createRateLimiter({ concurrency: 1, intervalMs: 0 }, undefined)).not.toThrow();
    expect(delayIssue({ path: "timeoutMs", value: 0, min: 0 })).toBeUndefined();
  });

  it("is 1 for a timeout, a breaker's reset and its window: 0 is refused", () => {
    expect(thrownMailError(() => createMailer({ transport, timeoutMs: 0 })).issues).toEqual([
      { path: "timeoutMs", message: "must be a positive number of milliseconds, got 0" },
    ]);
    expect(() => createMailer({ transport, timeoutMs: 1 })).not.toThrow();
    expect(
      thrownMailError(() => createBreaker("t", { resetTimeoutMs: 0, rollingWindowMs: 0 }, () => {}))
        .issues,
    ).toEqual([
      {
        path: "circuitBreaker.resetTimeoutMs",
        message: "must be a positive number of milliseconds, got 0",
      },
      {
        path: "circuitBreaker.rollingWindowMs",
        message: "must be a positive number of milliseconds, got 0",
      },
    ]);
    createBreaker("t", { resetTimeoutMs: 1, rollingWindowMs: 1 }, () => {})?.shutdown();
  });
});

describe("a delay that is no number", () => {
  it.each([
    ["NaN", Number.NaN, "NaN"],
    ["a string", "500", "500"],
    ["null", null, "null"],
  ])("%s is refused", (_, value, shown) => {
    expect(delayIssue({ path: "retry.baseDelayMs", value, min: 0 })).toEqual({
      path: "retry.baseDelayMs",
      message: `must be a number of milliseconds >= 0, got ${shown}`,
    });
  });

  it("an absent one is fine (the default applies)", () => {
    expect(delayIssue({ path: "timeoutMs", value: undefined, min: 1 })).toBeUndefined();
    expect(resolveRetryOptions({ baseDelayMs: undefined } as never).baseDelayMs).toBe(500);
  });
});

describe("the longest delay", () => {
  it("is MAX_DELAY_MS: accepted, and 1 ms more refused with the limit in the message", () => {
    expect(MAX_DELAY_MS).toBe(2 ** 31 - 1);
    expect(delayIssue({ path: "timeoutMs", value: MAX_DELAY_MS, min: 1 })).toBeUndefined();
    expect(delayIssue({ path: "timeoutMs", value: MAX_DELAY_MS + 1, min: 1 })).toEqual({
      path: "timeoutMs",
      message:
        "must be at most 2147483647 ms (about 24.8 days, the longest timer Node can set), got 2147483648",
    });
    expect(delayIssue({ path: "timeoutMs", value: Number.POSITIVE_INFINITY, min: 1 })).toEqual({
      path: "timeoutMs",
      message: expect.stringMatching(/^must be at most 2147483647 ms .*, got Infinity$/),
    });
  });
});

describe("a refused delay names what was being configured", () => {
  it.each([
    ["retry", () => resolveRetryOptions({ baseDelayMs: -1 }), "retry: retry.baseDelayMs must be"],
    [
      "rateLimit",
      () => createRateLimiter({ intervalMs: -1 }, undefined),
      "rateLimit: rateLimit.intervalMs must be",
    ],
    [
      "createMailer",
      () => createMailer({ transport, timeoutMs: -1 }),
      "createMailer: timeoutMs must be",
    ],
  ])("%s", (_, run, start) => {
    expect(thrownMailError(run).message.startsWith(start)).toBe(true);
  });

  it("close", async () => {
    const mailer = createMailer({ transport });
    const error = await rejectedMailError(mailer.close({ timeoutMs: -1 }));
    expect(error.message.startsWith("close: timeoutMs must be")).toBe(true);
    await mailer.close();
  });
});

describe("checkDelays", () => {
  it("passes when every delay is fine or absent", () => {
    expect(() =>
      checkDelays("retry", [
        { path: "a", value: 0, min: 0 },
        { path: "b", value: undefined, min: 1 },
        { path: "c", value: MAX_DELAY_MS, min: 1 },
      ]),
    ).not.toThrow();
  });

  it("names every wrong delay at once, in order, and only the wrong ones", () => {
    const error = thrownMailError(() =>
      checkDelays("retry", [
        { path: "retry.baseDelayMs", value: -1, min: 0 },
        { path: "retry.maxDelayMs", value: 10, min: 0 },
        { path: "retry.maxRetryAfterMs", value: MAX_DELAY_MS + 1, min: 0 },
      ]),
    );
    expect(error.code).toBe("INVALID_CONFIG");
    expect(error.issues?.map((issue) => issue.path)).toEqual([
      "retry.baseDelayMs",
      "retry.maxRetryAfterMs",
    ]);
    expect(error.message).toBe(
      "retry: retry.baseDelayMs must be a number of milliseconds >= 0, got -1; " +
        "retry.maxRetryAfterMs must be at most 2147483647 ms (about 24.8 days, the longest timer Node can set), got 2147483648.",
    );
    expect(error.hint).toBe("Give delays in milliseconds, from 0 to 2147483647.");
  });
});
