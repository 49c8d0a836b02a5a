import { MailError, type MailIssue } from "../errors/mail-error.js";

/**
 * The longest delay a Node timer can wait: 2^31 − 1 ms (about 24.8 days). Node runs a longer
 * `setTimeout` after 1 ms instead, so every configured delay is refused above it.
 * @since 0.1.0
 */
export const MAX_DELAY_MS = 2_147_483_647;

/** One configured delay: where it was set, its value, and its smallest allowed value. */
export interface DelaySetting {
  /** The option's path, as the user wrote it: `timeoutMs`, `retry.maxDelayMs`. */
  readonly path: string;
  readonly value: unknown;
  /** `0` when waiting nothing makes sense (a backoff), `1` when it does not (a timeout). */
  readonly min: 0 | 1;
}

/**
 * What is wrong with one delay, if anything.
 * @param setting - the delay and where it was set.
 * @returns the issue, or `undefined` when the delay is absent or fine.
 */
export function delayIssue(setting: DelaySetting): MailIssue | undefined {
  const { path, value, min } = setting;
  if (value === undefined) return undefined;
  const what = min === 0 ? "a number of milliseconds >= 0" : "a positive number of milliseconds";
  if (typeof value !== "number" || Number.isNaN(value) || value < min) {
    return { path, message: `must be ${what}, got ${String(value)}` };
  }
  if (value > MAX_DELAY_MS) {
    return {
      path,
      message: `must be at most ${MAX_DELAY_MS} ms (about 24.8 days, the longest timer Node can set), got ${String(value)}`,
    };
  }
  return undefined;
}

/**
 * Refuses delays a timer cannot wait: negative, not a number, or above `MAX_DELAY_MS`.
 * @param owner - what is being configured, for the message (`createMailer`, `failover`).
 * @param settings - every delay of the options.
 * @throws MailError `INVALID_CONFIG` naming every wrong delay.
 */
export function checkDelays(owner: string, settings: readonly DelaySetting[]): void {
  const issues = settings
    .map((setting) => delayIssue(setting))
    .filter((issue): issue is MailIssue => issue !== undefined);
  if (issues.length === 0) return;
  throw new MailError({
    code: "INVALID_CONFIG",
    message: `${owner}: ${issues.map((issue) => `${issue.path} ${issue.message}`).join("; ")}.`,
    hint: `Give delays in milliseconds, from 0 to ${MAX_DELAY_MS}.`,
    issues,
  });
}
