import type {
  AddressInput,
  Mailer,
  TelemetryOptions,
  Transport,
  TransportLimits,
} from "@mailpath/core";
import { MailError, type MailIssue } from "@mailpath/core";
import type { Redis, RedisOptions } from "ioredis";

/**
 * Where the outbox's Redis is: a `redis://` / `rediss://` URL, ioredis options, or an ioredis
 * client (the outbox duplicates it for its workers and never closes the one you pass).
 * @since 0.1.0
 */
export type OutboxConnection = string | RedisOptions | Redis;

/**
 * Where the queues live in Redis.
 * @since 0.1.0
 */
export interface OutboxQueueOptions {
  /** Prefix of every Redis key the outbox writes. @default "mailpath" */
  readonly prefix?: string;
  /** Base name; each sender mailbox gets its own BullMQ queue `<name>/<address>`. @default "outbox" */
  readonly name?: string;
}

/**
 * How failed attempts are retried through the queue. Only retryable `MailError`s are retried;
 * throttling replies (`THROTTLED`) pause the sender's queue instead and use no attempt.
 * @since 0.1.0
 */
export interface OutboxRetryOptions {
  /** Attempts in all, the first included; then the job goes to the dead letters. @default 8 */
  readonly maxAttempts?: number;
  /** Base of the exponential backoff between attempts. @default 1_000 */
  readonly baseDelayMs?: number;
  /** Longest computed backoff (a server's `retryAfterMs` may ask for longer). @default 300_000 */
  readonly maxDelayMs?: number;
  /** Randomness for the jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/**
 * Options of `createOutbox`. Give one of `transport` and `mailer` to run workers; an outbox
 * with neither only enqueues (an API process whose workers run elsewhere).
 * @since 0.1.0
 */
export interface OutboxOptions {
  /** The Redis that holds the queues. It must not evict keys (`maxmemory-policy noeviction`). */
  readonly connection: OutboxConnection;
  /**
   * The path mail goes through. A function is called for every send and its transport closed
   * when the send ends, so no connection outlives the quota slot of its message: use that for
   * SMTP AUTH, where Exchange counts open connections (idle pooled ones too) per mailbox.
   * An object is shared by every send of this process (Graph, relay).
   */
  readonly transport?: Transport | (() => Transport);
  /**
   * A mailer to send through instead of a transport. Create it with `retry: false` and
   * `rateLimit: false` (the outbox retries and paces), and pass `limits`: a mailer does not
   * expose its transport's.
   */
  readonly mailer?: Mailer;
  /** Default sender for messages without `from`. @default none: every message must carry `from` */
  readonly from?: AddressInput;
  /**
   * The quota each sender mailbox gets across every worker process. `false`: no pacing.
   * @default the transport's `limits` (required with `mailer`)
   */
  readonly limits?: TransportLimits | false;
  /**
   * Share of the message window added as a safety margin: a message's token comes back
   * `intervalMs × (1 + quotaMargin)` after its send finished. @default 0.02
   */
  readonly quotaMargin?: number;
  /** Queue names and key prefix. @default { prefix: "mailpath", name: "outbox" } */
  readonly queue?: OutboxQueueOptions;
  /** @default { maxAttempts: 8, baseDelayMs: 1_000, maxDelayMs: 300_000 } */
  readonly retry?: OutboxRetryOptions;
  /**
   * How long a sent job stays in Redis: its `status()` and its idempotency key live as long.
   * @default 86_400_000 (24 h)
   */
  readonly keepSentMs?: number;
  /** How long a dead letter stays in Redis. @default forever (until removed by an operator) */
  readonly keepDeadMs?: number;
  /**
   * Largest message stored in Redis (JSON, attachments in base64); a larger one is refused at
   * enqueue with `MESSAGE_TOO_LARGE`. @default 5_242_880 (5 MiB)
   */
  readonly maxStoredBytes?: number;
  /** Longest one attempt may take; it then fails with `TIMEOUT` (ambiguous). @default 60_000 */
  readonly timeoutMs?: number;
  /**
   * With a transport factory: how long a connection stays open after its send for the next
   * send of this process to reuse. Keep it far below the time a new session takes to reach
   * AUTH (Exchange counts sessions from there), so another process's new connection never
   * overlaps an idle one. `0`: a connection per send. @default 20
   */
  readonly connectionLingerMs?: number;
  /**
   * OpenTelemetry: the active trace context of each `enqueue()` is stored with its job (W3C
   * `traceparent` through the propagator your SDK registered) and the worker's `mailpath.send`
   * span is its child, in whatever process runs the worker. The outbox's own mailer gets these
   * settings (a `mailer` you pass keeps its own). `@opentelemetry/api` is loaded only when this
   * is set, and only if it is installed.
   * @default off
   */
  readonly telemetry?: TelemetryOptions | false;
}

/**
 * Options of `outbox.startWorker`.
 * @since 0.1.0
 */
export interface StartWorkerOptions {
  /**
   * Sends this process runs at once per sender mailbox. The mailbox-wide cap across every
   * process is the transport's `limits.maxConcurrency`, whatever this says.
   * @default limits.maxConcurrency, else 1
   */
  readonly concurrency?: number;
  /** Serve only these sender mailboxes. @default every mailbox anything was enqueued for, discovered as it appears */
  readonly senders?: readonly string[];
  /** How often new sender mailboxes are looked for. @default 5_000 */
  readonly discoveryIntervalMs?: number;
  /**
   * How long a job stays locked to this process without a renewal; after a crash, the job
   * is recovered once the lock has lapsed. @default 30_000
   */
  readonly lockDurationMs?: number;
  /** How often stalled jobs (locks lapsed: their process died) are looked for. @default 30_000 */
  readonly stalledIntervalMs?: number;
  /** Recoveries after a crash before the job is a dead letter (a message that kills its worker). @default 5 */
  readonly maxStalledCount?: number;
}

/** Options with every default applied. */
export interface ResolvedOutboxOptions {
  readonly prefix: string;
  readonly name: string;
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly random: () => number;
  readonly keepSentMs: number;
  readonly keepDeadMs: number | undefined;
  readonly maxStoredBytes: number;
  readonly timeoutMs: number;
  readonly quotaMargin: number;
  readonly connectionLingerMs: number;
}

function invalidConfig(issues: readonly MailIssue[], hint: string): MailError {
  return new MailError({
    code: "INVALID_CONFIG",
    message: `Invalid outbox options: ${issues.map((issue) => `${issue.path} ${issue.message}`).join("; ")}.`,
    hint,
    issues,
  });
}

/**
 * Checks the options and applies the defaults.
 * @throws MailError `INVALID_CONFIG` naming the option and the fix.
 */
export function resolveOutboxOptions(options: OutboxOptions): ResolvedOutboxOptions {
  if (typeof options !== "object" || options === null) {
    throw invalidConfig(
      [{ path: "options", message: "must be an object" }],
      "Call createOutbox({ connection, transport }).",
    );
  }
  const issues: MailIssue[] = [];
  if (options.connection === undefined || options.connection === null) {
    issues.push({ path: "connection", message: "is required (a redis:// URL or ioredis options)" });
  }
  const hasTransport = options.transport !== undefined;
  const hasMailer = options.mailer !== undefined;
  if (hasTransport && hasMailer) {
    issues.push({ path: "transport", message: "give one of `transport` and `mailer`, not both" });
  }
  if (hasMailer && options.limits === undefined) {
    issues.push({
      path: "limits",
      message: "is required with `mailer` (a mailer does not expose its transport's limits)",
    });
  }
  /** An option that, when set, must be a number `valid` accepts; else `message` names it. */
  const number = (
    path: string,
    value: unknown,
    valid: (value: number) => boolean,
    message: string,
  ) => {
    if (value !== undefined && !(typeof value === "number" && valid(value))) {
      issues.push({ path, message });
    }
  };
  const positive = (path: string, value: unknown, integer = false) =>
    number(
      path,
      value,
      (given) => given > 0 && Number.isFinite(given) && (!integer || Number.isInteger(given)),
      `must be a positive ${integer ? "integer" : "number"}`,
    );
  const retry = options.retry ?? {};
  positive("retry.maxAttempts", retry.maxAttempts, true);
  positive("retry.maxDelayMs", retry.maxDelayMs);
  number("retry.baseDelayMs", retry.baseDelayMs, (given) => given >= 0, "must be a number >= 0");
  positive("keepSentMs", options.keepSentMs);
  positive("keepDeadMs", options.keepDeadMs);
  positive("maxStoredBytes", options.maxStoredBytes, true);
  positive("timeoutMs", options.timeoutMs);
  number(
    "connectionLingerMs",
    options.connectionLingerMs,
    (given) => given >= 0,
    "must be a number of milliseconds >= 0",
  );
  number(
    "quotaMargin",
    options.quotaMargin,
    (given) => given >= 0 && given < 1,
    "must be a number in [0, 1)",
  );
  const prefix = options.queue?.prefix ?? "mailpath";
  const name = options.queue?.name ?? "outbox";
  for (const [path, value] of [
    ["queue.prefix", prefix],
    ["queue.name", name],
  ] as const) {
    if (typeof value !== "string" || value === "" || /[:\s/]/.test(value)) {
      issues.push({ path, message: "must be a non-empty string without ':', '/' or spaces" });
    }
  }
  if (issues.length > 0) {
    throw invalidConfig(issues, "Fix the listed options of createOutbox; nothing was queued.");
  }
  return {
    prefix,
    name,
    maxAttempts: retry.maxAttempts ?? 8,
    baseDelayMs: retry.baseDelayMs ?? 1_000,
    maxDelayMs: retry.maxDelayMs ?? 300_000,
    random: retry.random ?? Math.random,
    keepSentMs: options.keepSentMs ?? 86_400_000,
    keepDeadMs: options.keepDeadMs,
    maxStoredBytes: options.maxStoredBytes ?? 5_242_880,
    timeoutMs: options.timeoutMs ?? 60_000,
    quotaMargin: options.quotaMargin ?? 0.02,
    connectionLingerMs: options.connectionLingerMs ?? 20,
  };
}

/**
 * BullMQ's rate limiter for every sender queue. The message rate is kept by the mailbox's
 * message window (quota.ts), not by this: BullMQ's manual rate limit, which parks a mailbox
 * whose window is full or that was throttled, only acts on a queue that has a limiter, so each
 * gets one that nothing reaches by itself.
 */
export const PARKING_LIMITER = { max: 1_000_000, duration: 1_000 } as const;
