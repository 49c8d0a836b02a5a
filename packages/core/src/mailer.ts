import { EventEmitter } from "node:events";
import { Readable } from "node:stream";
import type { AddressInput, MailMessage, NormalizedMessage } from "./contract/message.js";
import type { Transport, TransportReceipt } from "./contract/transport.js";
import { MailError } from "./errors/mail-error.js";
import { normalizeMessage } from "./message/normalize.js";
import { type CircuitBreakerOptions, createBreaker } from "./resilience/circuit-breaker.js";
import { createRateLimiter, type RateLimitOptions } from "./resilience/rate-limiter.js";
import { decideRetry, type RetryOptions, resolveRetryOptions } from "./resilience/retry.js";

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
  /** @default the transport's `limits` (per sender mailbox) */
  readonly rateLimit?: RateLimitOptions | false;
  /** @default { errorThresholdPercentage: 50, volumeThreshold: 5, rollingWindowMs: 60_000, resetTimeoutMs: 30_000 } */
  readonly circuitBreaker?: CircuitBreakerOptions | false;
  /** Longest one attempt may take; it is then aborted and fails with `TIMEOUT`. @default 60_000 */
  readonly timeoutMs?: number;
  /** Clock, injectable for tests. @default Date.now */
  readonly now?: () => number;
  /**
   * Waits between attempts; injectable so tests over real sockets can check the requested delay
   * without waiting it. Must reject with `signal.reason` when the signal aborts.
   * @default a timer
   */
  readonly sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
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
  readonly durationMs: number;
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
      transport: string;
      attempt: number;
      code: string;
      delayMs: number;
      error: MailError;
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
   * Waits for sends in flight, then closes the transport. Later sends fail with `ABORTED`. Idempotent.
   * @throws MailError when the transport fails to close.
   */
  close(): Promise<void>;
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

function aborted(reason: unknown, transport: string, messageId?: string): MailError {
  if (MailError.isInstance(reason)) return reason;
  return new MailError({
    code: "ABORTED",
    message: "The send was aborted.",
    transport,
    ...(messageId !== undefined && { messageId }),
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

/** `error` itself when it is a MailError; anything else a transport threw, as `UNKNOWN`. */
function asMailError(error: unknown, transport: string): MailError {
  if (MailError.isInstance(error)) return error;
  return new MailError({
    code: "UNKNOWN",
    message: `Transport "${transport}" failed with a non-MailError: ${error instanceof Error ? error.message : String(error)}`,
    transport,
    cause: error,
    hint: "A transport should only throw MailError; report this to its authors.",
  });
}

/** `normalizeMessage`, with anything it throws besides a MailError (a throwing getter, a Proxy) as `INVALID_MESSAGE`. */
function validated(message: MailMessage, from: MailerOptions["from"]): NormalizedMessage {
  try {
    return normalizeMessage(message, from === undefined ? {} : { from });
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
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (!(timeoutMs > 0)) {
    throw new MailError({
      code: "INVALID_CONFIG",
      message: "timeoutMs must be a positive number of milliseconds.",
      issues: [{ path: "timeoutMs", message: "must be > 0" }],
    });
  }
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? sleep;
  const retry = resolveRetryOptions(options.retry);
  const limiter = createRateLimiter(options.rateLimit, transport.limits);
  const events = new EventEmitter();
  const breaker = createBreaker(
    transport.name,
    options.circuitBreaker,
    (state, retryAfterMs) =>
      events.emit(`breaker:${state}`, {
        transport: transport.name,
        ...(retryAfterMs !== undefined && { retryAfterMs }),
      }),
    now,
  );
  const inFlight = new Set<Promise<unknown>>();
  let closing: Promise<void> | undefined;

  // One attempt: the caller's signal and the timeout both abort it, and the transport sees one
  // signal. Written with listeners rather than Promise.race and AbortSignal.any: this runs for
  // every attempt and those allocate several promises and signals each.
  const attemptOnce = (
    message: NormalizedMessage,
    signal: AbortSignal | undefined,
  ): Promise<TransportReceipt> =>
    new Promise<TransportReceipt>((resolve, reject) => {
      const controller = new AbortController();
      let settled = false;
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        settle();
      };
      const onAbort = () => {
        controller.abort(signal!.reason);
        finish(() => reject(signal!.reason));
      };
      const timer = setTimeout(() => {
        const error = new MailError({
          code: "TIMEOUT",
          message: `The attempt through "${transport.name}" took longer than ${timeoutMs} ms and was aborted.`,
          retryable: true,
          // We cannot know how far the transport got: the server may have accepted it.
          ambiguous: true,
          transport: transport.name,
          messageId: message.messageId,
          hint: "The server or network is slow; raise timeoutMs if large messages are expected.",
        });
        controller.abort(error);
        finish(() => reject(error));
      }, timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      const call = () => transport.send(message, { signal: controller.signal });
      (breaker ? breaker.run(call) : call()).then(
        (receipt) => finish(() => resolve(receipt)),
        (error: unknown) =>
          finish(() =>
            reject(
              controller.signal.aborted
                ? controller.signal.reason
                : asMailError(error, transport.name),
            ),
          ),
      );
    });

  // The end of a send that did not deliver: reported once, then thrown by the caller.
  const failed = (final: MailError, messageId: string, via: string, attempts: number) => {
    events.emit("failed", { messageId, transport: via, attempts, code: final.code, error: final });
    return final;
  };

  const sendNormalized = async (
    message: NormalizedMessage,
    signal: AbortSignal | undefined,
    startedAt: number,
  ): Promise<SendResult> => {
    const key = message.from.address.toLowerCase();
    for (let attempt = 1; ; attempt++) {
      try {
        if (signal?.aborted) throw signal.reason;
        const run = () => {
          events.emit("attempt", {
            messageId: message.messageId,
            transport: transport.name,
            attempt,
          });
          return attemptOnce(message, signal);
        };
        const receipt = limiter ? await limiter.run(key, run, signal) : await run();
        const result: SendResult = {
          messageId: message.messageId,
          transport: receipt.transport ?? transport.name,
          accepted: receipt.accepted,
          rejected: receipt.rejected,
          ...(receipt.response !== undefined && { response: receipt.response }),
          attempts: attempt,
          durationMs: now() - startedAt,
        };
        events.emit("sent", {
          messageId: result.messageId,
          transport: result.transport,
          attempts: attempt,
          accepted: result.accepted,
          rejected: result.rejected,
          durationMs: result.durationMs,
        });
        return result;
      } catch (caught) {
        const error = signal?.aborted
          ? aborted(signal.reason, transport.name, message.messageId)
          : asMailError(caught, transport.name);
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
            messageId: message.messageId,
            ...(error.transport === undefined && { transport: transport.name }),
          });
          throw failed(final, message.messageId, final.transport ?? transport.name, attempt);
        }
        const payload = {
          messageId: message.messageId,
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
          const final = aborted(reason, transport.name, message.messageId).with({
            attempts: attempt,
          });
          throw failed(final, message.messageId, transport.name, attempt);
        }
      }
    }
  };

  const mailer: Mailer = {
    async send(message, sendOptions = {}) {
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
          issues: [
            { path: "to", message: `more than ${maxRecipients} recipients (to + cc + bcc)` },
          ],
        });
      }
      const signal = sendOptions.signal;
      if (signal?.aborted)
        throw aborted(signal.reason, transport.name, normalized.messageId).with({ attempts: 0 });
      const promise = sendNormalized(normalized, signal, startedAt);
      inFlight.add(promise);
      try {
        return await promise;
      } finally {
        inFlight.delete(promise);
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
    close() {
      closing ??= (async () => {
        await Promise.allSettled([...inFlight]);
        breaker?.shutdown();
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
