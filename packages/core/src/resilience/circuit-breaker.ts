import CircuitBreaker from "opossum";
import { PATH_FAILURE_CODES } from "../errors/codes.js";
import { MailError } from "../errors/mail-error.js";
import { checkDelays } from "./delays.js";

/**
 * When to stop calling a failing path. Only path failures count (connection, timeout, TLS,
 * 5xx server, credential-wide auth); a rejected recipient or an invalid message never does, and
 * a throttle backs off through retries instead of tripping the breaker.
 * @since 0.1.0
 */
export interface CircuitBreakerOptions {
  /** Share of failed attempts in the rolling window that opens the breaker. @default 50 */
  readonly errorThresholdPercentage?: number;
  /** Attempts in the window before the breaker may open at all. @default 5 */
  readonly volumeThreshold?: number;
  /** The rolling window. @default 60_000 */
  readonly rollingWindowMs?: number;
  /** How long the breaker stays open before one trial attempt (half-open). @default 30_000 */
  readonly resetTimeoutMs?: number;
}

/**
 * A breaker state change.
 * @since 0.1.0
 */
export type BreakerState = "open" | "halfOpen" | "close";

/**
 * Whether an error means the path itself is failing.
 * @param error what an attempt failed with
 * @returns true for connection, timeout, TLS, 5xx server and credential-wide auth failures;
 * false for an open breaker, failures of one message, and anything that is not a `MailError`
 * (a transport that throws something else has a bug: that is no evidence the path is down,
 * and counting it would let bad input open the breaker for every message)
 * @since 0.1.0
 */
export function isPathFailure(error: unknown): boolean {
  return (
    MailError.isInstance(error) &&
    PATH_FAILURE_CODES.has(error.code) &&
    error.code !== "CIRCUIT_OPEN"
  );
}

/**
 * opossum (9.x) keeps the latency of every success in an array of the current bucket, even with
 * percentiles off, until the bucket rotates (every tenth of the window: 6 s by default). Nothing
 * reads successes or latencies here: the breaker opens on failures / fires. At a high send rate
 * that array grew to hundreds of thousands of numbers per bucket and its regrowths set off full
 * garbage collections (4x the pipeline's CPU in the core bench). Successes are therefore not
 * recorded; every other count goes to opossum as before. Should a later opossum record counts
 * some other way, the override is simply not consulted and nothing changes but the cost.
 */
function withoutSuccessLatencies(status: CircuitBreaker.Status): Counter | undefined {
  const record = (status as unknown as { increment?: unknown }).increment;
  if (typeof record !== "function") return undefined;
  const count: Counter = (property, latency) => {
    if (property !== "successes") record.call(status, property, latency);
  };
  Object.defineProperty(status, "increment", { value: count });
  return count;
}

/** opossum's `Status#increment`: counts one event of `property` in the current bucket. */
type Counter = (property: string, latency?: number) => void;

/**
 * One breaker per transport, on opossum: opossum keeps the counts, the rolling window and the
 * state (closed, open, half-open, with its reset timer). While the breaker is closed, `run`
 * does itself what opossum's `fire` does for a breaker configured as this one (no timeout,
 * cache, coalescing, fallback or capacity): it counts the fire, runs the task, and on its
 * outcome emits what opossum emits and opens the breaker by opossum's own rule. `fire` costs
 * five promises, two argument arrays, two events and two clock reads on every attempt (about a
 * fifth of the whole pipeline over a transport without I/O); this costs one promise. Open,
 * half-open (one trial at a time) and shut down, every call goes through `fire`. The test
 * `circuit-breaker.opossum.test.ts` holds both paths to opossum itself over random outcomes.
 */
export class TransportBreaker {
  private readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  /** Counts in opossum's status; `undefined` if this opossum has no `increment` (never the fast path then). */
  private readonly count: Counter | undefined;
  private readonly errorThresholdPercentage: number;
  private openedAt = 0;
  private readonly resetTimeoutMs: number;

  constructor(
    private readonly transport: string,
    options: CircuitBreakerOptions,
    onState: (state: BreakerState, retryAfterMs?: number) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.resetTimeoutMs = options.resetTimeoutMs ?? 30_000;
    const rollingWindowMs = options.rollingWindowMs ?? 60_000;
    const window = {
      rollingCountTimeout: rollingWindowMs,
      rollingCountBuckets: 10,
      // Only counts decide the state; latency percentiles and snapshot events would be computed
      // on every attempt and read by nobody.
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    };
    this.errorThresholdPercentage = options.errorThresholdPercentage ?? 50;
    const status = CircuitBreaker.newStatus(window);
    this.count = withoutSuccessLatencies(status);
    this.breaker = new CircuitBreaker((task: () => Promise<unknown>) => task(), {
      // Timeouts are the mailer's (they abort the attempt); opossum's would only race it.
      timeout: false,
      resetTimeout: this.resetTimeoutMs,
      errorThresholdPercentage: this.errorThresholdPercentage,
      volumeThreshold: options.volumeThreshold ?? 5,
      ...window,
      status,
      // Filtered errors are not failures of the path: opossum does not count them.
      errorFilter: (error: unknown) => !isPathFailure(error),
    });
    this.breaker.on("open", () => {
      this.openedAt = this.now();
      onState("open", this.resetTimeoutMs);
    });
    this.breaker.on("halfOpen", () => onState("halfOpen"));
    this.breaker.on("close", () => onState("close"));
  }

  /** Runs `task` unless the breaker is open; then rejects with `CIRCUIT_OPEN`. */
  run<T>(task: () => Promise<T>): Promise<T> {
    // Not an async function: this runs on every attempt, and its own promise and await cost.
    if (!this.enter()) return (this.breaker.fire(task) as Promise<T>).catch(this.openError);
    let running: Promise<T>;
    try {
      running = task();
    } catch (error) {
      return Promise.reject(this.failed(error));
    }
    return running.then(this.succeeded, this.rethrowFailed);
  }

  /**
   * Starts an attempt on the fast path: while the breaker is closed, counts the fire (all that
   * opossum's "fire" event does) and returns true; the caller runs the attempt and reports its
   * outcome with `succeeded` or `failed`, once. Otherwise returns false and counts nothing:
   * run the attempt with `run`, through opossum's `fire`.
   */
  enter(): boolean {
    const { count } = this;
    if (!count || !this.breaker.closed || !this.breaker.enabled) return false;
    count("fires");
    return true;
  }

  /**
   * A success on the fast path: opossum emits "success", which closes a breaker that went
   * half-open while the attempt ran (its success count is not kept, see
   * `withoutSuccessLatencies`, and no latency is recorded for it).
   * @returns `value`, to pass on.
   */
  readonly succeeded = <T>(value: T): T => {
    if (this.breaker.halfOpen) this.breaker.emit("success", value, 0);
    return value;
  };

  /**
   * A failure on the fast path, as opossum's `fire` handles one: an error that is no path
   * failure (its `errorFilter`) is a success; a path failure is counted, then opossum's rule
   * opens the breaker (enough fires in the window and a failure rate above the threshold, or
   * any failure while half-open). No latency is recorded for it.
   * @returns `error`, to pass on.
   */
  failed(error: unknown): unknown {
    if (!isPathFailure(error)) return this.succeeded(error);
    const breaker = this.breaker;
    // Counts the failure (opossum's own listener on "failure"). opossum's warm-up, which would
    // end here, is never turned on (`allowWarmUp`).
    breaker.emit("failure", error, 0, []);
    const { fires, failures } = breaker.stats;
    if (fires < breaker.volumeThreshold && !breaker.halfOpen) return error;
    if ((failures / fires) * 100 > this.errorThresholdPercentage || breaker.halfOpen) {
      breaker.open();
    }
    return error;
  }

  private readonly rethrowFailed = (error: unknown): never => {
    throw this.failed(error);
  };

  private readonly openError = (error: unknown): never => {
    if ((error as { code?: unknown })?.code === "EOPENBREAKER") {
      const retryAfterMs = Math.max(0, this.openedAt + this.resetTimeoutMs - this.now());
      throw new MailError({
        code: "CIRCUIT_OPEN",
        message: `The circuit breaker of transport "${this.transport}" is open after repeated path failures; not trying it for ${retryAfterMs} ms.`,
        retryable: true,
        retryAfterMs,
        transport: this.transport,
        hint: "The path keeps failing (connection, TLS, server or credentials): look at the errors before the breaker opened.",
      });
    }
    throw error;
  };

  /** Stops opossum's timers. */
  shutdown(): void {
    this.breaker.shutdown();
  }
}

/**
 * The breaker of one path, as the mailer and the routing transports configure it.
 * @param transport - name of the guarded transport, quoted in `CIRCUIT_OPEN` errors.
 * @param options - the `circuitBreaker` option; `false` turns the breaker off.
 * @param onState - told of every state change.
 * @param now - clock. @default Date.now
 * @returns the breaker, or `undefined` when `options` is `false`.
 * @throws MailError `INVALID_CONFIG` for a delay a timer cannot wait (see `MAX_DELAY_MS`).
 */
export function createBreaker(
  transport: string,
  options: CircuitBreakerOptions | false | undefined,
  onState: (state: BreakerState, retryAfterMs?: number) => void,
  now?: () => number,
): TransportBreaker | undefined {
  if (options) {
    checkDelays("circuitBreaker", [
      { path: "circuitBreaker.resetTimeoutMs", value: options.resetTimeoutMs, min: 1 },
      { path: "circuitBreaker.rollingWindowMs", value: options.rollingWindowMs, min: 1 },
    ]);
  }
  return options === false
    ? undefined
    : new TransportBreaker(transport, options ?? {}, onState, now);
}
