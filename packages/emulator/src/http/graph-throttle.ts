// Outlook's per app + mailbox limits on Graph: concurrent requests (MailboxConcurrency) and
// requests per window (10,000 per 10 minutes by default). Limits are read from the live
// tenant policy on every request, so `configure()` applies at once.
import type { EmulatorStats } from "../context.js";
import type { TenantLimits } from "../tenant.js";
import { graphErrors } from "./graph-errors.js";

interface Budget {
  inFlight: number;
  windowStartMs: number;
  requests: number;
}

/** Tracks in-flight requests and the request budget per app + mailbox. */
export class GraphThrottle {
  readonly #budgets = new Map<string, Budget>();

  constructor(
    private readonly stats: EmulatorStats,
    private readonly now: () => number,
  ) {}

  /**
   * Admits one request for `appId` on `mailbox` or throws the 429 Graph would answer.
   * @returns a release function to call once the reply is sent
   */
  acquire(appId: string, mailbox: string, limits: TenantLimits): () => void {
    const key = `${appId.toLowerCase()} ${mailbox.toLowerCase()}`;
    const nowMs = this.now();
    let budget = this.#budgets.get(key);
    if (!budget) {
      budget = { inFlight: 0, windowStartMs: nowMs, requests: 0 };
      this.#budgets.set(key, budget);
    }
    if (nowMs - budget.windowStartMs >= limits.graphWindowMs) {
      budget.windowStartMs = nowMs;
      budget.requests = 0;
    }
    if (budget.inFlight >= limits.graphConcurrentRequests) {
      this.stats.throttled.graph += 1;
      throw graphErrors.concurrencyThrottled(limits.retryAfterSeconds);
    }
    if (budget.requests >= limits.graphRequestsPerWindow) {
      this.stats.throttled.graph += 1;
      throw graphErrors.requestLimitThrottled(limits.retryAfterSeconds);
    }
    budget.requests += 1;
    budget.inFlight += 1;
    this.stats.maxConcurrency.graph = Math.max(this.stats.maxConcurrency.graph, budget.inFlight);
    const held = budget;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      held.inFlight -= 1;
    };
  }

  /** Forgets every budget (emulator reset). */
  clear(): void {
    this.#budgets.clear();
  }
}
