import type { NormalizedMessage } from "../contract/message.js";
import type {
  PathEvent,
  Transport,
  TransportLimits,
  TransportReceipt,
  TransportRouter,
  TransportSendOptions,
} from "../contract/transport.js";
import { PATH_FAILURE_CODES } from "../errors/codes.js";
import { MailError } from "../errors/mail-error.js";
import {
  type BreakerState,
  type CircuitBreakerOptions,
  createBreaker,
  type TransportBreaker,
} from "../resilience/circuit-breaker.js";
import { createRateLimiter, type RateLimitOptions } from "../resilience/rate-limiter.js";
import { timeoutError, withTimeout } from "../resilience/timeout.js";

// What failover() and weighted() share: each child path wrapped with its breaker and limiter,
// the route's limits and lifecycle, and the walk that moves a message to another path. They
// differ only in which path comes first and which comes next (a `PathWalk`).

/**
 * Options shared by the routing transports.
 * @since 0.1.0
 */
export interface RoutingOptions {
  /** @default "failover(a,b)" / "weighted(a,b)" */
  readonly name?: string;
  /**
   * A breaker per child path, so an open path is skipped at once. A child that is itself a
   * route keeps its own paths' breakers instead. `false`: none. @default the mailer's defaults
   */
  readonly circuitBreaker?: CircuitBreakerOptions | false;
  /**
   * Per child path, per sender mailbox pacing. Each child is paced by its own `limits` (30/min on
   * SMTP AUTH, 4 concurrent on Graph) because the mailer cannot know which path a message takes.
   * `false`: no pacing here. @default each child's limits
   */
  readonly rateLimit?: RateLimitOptions | false;
  /** Told when a path's breaker changes state (the mailer's `breaker:*` events say the same). */
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
  /** Sends through the child; rejects with a `MailError` only. */
  send(message: NormalizedMessage, options: TransportSendOptions): Promise<TransportReceipt>;
}

/** Errors made from something a child threw that was not a `MailError`: a bug of that child. */
const transportBugs = new WeakSet<MailError>();

/**
 * What a child threw, as a `MailError`. Anything else is a bug of the child (`UNKNOWN`): the
 * breaker does not count it, and since nobody can say how far the child got it is ambiguous.
 */
function pathError(error: unknown, transport: string, messageId: string): MailError {
  if (MailError.isInstance(error)) return error;
  const bug = new MailError({
    code: "UNKNOWN",
    message: `Transport "${transport}" failed with a non-MailError: ${error instanceof Error ? error.message : String(error)}`,
    transport,
    messageId,
    ambiguous: true,
    cause: error,
    hint: "A transport should only throw MailError; report this to its authors.",
  });
  transportBugs.add(bug);
  return bug;
}

/** A route's path set: the children and what they tell of their breakers. */
export interface RoutedPaths {
  readonly paths: readonly RoutedPath[];
  readonly router: TransportRouter;
}

/**
 * Wraps each child with its own breaker and per-sender limiter; a child that is a route itself
 * (it has a `router`) already guards its paths, and its breaker changes are passed on.
 */
export function routedPaths(
  transports: readonly Transport[],
  options: RoutingOptions,
  kind: string,
): RoutedPaths {
  if (!Array.isArray(transports) || transports.length === 0) {
    throw new MailError({
      code: "INVALID_CONFIG",
      message: `${kind}() needs at least one transport.`,
      issues: [{ path: "transports", message: "must be a non-empty array" }],
    });
  }
  const listeners = new Set<(event: PathEvent) => void>();
  const report = (event: PathEvent) => {
    options.onBreakerStateChange?.(event.transport, event.state, event.retryAfterMs);
    for (const listener of listeners) listener(event);
  };
  const paths = transports.map((transport): RoutedPath => {
    if (transport.router) {
      transport.router.subscribe(report);
      return {
        transport,
        async send(message, sendOptions) {
          try {
            return await transport.send(message, sendOptions);
          } catch (error) {
            throw pathError(error, transport.name, message.messageId);
          }
        },
      };
    }
    const breaker = createBreaker(transport.name, options.circuitBreaker, (state, retryAfterMs) =>
      report({
        transport: transport.name,
        state,
        ...(retryAfterMs !== undefined && { retryAfterMs }),
      }),
    );
    const limiter = createRateLimiter(options.rateLimit, transport.limits);
    const call = (message: NormalizedMessage, sendOptions: TransportSendOptions) => {
      // Converted inside the breaker, so it sees the MailError (a timeout counts, a bug does not).
      const send = (signal: AbortSignal) =>
        transport.send(message, { ...sendOptions, signal }).catch((error: unknown) => {
          throw pathError(error, transport.name, message.messageId);
        });
      // The attempt's timeout starts once the limiter let it go: a wait for a slot is no attempt.
      const { timeoutMs } = sendOptions;
      const attempt = () =>
        timeoutMs === undefined
          ? send(sendOptions.signal)
          : withTimeout(send, sendOptions.signal, timeoutMs, () =>
              timeoutError(transport.name, message.messageId, timeoutMs),
            );
      const guarded = breaker ? () => breaker.run(attempt) : attempt;
      return limiter
        ? limiter.run(message.from.address.toLowerCase(), guarded, sendOptions.signal)
        : guarded();
    };
    return {
      transport,
      ...(breaker && { breaker }),
      async send(message, sendOptions) {
        let receipt: TransportReceipt;
        try {
          receipt = await call(message, sendOptions);
        } catch (error) {
          if (MailError.isInstance(error)) throw error;
          // The limiter gave up waiting for a slot (aborted): this path was never tried.
          throw new MailError({
            code: "ABORTED",
            message: `The send was aborted while waiting for a slot on "${transport.name}".`,
            transport: transport.name,
            messageId: message.messageId,
            cause: error,
          });
        }
        return { ...receipt, transport: receipt.transport ?? transport.name };
      },
    };
  });
  const router: TransportRouter = {
    paths: transports.flatMap((transport) => transport.router?.paths ?? [transport.name]),
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
  return { paths, router };
}

/**
 * The per-message limits a routed message must meet on whichever path it takes: the smallest
 * of the children's. Pacing limits (concurrency, rate) are left out on purpose: each path is
 * paced by its own limiter, and the mailer must not pace the whole route by one path's figures.
 */
function routingLimits(transports: readonly Transport[]): TransportLimits | undefined {
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
function lifecycle(paths: readonly RoutedPath[]): Pick<Transport, "verify" | "close"> {
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

/**
 * Whether routing should move on to another path after `error`: a path failure, an open
 * breaker or a bug of the path — unless the failure is ambiguous (the path may have delivered)
 * and `retryAmbiguous` is false, the same rule the mailer's retry follows.
 */
function shouldMoveOn(error: MailError, retryAmbiguous: boolean): boolean {
  if (error.ambiguous && !retryAmbiguous) return false;
  // PATH_FAILURE_CODES includes CIRCUIT_OPEN: an open path is skipped like a failing one.
  return PATH_FAILURE_CODES.has(error.code) || transportBugs.has(error);
}

/**
 * What a route throws: the last path's error, ambiguous if any path before it may have
 * delivered the message.
 */
function routeError(error: MailError, earlierAmbiguous: boolean): MailError {
  return earlierAmbiguous && !error.ambiguous ? error.with({ ambiguous: true }) : error;
}

/**
 * Tells the caller a path failed and the message goes to `next`; open breakers are skipped
 * silently (their `breaker:open` said it).
 */
function reportMove(error: MailError, next: Transport, options: TransportSendOptions): void {
  if (error.code !== "CIRCUIT_OPEN") options.onPathFailure?.({ error, next: next.name });
}

/** The error for an abort between two paths. */
function abortedBetweenPaths(
  signal: AbortSignal,
  route: string,
  messageId: string,
  earlierAmbiguous: boolean,
): MailError {
  return new MailError({
    code: "ABORTED",
    message: `The send through "${route}" was aborted.`,
    transport: route,
    messageId,
    ...(earlierAmbiguous && { ambiguous: true }),
    cause: signal.reason,
  });
}

/** How a route walks its paths for one message; an index is a position in the paths. */
export interface PathWalk {
  /** The path tried first. */
  readonly first: number;
  /** Told before each path is tried. */
  readonly enter?: (index: number) => void;
  /** The path after `index` failed in a way that moves on; `undefined`: none is left. */
  readonly next: (index: number) => number | undefined;
}

/** What a route is: its children, and how it walks them for each message. */
export interface RouteDefinition {
  readonly transports: readonly Transport[];
  readonly options: RoutingOptions;
  /** `"failover"`, `"weighted"`: names the route in its configuration errors. */
  readonly kind: string;
  /** The name when `options.name` is not given (called once the transports are checked). */
  readonly defaultName: () => string;
  /** Called once per `send()`, before anything is tried. */
  readonly walk: (message: NormalizedMessage) => PathWalk;
}

/**
 * A routing transport: each message walks the paths as `walk` says until one delivers, an
 * error that must not move on (see `shouldMoveOn`) or the last path's error is thrown, or the
 * signal aborts between two paths.
 */
export function routeTransport(route: RouteDefinition): Transport {
  const { paths, router } = routedPaths(route.transports, route.options, route.kind);
  const limits = routingLimits(route.transports);
  const name = route.options.name ?? route.defaultName();
  return {
    specificationVersion: "v1",
    name,
    ...(limits && { limits }),
    router,
    ...lifecycle(paths),
    async send(message, sendOptions) {
      const retryAmbiguous = sendOptions.retryAmbiguous ?? true;
      const walk = route.walk(message);
      let index = walk.first;
      let ambiguous = false;
      for (;;) {
        if (sendOptions.signal.aborted) {
          throw abortedBetweenPaths(sendOptions.signal, name, message.messageId, ambiguous);
        }
        walk.enter?.(index);
        try {
          return await paths[index]!.send(message, sendOptions);
        } catch (caught) {
          const error = caught as MailError;
          const next =
            sendOptions.signal.aborted || !shouldMoveOn(error, retryAmbiguous)
              ? undefined
              : walk.next(index);
          if (next === undefined) throw routeError(error, ambiguous);
          ambiguous ||= error.ambiguous === true;
          reportMove(error, paths[next]!.transport, sendOptions);
          index = next;
        }
      }
    },
  };
}
