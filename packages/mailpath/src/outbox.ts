// createOutboxFromEnv: the durable outbox (@mailpath/outbox, an optional peer dependency)
// over the transport the MAILPATH_* variables describe. The outbox package, and BullMQ and
// ioredis with it, are imported only when this is called: applications without Redis never
// load them.
import { MailError } from "@mailpath/core";
import type { Outbox, OutboxOptions } from "@mailpath/outbox";
import { type CreateMailerOptions, createTransportFromEnv } from "./create-mailer.js";
import { configFromEnv, type Env } from "./env.js";

/**
 * Options of `createOutboxFromEnv`: the code-level hooks of `createMailerFromEnv`, plus outbox
 * options that are not plain data (or that you prefer to set in code).
 * @since 0.1.0
 */
export interface OutboxFromEnvOptions extends CreateMailerOptions {
  /** Passed to `createOutbox` over what the variables say (`retry`, `limits`, `keepSentMs`, …). */
  readonly outbox?: Partial<Omit<OutboxOptions, "transport" | "mailer">>;
}

async function loadOutbox(): Promise<typeof import("@mailpath/outbox")> {
  try {
    return await import("@mailpath/outbox");
  } catch (error) {
    throw new MailError({
      code: "INVALID_CONFIG",
      message: "createOutboxFromEnv needs the package @mailpath/outbox, which is not installed.",
      hint: "npm install @mailpath/outbox (it brings bullmq and ioredis).",
      issues: [{ path: "@mailpath/outbox", message: "is not installed" }],
      cause: error,
    });
  }
}

/**
 * Builds a durable outbox (`@mailpath/outbox`) from `MAILPATH_*` variables: Redis from
 * `MAILPATH_REDIS_URL`, the key prefix from `MAILPATH_OUTBOX_PREFIX`, and the transport,
 * sender and attempt settings exactly as `createMailerFromEnv` reads them. Call
 * `startWorker()` on it in the processes that send; `close()` also closes the transport.
 *
 * With SMTP AUTH and several replicas, Exchange counts every open connection of the mailbox,
 * idle pooled ones included: keep `replicas × MAILPATH_SMTP_MAX_CONNECTIONS` at 3 or less, or
 * build the outbox with `createOutbox({ transport: () => createSmtpTransport(...) })`, which
 * opens one connection per send.
 *
 * @example
 * const outbox = await createOutboxFromEnv();
 * await outbox.startWorker();
 * const { id } = await outbox.enqueue({ to: "ada@contoso.com", subject: "Hi", text: "Hello" });
 * @param env - the variables. @default process.env
 * @param options - injected transports and extra outbox options
 * @returns the outbox; nothing is sent before `startWorker()`
 * @throws MailError `INVALID_CONFIG` when `MAILPATH_REDIS_URL` is missing, the outbox package
 * is not installed, or the transport's variables are wrong
 * @since 0.1.0
 */
export async function createOutboxFromEnv(
  env: Env = process.env,
  options: OutboxFromEnvOptions = {},
): Promise<Outbox> {
  const { config } = configFromEnv(env);
  const redisUrl = options.outbox?.connection ?? config.outbox?.redisUrl;
  if (redisUrl === undefined) {
    throw new MailError({
      code: "INVALID_CONFIG",
      message: "MAILPATH_REDIS_URL is not set: the outbox needs a Redis.",
      hint: "Set MAILPATH_REDIS_URL=redis://host:6379 (a Redis with maxmemory-policy noeviction); docs/outbox.md.",
      issues: [{ path: "MAILPATH_REDIS_URL", message: "is required by createOutboxFromEnv" }],
    });
  }
  const { createOutbox } = await loadOutbox();
  const { outbox: extra = {}, ...mailerOptions } = options;
  const transport = await createTransportFromEnv(env, undefined, mailerOptions);
  const maxAttempts = config.retry === false ? 1 : config.retry?.maxAttempts;
  try {
    return createOutbox({
      ...(config.from !== undefined && { from: config.from }),
      ...(config.timeoutMs !== undefined && { timeoutMs: config.timeoutMs }),
      ...(maxAttempts !== undefined && { retry: { maxAttempts } }),
      // MAILPATH_OTEL=on: trace context stored with each job, the worker's sends traced.
      ...(config.telemetry === true && { telemetry: {} }),
      ...extra,
      queue: {
        ...(config.outbox?.prefix !== undefined && { prefix: config.outbox.prefix }),
        ...extra.queue,
      },
      connection: redisUrl,
      transport,
    });
  } catch (error) {
    await transport.close?.();
    throw error;
  }
}
