import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createRateLimiter, type KeyedRateLimiter } from "./rate-limiter.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function limiterOf(maxPerInterval: number, intervalMs: number): KeyedRateLimiter {
  const limiter = createRateLimiter({ maxPerInterval, intervalMs }, undefined);
  if (!limiter) throw new Error("expected a limiter");
  return limiter;
}

/** A task that ends when `finish()` is called. */
function pending() {
  let finish!: () => void;
  const task = () => new Promise<void>((resolve) => (finish = resolve));
  return { task, finish: () => finish() };
}

describe("the rate window's tokens", () => {
  it("come back one interval after each task ends, each at its own time", async () => {
    const limiter = limiterOf(3, 1_000);
    const startedAt = Date.now();
    const first = pending();
    const second = pending();
    const third = pending();
    const running = [first, second, third].map(({ task }) => limiter.run("k", task));
    const starts: number[] = [];
    const later = Array.from({ length: 3 }, () =>
      limiter.run("k", async () => {
        starts.push(Date.now() - startedAt);
      }),
    );
    await vi.advanceTimersByTimeAsync(0);
    // The tasks end at 0, 300 and 600 ms; their tokens are due at 1,000, 1,300 and 1,600 ms.
    first.finish();
    await vi.advanceTimersByTimeAsync(300);
    second.finish();
    await vi.advanceTimersByTimeAsync(300);
    third.finish();
    await Promise.all(running);
    await vi.advanceTimersByTimeAsync(399);
    expect(starts).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(starts).toEqual([1_000]);
    await vi.advanceTimersByTimeAsync(299);
    expect(starts).toEqual([1_000]);
    await vi.advanceTimersByTimeAsync(1);
    expect(starts).toEqual([1_000, 1_300]);
    await vi.advanceTimersByTimeAsync(300);
    expect(starts).toEqual([1_000, 1_300, 1_600]);
    await Promise.all(later);
    limiter.clear();
  });

  it("hold one timer for any number of tokens on their way back, and none once all are back", async () => {
    const limiter = limiterOf(1_000, 1_000);
    const before = vi.getTimerCount();
    for (let round = 0; round < 10; round++) {
      await Promise.all(Array.from({ length: 50 }, () => limiter.run("k", async () => {})));
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(vi.getTimerCount() - before).toBe(1);
    // 500 tokens are out: a 501st..1,000th start at once, the 1,001st waits for the first back.
    let late = false;
    const sends = Array.from({ length: 500 }, () => limiter.run("k", async () => {}));
    const last = limiter.run("k", async () => {
      late = true;
    });
    await Promise.all(sends);
    await vi.advanceTimersByTimeAsync(0);
    expect(late).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(late).toBe(true);
    await last;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(vi.getTimerCount() - before).toBe(0);
  });

  it("leave no timer behind clear()", async () => {
    const limiter = limiterOf(5, 60_000);
    const before = vi.getTimerCount();
    await Promise.all(Array.from({ length: 3 }, () => limiter.run("k", async () => {})));
    expect(vi.getTimerCount() - before).toBe(1);
    limiter.clear();
    expect(vi.getTimerCount() - before).toBe(0);
  });
});

describe("the concurrency slots", () => {
  it("start the waiting tasks in order as slots free, never more than the limit, skipping an aborted one", async () => {
    const limiter = createRateLimiter({ concurrency: 2 }, undefined);
    if (!limiter) throw new Error("expected a limiter");
    let active = 0;
    let most = 0;
    const order: number[] = [];
    const task = (id: number) => async () => {
      order.push(id);
      active++;
      most = Math.max(most, active);
      await new Promise((resolve) => setTimeout(resolve, 100 * id));
      active--;
      return id;
    };
    const controller = new AbortController();
    const runs = [1, 2, 3, 4, 5].map((id) =>
      limiter.run("k", task(id), id === 4 ? controller.signal : undefined),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual([1, 2]);
    controller.abort(new Error("gave up"));
    await expect(runs[3]).rejects.toThrow("gave up");
    await vi.advanceTimersByTimeAsync(100);
    expect(order).toEqual([1, 2, 3]);
    await vi.advanceTimersByTimeAsync(100);
    expect(order).toEqual([1, 2, 3, 5]);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(Promise.all([runs[0], runs[1], runs[2], runs[4]])).resolves.toEqual([1, 2, 3, 5]);
    expect(most).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
  });
});
