import type { MailErrorCode } from "./codes.js";
import { scrubText } from "./redact.js";
import { safeCause } from "./safe-cause.js";

const MARKER = Symbol.for("mailpath.error");

/**
 * The SMTP reply behind an error.
 * @since 0.1.0
 */
export interface SmtpReplyInfo {
  /** `535` */
  readonly replyCode: number;
  /** `5.7.139` */
  readonly enhancedCode?: string;
  /** The server's full reply text. */
  readonly response: string;
}

/**
 * The HTTP response behind an error (Graph, Entra).
 * @since 0.1.0
 */
export interface HttpErrorInfo {
  readonly status: number;
  /** Graph `error.code` / Entra `error` (and AADSTS code in the message). */
  readonly code?: string;
  /** `request-id` (Graph) or `trace_id` (Entra): quote it to Microsoft support. */
  readonly requestId?: string;
}

/**
 * One problem found in a message or a configuration.
 * @since 0.1.0
 */
export interface MailIssue {
  /** Where: `to[1]`, `headers.X-Foo`, `MAILPATH_SMTP_HOST`. */
  readonly path: string;
  readonly message: string;
}

/**
 * Fields of a `MailError`.
 * @since 0.1.0
 */
export interface MailErrorOptions {
  /** What went wrong, from `MAIL_ERROR_CODES`. */
  readonly code: MailErrorCode;
  /** One sentence for people; token-shaped strings are scrubbed from it. */
  readonly message: string;
  /** Whether the same send can succeed if tried again. @default false */
  readonly retryable?: boolean;
  /** The transport that failed. */
  readonly transport?: string;
  /** How long to wait before trying again; rounded, never negative. */
  readonly retryAfterMs?: number;
  /** The SMTP server's reply, for failures with one. */
  readonly smtp?: SmtpReplyInfo;
  /** The HTTP answer (Graph, Entra), for failures with one. */
  readonly http?: HttpErrorInfo;
  /** What to change, in one line. */
  readonly hint?: string;
  /** The server may have accepted the message before the failure. @default false */
  readonly ambiguous?: boolean;
  /** Attempts made by the mailer before it gave up. */
  readonly attempts?: number;
  /** Every problem, for `INVALID_MESSAGE` and `INVALID_CONFIG`. */
  readonly issues?: readonly MailIssue[];
  /** The Message-ID of the message the error is about. */
  readonly messageId?: string;
  /** What was caught; stored as a `safeCause` copy, never as given. */
  readonly cause?: unknown;
}

/**
 * Every failure a mailpath user can meet. Carries a stable `code`, whether retrying can help,
 * the server's own words and a hint that says what to change. Never holds a secret: message,
 * hint and server text are scrubbed of token-shaped strings, and `cause` is a copy of what
 * was caught that keeps its name, message, stack and errno/status fields only (third-party
 * errors carry request options, headers and `auth` beside those; see `safeCause`).
 *
 * @example
 * try { await mailer.send(message) } catch (error) {
 *   if (MailError.isInstance(error) && error.code === "AUTH_DISABLED") console.error(error.hint)
 * }
 * @since 0.1.0
 */
export class MailError extends Error {
  protected readonly [MARKER] = true;
  override readonly name = "MailError";
  /** What went wrong, from `MAIL_ERROR_CODES`: branch on this, not on the message. */
  readonly code: MailErrorCode;
  /** Whether the same send can succeed if tried again. */
  readonly retryable: boolean;
  /** The transport that failed (for routing transports, the path). */
  readonly transport?: string;
  /** How long to wait before trying again, when the server or the breaker said. */
  readonly retryAfterMs?: number;
  /** The SMTP server's reply (code, enhanced code, text), for failures with one. */
  readonly smtp?: SmtpReplyInfo;
  /** The HTTP answer (status, error code, request id), for Graph and Entra failures. */
  readonly http?: HttpErrorInfo;
  /** What to change, in one line. */
  readonly hint?: string;
  /** The server may have accepted the message before the failure (at-least-once risk). */
  readonly ambiguous?: boolean;
  /** Attempts made by the mailer before it gave up. */
  readonly attempts?: number;
  /** Every problem, for `INVALID_MESSAGE` and `INVALID_CONFIG`. */
  readonly issues?: readonly MailIssue[];
  /** The Message-ID of the message this error is about. */
  readonly messageId?: string;

  constructor(options: MailErrorOptions) {
    super(
      scrubText(options.message),
      options.cause === undefined ? undefined : { cause: safeCause(options.cause) },
    );
    this.code = options.code;
    this.retryable = options.retryable ?? false;
    if (options.transport !== undefined) this.transport = options.transport;
    if (options.retryAfterMs !== undefined)
      this.retryAfterMs = Math.max(0, Math.round(options.retryAfterMs));
    if (options.smtp) this.smtp = { ...options.smtp, response: scrubText(options.smtp.response) };
    if (options.http) this.http = { ...options.http };
    if (options.hint !== undefined) this.hint = scrubText(options.hint);
    if (options.ambiguous !== undefined) this.ambiguous = options.ambiguous;
    if (options.attempts !== undefined) this.attempts = options.attempts;
    if (options.issues)
      this.issues = options.issues.map((issue) => ({
        ...issue,
        message: scrubText(issue.message),
      }));
    if (options.messageId !== undefined) this.messageId = options.messageId;
  }

  /**
   * True for a `MailError` from any installed copy of `@mailpath/core` (`instanceof` is not).
   * @param value - anything caught.
   * @returns whether `value` is a `MailError`.
   */
  static isInstance(value: unknown): value is MailError {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as Record<symbol, unknown>)[MARKER] === true
    );
  }

  /**
   * A copy with some fields replaced (used to add `attempts`, `transport`, …).
   * @param changes - the fields to replace.
   * @returns a new `MailError`; this one is left as it is.
   */
  with(changes: Partial<MailErrorOptions>): MailError {
    return new MailError({ ...this.toOptions(), ...changes });
  }

  /** The fields as plain data: safe to log. */
  toJSON(): Record<string, unknown> {
    const { cause: _cause, ...options } = this.toOptions();
    return { name: this.name, ...options };
  }

  private toOptions(): MailErrorOptions {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.transport !== undefined && { transport: this.transport }),
      ...(this.retryAfterMs !== undefined && { retryAfterMs: this.retryAfterMs }),
      ...(this.smtp && { smtp: this.smtp }),
      ...(this.http && { http: this.http }),
      ...(this.hint !== undefined && { hint: this.hint }),
      ...(this.ambiguous !== undefined && { ambiguous: this.ambiguous }),
      ...(this.attempts !== undefined && { attempts: this.attempts }),
      ...(this.issues && { issues: this.issues }),
      ...(this.messageId !== undefined && { messageId: this.messageId }),
      ...(this.cause !== undefined && { cause: this.cause }),
    };
  }
}
