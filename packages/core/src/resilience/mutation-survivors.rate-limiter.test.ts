// The per-sender rate limiter at its edges (issue 17, core-resilience survivors): slots,
// tokens that come back one interval after an attempt ends, order, aborts while waiting, tasks
// that throw, keys that are forgotten and clear(). Written against run()/clear() only, so they
// hold across rewrites of the limiter's insides.
import { getEventListeners } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createRateLimiter, type KeyedRateLimiter, resolveRateLimit } from "./rate-limiter.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function limiter(options: Parameters<typeof createRateLimiter>[0]): KeyedRateLimiter {
  const created = createRateLimiter(options, undefined);
  if (!created) throw new Error("expected a limiter");
  return created;
}

/** A task that runs until `finish()`, recording when it started. */
function gate(log: string[], name: string) {
  let finish!: () => void;
  let fail!: (error: unknown) => void;
  const task = () =>
    new Promise<string>((resolve, reject) => {
      log.push(name);
      finish = () => resolve(name);
      fail = reject;
    });
  return {
    name,
    task,
    finish: () => finish(),
    fail: (error: unknown) => fail(error),
  };
}

/** A limiter of `options` and one gated task per name, all logging their starts in `log`. */
function gated<Name extends string>(
  options: Parameters<typeof createRateLimiter>[0],
  ...names: Name[]
) {
  const log: string[] = [];
  const gates = Object.fromEntries(names.map((name) => [name, gate(log, name)]));
  return { l: limiter(options), log, gates: gates as Record<Name, ReturnType<typeof gate>> };
}

/** `holder` holds sender "k"'s one slot: `next` waits for it, and starts once `holder` ends. */
async function startsWhenEnded(
  l: KeyedRateLimiter,
  log: string[],
  holder: ReturnType<typeof gate>,
  next: ReturnType<typeof gate>,
) {
  const before = [...log];
  const run = l.run("k", next.task);
  await vi.advanceTimersByTimeAsync(0);
  expect(log).toEqual(before);
  holder.finish();
  await vi.advanceTimersByTimeAsync(0);
  expect(log).toEqual([...before, next.name]);
  next.finish();
  return run;
}

/** Advances the clock step by step, checking after each step what `log` holds. */
async function logAfter(log: string[], steps: [ms: number, expected: string[]][]) {
  for (const [ms, expected] of steps) {
    await vi.advanceTimersByTimeAsync(ms);
    expect(log).toEqual(expected);
  }
}

const keysOf = (l: KeyedRateLimiter) => (l as unknown as { keys: Map<string, unknown> }).keys;

/** The due times a sender's window holds (`head` is the oldest not yet back), and their counts. */
function dueTimesOf(l: KeyedRateLimiter, key: string) {
  const state = keysOf(l).get(key) as {
    window: { dues: number[]; counts: number[]; head: number };
  };
  const { dues, counts, head } = state.window;
  return { dues: [...dues], counts: [...counts], head };
}

describe("concurrency", () => {
  it("starts no more than `concurrency` tasks of a key, the next in order as one ends", async () => {
    const { l, log, gates } = gated({ concurrency: 2 }, "a", "b", "c", "d");
    const { a, b, c, d } = gates;
    const runs = [a, b, c, d].map((g) => l.run("k", g.task));
    const firstFailed = expect(runs[0]).rejects.toThrow("boom");
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(["a", "b"]);
    b.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(["a", "b", "c"]);
    a.fail(new Error("boom"));
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(["a", "b", "c", "d"]);
    c.finish();
    d.finish();
    await firstFailed;
    await expect(Promise.all(runs.slice(1))).resolves.toEqual(["b", "c", "d"]);
  });

  it("frees the slot of a task that throws before returning a promise", async () => {
    const l = limiter({ concurrency: 1 });
    await expect(
      l.run("k", () => {
        throw new Error("sync");
      }),
    ).rejects.toThrow("sync");
    await expect(l.run("k", async () => "next")).resolves.toBe("next");
  });

  it("keeps the keys apart: a busy sender does not hold up another", async () => {
    const {
      l,
      gates: { a },
    } = gated({ concurrency: 1 }, "a");
    void l.run("one", a.task);
    await expect(l.run("two", async () => "other")).resolves.toBe("other");
    a.finish();
  });
});

describe("the window: a token comes back one interval after its attempt ends", () => {
  it("starts the next task exactly intervalMs after the first one finished", async () => {
    const { l, log, gates } = gated({ maxPerInterval: 2, intervalMs: 1_000 }, "a", "b", "c");
    const { a, b, c } = gates;
    void l.run("k", a.task);
    void l.run("k", b.task);
    const third = l.run("k", c.task);
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(["a", "b"]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(log).toEqual(["a", "b"]);
    a.finish();
    await vi.advanceTimersByTimeAsync(999);
    expect(log).toEqual(["a", "b"]);
    await vi.advanceTimersByTimeAsync(1);
    expect(log).toEqual(["a", "b", "c"]);
    b.finish();
    c.finish();
    await expect(third).resolves.toBe("c");
  });

  it("returns a token whose task failed too, one interval later", async () => {
    const l = limiter({ maxPerInterval: 1, intervalMs: 500 });
    await expect(l.run("k", () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    let started = false;
    const next = l.run("k", async () => {
      started = true;
    });
    await vi.advanceTimersByTimeAsync(499);
    expect(started).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(started).toBe(true);
    await next;
  });

  it("gives back several tokens that are due, in the order their tasks ended", async () => {
    const l = limiter({ maxPerInterval: 2, intervalMs: 1_000 });
    await l.run("k", async () => "a");
    await vi.advanceTimersByTimeAsync(100);
    await l.run("k", async () => "b");
    const log: string[] = [];
    const waiting = ["c", "d"].map((name) =>
      l.run("k", async () => {
        log.push(name);
      }),
    );
    await logAfter(log, [
      [899, []],
      [1, ["c"]],
      [99, ["c"]],
      [1, ["c", "d"]],
    ]);
    await Promise.all(waiting);
  });
});

describe("a clock that lags behind the timers", () => {
  it("does not hold a token back: the timer firing is proof its due time came", async () => {
    // Timers faked, performance.now() real: it barely moves while the timers jump ahead.
    vi.useRealTimers();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const l = limiter({ maxPerInterval: 1, intervalMs: 1_000 });
    await l.run("k", async () => "a");
    let started = false;
    const next = l.run("k", async () => {
      started = true;
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(started).toBe(true);
    await next;
    l.clear();
  });
});

describe("many due times on their way back (the arrays are compacted)", () => {
  it("each token comes back once, at its time, with the count of its millisecond", async () => {
    const l = limiter({ maxPerInterval: 3_000, intervalMs: 2_000 });
    // 1,024 tasks end at 0..1,023 ms, one a millisecond, then two a millisecond up to 1,499 ms:
    // 1,500 due times, from 2,000 to 3,499 ms. When the 1,024th is back, the arrays are cut.
    const ends = [
      ...Array.from({ length: 1_024 }, (_, ms) => ms),
      ...Array.from({ length: 476 }, (_, index) => [1_024 + index, 1_024 + index]).flat(),
    ];
    const first = ends.map((ms) =>
      l.run("k", () => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    );
    await vi.advanceTimersByTimeAsync(3_022);
    await Promise.all(first);
    // What the window keeps: every due time until 1,024 are back (and they are at least half),
    // then only those still to come.
    expect(dueTimesOf(l, "k")).toMatchObject({ head: 1_023 });
    expect(dueTimesOf(l, "k").dues).toHaveLength(1_500);
    await vi.advanceTimersByTimeAsync(1);
    expect(dueTimesOf(l, "k")).toMatchObject({ head: 0 });
    expect(dueTimesOf(l, "k").dues).toHaveLength(476);
    expect(dueTimesOf(l, "k").counts).toEqual(Array.from({ length: 476 }, () => 2));
    // 3,000 - 1,976 out + 1,024 back = 2,048 free; at 3,024 ms two more; at 3,025 ms two more.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const starts: number[] = [];
    const next = Array.from({ length: 2_051 }, () =>
      l.run("k", async () => {
        starts.push(performance.now());
        await held;
      }),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(starts).toHaveLength(2_048);
    await vi.advanceTimersByTimeAsync(1);
    expect(starts).toHaveLength(2_050);
    await vi.advanceTimersByTimeAsync(1);
    expect(starts).toHaveLength(2_051);
    release();
    await Promise.all(next);
    l.clear();
  });
});

describe("an abort while waiting", () => {
  /** One slot per sender, held by the running task `a` of sender "k"; `b` is gated too. */
  function slotTaken() {
    const { l, log, gates } = gated({ concurrency: 1 }, "a", "b");
    void l.run("k", gates.a.task);
    return { l, log, a: gates.a, b: gates.b, controller: new AbortController() };
  }

  it("rejects with the signal's reason, never runs the task, and the next in line gets the turn", async () => {
    const { l, a, controller } = slotTaken();
    let ranAborted = false;
    const aborted = l.run(
      "k",
      async () => {
        ranAborted = true;
      },
      controller.signal,
    );
    const behind = l.run("k", async () => "behind");
    controller.abort(new Error("gave up"));
    await expect(aborted).rejects.toThrow("gave up");
    a.finish();
    await expect(behind).resolves.toBe("behind");
    expect(ranAborted).toBe(false);
  });

  it("waiting for a token: the token it did not get goes to the next in line", async () => {
    const l = limiter({ maxPerInterval: 1, intervalMs: 1_000 });
    await l.run("k", async () => "a");
    const controller = new AbortController();
    const aborted = l.run("k", async () => "never", controller.signal);
    let behind = "";
    const next = l.run("k", async () => (behind = "c"));
    await vi.advanceTimersByTimeAsync(10);
    controller.abort(new Error("gave up"));
    await expect(aborted).rejects.toThrow("gave up");
    // Not sooner: the aborted task never got a token, so it has none to hand on.
    await vi.advanceTimersByTimeAsync(989);
    expect(behind).toBe("");
    await vi.advanceTimersByTimeAsync(1);
    expect(behind).toBe("c");
    await next;
  });

  it("aborted in the same tick its token came: the task does not run, the token and slot go on", async () => {
    const l = limiter({ concurrency: 1, maxPerInterval: 1, intervalMs: 1_000 });
    await l.run("k", async () => "a");
    const controller = new AbortController();
    let ranAborted = false;
    const aborted = l
      .run(
        "k",
        async () => {
          ranAborted = true;
        },
        controller.signal,
      )
      .catch((error: unknown) => error);
    const log: string[] = [];
    const behind = ["c", "d"].map((name) => l.run("k", async () => log.push(name)));
    // Armed after the window's timer for the same instant: the token is granted, then (before
    // the waiting task resumes) the abort comes.
    setTimeout(() => controller.abort(new Error("gave up")), 1_000);
    vi.advanceTimersByTime(1_000);
    await vi.advanceTimersByTimeAsync(0);
    expect(await aborted).toEqual(new Error("gave up"));
    expect(ranAborted).toBe(false);
    // The one token went on to c (not one more to d), and comes back one interval after c.
    await logAfter(log, [
      [0, ["c"]],
      [999, ["c"]],
      [1, ["c", "d"]],
    ]);
    await Promise.all(behind);
  });

  it("a task that gave up waiting for a token leaves the token's wait to the next caller", async () => {
    const l = limiter({ maxPerInterval: 1, intervalMs: 1_000 });
    await l.run("k", async () => "a");
    const controller = new AbortController();
    const aborted = l.run("k", async () => "never", controller.signal);
    await vi.advanceTimersByTimeAsync(10);
    controller.abort(new Error("gave up"));
    await expect(aborted).rejects.toThrow("gave up");
    // The sender still has a token out: it is not forgotten, and the next send waits for it.
    await vi.advanceTimersByTimeAsync(10);
    expect(keysOf(l).has("k")).toBe(true);
    let started = -1;
    const next = l.run("k", async () => (started = performance.now()));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(started).toBe(1_000);
    await next;
  });

  it("lets go of the caller's signal once a task that waited has started and settled", async () => {
    const l = limiter({ concurrency: 1, maxPerInterval: 1, intervalMs: 1_000 });
    await l.run("k", async () => "a");
    const settled = new AbortController();
    const failed = new AbortController();
    const first = l.run("k", async () => "b", settled.signal);
    const second = l
      .run("k", () => Promise.reject(new Error("own")), failed.signal)
      .catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(2_000);
    await expect(first).resolves.toBe("b");
    expect(await second).toEqual(new Error("own"));
    expect(getEventListeners(settled.signal, "abort")).toEqual([]);
    expect(getEventListeners(failed.signal, "abort")).toEqual([]);
  });

  it("a signal aborted before the call rejects at once, without running", async () => {
    const l = limiter({ concurrency: 1 });
    let ran = false;
    await expect(
      l.run(
        "k",
        async () => {
          ran = true;
        },
        AbortSignal.abort(new Error("already")),
      ),
    ).rejects.toThrow("already");
    expect(ran).toBe(false);
  });

  it("once the task runs, an abort is the task's to answer: the run resolves with its value", async () => {
    const { l, log, a, b, controller } = slotTaken();
    const running = l.run("k", b.task, controller.signal);
    a.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(["a", "b"]);
    controller.abort(new Error("late"));
    b.finish();
    await expect(running).resolves.toBe("b");
  });

  it("a task that fails after waiting rejects with its own error", async () => {
    const { l, a, controller } = slotTaken();
    const failing = l.run("k", () => Promise.reject(new Error("own")), controller.signal);
    a.finish();
    await expect(failing).rejects.toThrow("own");
  });
});

describe("what the limiter keeps", () => {
  it("forgets a sender once it holds nothing: no slot, no waiting task, every token back", async () => {
    const l = limiter({ concurrency: 1, maxPerInterval: 1, intervalMs: 1_000 });
    const paced = l.run("paced", async () => "x");
    await paced;
    expect(keysOf(l).has("paced")).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(keysOf(l).has("paced")).toBe(false);

    const {
      l: slots,
      gates: { a },
    } = gated({ concurrency: 1 }, "a");
    const first = slots.run("s", a.task);
    const second = slots.run("s", async () => "b");
    expect(keysOf(slots).has("s")).toBe(true);
    a.finish();
    await Promise.all([first, second]);
    await vi.advanceTimersByTimeAsync(0);
    expect(keysOf(slots).size).toBe(0);
  });

  it("forgets a sender whose one task ran without waiting", async () => {
    const l = limiter({ concurrency: 1 });
    await l.run("s", async () => "x");
    await vi.advanceTimersByTimeAsync(0);
    expect(keysOf(l).size).toBe(0);
  });

  it("does not forget a sender while a task that waited still runs (its slot still counts)", async () => {
    const { l, log, gates } = gated({ concurrency: 1 }, "a", "b", "c");
    const { a, b, c } = gates;
    const first = l.run("k", a.task);
    const second = l.run("k", b.task);
    a.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(["a", "b"]);
    const third = startsWhenEnded(l, log, b, c);
    await Promise.all([first, second, await third]);
  });

  it("after clear(), a task from before that ends does not drop the sender's new state", async () => {
    const { l, log, gates } = gated({ concurrency: 1 }, "a", "b", "d");
    const { a, b, d } = gates;
    const before = l.run("k", a.task);
    l.clear();
    const fresh = l.run("k", b.task);
    a.finish();
    await before;
    // b still holds the sender's one slot: d waits for it.
    expect(log).toEqual(["a", "b"]);
    const after = await startsWhenEnded(l, log, b, d);
    await Promise.all([fresh, after]);
  });

  it("one due time per millisecond in the window, with a count, and none once all are back", async () => {
    const l = limiter({ maxPerInterval: 10, intervalMs: 1_000 });
    await Promise.all(["a", "b", "c"].map((name) => l.run("k", async () => name)));
    expect(dueTimesOf(l, "k")).toEqual({ dues: [1_000], counts: [3], head: 0 });
    await vi.advanceTimersByTimeAsync(1);
    await l.run("k", async () => "d");
    expect(dueTimesOf(l, "k")).toEqual({ dues: [1_000, 1_001], counts: [3, 1], head: 0 });
    // Keep the sender (a task holds a token), so its window can be read once every due time is back.
    const log: string[] = [];
    const holder = gate(log, "holder");
    const held = l.run("k", holder.task);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(dueTimesOf(l, "k")).toEqual({ dues: [], counts: [], head: 0 });
    holder.finish();
    await held;
  });

  it("clear() leaves no timer behind", async () => {
    const l = limiter({ maxPerInterval: 1, intervalMs: 60_000 });
    const before = vi.getTimerCount();
    await l.run("k", async () => "x");
    expect(vi.getTimerCount()).toBeGreaterThan(before);
    l.clear();
    expect(vi.getTimerCount()).toBe(before);
    expect(keysOf(l).size).toBe(0);
  });
});

describe("resolveRateLimit", () => {
  it("is nothing to limit without a window or a concurrency", () => {
    expect(resolveRateLimit(undefined, undefined)).toBeUndefined();
    expect(resolveRateLimit(false, { maxConcurrency: 4 })).toBeUndefined();
    expect(resolveRateLimit({ maxPerInterval: 5 }, undefined)).toBeUndefined();
    expect(resolveRateLimit({ maxPerInterval: 5, intervalMs: 0 }, undefined)).toBeUndefined();
    expect(resolveRateLimit({ intervalMs: 1_000 }, undefined)).toBeUndefined();
    expect(resolveRateLimit(undefined, { intervalMs: 1_000 })).toBeUndefined();
  });

  it("takes the transport's limits as defaults, the options over them", () => {
    expect(
      resolveRateLimit(undefined, {
        maxConcurrency: 3,
        maxMessagesPerInterval: 30,
        intervalMs: 60_000,
      }),
    ).toEqual({ concurrency: 3, maxPerInterval: 30, intervalMs: 60_000 });
    expect(
      resolveRateLimit(
        { concurrency: 1, maxPerInterval: 10, intervalMs: 1_000 },
        { maxConcurrency: 3, maxMessagesPerInterval: 30, intervalMs: 60_000 },
      ),
    ).toEqual({ concurrency: 1, maxPerInterval: 10, intervalMs: 1_000 });
  });

  it("a concurrency alone limits without a window; fractions and zero are rounded to usable values", () => {
    expect(resolveRateLimit({ concurrency: 2 }, undefined)).toEqual({
      concurrency: 2,
      maxPerInterval: 0,
      intervalMs: 0,
    });
    expect(
      resolveRateLimit({ concurrency: 0, maxPerInterval: 2.7, intervalMs: 10 }, undefined),
    ).toEqual({
      concurrency: 1,
      maxPerInterval: 2,
      intervalMs: 10,
    });
    expect(resolveRateLimit({ maxPerInterval: 0, intervalMs: 10 }, undefined)).toEqual({
      concurrency: Number.POSITIVE_INFINITY,
      maxPerInterval: 1,
      intervalMs: 10,
    });
  });
});
