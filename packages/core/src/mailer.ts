import { EventEmitter, setMaxListeners } from "node:events";
import { Readable } from "node:stream";
import type { Logger } from "./contract/logger.js";
import type { AddressInput, MailMessage, NormalizedMessage } from "./contract/message.js";
import type { PathFailure, Transport, TransportReceipt } from "./contract/transport.js";
import { MailError } from "./errors/mail-error.js";
import { normalizeMessage } from "./message/normalize.js";
import { AttemptOptions } from "./resilience/attempt-options.js";
import { type CircuitBreakerOptions, createBreaker } from "./resilience/circuit-breaker.js";
import { checkDelays } from "./resilience/delays.js";
import {
  createRateLimiter,
  type KeyState,
  type RateLimitOptions,
} from "./resilience/rate-limiter.js";
import { decideRetry, type RetryOptions, resolveRetryOptions } from "./resilience/retry.js";
import { type Deadline, DeadlineList, timeoutError } from "./resilience/timeout.js";
import { createInstrumentation } from "./telemetry/instrumentation.js";
import type { TelemetryOptions } from "./telemetry/options.js";

/**
 * Options of `createMailer`. Every policy has documented defaults; `false` turns one off.
 * @since 0.1.0
 */
export interface MailerOptions {
  /** The path mail goes through: a transport from a transport package, or `failover`/`weighted` over several. */
  readonly transport: Transport;
  /** Default sender for messages without `from`. @default none: every message must carry `from` */
  readonly from?: AddressInput;
  /** @default { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 120_000, retryAmbiguous: true } */
  readonly retry?: RetryOptions | false;
  /**
   * @default the transport's `limits` (per sender mailbox). Not allowed over a routing transport
   * (`failover`, `weighted`): give it to the route, which paces each path by its own limits.
   */
  readonly rateLimit?: RateLimitOptions | false;
  /**
   * @default { errorThresholdPercentage: 50, volumeThreshold: 5, rollingWindowMs: 60_000, resetTimeoutMs: 30_000 }.
   * Not allowed over a routing transport: give it to the route, which has one breaker per path.
   */
  readonly circuitBreaker?: CircuitBreakerOptions | false;
  /**
   * Longest one attempt may take (at most 2^31 − 1), from when its rate-limit slot is granted;
   * it is then aborted and fails with `TIMEOUT`. Over a route, each path attempt gets it.
   * @default 60_000
   */
  readonly timeoutMs?: number;
  /** Clock, injectable for tests. @default Date.now */
  readonly now?: () => number;
  /**
   * Waits between attempts; injectable so tests over real sockets can check the requested delay
   * without waiting it. Must reject with `signal.reason` when the signal aborts.
   * @default a timer
   */
  readonly sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  /**
   * Receives a line per attempt (`debug`), retry and throttle (`warn`), delivery (`info`),
   * final failure (`error`) and breaker change: codes, ids and numbers, never a secret, a token
   * or the message. pino, bunyan and `console` fit. @default no logging
   */
  readonly logger?: Logger;
  /**
   * OpenTelemetry spans (`mailpath.send`, `mailpath.attempt`) and metrics, through the global
   * providers unless `tracer` / `meter` are given; needs the optional peer `@opentelemetry/api`
   * (without it, nothing happens). See docs/observability.md. @default off
   */
  readonly telemetry?: TelemetryOptions | false;
}

/**
 * What `send()` resolves with.
 * @since 0.1.0
 */
export interface SendResult {
  /** The Message-ID the message carried on every attempt. */
  readonly messageId: string;
  /** The transport that delivered it (for routing transports, the path actually used). */
  readonly transport: string;
  readonly accepted: readonly string[];
  readonly rejected: readonly string[];
  readonly response?: string;
  readonly attempts: number;
  /**
   * How many earlier tries of this message — retries and paths a routing transport moved on
   * from — failed in a way the server may have accepted it (`ambiguous`). Above 0 the
   * recipients may get the message twice, with the same `messageId`; 0 means delivered once.
   */
  readonly ambiguousAttempts: number;
  readonly durationMs: number;
}

/**
 * Options of `close()`.
 * @since 0.1.0
 */
export interface CloseOptions {
  /**
   * How long to wait for sends in progress (queued, backing off or in flight). At the deadline
   * a send that is not in an attempt rejects with `ABORTED` (`ambiguous: false` when no attempt
   * of it may have been accepted); an attempt in flight is aborted and rejects with `ABORTED`,
   * `ambiguous: true` unless its transport says the server took nothing (it has up to 1 s to
   * say so). `0` aborts at once. @default no deadline: every send finishes
   */
  readonly timeoutMs?: number;
}

/**
 * Options of one `send()`.
 * @since 0.1.0
 */
export interface SendOptions {
  /** Cancels waiting for a slot, backoff and the in-flight attempt. */
  readonly signal?: AbortSignal;
}

/**
 * Event names and their payloads.
 * @since 0.1.0
 */
export interface MailerEvents {
  attempt: [{ messageId: string; transport: string; attempt: number }];
  retry: [
    {
      messageId: string;
      /** The path that failed. */
      transport: string;
      attempt: number;
      code: string;
      delayMs: number;
      error: MailError;
      /** Set when a routing transport moves the message to this path at once (no delay). */
      nextTransport?: string;
    },
  ];
  throttled: [
    {
      messageId: string;
      transport: string;
      attempt: number;
      code: string;
      delayMs: number;
      retryAfterMs?: number;
    },
  ];
  sent: [
    {
      messageId: string;
      transport: string;
      attempts: number;
      accepted: readonly string[];
      rejected: readonly string[];
      /** See `SendResult.ambiguousAttempts`: above 0, a duplicate (same Message-ID) is possible. */
      ambiguousAttempts: number;
      durationMs: number;
    },
  ];
  failed: [
    { messageId: string; transport: string; attempts: number; code: string; error: MailError },
  ];
  "breaker:open": [{ transport: string; retryAfterMs?: number }];
  "breaker:halfOpen": [{ transport: string }];
  "breaker:close": [{ transport: string }];
}

/**
 * @see MailerEvents
 * @since 0.1.0
 */
export type MailerEvent = keyof MailerEvents;

/**
 * One `send()` with validation, per-sender rate limiting, retry with backoff, a circuit breaker
 * and per-attempt timeouts, over any `Transport`.
 * @since 0.1.0
 */
export interface Mailer {
  /**
   * Validates and sends, retrying what can be retried.
   * @param message - the message; `from` falls back to the mailer's `from`.
   * @param options - a signal to cancel the send.
   * @returns where and when it was accepted.
   * @throws MailError only: `INVALID_MESSAGE` before any I/O, `ABORTED` after `close()` or an
   * abort, otherwise the last attempt's error with `attempts` set.
   */
  send(message: MailMessage, options?: SendOptions): Promise<SendResult>;
  /**
   * Connects and authenticates through the transport, sends nothing.
   * @throws MailError what the transport met (e.g. `AUTH_FAILED`, `CONNECTION_FAILED`).
   */
  verify(): Promise<void>;
  /**
   * Refuses new sends (`ABORTED`), waits for sends in progress — with `timeoutMs`, no longer —
   * then closes the transport. Idempotent; a later call with a `timeoutMs` can shorten the wait.
   * @param options - a deadline for the sends in progress.
   * @throws MailError when the transport fails to close; `INVALID_CONFIG` for a bad `timeoutMs`.
   */
  close(options?: CloseOptions): Promise<void>;
  /**
   * Listens to an event.
   * @param event - the event name, one of `MailerEvents`.
   * @param listener - called with the event's payload.
   * @returns the mailer, to chain calls.
   */
  on<E extends MailerEvent>(event: E, listener: (...args: MailerEvents[E]) => void): this;
  /**
   * Stops listening.
   * @param event - the event name given to `on`.
   * @param listener - the listener given to `on`.
   * @returns the mailer, to chain calls.
   */
  off<E extends MailerEvent>(event: E, listener: (...args: MailerEvents[E]) => void): this;
}

/**
 * How long an aborted attempt may take to say whether the server took the message before the
 * mailer reports it as ambiguous without its word.
 */
const ABORT_GRACE_MS = 1_000;

/** An attempt's entry in the mailer's deadline list: also how close() aborts it. */
interface AttemptDeadline extends Deadline {
  /** Aborts the attempt, as an abort of its send's signal does. */
  readonly abort: () => void;
}

/** `ABORTED` for an abort whose reason is `reason`; `ambiguous` says whether a try may have been accepted. */
function aborted(
  reason: unknown,
  transport: string,
  messageId: string | undefined,
  ambiguous: boolean,
): MailError {
  const fields = { ambiguous, ...(messageId !== undefined && { messageId }) };
  if (MailError.isInstance(reason) && reason.code === "ABORTED") {
    return reason.with({ ...fields, transport: reason.transport ?? transport });
  }
  return new MailError({
    code: "ABORTED",
    message: "The send was aborted.",
    transport,
    ...fields,
    cause: reason,
  });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * `error` itself when it is a MailError; anything else a transport threw, as `UNKNOWN`: a bug of
 * the transport, which the breaker does not count. Thrown by `send`, nobody can say how far the
 * transport got, so it is `ambiguous`.
 */
function asMailError(error: unknown, transport: string, duringSend = false): MailError {
  if (MailError.isInstance(error)) return error;
  return new MailError({
    code: "UNKNOWN",
    message: `Transport "${transport}" failed with a non-MailError: ${error instanceof Error ? error.message : String(error)}`,
    transport,
    cause: error,
    ...(duringSend && { ambiguous: true }),
    hint: "A transport should only throw MailError; report this to its authors.",
  });
}

const NO_OPTIONS = {};

/** `normalizeMessage`, with anything it throws besides a MailError (a throwing getter, a Proxy) as `INVALID_MESSAGE`. */
function validated(message: MailMessage, from: MailerOptions["from"]): NormalizedMessage {
  try {
    return normalizeMessage(message, from === undefined ? NO_OPTIONS : { from });
  } catch (error) {
    if (MailError.isInstance(error)) throw error;
    throw new MailError({
      code: "INVALID_MESSAGE",
      message: `The message could not be read: ${error instanceof Error ? error.message : String(error)}`,
      hint: "Pass a plain object as the message; nothing was sent.",
      issues: [{ path: "message", message: "could not be read" }],
      cause: error,
    });
  }
}

/** Readables can be read once: a retry after the first attempt read one would send a truncated file. */
function consumedStream(message: NormalizedMessage): boolean {
  return message.attachments.some(
    (attachment) => attachment.content instanceof Readable && attachment.content.readableDidRead,
  );
}

/**
 * Creates a mailer over a transport.
 *
 * @example
 * const mailer = createMailer({ transport: createGraphTransport({ ... }), from: "notifications@contoso.com" });
 * const result = await mailer.send({ to: "ada@contoso.com", subject: "Hello", text: "Hi Ada" });
 * @param options - the transport and the policies around it.
 * @returns a mailer; nothing is connected until the first send or `verify()`.
 * @throws MailError `INVALID_CONFIG` when options are wrong.
 * @since 0.1.0
 */
export function createMailer(options: MailerOptions): Mailer {
  const { transport } = options;
  if (!transport || typeof transport.send !== "function") {
    throw new MailError({
      code: "INVALID_CONFIG",
      message: "createMailer needs a `transport` with a send() method.",
      hint: "Pass a transport from createSmtpTransport, createRelayTransport or createGraphTransport.",
      issues: [{ path: "transport", message: "is required" }],
    });
  }
  if (transport.specificationVersion !== "v1") {
    throw new MailError({
      code: "INVALID_CONFIG",
      message: `Transport "${transport.name}" implements specification ${String(transport.specificationVersion)}; this mailer supports "v1".`,
      hint: "Upgrade @mailpath/core or the transport package so their versions match.",
      issues: [{ path: "transport.specificationVersion", message: 'must be "v1"' }],
    });
  }
  checkDelays("createMailer", [{ path: "timeoutMs", value: options.timeoutMs, min: 1 }]);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const { router } = transport;
  if (router && (options.circuitBreaker !== undefined || options.rateLimit !== undefined)) {
    throw new MailError({
      code: "INVALID_CONFIG",
      message: `Transport "${transport.name}" routes to several paths and guards each with its own circuit breaker and rate limit; the mailer adds none over the route.`,
      hint: "Pass circuitBreaker and rateLimit to failover() / weighted() instead of createMailer().",
      issues: [
        ...(options.circuitBreaker !== undefined
          ? [{ path: "circuitBreaker", message: "belongs to the routing transport" }]
          : []),
        ...(options.rateLimit !== undefined
          ? [{ path: "rateLimit", message: "belongs to the routing transport" }]
          : []),
      ],
    });
  }
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? sleep;
  const retry = resolveRetryOptions(options.retry);
  // A route has a limiter and a breaker per path: one over the whole route would pace every
  // path by one path's figures, and open only once every path failed, then keep a recovered
  // path closed for its whole reset timeout.
  const limiter = router ? undefined : createRateLimiter(options.rateLimit, transport.limits);
  const events = new EventEmitter();
  const instrumentation = createInstrumentation({ ...options, events });
  const breakerEvent = (name: string, state: string, retryAfterMs: number | undefined) =>
    events.emit(`breaker:${state}`, {
      transport: name,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    });
  const breaker = router
    ? undefined
    : createBreaker(
        transport.name,
        options.circuitBreaker,
        (state, retryAfterMs) => breakerEvent(transport.name, state, retryAfterMs),
        now,
      );
  const unsubscribe = router?.subscribe((event) =>
    breakerEvent(event.transport, event.state, event.retryAfterMs),
  );
  // close()'s deadline: the signal of every send, or linked to it when the caller gave one.
  const closer = new AbortController();
  setMaxListeners(Number.POSITIVE_INFINITY, closer.signal);
  // The abort handlers of the attempts in flight on close()'s signal, over a route (the others
  // are in attemptDeadlines).
  const attemptsInFlight = new Set<() => void>();
  const deadlines = new Set<ReturnType<typeof setTimeout>>();
  let closing: Promise<void> | undefined;

  // Every attempt's timeout, under one timer (a route times each path attempt itself, from when
  // that path's limiter let it start).
  const attemptDeadlines = router ? undefined : new DeadlineList<AttemptDeadline>(timeoutMs);

  // The transport's send, as a promise even if it throws.
  const sendThrough = (
    message: NormalizedMessage,
    sendOptions: AttemptOptions,
  ): Promise<TransportReceipt> => {
    try {
      return transport.send(message, sendOptions);
    } catch (error) {
      return Promise.reject(error);
    }
  };

  // One attempt: the send's signal and the timeout both abort it, and the transport sees one
  // signal. Written with listeners rather than Promise.race and AbortSignal.any: this runs for
  // every attempt and those allocate several promises and signals each. The attempt's
  // AbortController is made when the transport first reads `signal` (a transport that never
  // looks at it costs none); an abort before that is handed to it as made. The rate limiter's
  // `slot`, taken at once without its queue, is given back with the attempt's first outcome
  // (what the limiter itself does for an attempt it ran). While the breaker is
  // closed the attempt reports its outcome to it directly (no promise of the breaker's); open or
  // half-open, it goes through the breaker's `run`. Rejects with a MailError only.
  const attemptOnce = (
    message: NormalizedMessage,
    signal: AbortSignal,
    onPathFailure: (failure: PathFailure) => void,
    slot: KeyState | undefined,
  ): Promise<TransportReceipt> =>
    new Promise<TransportReceipt>((resolve, reject) => {
      const sendOptions = new AttemptOptions(
        retry.retryAmbiguous,
        onPathFailure,
        router ? timeoutMs : undefined,
      );
      let settled = false;
      let timedOut: MailError | undefined;
      let grace: ReturnType<typeof setTimeout> | undefined;
      // True once, for the first outcome: the attempt's timers and listeners are gone.
      const finish = (): boolean => {
        if (settled) return false;
        settled = true;
        if (slot) limiter?.finished(slot);
        if (deadline) attemptDeadlines?.remove(deadline);
        clearTimeout(grace);
        if (!shared) signal.removeEventListener("abort", onAbort);
        else if (!deadline) attemptsInFlight.delete(onAbort);
        return true;
      };
      // The attempt is in flight: only the transport can tell whether the server took the
      // message. It is told to stop, and its answer decides; without one it is ambiguous.
      const onAbort = () => {
        if (grace !== undefined) return;
        if (deadline) attemptDeadlines?.remove(deadline);
        sendOptions.abort(signal.reason);
        grace = setTimeout(() => {
          if (finish()) reject(aborted(signal.reason, transport.name, undefined, true));
        }, ABORT_GRACE_MS);
      };
      // Sends without a signal of their own share close()'s: rather than listeners on it, close()
      // aborts them itself, found in the deadline list (or, over a route, in a Set).
      const shared = signal === closer.signal;
      const deadline: AttemptDeadline | undefined = attemptDeadlines && {
        due: 0,
        prev: undefined,
        next: undefined,
        listed: false,
        abort: onAbort,
        expire: () => {
          timedOut = timeoutError(transport.name, message.messageId, timeoutMs);
          sendOptions.abort(timedOut);
          if (finish()) reject(timedOut);
        },
      };
      if (deadline) attemptDeadlines?.add(deadline);
      if (!shared) signal.addEventListener("abort", onAbort, { once: true });
      else if (!deadline) attemptsInFlight.add(onAbort);
      const entered = breaker?.enter() ?? false;
      const outcome =
        entered || !breaker
          ? sendThrough(message, sendOptions)
          : // What the breaker counts: a timeout (whatever the transport answers after it), and
            // a MailError; anything else is a transport's bug, UNKNOWN and not counted.
            breaker.run(() =>
              sendThrough(message, sendOptions).catch((error: unknown) => {
                throw timedOut ?? asMailError(error, transport.name, true);
              }),
            );
      outcome.then(
        (receipt) => {
          if (entered) breaker?.succeeded(receipt);
          if (finish()) resolve(receipt);
        },
        (error: unknown) => {
          const final = timedOut ?? asMailError(error, transport.name, true);
          if (entered) breaker?.failed(final);
          if (!finish()) return;
          // After an abort, the transport's word: ambiguous unless it says the server took nothing.
          reject(
            signal.aborted
              ? aborted(signal.reason, transport.name, undefined, final.ambiguous === true)
              : final,
          );
        },
      );
    });

  // The end of a send that did not deliver: reported once, then thrown by the caller.
  const failed = (final: MailError, messageId: string, via: string, attempts: number) => {
    events.emit("failed", { messageId, transport: via, attempts, code: final.code, error: final });
    return final;
  };

  // Sends in progress, and close()'s wait for the last of them to end.
  let sendsInProgress = 0;
  let whenIdle: (() => void) | undefined;
  const sendEnded = () => {
    if (--sendsInProgress === 0) whenIdle?.();
  };
  const endSendWith = <T>(value: T): T => {
    sendEnded();
    return value;
  };
  const endSendWithError = (error: unknown): never => {
    sendEnded();
    throw error;
  };

  // A send's attempts. `unlink` drops its listeners on the caller's signal; `counted` says this
  // call ends the send for close() (a traced send ends when its tracking does).
  const sendNormalized = async (
    message: NormalizedMessage,
    signal: AbortSignal,
    startedAt: number,
    unlink: (() => void) | undefined,
    counted: boolean,
  ): Promise<SendResult> => {
    try {
      const key = message.from.address.toLowerCase();
      const { messageId } = message;
      // Tries (retries and routed paths) that may have been accepted: a later delivery is flagged.
      let ambiguousAttempts = 0;
      for (let attempt = 1; ; attempt++) {
        let started = false;
        const onPathFailure = ({ error, next }: PathFailure) => {
          if (error.ambiguous) ambiguousAttempts++;
          events.emit("retry", {
            messageId,
            transport: error.transport ?? transport.name,
            attempt,
            code: error.code,
            delayMs: 0,
            error,
            nextTransport: next,
          });
        };
        try {
          const run = (slot?: KeyState) => {
            started = true;
            // Nobody listens without a logger or telemetry: no payload to build.
            if (events.listenerCount("attempt") > 0) {
              events.emit("attempt", { messageId, transport: transport.name, attempt });
            }
            return attemptOnce(message, signal, onPathFailure, slot);
          };
          if (signal.aborted) throw signal.reason;
          // A free slot is taken at once; otherwise the limiter's line is waited in.
          const slot = limiter?.tryTake(key);
          const receipt =
            limiter && !slot
              ? // The limiter rejects with the abort's reason if aborted while waiting.
                await limiter.run(key, () => run(), signal)
              : await run(slot);
          const via = receipt.transport ?? transport.name;
          const durationMs = now() - startedAt;
          // Two literals rather than a conditional spread, which copies through a temporary.
          const result: SendResult =
            receipt.response === undefined
              ? {
                  messageId,
                  transport: via,
                  accepted: receipt.accepted,
                  rejected: receipt.rejected,
                  attempts: attempt,
                  ambiguousAttempts,
                  durationMs,
                }
              : {
                  messageId,
                  transport: via,
                  accepted: receipt.accepted,
                  rejected: receipt.rejected,
                  response: receipt.response,
                  attempts: attempt,
                  ambiguousAttempts,
                  durationMs,
                };
          events.emit("sent", {
            messageId,
            transport: result.transport,
            attempts: attempt,
            accepted: result.accepted,
            rejected: result.rejected,
            ambiguousAttempts,
            durationMs: result.durationMs,
          });
          return result;
        } catch (caught) {
          // Before the attempt started (waiting for a slot) an abort risks nothing new; once it
          // started, attemptOnce rejected with a MailError that carries the attempt's ambiguity.
          const error = started
            ? (caught as MailError)
            : aborted(signal.reason, transport.name, messageId, ambiguousAttempts > 0);
          if (started && error.ambiguous) ambiguousAttempts++;
          const decision =
            error.code === "ABORTED"
              ? ({ retry: false, reason: "aborted" } as const)
              : // An open breaker fails fast; its retryAfterMs tells the caller when the path is tried again.
                error.code === "CIRCUIT_OPEN"
                ? ({ retry: false, reason: "circuit open" } as const)
                : consumedStream(message)
                  ? ({ retry: false, reason: "a Readable attachment was consumed" } as const)
                  : decideRetry(error, attempt, retry);
          if (!decision.retry) {
            const final = error.with({
              attempts: attempt,
              messageId,
              ...(error.transport === undefined && { transport: transport.name }),
              // An earlier try may have been accepted even if this one surely was not.
              ...(ambiguousAttempts > 0 && { ambiguous: true }),
            });
            throw failed(final, messageId, final.transport ?? transport.name, attempt);
          }
          const payload = {
            messageId,
            transport: error.transport ?? transport.name,
            attempt,
            code: error.code,
            delayMs: decision.delayMs,
          };
          if (error.code === "THROTTLED" || error.retryAfterMs !== undefined) {
            events.emit("throttled", {
              ...payload,
              ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
            });
          }
          events.emit("retry", { ...payload, error });
          try {
            await wait(decision.delayMs, signal);
          } catch (reason) {
            const final = aborted(reason, transport.name, messageId, ambiguousAttempts > 0).with({
              attempts: attempt,
            });
            throw failed(final, messageId, transport.name, attempt);
          }
        }
      }
    } finally {
      unlink?.();
      if (counted) sendEnded();
    }
  };

  /** The reason close()'s deadline aborts the sends still in progress with. */
  const closedBeforeDone = (deadlineMs: number) =>
    new MailError({
      code: "ABORTED",
      message: `The mailer was closed with a ${deadlineMs} ms deadline before this send finished.`,
      transport: transport.name,
      hint: "ambiguous: false means no attempt can have been accepted: send it again (with a new mailer, or keep it for later). ambiguous: true means the server may have taken it.",
    });

  // Everything of a send before its attempts: throws (send() rejects with it) before any I/O.
  const startSend = (message: MailMessage, sendOptions: SendOptions): Promise<SendResult> => {
    if (closing) {
      throw new MailError({
        code: "ABORTED",
        message: "The mailer is closed; create a new one to send.",
        transport: transport.name,
      });
    }
    const startedAt = now();
    const normalized = validated(message, options.from);
    const maxRecipients = transport.limits?.maxRecipientsPerMessage;
    if (maxRecipients !== undefined && normalized.recipients.length > maxRecipients) {
      throw new MailError({
        code: "INVALID_MESSAGE",
        message: `The message has ${normalized.recipients.length} recipients; transport "${transport.name}" allows ${maxRecipients} per message.`,
        hint: "Split the recipients over several messages, or use a distribution list.",
        transport: transport.name,
        messageId: normalized.messageId,
        issues: [{ path: "to", message: `more than ${maxRecipients} recipients (to + cc + bcc)` }],
      });
    }
    const callerSignal = sendOptions.signal;
    if (callerSignal?.aborted) {
      throw aborted(callerSignal.reason, transport.name, normalized.messageId, false).with({
        attempts: 0,
      });
    }
    // The send's signal: close()'s deadline, and the caller's abort when there is one.
    let signal = closer.signal;
    let unlink: (() => void) | undefined;
    if (callerSignal) {
      const controller = new AbortController();
      const onCallerAbort = () => controller.abort(callerSignal.reason);
      const onClose = () => controller.abort(closer.signal.reason);
      callerSignal.addEventListener("abort", onCallerAbort, { once: true });
      closer.signal.addEventListener("abort", onClose, { once: true });
      signal = controller.signal;
      unlink = () => {
        callerSignal.removeEventListener("abort", onCallerAbort);
        closer.signal.removeEventListener("abort", onClose);
      };
    }
    sendsInProgress++;
    if (!instrumentation) return sendNormalized(normalized, signal, startedAt, unlink, true);
    // A traced send ends for close() when its tracking has (its span ended, its metrics
    // recorded); one that nothing records, when its attempts have.
    let traced = false;
    let sending: Promise<SendResult>;
    try {
      sending = instrumentation.trackSend(normalized, (tracked) => {
        traced = tracked;
        return sendNormalized(normalized, signal, startedAt, unlink, !tracked);
      });
    } catch (error) {
      sendEnded();
      throw error;
    }
    return traced ? sending.then(endSendWith, endSendWithError) : sending;
  };

  const mailer: Mailer = {
    send(message, sendOptions = {}) {
      // Not an async function: every send would pay for one more promise and await.
      try {
        return startSend(message, sendOptions);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    async verify() {
      if (!transport.verify) return;
      try {
        await transport.verify();
      } catch (error) {
        throw asMailError(error, transport.name);
      }
    },
    close(closeOptions = {}) {
      const deadlineMs = closeOptions?.timeoutMs;
      try {
        checkDelays("close", [{ path: "timeoutMs", value: deadlineMs, min: 0 }]);
      } catch (error) {
        return Promise.reject(error);
      }
      if (deadlineMs !== undefined && sendsInProgress > 0) {
        const abortAll = () => {
          if (closer.signal.aborted) return;
          closer.abort(closedBeforeDone(deadlineMs));
          // Every attempt in flight not yet aborted is in the deadline list (those of sends with
          // a signal of their own were just aborted through it; again does nothing).
          for (const entry of attemptDeadlines?.pending() ?? []) entry.abort();
          for (const abort of attemptsInFlight) abort();
        };
        if (deadlineMs === 0) abortAll();
        else {
          const timer = setTimeout(abortAll, deadlineMs);
          deadlines.add(timer);
        }
      }
      closing ??= (async () => {
        if (sendsInProgress > 0) await new Promise<void>((resolve) => (whenIdle = resolve));
        for (const timer of deadlines) clearTimeout(timer);
        deadlines.clear();
        attemptDeadlines?.dispose();
        unsubscribe?.();
        breaker?.shutdown();
        instrumentation?.close();
        limiter?.clear();
        try {
          await transport.close?.();
        } catch (error) {
          throw asMailError(error, transport.name);
        }
      })();
      return closing;
    },
    on(event, listener) {
      events.on(event, listener as (...args: unknown[]) => void);
      return mailer;
    },
    off(event, listener) {
      events.off(event, listener as (...args: unknown[]) => void);
      return mailer;
    },
  };
  return mailer;
}
