import type { NormalizedMessage } from "../contract/message.js";
import type {
  Transport,
  TransportLimits,
  TransportReceipt,
  TransportSendOptions,
} from "../contract/transport.js";
import { MailError } from "../errors/mail-error.js";
import {
  type BreakerState,
  type CircuitBreakerOptions,
  createBreaker,
  isPathFailure,
  type TransportBreaker,
} from "../resilience/circuit-breaker.js";
import { createRateLimiter, type RateLimitOptions } from "../resilience/rate-limiter.js";

/**
 * Options shared by the routing transports.
 * @since 0.1.0
 */
export interface RoutingOptions {
  /** @default "failover(a,b)" / "weighted(a,b)" */
  readonly name?: string;
  /** A breaker per child path, so an open path is skipped at once. `false`: none. @default the mailer's defaults */
  readonly circuitBreaker?: CircuitBreakerOptions | false;
  /**
   * Per child path, per sender mailbox pacing. Each child is paced by its own `limits` (30/min on
   * SMTP AUTH, 4 concurrent on Graph) because the mailer cannot know which path a message takes.
   * `false`: no pacing here. @default each child's limits
   */
  readonly rateLimit?: RateLimitOptions | false;
  /** Told when a child's breaker changes state. */
  readonly onBreakerStateChange?: (
    transport: string,
    state: BreakerState,
    retryAfterMs?: number,
  ) => void;
}

/** A child transport with its breaker and limiter. */
export interface RoutedPath {
  readonly transport: Transport;
  readonly breaker?: TransportBreaker;
  send(message: NormalizedMessage, options: TransportSendOptions): Promise<TransportReceipt>;
}

/** Wraps each child with its own breaker and per-sender limiter. */
export function routedPaths(
  transports: readonly Transport[],
  options: RoutingOptions,
  kind: string,
): RoutedPath[] {
  if (!Array.isArray(transports) || transports.length === 0) {
    throw new MailError({
      code: "INVALID_CONFIG",
      message: `${kind}() needs at least one transport.`,
      issues: [{ path: "transports", message: "must be a non-empty array" }],
    });
  }
  return transports.map((transport) => {
    const breaker = createBreaker(transport.name, options.circuitBreaker, (state, retryAfterMs) =>
      options.onBreakerStateChange?.(transport.name, state, retryAfterMs),
    );
    const limiter = createRateLimiter(options.rateLimit, transport.limits);
    const call = (message: NormalizedMessage, sendOptions: TransportSendOptions) => {
      const attempt = () => transport.send(message, sendOptions);
      const guarded = breaker ? () => breaker.run(attempt) : attempt;
      return limiter
        ? limiter.run(message.from.address.toLowerCase(), guarded, sendOptions.signal)
        : guarded();
    };
    return {
      transport,
      ...(breaker && { breaker }),
      async send(message, sendOptions) {
        const receipt = await call(message, sendOptions);
        return { ...receipt, transport: receipt.transport ?? transport.name };
      },
    };
  });
}

/**
 * The per-message limits a routed message must meet on whichever path it takes: the smallest
 * of the children's. Pacing limits (concurrency, rate) are left out on purpose: each path is
 * paced by its own limiter, and the mailer must not pace the whole route by one path's figures.
 */
export function routingLimits(transports: readonly Transport[]): TransportLimits | undefined {
  const smallest = (pick: (limits: TransportLimits) => number | undefined) => {
    const values = transports
      .map((transport) => transport.limits && pick(transport.limits))
      .filter((value): value is number => value !== undefined);
    return values.length > 0 ? Math.min(...values) : undefined;
  };
  const maxRecipientsPerMessage = smallest((limits) => limits.maxRecipientsPerMessage);
  const maxMessageBytes = smallest((limits) => limits.maxMessageBytes);
  if (maxRecipientsPerMessage === undefined && maxMessageBytes === undefined) return undefined;
  return {
    ...(maxRecipientsPerMessage !== undefined && { maxRecipientsPerMessage }),
    ...(maxMessageBytes !== undefined && { maxMessageBytes }),
  };
}

/** Verifies every child; closes every child. */
export function lifecycle(paths: readonly RoutedPath[]): Pick<Transport, "verify" | "close"> {
  return {
    async verify() {
      await Promise.all(paths.map((path) => path.transport.verify?.()));
    },
    async close() {
      for (const path of paths) path.breaker?.shutdown();
      await Promise.allSettled(paths.map((path) => path.transport.close?.()));
    },
  };
}

/** Whether routing should move on to another path after `error`. */
export function shouldMoveOn(error: unknown): boolean {
  return MailError.isInstance(error) && (error.code === "CIRCUIT_OPEN" || isPathFailure(error));
}

/**
 * A transport that tries its children in order and moves to the next on a *path* failure
 * (connection, timeout, TLS, 5xx server, credential-wide auth) or an open breaker — never on a
 * recipient, message or throttling error, which the next path would meet too (or which backs off).
 *
 * @param transports the children, most preferred first
 * @param options breakers and pacing of the children
 * @returns one transport that tries the children in order
 * @example
 * const transport = failover([createGraphTransport({ ... }), createSmtpTransport({ ... })]);
 * @since 0.1.0
 */
export function failover(
  transports: readonly Transport[],
  options: RoutingOptions = {},
): Transport {
  const paths = routedPaths(transports, options, "failover");
  const limits = routingLimits(transports);
  return {
    specificationVersion: "v1",
    name: options.name ?? `failover(${transports.map((transport) => transport.name).join(",")})`,
    ...(limits && { limits }),
    ...lifecycle(paths),
    async send(message, sendOptions) {
      let lastError: unknown;
      for (const path of paths) {
        if (sendOptions.signal.aborted) throw sendOptions.signal.reason;
        try {
          return await path.send(message, sendOptions);
        } catch (error) {
          if (!shouldMoveOn(error)) throw error;
          lastError = error;
        }
      }
      throw lastError;
    },
  };
}
