import type { MailError } from "../errors/mail-error.js";
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
  /**
   * Aborted when the caller aborts, the attempt times out, or the mailer closes. A transport
   * aborted mid-send rejects with `ABORTED`, `ambiguous: true` unless it knows the server took
   * nothing: the mailer reports the abort with the transport's own `ambiguous`.
   */
  readonly signal: AbortSignal;
  /**
   * Routing transports (`failover`, `weighted`): whether a path failure that may have been
   * accepted (`ambiguous`) may be sent again through another path. The mailer passes its
   * `retry.retryAmbiguous`. @default true
   */
  readonly retryAmbiguous?: boolean;
  /**
   * Routing transports call this for every path failure they move on from, before trying the
   * next path (the mailer reports each as a `retry` event and counts the ambiguous ones).
   */
  readonly onPathFailure?: (failure: PathFailure) => void;
  /**
   * Routing transports: how long each path attempt may take, counted from when the path's
   * rate limit let it start; it then fails with `TIMEOUT`. The mailer passes its `timeoutMs`
   * and sets no timer of its own over a route, so waiting for a path's slot is not counted.
   */
  readonly timeoutMs?: number;
}

/**
 * A path of a routing transport failed and the message is tried on another one at once.
 * @since 0.1.0
 */
export interface PathFailure {
  /** What the path failed with; `error.transport` names the path. */
  readonly error: MailError;
  /** The path tried next. */
  readonly next: string;
}

/**
 * Something that happened to one path of a routing transport, outside any one send.
 * @since 0.1.0
 */
export interface PathEvent {
  /** The path whose breaker changed state. */
  readonly transport: string;
  readonly state: "open" | "halfOpen" | "close";
  /** With `"open"`: how long the path is skipped. */
  readonly retryAfterMs?: number;
}

/**
 * What a routing transport (`failover`, `weighted`) declares: each of its paths has a circuit
 * breaker and pacing of its own, so the mailer puts no breaker or rate limit over the route,
 * and reports the paths' breaker changes as its own `breaker:*` events.
 * @since 0.1.0
 */
export interface TransportRouter {
  /** The leaf paths behind the route, in order (nested routes flattened). */
  readonly paths: readonly string[];
  /**
   * Tells `listener` of every breaker state change of a path.
   * @param listener - called with each change.
   * @returns a function that stops telling it.
   */
  subscribe(listener: (event: PathEvent) => void): () => void;
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
  /** Set by routing transports only: see `TransportRouter`. */
  readonly router?: TransportRouter;
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
