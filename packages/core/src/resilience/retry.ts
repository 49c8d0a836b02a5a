import { MailError } from "../errors/mail-error.js";
import { checkDelays } from "./delays.js";

/**
 * When and how often the mailer tries again. Only `retryable` errors are retried.
 * @since 0.1.0
 */
export interface RetryOptions {
  /** Attempts in all, the first included. @default 3 */
  readonly maxAttempts?: number;
  /** Base of the exponential backoff. @default 500 */
  readonly baseDelayMs?: number;
  /** Longest computed backoff (before jitter). @default 30_000 */
  readonly maxDelayMs?: number;
  /**
   * Longest server-requested wait (`Retry-After`, `retryAfterMs`) the mailer honours; a longer
   * one ends the send with the error, so the caller can schedule it. @default 120_000
   */
  readonly maxRetryAfterMs?: number;
  /**
   * Retry failures that may have been accepted by the server (`ambiguous`: a timeout or dropped
   * connection after the message was sent). At-least-once when true, at-most-once when false.
   * The Message-ID is the same on every attempt, so duplicates can be recognised. @default true
   */
  readonly retryAmbiguous?: boolean;
  /** Source of randomness for jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** Retry options with every default applied. */
export type ResolvedRetryOptions = Required<RetryOptions>;

/**
 * Applies the defaults of `RetryOptions`; `false` means one attempt.
 * @throws MailError `INVALID_CONFIG` for a delay a timer cannot wait (see `MAX_DELAY_MS`), or a
 * `maxAttempts` that is not a number. An option given as `undefined` takes its default.
 */
export function resolveRetryOptions(
  options: RetryOptions | false | undefined,
): ResolvedRetryOptions {
  if (options) {
    checkDelays("retry", [
      { path: "retry.baseDelayMs", value: options.baseDelayMs, min: 0 },
      { path: "retry.maxDelayMs", value: options.maxDelayMs, min: 0 },
      { path: "retry.maxRetryAfterMs", value: options.maxRetryAfterMs, min: 0 },
    ]);
    const { maxAttempts } = options;
    // NaN would never count as exhausted: a retryable failure would be retried forever.
    if (
      maxAttempts !== undefined &&
      (typeof maxAttempts !== "number" || Number.isNaN(maxAttempts))
    ) {
      throw new MailError({
        code: "INVALID_CONFIG",
        message: `retry: retry.maxAttempts must be a number of attempts, got ${String(maxAttempts)}.`,
        hint: "Give the attempts in all, the first included (1 turns retries off).",
        issues: [{ path: "retry.maxAttempts", message: "must be a number of attempts" }],
      });
    }
  }
  // An option given as `undefined` keeps its default (spread, it would erase it).
  const given = Object.fromEntries(
    Object.entries(options === false ? { maxAttempts: 1 } : (options ?? {})).filter(
      ([, value]) => value !== undefined,
    ),
  ) as RetryOptions;
  const resolved = {
    maxAttempts: 3,
    baseDelayMs: 500,
    maxDelayMs: 30_000,
    maxRetryAfterMs: 120_000,
    retryAmbiguous: true,
    random: Math.random,
    ...given,
  };
  return { ...resolved, maxAttempts: Math.max(1, Math.floor(resolved.maxAttempts)) };
}

/** The decision after a failed attempt. */
export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number }
  | { readonly retry: false; readonly reason: string };

/**
 * Whether to try again after `error` on attempt number `attempt` (1-based), and how long to wait:
 * exponential backoff with full jitter, or the server's `retryAfterMs` when it asks for longer.
 */
export function decideRetry(
  error: MailError,
  attempt: number,
  options: ResolvedRetryOptions,
): RetryDecision {
  if (!error.retryable) return { retry: false, reason: "not retryable" };
  if (attempt >= options.maxAttempts) return { retry: false, reason: "attempts exhausted" };
  if (error.ambiguous && !options.retryAmbiguous)
    return { retry: false, reason: "ambiguous failure" };
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  const backoff = Math.floor(options.random() * ceiling);
  if (error.retryAfterMs !== undefined) {
    if (error.retryAfterMs > options.maxRetryAfterMs) {
      return {
        retry: false,
        reason: `server asked to wait ${error.retryAfterMs} ms (over maxRetryAfterMs)`,
      };
    }
    return { retry: true, delayMs: Math.max(error.retryAfterMs, backoff) };
  }
  return { retry: true, delayMs: backoff };
}
