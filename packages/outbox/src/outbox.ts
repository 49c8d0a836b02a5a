import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import {
  captureTraceContext,
  createMailer,
  MailError,
  type Mailer,
  type MailMessage,
  type NormalizedMessage,
  normalizeMessage,
  type SendResult,
  type Transport,
  type TransportLimits,
  withTraceContext,
} from "@mailpath/core";
import { DelayedError, type Job, Queue, RateLimitError, UnrecoverableError, Worker } from "bullmq";
import type { OutboxEvent, OutboxEvents } from "./events.js";
import { lingeringTransport } from "./lingering-transport.js";
import {
  type OutboxOptions,
  PARKING_LIMITER,
  type ResolvedOutboxOptions,
  resolveOutboxOptions,
  type StartWorkerOptions,
} from "./options.js";
import { type MessageWindow, messageWindow } from "./quota.js";
import { checkNoEviction, type OutboxRedis, openRedis, redisError } from "./redis.js";
import {
  type OutboxJobData,
  restoreMessage,
  type StoredMessage,
  storeMessage,
} from "./stored-message.js";

/**
 * Options of one `enqueue()`.
 * @since 0.1.0
 */
export interface EnqueueOptions {
  /**
   * The same key enqueued again for the same sender mailbox, while the first job is kept
   * (`keepSentMs` once sent; dead letters until removed), returns the first job and queues
   * nothing: the message is sent once.
   */
  readonly idempotencyKey?: string;
  /** Send no earlier than this many milliseconds from now. @default 0 */
  readonly delayMs?: number;
  /** Stops validation and the write to Redis; once written, the message stays queued. */
  readonly signal?: AbortSignal;
}

/**
 * What `enqueue()` resolves with, once the message is stored in Redis.
 * @since 0.1.0
 */
export interface EnqueueResult {
  /** The job's id, for `status()`: `<sender>/<job id>`. */
  readonly id: string;
  /** The Message-ID the message carries on every attempt. */
  readonly messageId: string;
  /** The idempotency key was already queued: `id` and `messageId` are the first job's. */
  readonly duplicate: boolean;
}

/**
 * Where a message is: `queued` (waiting for its quota slot), `delayed` (`delayMs`, or a retry
 * waiting its backoff), `sending`, `sent`, or `dead` (a dead letter).
 * @since 0.1.0
 */
export type OutboxState = "queued" | "delayed" | "sending" | "sent" | "dead";

/**
 * What `status()` reports about one job.
 * @since 0.1.0
 */
export interface OutboxStatus {
  readonly id: string;
  readonly messageId: string;
  /** The sender mailbox whose quota the message uses. */
  readonly sender: string;
  readonly state: OutboxState;
  /** Attempts started (an attempt cut by a crash included). */
  readonly attempts: number;
  /** An attempt may have been accepted without the outbox hearing it: a duplicate is possible. */
  readonly ambiguous: boolean;
  readonly enqueuedAt: Date;
  /** When a `delayed` job is due. */
  readonly dueAt?: Date;
  /** When it was sent, for `sent`. */
  readonly sentAt?: Date;
  /** The server's answer, for `sent`. */
  readonly result?: SentRecord;
  /** The last failure, as `MailError.toJSON()` (code, message, hint, smtp/http detail; never a secret). */
  readonly error?: Readonly<Record<string, unknown>>;
}

/**
 * A job's return value once sent: what the mailer's `SendResult` says of the delivery, with the
 * outbox's own count and flag.
 * @since 0.1.0
 */
export interface SentRecord
  extends Pick<SendResult, "messageId" | "transport" | "accepted" | "rejected" | "response"> {
  /** Outbox attempts, the one that sent it included. */
  readonly attempts: number;
  /** An earlier attempt may have been accepted without the outbox hearing it. */
  readonly ambiguous: boolean;
  /** Milliseconds since epoch. */
  readonly sentAt: number;
}

/**
 * A durable outbox in Redis. Any number of processes may enqueue and run workers; each sender
 * mailbox's quota (rate and concurrency) is shared by all of them.
 * @since 0.1.0
 */
export interface Outbox {
  /** The per-mailbox quota the workers keep (from the transport, or `limits`). */
  readonly limits: TransportLimits | undefined;
  /**
   * Validates the message, fixes its Message-ID and stores it in Redis.
   * @param message - the message; `from` falls back to the outbox's `from`.
   * @param options - idempotency key, delay, abort signal.
   * @returns once the message is stored: its job id and Message-ID.
   * @throws MailError `INVALID_MESSAGE` / `MESSAGE_TOO_LARGE` before anything reaches Redis,
   * `INVALID_CONFIG` on an evicting Redis, `CONNECTION_FAILED` when Redis is unreachable,
   * `ABORTED` when the signal fires (ambiguous once the write was sent).
   */
  enqueue(message: MailMessage, options?: EnqueueOptions): Promise<EnqueueResult>;
  /**
   * Starts sending from this process, for every sender mailbox (discovered as they appear) or
   * the ones listed. Call it in as many processes as you like.
   * @throws MailError `INVALID_CONFIG` on an evicting Redis or a second call.
   */
  startWorker(options?: StartWorkerOptions): Promise<void>;
  /**
   * Where a job is, from any process.
   * @param id - the `id` returned by `enqueue`.
   * @returns its status, or `undefined` when no such job is kept.
   */
  status(id: string): Promise<OutboxStatus | undefined>;
  /**
   * Stops taking jobs, waits for the sends in flight, then closes the connections. Queued
   * messages stay in Redis for the next worker. Sends still running after `timeoutMs` are
   * aborted and put back in the queue (flagged ambiguous when they may have been accepted).
   * Later `enqueue` calls fail with `ABORTED`. Idempotent.
   */
  close(options?: { readonly timeoutMs?: number }): Promise<void>;
  /**
   * Listens to an event.
   * @param event - one of `OutboxEvents`.
   * @param listener - called with the event's payload.
   * @returns the outbox, to chain calls.
   */
  on<E extends OutboxEvent>(event: E, listener: (...args: OutboxEvents[E]) => void): this;
  /**
   * Stops listening.
   * @returns the outbox, to chain calls.
   */
  off<E extends OutboxEvent>(event: E, listener: (...args: OutboxEvents[E]) => void): this;
}

/** The attempt record, kept in the job's `progress` (one small write per attempt). */
interface AttemptRecord {
  /** `sending` with no outcome after it means the process died mid-send. */
  readonly phase: "sending" | "failed" | "interrupted" | "dead";
  /** Sends started. */
  readonly attempts: number;
  readonly ambiguous: boolean;
  /** The last failure, `MailError.toJSON()`. */
  readonly error?: Record<string, unknown>;
  readonly at: number;
  /** When the retry after a `failed` attempt is due (milliseconds since epoch). */
  readonly retryAt?: number;
}

const RETRY_DELAY = Symbol("mailpath.outbox.retryDelay");
const BACKOFF_TYPE = "mailpath";

function readRecord(progress: unknown): AttemptRecord | undefined {
  return typeof progress === "object" && progress !== null && "phase" in progress
    ? (progress as AttemptRecord)
    : undefined;
}

function asMailError(error: unknown): MailError {
  if (MailError.isInstance(error)) return error;
  return new MailError({
    code: "UNKNOWN",
    message: `The send failed with a non-MailError: ${error instanceof Error ? error.message : String(error)}`,
    cause: error,
  });
}

/** Queue names may not hold ':' (BullMQ's key separator). */
/**
 * A job's stored trace headers, if they look like propagation headers (Redis is shared: a
 * job written by something else is not trusted to hold anything else).
 */
function traceCarrier(value: unknown): Record<string, string> | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0 || entries.length > 8) return undefined;
  const carrier: Record<string, string> = {};
  for (const [key, field] of entries) {
    if (!/^[a-z][a-z0-9-]{0,63}$/.test(key) || typeof field !== "string" || field.length > 1024)
      return undefined;
    carrier[key] = field;
  }
  return carrier;
}

function senderKey(address: string): string {
  return address.toLowerCase().replaceAll(":", "%3A");
}

function splitId(id: string): { sender: string; jobId: string } | undefined {
  if (typeof id !== "string") return undefined;
  const slash = id.lastIndexOf("/");
  if (slash <= 0 || slash === id.length - 1) return undefined;
  return { sender: id.slice(0, slash), jobId: id.slice(slash + 1) };
}

function aborted(reason: unknown, ambiguous: boolean): MailError {
  return new MailError({
    code: "ABORTED",
    message: ambiguous
      ? "The enqueue was aborted after the write to Redis was sent: the message may be queued."
      : "The enqueue was aborted; nothing was queued.",
    ...(ambiguous && {
      ambiguous: true,
      hint: "Enqueue again with the same idempotencyKey to be sure it is queued once.",
    }),
    cause: reason,
  });
}

/**
 * Creates a durable outbox over Redis (BullMQ): `enqueue()` stores a validated message and
 * returns; workers started with `startWorker()` in any number of processes send it within the
 * sender mailbox's quota, retry it through the queue, and keep what could not be sent as a
 * dead letter.
 *
 * @example
 * const outbox = createOutbox({
 *   connection: process.env.MAILPATH_REDIS_URL!,
 *   transport: () => createSmtpTransport({ auth: { user, pass } }),
 *   from: "notifications@contoso.com",
 * });
 * await outbox.startWorker();
 * const { id, messageId } = await outbox.enqueue({ to: "ada@contoso.com", subject: "Hi", text: "Hello" });
 * @param options - Redis, the transport (or mailer), quota, retry and retention.
 * @returns the outbox; Redis is contacted on first use.
 * @throws MailError `INVALID_CONFIG` when an option is wrong.
 * @since 0.1.0
 */
export function createOutbox(options: OutboxOptions): Outbox {
  const resolved: ResolvedOutboxOptions = resolveOutboxOptions(options);
  const { prefix } = resolved;

  const transportOption = options.transport;
  const transport: Transport | undefined =
    typeof transportOption === "function"
      ? (() => {
          const probe = transportOption();
          void probe.close?.().catch(() => {});
          return lingeringTransport(transportOption, probe, resolved.connectionLingerMs);
        })()
      : transportOption;
  if (
    transport !== undefined &&
    (typeof transport !== "object" || typeof transport.send !== "function")
  ) {
    throw new MailError({
      code: "INVALID_CONFIG",
      message:
        "createOutbox needs a `transport` with a send() method (or a function returning one).",
      issues: [{ path: "transport", message: "must be a Transport or () => Transport" }],
    });
  }
  const limits: TransportLimits | undefined =
    options.limits === false ? undefined : (options.limits ?? transport?.limits);

  const redis: OutboxRedis = openRedis(options.connection);
  const events = new EventEmitter();
  const queues = new Map<string, Queue>();
  const registered = new Set<string>();
  const workers = new Map<string, Worker>();
  // `sent`, `retrying` and `dead` are emitted once BullMQ has moved the job (worker events),
  // so a listener that reads `status()` sees the new state.
  const pending = new Map<string, () => void>();
  const registryKey = `${prefix}:${resolved.name}:senders`;
  let ownMailer: Mailer | undefined;
  let checked: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  let workerOptions: StartWorkerOptions | undefined;
  let discovery: NodeJS.Timeout | undefined;

  const emit = <E extends OutboxEvent>(event: E, ...args: OutboxEvents[E]) => {
    if (event === "error" && events.listenerCount("error") === 0) return;
    events.emit(event, ...args);
  };

  const ready = (): Promise<void> => {
    checked ??= checkNoEviction(redis.client).catch((error: unknown) => {
      // Refusal stays; an unreachable Redis is checked again next time.
      if (!(MailError.isInstance(error) && error.code === "INVALID_CONFIG")) checked = undefined;
      throw error;
    });
    return checked;
  };

  const queueFor = (sender: string): Queue => {
    let queue = queues.get(sender);
    if (!queue) {
      queue = new Queue(`${resolved.name}/${sender}`, { connection: redis.client, prefix });
      queue.on("error", (error) => emit("error", redisError(error, "using the queue")));
      queues.set(sender, queue);
    }
    return queue;
  };

  const windows = new Map<string, MessageWindow | undefined>();
  const windowFor = (sender: string): MessageWindow | undefined => {
    if (windows.has(sender)) return windows.get(sender);
    const capacity = limits?.maxMessagesPerInterval;
    const intervalMs = limits?.intervalMs;
    const window =
      capacity !== undefined && intervalMs !== undefined && capacity > 0 && intervalMs > 0
        ? messageWindow(
            redis.client,
            `${prefix}:${resolved.name}/${sender}:quota`,
            Math.max(1, Math.floor(capacity)),
            intervalMs * (1 + resolved.quotaMargin),
            // A crashed attempt's token: held as long as the attempt could have run, plus a window.
            resolved.timeoutMs + intervalMs * (1 + resolved.quotaMargin),
          )
        : undefined;
    windows.set(sender, window);
    return window;
  };

  const mailer = (): Mailer => {
    if (options.mailer) return options.mailer;
    ownMailer ??= createMailer({
      transport: transport!,
      retry: false,
      // The outbox paces each mailbox across processes. A routing transport (failover,
      // weighted) paces and guards each of its paths itself and refuses a mailer-level policy.
      ...(!transport!.router && { rateLimit: false }),
      timeoutMs: resolved.timeoutMs,
      ...(options.telemetry && { telemetry: options.telemetry }),
    });
    return ownMailer;
  };

  const backoffMs = (failures: number, retryAfterMs: number | undefined): number => {
    const ceiling = Math.min(
      resolved.maxDelayMs,
      resolved.baseDelayMs * 2 ** Math.max(0, failures - 1),
    );
    const backoff = Math.floor(resolved.random() * ceiling);
    return Math.max(backoff, retryAfterMs ?? 0);
  };

  const closedError = () =>
    new MailError({
      code: "ABORTED",
      message: "The outbox is closed; create a new one to enqueue.",
    });

  const validate = (message: MailMessage): NormalizedMessage => {
    let normalized: NormalizedMessage;
    try {
      normalized = normalizeMessage(
        message,
        options.from === undefined ? {} : { from: options.from },
      );
    } catch (error) {
      if (MailError.isInstance(error)) throw error;
      throw new MailError({
        code: "INVALID_MESSAGE",
        message: `The message could not be read: ${error instanceof Error ? error.message : String(error)}`,
        hint: "Pass a plain object as the message; nothing was queued.",
        issues: [{ path: "message", message: "could not be read" }],
        cause: error,
      });
    }
    const maxRecipients = limits?.maxRecipientsPerMessage;
    if (maxRecipients !== undefined && normalized.recipients.length > maxRecipients) {
      throw new MailError({
        code: "INVALID_MESSAGE",
        message: `The message has ${normalized.recipients.length} recipients; the sender's path allows ${maxRecipients} per message.`,
        hint: "Split the recipients over several messages, or use a distribution list; nothing was queued.",
        messageId: normalized.messageId,
        issues: [{ path: "to", message: `more than ${maxRecipients} recipients (to + cc + bcc)` }],
      });
    }
    return normalized;
  };

  const enqueue: Outbox["enqueue"] = async (message, enqueueOptions = {}) => {
    if (closing) throw closedError();
    const { signal, idempotencyKey, delayMs } = enqueueOptions;
    if (signal?.aborted) throw aborted(signal.reason, false);
    if (
      delayMs !== undefined &&
      !(typeof delayMs === "number" && delayMs >= 0 && Number.isFinite(delayMs))
    ) {
      throw new MailError({
        code: "INVALID_MESSAGE",
        message: `delayMs must be a number of milliseconds >= 0, got ${String(delayMs)}.`,
        issues: [{ path: "delayMs", message: "must be >= 0" }],
      });
    }
    if (
      idempotencyKey !== undefined &&
      (typeof idempotencyKey !== "string" || idempotencyKey === "")
    ) {
      throw new MailError({
        code: "INVALID_MESSAGE",
        message: "idempotencyKey must be a non-empty string.",
        issues: [{ path: "idempotencyKey", message: "must be a non-empty string" }],
      });
    }
    const normalized = validate(message);
    // The caller's trace context, read before any await (it is the caller's active span).
    const trace = options.telemetry ? captureTraceContext() : undefined;
    const stored: StoredMessage = await storeMessage(normalized);
    const data: OutboxJobData = {
      v: 1,
      message: stored,
      enqueuedAt: Date.now(),
      ...(idempotencyKey !== undefined && { idempotencyKey }),
      ...(trace !== undefined && { trace }),
    };
    const bytes = Buffer.byteLength(JSON.stringify(data));
    if (bytes > resolved.maxStoredBytes) {
      throw new MailError({
        code: "MESSAGE_TOO_LARGE",
        message: `The message takes ${bytes} bytes in the outbox (attachments in base64); the outbox stores at most ${resolved.maxStoredBytes}.`,
        hint: "Send large files as links, or raise maxStoredBytes knowing that Redis holds every queued message in memory; nothing was queued.",
        messageId: stored.messageId,
      });
    }
    if (signal?.aborted) throw aborted(signal.reason, false);
    await ready();
    const sender = senderKey(stored.from.address);
    const queue = queueFor(sender);
    const jobId =
      idempotencyKey === undefined
        ? undefined
        : `key-${createHash("sha256").update(idempotencyKey).digest("hex").slice(0, 40)}`;
    const write = async (): Promise<EnqueueResult> => {
      if (!registered.has(sender)) {
        await redis.client.sadd(registryKey, sender);
        registered.add(sender);
        // A worker of this process serves a new mailbox at once; others find it on discovery.
        if (workerOptions && !workerOptions.senders) {
          startSender(sender, workerOptions).catch((error: unknown) =>
            emit("error", redisError(error, "starting a worker")),
          );
        }
      }
      const job = await queue.add("send", data, {
        ...(jobId !== undefined && { jobId }),
        ...(delayMs !== undefined && delayMs > 0 && { delay: Math.round(delayMs) }),
        attempts: resolved.maxAttempts,
        backoff: { type: BACKOFF_TYPE },
        removeOnComplete: { age: Math.ceil(resolved.keepSentMs / 1000) },
        removeOnFail:
          resolved.keepDeadMs === undefined
            ? false
            : { age: Math.ceil(resolved.keepDeadMs / 1000) },
      });
      const id = `${sender}/${job.id}`;
      if (jobId === undefined) return { id, messageId: stored.messageId, duplicate: false };
      // BullMQ keeps the first job of an id and ignores the second add: report the first.
      const first = await queue.getJob(jobId);
      const firstId = (first?.data as OutboxJobData | undefined)?.message.messageId;
      return firstId !== undefined && firstId !== stored.messageId
        ? { id, messageId: firstId, duplicate: true }
        : { id, messageId: stored.messageId, duplicate: false };
    };
    const writing = write().catch((error: unknown) => {
      throw redisError(error, "storing the message");
    });
    if (!signal) return writing;
    return new Promise<EnqueueResult>((resolve, reject) => {
      const onAbort = () => reject(aborted(signal.reason, true));
      signal.addEventListener("abort", onAbort, { once: true });
      writing.then(
        (result) => {
          signal.removeEventListener("abort", onAbort);
          resolve(result);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  };

  const processJob = async (
    job: Job<OutboxJobData, SentRecord>,
    lockToken: string | undefined,
    signal: AbortSignal | undefined,
    worker: Worker,
    sender: string,
  ): Promise<SentRecord> => {
    const id = `${sender}/${job.id}`;
    const { message: stored } = job.data;
    const { messageId } = stored;
    const previous = readRecord(job.progress);
    // A `sending` record with no outcome after it: the process running that attempt died
    // mid-send (the job came back through stalled-job recovery). The server may have taken it.
    const interrupted = previous?.phase === "sending";
    const ambiguous = (previous?.ambiguous ?? false) || interrupted;
    const attempt = (previous?.attempts ?? 0) + 1;
    const window = windowFor(sender);
    const token = `${job.id}:${attempt}`;
    if (window) {
      const waitMs = await window.take(token);
      if (waitMs > 0) {
        // The mailbox's window is full: park its queue (every process) until a token returns.
        await worker.rateLimit(waitMs);
        throw new RateLimitError();
      }
    }
    await job.updateProgress({
      phase: "sending",
      attempts: attempt,
      ambiguous,
      at: Date.now(),
      ...(previous?.error && { error: previous.error }),
    } satisfies AttemptRecord);
    emit("attempt", { id, messageId, attempt, ambiguous });
    const startedAt = Date.now();
    try {
      const send = () =>
        mailer().send(restoreMessage(stored), signal === undefined ? {} : { signal });
      // With telemetry, the send is traced as a child of the span that enqueued the job.
      const result = await (options.telemetry
        ? withTraceContext(traceCarrier(job.data.trace), send)
        : send()
      ).finally(() => window?.finish(token).catch(() => {}));
      const sent: SentRecord = {
        messageId,
        transport: result.transport,
        accepted: result.accepted,
        rejected: result.rejected,
        ...(result.response !== undefined && { response: result.response }),
        attempts: attempt,
        ambiguous,
        sentAt: Date.now(),
      };
      const durationMs = Date.now() - startedAt;
      pending.set(id, () =>
        emit("sent", {
          id,
          messageId,
          attempts: attempt,
          ambiguous,
          accepted: result.accepted,
          rejected: result.rejected,
          transport: result.transport,
          durationMs,
        }),
      );
      return sent;
    } catch (caught) {
      const error = asMailError(caught).with({ messageId, attempts: attempt });
      const nowAmbiguous = ambiguous || error.ambiguous === true;
      const record = (phase: AttemptRecord["phase"], retryAt?: number): AttemptRecord => ({
        phase,
        attempts: attempt,
        ambiguous: nowAmbiguous,
        error: error.toJSON(),
        at: Date.now(),
        ...(retryAt !== undefined && { retryAt }),
      });
      if (signal?.aborted) {
        // close() ran out of time: the job goes back to the queue without using an attempt.
        await job.updateProgress(record("interrupted"));
        await job.moveToDelayed(Date.now(), lockToken);
        throw new DelayedError();
      }
      emit("failed", { id, messageId, attempt, code: error.code, error });
      const retrying = (delayMs: number, throttled: boolean) =>
        emit("retrying", { id, messageId, attempt, code: error.code, delayMs, throttled, error });
      if (error.retryable && error.code === "THROTTLED") {
        // The mailbox is over its quota for every process: pause its whole queue (BullMQ's
        // manual rate limit); the job waits in the queue and uses no attempt.
        const delayMs = Math.max(1, error.retryAfterMs ?? resolved.baseDelayMs);
        await job.updateProgress(record("failed", Date.now() + delayMs));
        await worker.rateLimit(delayMs);
        retrying(delayMs, true);
        throw new RateLimitError();
      }
      if (!error.retryable || job.attemptsMade + 1 >= resolved.maxAttempts) {
        await job.updateProgress(record("dead"));
        pending.set(id, () =>
          emit("dead", { id, messageId, attempts: attempt, code: error.code, error }),
        );
        throw new UnrecoverableError(`${error.code}: ${error.message}`);
      }
      const delayMs = backoffMs(job.attemptsMade + 1, error.retryAfterMs);
      await job.updateProgress(record("failed", Date.now() + delayMs));
      pending.set(id, () => retrying(delayMs, false));
      throw Object.assign(new Error(`${error.code}: ${error.message}`), { [RETRY_DELAY]: delayMs });
    }
  };

  const startSender = async (sender: string, workerOptions: StartWorkerOptions) => {
    if (workers.has(sender) || closing) return;
    const globalConcurrency = limits?.maxConcurrency;
    if (globalConcurrency !== undefined) {
      await queueFor(sender).setGlobalConcurrency(Math.max(1, Math.floor(globalConcurrency)));
    }
    if (workers.has(sender) || closing) return;
    const concurrency = Math.max(
      1,
      Math.floor(workerOptions.concurrency ?? globalConcurrency ?? 1),
    );
    const worker: Worker = new Worker(
      `${resolved.name}/${sender}`,
      (job: Job, token?: string, signal?: AbortSignal) =>
        processJob(job as Job<OutboxJobData, SentRecord>, token, signal, worker, sender),
      {
        connection: redis.workerConnection(),
        prefix,
        concurrency,
        limiter: { ...PARKING_LIMITER },
        lockDuration: workerOptions.lockDurationMs ?? 30_000,
        stalledInterval: workerOptions.stalledIntervalMs ?? 30_000,
        maxStalledCount: workerOptions.maxStalledCount ?? 5,
        settings: {
          backoffStrategy: (attemptsMade, _type, error) =>
            (error as { [RETRY_DELAY]?: number } | undefined)?.[RETRY_DELAY] ??
            backoffMs(attemptsMade, undefined),
        },
      },
    );
    worker.on("error", (error) => emit("error", redisError(error, "running the worker")));
    const flush = (job: Job | undefined) => {
      if (!job) return false;
      const key = `${sender}/${job.id}`;
      const emitPending = pending.get(key);
      if (!emitPending) return false;
      pending.delete(key);
      emitPending();
      return true;
    };
    worker.on("completed", (job) => void flush(job));
    worker.on("failed", (job, error) => {
      if (flush(job)) return;
      // A job failed by BullMQ itself (recovered after crashes more than maxStalledCount times):
      // our processor recorded nothing, so report it here.
      if (!job || !/stalled/i.test(error.message)) return;
      const data = job.data as OutboxJobData;
      const mailError = new MailError({
        code: "UNKNOWN",
        message: `The job was given up by the queue: ${error.message}`,
        ambiguous: true,
        messageId: data.message.messageId,
        hint: "The message made its worker crash repeatedly; inspect it before retrying.",
      });
      emit("dead", {
        id: `${sender}/${job.id}`,
        messageId: data.message.messageId,
        attempts: readRecord(job.progress)?.attempts ?? job.attemptsStarted,
        code: mailError.code,
        error: mailError,
      });
    });
    workers.set(sender, worker);
  };

  const startWorker: Outbox["startWorker"] = async (startOptions = {}) => {
    if (closing) throw closedError();
    if (workerOptions) {
      throw new MailError({
        code: "INVALID_CONFIG",
        message: "startWorker() was already called on this outbox.",
        hint: "Call startWorker() once per process; its concurrency option sets the parallel sends.",
      });
    }
    if (!transport && !options.mailer) {
      throw new MailError({
        code: "INVALID_CONFIG",
        message: "This outbox has no transport or mailer: it can enqueue but not send.",
        hint: "Pass `transport` (or `mailer`) to createOutbox in the processes that run workers.",
        issues: [{ path: "transport", message: "is required to start a worker" }],
      });
    }
    workerOptions = startOptions;
    try {
      await ready();
    } catch (error) {
      workerOptions = undefined;
      throw error;
    }
    mailer();
    const discover = async () => {
      const senders = startOptions.senders
        ? startOptions.senders.map(senderKey)
        : await redis.client.smembers(registryKey);
      for (const sender of senders) await startSender(sender, startOptions);
    };
    try {
      await discover();
    } catch (error) {
      throw redisError(error, "listing sender mailboxes");
    }
    if (!startOptions.senders) {
      discovery = setInterval(() => {
        discover().catch((error: unknown) =>
          emit("error", redisError(error, "listing sender mailboxes")),
        );
      }, startOptions.discoveryIntervalMs ?? 5_000);
      discovery.unref();
    }
  };

  const status: Outbox["status"] = async (id) => {
    const parts = splitId(id);
    if (!parts) return undefined;
    let job: Job<OutboxJobData, SentRecord> | undefined;
    let state: string;
    try {
      job = (await queueFor(parts.sender).getJob(parts.jobId)) as
        | Job<OutboxJobData, SentRecord>
        | undefined;
      if (!job) return undefined;
      state = await job.getState();
    } catch (error) {
      throw redisError(error, "reading a job");
    }
    const record = readRecord(job.progress);
    const returned = job.returnvalue as SentRecord | null | undefined;
    const mapped: OutboxState | undefined =
      state === "completed"
        ? "sent"
        : state === "failed"
          ? "dead"
          : state === "active"
            ? "sending"
            : state === "delayed"
              ? "delayed"
              : state === "unknown"
                ? undefined
                : "queued";
    if (!mapped) return undefined;
    const error =
      record?.error ??
      (mapped === "dead"
        ? new MailError({
            code: "UNKNOWN",
            message: `The job was given up by the queue: ${job.failedReason ?? "no reason recorded"}`,
            ambiguous: true,
          }).toJSON()
        : undefined);
    return {
      id,
      messageId: job.data.message.messageId,
      sender: parts.sender,
      state: mapped,
      attempts: returned?.attempts ?? record?.attempts ?? 0,
      ambiguous: returned?.ambiguous ?? record?.ambiguous ?? false,
      enqueuedAt: new Date(job.data.enqueuedAt),
      ...(mapped === "delayed" && {
        dueAt: new Date(
          record?.phase === "failed" && record.retryAt !== undefined
            ? record.retryAt
            : job.timestamp + (job.delay ?? 0),
        ),
      }),
      ...(mapped === "sent" && returned && { sentAt: new Date(returned.sentAt), result: returned }),
      ...(error && { error }),
    };
  };

  const close: Outbox["close"] = (closeOptions = {}) => {
    closing ??= (async () => {
      if (discovery) clearInterval(discovery);
      const timeoutMs = closeOptions.timeoutMs ?? 30_000;
      await Promise.all(
        [...workers.values()].map(async (worker) => {
          const timer = setTimeout(() => worker.cancelAllJobs("the outbox is closing"), timeoutMs);
          try {
            await worker.close();
          } finally {
            clearTimeout(timer);
          }
        }),
      );
      await ownMailer?.close().catch(() => {});
      await Promise.all([...queues.values()].map((queue) => queue.close().catch(() => {})));
      await redis.close();
    })();
    return closing;
  };

  const outbox: Outbox = {
    limits,
    enqueue,
    startWorker,
    status,
    close,
    on(event, listener) {
      events.on(event, listener as (...args: unknown[]) => void);
      return outbox;
    },
    off(event, listener) {
      events.off(event, listener as (...args: unknown[]) => void);
      return outbox;
    },
  };
  return outbox;
}
