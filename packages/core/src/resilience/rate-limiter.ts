import PQueue from "p-queue";
import type { TransportLimits } from "../contract/transport.js";
import { checkDelays } from "./delays.js";

/**
 * Client-side pacing per sender mailbox, so sends stay under Exchange's limits instead of
 * being throttled. Every attempt (retries included) takes a slot.
 * @since 0.1.0
 */
export interface RateLimitOptions {
  /** Concurrent attempts per sender mailbox. @default `transport.limits.maxConcurrency`, else unlimited */
  readonly concurrency?: number;
  /** Attempts per `intervalMs` per sender mailbox. @default `transport.limits.maxMessagesPerInterval` */
  readonly maxPerInterval?: number;
  /** @default `transport.limits.intervalMs` */
  readonly intervalMs?: number;
}

/** Resolved pacing: `maxPerInterval` 0 means no window. */
export interface ResolvedLimits {
  readonly concurrency: number;
  readonly maxPerInterval: number;
  readonly intervalMs: number;
}

/** Resolves rate-limit options over the transport's declared limits; `undefined` = no limiting. */
export function resolveRateLimit(
  options: RateLimitOptions | false | undefined,
  limits: TransportLimits | undefined,
): ResolvedLimits | undefined {
  if (options === false) return undefined;
  checkDelays("rateLimit", [
    { path: "rateLimit.intervalMs", value: options?.intervalMs, min: 0 },
    { path: "transport.limits.intervalMs", value: limits?.intervalMs, min: 0 },
  ]);
  const concurrency = options?.concurrency ?? limits?.maxConcurrency ?? Number.POSITIVE_INFINITY;
  const maxPerInterval = options?.maxPerInterval ?? limits?.maxMessagesPerInterval;
  const intervalMs = options?.intervalMs ?? limits?.intervalMs;
  const paced = maxPerInterval !== undefined && intervalMs !== undefined && intervalMs > 0;
  if (!paced && concurrency === Number.POSITIVE_INFINITY) return undefined;
  return {
    concurrency: Math.max(1, concurrency),
    maxPerInterval: paced ? Math.max(1, Math.floor(maxPerInterval)) : 0,
    intervalMs: paced ? intervalMs : 0,
  };
}

/**
 * `maxPerInterval` tokens; a token taken by an attempt comes back `intervalMs` after that attempt
 * *finishes*. Exchange counts a message when its submission completes, not when the client starts
 * it, so counting starts (p-queue's interval) lets a burst of slow sends land inside one window.
 * Holding each token for a full interval after completion also means no window of `intervalMs`
 * ever sees more than `maxPerInterval` starts.
 *
 * The tokens on their way back are due times in one array, oldest first (every one is a finish
 * time plus the same interval, so pushing keeps the order), under one timer armed for the oldest:
 * a timer and a closure per send, held for a whole interval, were tens of thousands of live
 * objects at a high send rate, and most of the mailer's garbage-collection time. Tokens due in
 * the same millisecond share one entry with a count (a due time is rounded up to the next whole
 * millisecond: a token comes back under 1 ms late, never early), so the array holds at most one
 * entry per millisecond of the interval whatever the rate; one entry per token grew to hundreds
 * of thousands of numbers at high rates, and each regrowth of that large array started a full
 * garbage collection.
 */
class CompletionWindow {
  private available: number;
  private readonly waiters: (() => void)[] = [];
  /** Due times (whole monotonic ms) of the tokens on their way back; `dues[head]` is the oldest. */
  private dues: number[] = [];
  /** How many tokens come back at `dues[i]`. */
  private counts: number[] = [];
  private head = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The due time the timer was armed for. */
  private armedFor = 0;

  constructor(
    private readonly capacity: number,
    private readonly intervalMs: number,
    /** Called when every token is back. */
    private readonly onIdle: () => void,
  ) {
    this.available = capacity;
  }

  /** Whether every token is back (the window holds no state). */
  get idle(): boolean {
    return this.available === this.capacity;
  }

  /** Takes a token if one is free now. */
  tryAcquire(): boolean {
    if (this.available === 0) return false;
    this.available--;
    return true;
  }

  acquire(signal: AbortSignal | undefined): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(grant);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(signal!.reason);
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(grant);
    });
  }

  /** Gives an unused token back at once. */
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.available++;
  }

  /** Gives the token back one interval from now. */
  releaseLater(): void {
    const due = Math.ceil(performance.now() + this.intervalMs);
    const last = this.dues.length - 1;
    if (last >= this.head && this.dues[last] === due) this.counts[last]!++;
    else {
      this.dues.push(due);
      this.counts.push(1);
    }
    if (this.timer === undefined) this.arm();
  }

  /** Arms the one timer for the oldest due time. */
  private arm(): void {
    const due = this.dues[this.head]!;
    this.armedFor = due;
    // Never longer than one interval: every due time is at most that far ahead.
    const delay = Math.min(this.intervalMs, Math.max(0, Math.ceil(due - performance.now())));
    this.timer = setTimeout(this.expire, delay);
    // A pending token must not keep a process alive that has nothing else to do.
    this.timer.unref?.();
  }

  /** The timer fired: every token due by now (the one it was armed for at least) comes back. */
  private readonly expire = (): void => {
    this.timer = undefined;
    // The timer firing is proof that its due time came, whatever a faked clock says.
    const now = Math.max(performance.now(), this.armedFor);
    const { dues, counts } = this;
    while (this.head < dues.length && dues[this.head]! <= now) {
      for (let count = counts[this.head]!; count > 0; count--) {
        const next = this.waiters.shift();
        if (next) next();
        else this.available++;
      }
      this.head++;
    }
    if (this.head === dues.length) {
      this.dues = [];
      this.counts = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= dues.length) {
      this.dues = dues.slice(this.head);
      this.counts = counts.slice(this.head);
      this.head = 0;
    }
    if (this.head < this.dues.length) this.arm();
    else if (this.idle) this.onIdle();
  };

  /** Cancels the pending returns: nothing of the window outlives the mailer's `close()`. */
  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.dues = [];
    this.counts = [];
    this.head = 0;
  }
}

/**
 * One sender's limits: `active` attempts hold a concurrency slot. A send that finds a slot and a
 * token free, with nobody waiting before it, starts at once (the common case, with no queue to
 * go through); the others wait in `queue`, a p-queue of concurrency 1 whose one running task is
 * the head of the line waiting for a slot, so they start in order.
 */
export interface KeyState {
  readonly key: string;
  readonly queue: PQueue;
  readonly window?: CompletionWindow;
  active: number;
  /** Wakes the head of the line, waiting in `queue` for a slot. */
  slotFreed: (() => void) | undefined;
}

/**
 * The per-sender limiter of one path, as the mailer and the routing transports configure it.
 * @param options - the `rateLimit` option; `false` turns pacing off.
 * @param limits - the transport's declared limits, the defaults of `options`.
 * @returns the limiter, or `undefined` when nothing is to be limited.
 */
export function createRateLimiter(
  options: RateLimitOptions | false | undefined,
  limits: TransportLimits | undefined,
): KeyedRateLimiter | undefined {
  const resolved = resolveRateLimit(options, limits);
  return resolved ? new KeyedRateLimiter(resolved) : undefined;
}

/** One slot count with its waiting line (concurrency) and one completion window (rate) per key: the sender mailbox. */
export class KeyedRateLimiter {
  private readonly keys = new Map<string, KeyState>();

  constructor(private readonly limits: ResolvedLimits) {}

  private stateOf(key: string): KeyState {
    let state = this.keys.get(key);
    if (!state) {
      const created: KeyState = {
        key,
        queue: new PQueue({ concurrency: 1 }),
        active: 0,
        slotFreed: undefined,
        ...(this.limits.maxPerInterval > 0 && {
          window: new CompletionWindow(this.limits.maxPerInterval, this.limits.intervalMs, () =>
            this.forget(key, created),
          ),
        }),
      };
      state = created;
      this.keys.set(key, state);
    }
    return state;
  }

  /** Drops a key that holds no state, so many senders do not accumulate. */
  private forget(key: string, state: KeyState): void {
    if (
      state.active === 0 &&
      state.queue.size === 0 &&
      state.queue.pending === 0 &&
      (!state.window || state.window.idle) &&
      this.keys.get(key) === state
    ) {
      this.keys.delete(key);
    }
  }

  /** A slot is given back: to the head of the line if it waits for one. */
  private freeSlot(key: string, state: KeyState): void {
    state.active--;
    const wake = state.slotFreed;
    if (wake) {
      state.slotFreed = undefined;
      wake();
    } else if (!state.window) this.forget(key, state);
  }

  /**
   * The task in a slot has ended: its slot is free now, and the window's token comes back one
   * interval from now.
   * @param state - what `tryTake` returned (or the slot `run` took).
   */
  finished(state: KeyState): void {
    state.window?.releaseLater();
    this.freeSlot(state.key, state);
  }

  /** Runs `task` in a slot already taken (and with a token, when there is a window). */
  private start<T>(state: KeyState, task: () => Promise<T>): Promise<T> {
    let running: Promise<T>;
    try {
      running = task();
    } catch (error) {
      this.finished(state);
      return Promise.reject(error);
    }
    return running.then(
      (value) => {
        this.finished(state);
        return value;
      },
      (error: unknown) => {
        this.finished(state);
        throw error;
      },
    );
  }

  /**
   * Takes a slot of `key` (and a token, when there is a window) if one is free now and nobody
   * waits before: the common case, with no queue and no promise. Whoever takes it calls
   * `finished` with it, once, when its task ends.
   * @param key - the sender mailbox.
   * @returns the slot taken, or `undefined`: then wait for one with `run`.
   */
  tryTake(key: string): KeyState | undefined {
    const state = this.stateOf(key);
    return this.takeFree(state) ? state : undefined;
  }

  /** Takes a slot (and a token) of `state` if one is free now and nobody waits before. */
  private takeFree(state: KeyState): boolean {
    const { queue, window } = state;
    if (
      state.active < this.limits.concurrency &&
      queue.size === 0 &&
      queue.pending === 0 &&
      (!window || window.tryAcquire())
    ) {
      state.active++;
      return true;
    }
    return false;
  }

  /** Runs `task` when `key` has a free slot. Rejects with `signal.reason` if aborted while waiting. */
  run<T>(key: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const state = this.stateOf(key);
    if (this.takeFree(state)) return this.start(state, task);
    const { queue, window } = state;
    // `signal` only cancels the *wait* for a slot. Given to p-queue it would also reject a task
    // already running, and free its slot while it still runs; a running task is told by the
    // signal itself and has the last word (an attempt in flight must say whether the server took
    // the message). A task aborted while waiting stays queued, and does nothing when its turn
    // comes (clear() drops it sooner).
    let phase: "waiting" | "running" | "gone" = "waiting";
    // A function, so the check after an await is not narrowed away.
    const gone = () => phase === "gone";
    let resolveStarted!: (value: Promise<T> | undefined) => void;
    const started = new Promise<Promise<T> | undefined>((resolve) => (resolveStarted = resolve));
    // The head of the line: waits for a slot, then for a token; the next in line waits for it
    // to start, not to end.
    const head = async (): Promise<void> => {
      if (gone()) return resolveStarted(undefined);
      if (state.active >= this.limits.concurrency) {
        await new Promise<void>((resolve) => (state.slotFreed = resolve));
      }
      if (gone()) return resolveStarted(undefined);
      state.active++;
      if (window && !window.tryAcquire()) {
        try {
          await window.acquire(signal);
        } catch {
          // Aborted while waiting for a token: the abort handler below has rejected already.
          this.freeSlot(key, state);
          return resolveStarted(undefined);
        }
        if (gone()) {
          window.release();
          this.freeSlot(key, state);
          return resolveStarted(undefined);
        }
      }
      phase = "running";
      resolveStarted(this.start(state, task));
    };
    void queue.add(head).then(() => {
      if (queue.size === 0 && queue.pending === 0) this.forget(key, state);
    });
    const queued = started.then((running) => running ?? (undefined as T));
    if (!signal) return queued;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        if (phase !== "waiting") return;
        phase = "gone";
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      queued.then(
        (value) => {
          signal.removeEventListener("abort", onAbort);
          if (phase !== "gone") resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", onAbort);
          if (phase !== "gone") reject(error);
        },
      );
    });
  }

  /** Drops every queue (pending tasks are left to their callers). */
  clear(): void {
    for (const { queue, window } of this.keys.values()) {
      queue.clear();
      window?.dispose();
    }
    this.keys.clear();
  }
}
