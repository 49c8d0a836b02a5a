import PQueue from "p-queue";
import type { TransportLimits } from "../contract/transport.js";

/**
 * Client-side pacing per sender mailbox, so sends stay under Exchange's limits instead of
 * being throttled. Every attempt (retries included) takes a slot.
 * @since 0.1.0
 */
export interface RateLimitOptions {
  /** Concurrent attempts per sender mailbox. @default `transport.limits.maxConcurrency`, else unlimited */
  readonly concurrency?: number;
  /** Attempts started per `intervalMs` per sender mailbox. @default `transport.limits.maxMessagesPerInterval` */
  readonly maxPerInterval?: number;
  /** @default `transport.limits.intervalMs` */
  readonly intervalMs?: number;
}

interface ResolvedLimits {
  readonly concurrency: number;
  readonly intervalCap: number;
  readonly interval: number;
}

/** Resolves rate-limit options over the transport's declared limits; `undefined` = no limiting. */
export function resolveRateLimit(
  options: RateLimitOptions | false | undefined,
  limits: TransportLimits | undefined,
): ResolvedLimits | undefined {
  if (options === false) return undefined;
  const concurrency = options?.concurrency ?? limits?.maxConcurrency ?? Number.POSITIVE_INFINITY;
  const maxPerInterval = options?.maxPerInterval ?? limits?.maxMessagesPerInterval;
  const intervalMs = options?.intervalMs ?? limits?.intervalMs;
  const paced = maxPerInterval !== undefined && intervalMs !== undefined && intervalMs > 0;
  if (!paced && concurrency === Number.POSITIVE_INFINITY) return undefined;
  return {
    concurrency: Math.max(1, concurrency),
    intervalCap: paced ? Math.max(1, maxPerInterval) : Number.POSITIVE_INFINITY,
    interval: paced ? intervalMs : 0,
  };
}

/** One p-queue per key (the sender mailbox); other keys are never slowed by a busy one. */
export class KeyedRateLimiter {
  private readonly queues = new Map<string, PQueue>();

  constructor(private readonly limits: ResolvedLimits) {}

  /** Runs `task` when `key` has a free slot. Rejects with `signal.reason` if aborted while waiting. */
  run<T>(key: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    let queue = this.queues.get(key);
    if (!queue) {
      // Sliding window (`strict`): never more than `intervalCap` starts in ANY window of `interval`,
      // as Exchange counts, instead of bursts at fixed window edges.
      queue = new PQueue({ ...this.limits, strict: this.limits.interval > 0 });
      this.queues.set(key, queue);
      // A queue without an interval holds no state once idle: drop it so many senders do not
      // accumulate. Paced queues are kept, or a burst could slip past their window.
      if (this.limits.interval === 0) {
        const created = queue;
        created.on("idle", () => {
          if (created.size === 0 && created.pending === 0) this.queues.delete(key);
        });
      }
    }
    return queue.add(task, signal ? { signal } : {}) as Promise<T>;
  }

  /** Attempts waiting or running, per key. */
  stats(): Record<string, { readonly waiting: number; readonly running: number }> {
    return Object.fromEntries(
      [...this.queues].map(([key, queue]) => [
        key,
        { waiting: queue.size, running: queue.pending },
      ]),
    );
  }

  /** Drops every queue (pending tasks are left to their callers). */
  clear(): void {
    for (const queue of this.queues.values()) queue.clear();
    this.queues.clear();
  }
}
