import type { MailErrorCode } from "../errors/codes.js";

/**
 * What the classifier decided about one failure.
 * @since 0.1.0
 */
export interface Classification {
  readonly code: MailErrorCode;
  /** Whether retrying the same send can succeed. */
  readonly retryable: boolean;
  /**
   * How long to wait before trying again. From the server (`Retry-After`) when it said so,
   * else the table's suggestion. On a non-retryable error it tells an outbox when a later
   * attempt may succeed; the mailer never retries a non-retryable error.
   */
  readonly retryAfterMs?: number;
  /** What to change, in one or two plain sentences. */
  readonly hint: string;
  /** The table entry that matched (`smtp-auth-disabled-tenant`, `smtp-fallback-4xx`, …). */
  readonly ruleId: string;
}

/**
 * Matches an enhanced status code in a range, such as `4.7.500`–`4.7.699`.
 * @since 0.1.0
 */
export interface EnhancedRange {
  /** `"4.7"` */
  readonly prefix: string;
  readonly from: number;
  readonly to: number;
}

/**
 * One row of the SMTP table. Every given matcher must hold; the first matching row wins.
 * @since 0.1.0
 */
export interface SmtpRule {
  readonly id: string;
  /** The reply this row matches, in words (used by the docs). */
  readonly match: string;
  /** Exact reply code; omitted when Exchange sends the enhanced code with several. */
  readonly replyCode?: number;
  /** Exact enhanced status code (`"5.7.139"`) or a range. */
  readonly enhanced?: string | EnhancedRange;
  /** The reply's class: 4 (transient) or 5 (permanent), from the reply or enhanced code. */
  readonly replyClass?: 4 | 5;
  /** Must match the reply text. */
  readonly text?: RegExp;
  /**
   * Must match the command the server refused (`MAIL FROM`, `RCPT TO`, `DATA`); an unknown
   * command reads as the empty string.
   */
  readonly command?: RegExp;
  readonly code: MailErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly hint: string;
  /** The server's real reply, as Exchange Online (or, for the generic rows, the server named in `match`) sends it. */
  readonly example: string;
}

/**
 * An HTTP error as a transport sees it (Graph `error.code`, Entra `error` + description).
 * @since 0.1.0
 */
export interface HttpErrorInput {
  readonly status: number;
  /** Graph `error.code`, or Entra's `error` (`invalid_client`). */
  readonly code?: string | undefined;
  /** Graph `error.message`, or Entra's `error_description` (starts with the AADSTS code). */
  readonly message?: string | undefined;
  /** The `Retry-After` header: seconds or an HTTP-date. */
  readonly retryAfter?: string | number | null;
  /** Graph `request-id` / Entra `trace_id`. */
  readonly requestId?: string;
}

/**
 * One row of the HTTP table (Graph and Entra). Every given matcher must hold.
 * @since 0.1.0
 */
export interface HttpRule {
  readonly id: string;
  /** The response this row matches, in words (used by the docs). */
  readonly match: string;
  /** Exact status, or a status class such as `"5xx"`. */
  readonly status?: number | `${1 | 2 | 3 | 4 | 5}xx`;
  /** Exact Graph `error.code` / Entra `error` (case-insensitive). */
  readonly errorCode?: string;
  /** Must match `error.code + " " + error.message` (for AADSTS numbers). */
  readonly text?: RegExp;
  readonly code: MailErrorCode;
  readonly retryable: boolean;
  /** Used when the response had no `Retry-After`. */
  readonly retryAfterMs?: number;
  readonly hint: string;
  /** The service's real response. */
  readonly example: { readonly status: number; readonly code?: string; readonly message?: string };
}

/**
 * One row of the network/TLS table: Node and nodemailer error codes.
 * @since 0.1.0
 */
export interface NetworkRule {
  readonly id: string;
  /** The error codes (`code` or `originalCode`) this row matches. */
  readonly codes: readonly string[];
  /** Or a pattern of the error message (nodemailer sometimes replaces the code). */
  readonly text?: RegExp;
  readonly code: MailErrorCode;
  readonly retryable: boolean;
  readonly hint: string;
  /** A real error message with this code. */
  readonly example: string;
}
