import type { NormalizedMessage } from "./message.js";

/**
 * What a delivery path allows per sender mailbox. The mailer derives its rate-limit defaults
 * from these; every field is optional and a missing one means "no limit known".
 * @since 0.1.0
 */
export interface TransportLimits {
  /** Concurrent sends per sender mailbox (SMTP AUTH: 3 connections; Graph: 4 requests). */
  readonly maxConcurrency?: number;
  /** Messages per `intervalMs` per sender mailbox (SMTP AUTH: 30 per minute). */
  readonly maxMessagesPerInterval?: number;
  /** The window of `maxMessagesPerInterval`. */
  readonly intervalMs?: number;
  /** Recipients (to + cc + bcc) one message may have. */
  readonly maxRecipientsPerMessage?: number;
  /** Recipients per rolling 24 hours per mailbox. */
  readonly maxRecipientsPerDay?: number;
  /** Largest message the path accepts, in bytes. */
  readonly maxMessageBytes?: number;
}

/**
 * Options of one transport attempt.
 * @since 0.1.0
 */
export interface TransportSendOptions {
  /** Aborted when the caller aborts, the attempt times out, or the mailer closes. */
  readonly signal: AbortSignal;
}

/**
 * What the server said when it took the message.
 * @since 0.1.0
 */
export interface TransportReceipt {
  /** Recipient addresses the server took. */
  readonly accepted: readonly string[];
  /** Recipients rejected while others were accepted: not an error. */
  readonly rejected: readonly string[];
  /** The server's words (`"250 2.0.0 OK <id>"`, `"202 Accepted"`). */
  readonly response?: string;
  /** The transport that actually delivered, when this one routes to others. */
  readonly transport?: string;
}

/**
 * The contract every delivery path implements. Implementations throw only `MailError`s.
 * @since 0.1.0
 */
export interface Transport {
  /** The contract version this transport implements. */
  readonly specificationVersion: "v1";
  /** `"smtp"`, `"relay"`, `"graph"` or a custom name. */
  readonly name: string;
  /** What the path allows per sender mailbox. */
  readonly limits?: TransportLimits;
  /** Deliver one message. Rejects with a `MailError`. */
  send(message: NormalizedMessage, options: TransportSendOptions): Promise<TransportReceipt>;
  /** Connect and authenticate, send nothing. */
  verify?(): Promise<void>;
  /** Release connections. Idempotent. */
  close?(): Promise<void>;
}

/**
 * Options of `TokenProvider.getToken`.
 * @since 0.1.0
 */
export interface GetTokenOptions {
  /** Ignore any cached token (the server rejected it). @default false */
  readonly forceRefresh?: boolean;
  /** Stops waiting for the token; the call then rejects with `ABORTED`. */
  readonly signal?: AbortSignal;
}

/**
 * Supplies OAuth access tokens (SMTP XOAUTH2, Graph). `@mailpath/entra` implements it;
 * any object with this method works.
 * @since 0.1.0
 */
export interface TokenProvider {
  getToken(options?: GetTokenOptions): Promise<string>;
}
