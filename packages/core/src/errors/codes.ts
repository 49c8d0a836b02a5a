/**
 * Every code a `MailError` can carry. The same failure has the same code on every path.
 * @since 0.1.0
 */
export const MAIL_ERROR_CODES = [
  /** The message failed validation; nothing was sent. */
  "INVALID_MESSAGE",
  /** A transport or mailer option is wrong; raised at creation. */
  "INVALID_CONFIG",
  /** Credentials were refused (wrong password, bad token, missing mailbox permission). */
  "AUTH_FAILED",
  /** The tenant or mailbox turned the authentication method off (`535 5.7.139`, `550 5.7.30`). */
  "AUTH_DISABLED",
  /** TLS could not be negotiated or the certificate was not trusted. */
  "TLS_ERROR",
  /** The authenticated identity may not send as the From address, or the server refused the sender. */
  "SEND_AS_DENIED",
  /** The relay endpoint refused to relay (no matching connector, direct send refused). */
  "RELAY_DENIED",
  /** The app lacks a permission or a policy blocks it (Graph `ErrorAccessDenied`). */
  "PERMISSION_DENIED",
  /** Every recipient was refused (unknown, mailbox full or disabled, refused by policy). */
  "RECIPIENT_REJECTED",
  /** The message is larger than the path or mailbox allows. */
  "MESSAGE_TOO_LARGE",
  /** The service asks us to slow down; retry after `retryAfterMs`. */
  "THROTTLED",
  /** A daily or mailbox quota is used up; retrying soon will not help. */
  "QUOTA_EXCEEDED",
  /** The mailbox cannot send (unlicensed, inactive, on-premises, blocked). */
  "MAILBOX_UNAVAILABLE",
  /** The server could not be reached or dropped the connection. */
  "CONNECTION_FAILED",
  /** An attempt took longer than its timeout. */
  "TIMEOUT",
  /** The server failed (5xx HTTP, transient 4xx SMTP without a better code). */
  "SERVER_ERROR",
  /** The circuit breaker is open; the path is not tried until `retryAfterMs`. */
  "CIRCUIT_OPEN",
  /** The caller aborted the send, or the mailer was closed. */
  "ABORTED",
  /** Nothing better is known. */
  "UNKNOWN",
] as const;

/**
 * @see MAIL_ERROR_CODES
 * @since 0.1.0
 */
export type MailErrorCode = (typeof MAIL_ERROR_CODES)[number];

/**
 * Whether `value` is one of the `MailErrorCode`s.
 * @param value anything, such as a parsed `code` field
 * @returns whether it is a known code
 * @since 0.1.0
 */
export function isMailErrorCode(value: unknown): value is MailErrorCode {
  return typeof value === "string" && (MAIL_ERROR_CODES as readonly string[]).includes(value);
}

/**
 * Codes that mean the *path* is failing (not this message): they count toward the circuit
 * breaker and make `failover` move on. A throttle is not one: it backs off instead.
 * @since 0.1.0
 */
export const PATH_FAILURE_CODES: ReadonlySet<MailErrorCode> = new Set<MailErrorCode>([
  "CONNECTION_FAILED",
  "TIMEOUT",
  "SERVER_ERROR",
  "TLS_ERROR",
  "AUTH_FAILED",
  "AUTH_DISABLED",
  "CIRCUIT_OPEN",
]);
