import type { MailError } from "@mailpath/core";

/**
 * Event names and payloads. Events are emitted in the process that ran the attempt (a worker);
 * read `status(id)` from any process.
 * @since 0.1.0
 */
export interface OutboxEvents {
  /** An attempt starts. */
  attempt: [{ id: string; messageId: string; attempt: number; ambiguous: boolean }];
  /**
   * The server took the message. `ambiguous`: an earlier attempt may have been accepted too
   * (the worker died mid-send, or a timeout after the data was sent): a duplicate is possible,
   * with the same Message-ID.
   */
  sent: [
    {
      id: string;
      messageId: string;
      attempts: number;
      ambiguous: boolean;
      accepted: readonly string[];
      rejected: readonly string[];
      transport: string;
      durationMs: number;
    },
  ];
  /** An attempt failed. Followed by `retrying` or `dead`. */
  failed: [{ id: string; messageId: string; attempt: number; code: string; error: MailError }];
  /**
   * The message goes back to the queue: after `delayMs` (backoff, or the server's
   * `retryAfterMs`), or, when `throttled`, once the sender's whole queue has waited `delayMs`.
   */
  retrying: [
    {
      id: string;
      messageId: string;
      attempt: number;
      code: string;
      delayMs: number;
      throttled: boolean;
      error: MailError;
    },
  ];
  /** No attempt left, or a permanent failure: the job is a dead letter with its error. */
  dead: [{ id: string; messageId: string; attempts: number; code: string; error: MailError }];
  /** A worker's own failure (Redis unreachable, …); sends resume when it clears. */
  error: [MailError];
}

/**
 * @see OutboxEvents
 * @since 0.1.0
 */
export type OutboxEvent = keyof OutboxEvents;
