// The configuration described once: the zod schema below. The public config types are derived
// from it, and the key union (`ConfigKey`) types every table that names config keys (the
// environment variables, the factories' option keys), so the compiler catches a key that drifts.
import {
  type CircuitBreakerOptions,
  CLOUDS,
  MAX_DELAY_MS,
  type RateLimitOptions,
} from "@mailpath/core";
import { z } from "zod";
import type { TransportSpec } from "../routing-spec.js";

const text = (what: string) =>
  z
    .string({ error: `must be ${what}` })
    .trim()
    .min(1, { error: "is empty: remove it or give a value" });
const integer = (what: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .number({ error: `must be ${what}` })
    .int({ error: `must be ${what}` })
    .min(min, { error: `must be ${what}` })
    .max(max, { error: `must be ${what}` });
/** A delay: a Node timer waits at most MAX_DELAY_MS (2^31 - 1); a longer one fires after 1 ms. */
const delay = (min: 0 | 1) =>
  integer(
    `${min === 0 ? "a number of milliseconds >= 0" : "a positive number of milliseconds"}, at most ${MAX_DELAY_MS} (about 24.8 days)`,
    min,
    MAX_DELAY_MS,
  );
const flag = z.boolean({ error: "must be true or false" });
const httpsOrigin = text("an https:// URL").refine(
  (value) => {
    try {
      return new URL(value).protocol === "https:";
    } catch {
      return false;
    }
  },
  { error: "must be an https:// URL (TLS is mandatory)" },
);

/** Entra app registration (Graph, and SMTP with OAuth). */
const entraSchema = z.strictObject({
  /** Directory (tenant) ID. */
  tenantId: text("the Directory (tenant) ID").optional(),
  /** Application (client) ID. */
  clientId: text("the Application (client) ID").optional(),
  /** The client secret's Value. Give this or `clientCertificate`. */
  clientSecret: z
    .string({ error: "must be the client secret's Value" })
    .min(1, { error: "is empty: give the client secret's Value or remove it" })
    .optional(),
  /** A certificate registered on the app, from files or inline PEM. */
  clientCertificate: z
    .strictObject({
      /** PEM file with the certificate (and possibly its private key). */
      path: text("a file path").optional(),
      /** PEM file with the private key. @default the key inside `path` */
      keyPath: text("a file path").optional(),
      /** Passphrase of an encrypted key. */
      passphrase: z.string({ error: "must be a string" }).optional(),
      /** The certificate as PEM, instead of `path`. */
      certificate: text("PEM text").optional(),
      /** The private key as PEM, instead of `keyPath`. */
      privateKey: text("PEM text").optional(),
      /** SHA-256 thumbprint, when no certificate is given. */
      thumbprintSha256: text("a hex SHA-256 thumbprint").optional(),
    })
    .optional(),
  /** @default the cloud's authority host */
  authorityHost: httpsOrigin.optional(),
});

/** SMTP AUTH client submission. */
const smtpSchema = z.strictObject({
  /** @default the cloud's (smtp.office365.com) */
  host: text("a host name").optional(),
  /** @default 587 */
  port: integer("a port number from 1 to 65535 (587 for SMTP AUTH)", 1, 65_535).optional(),
  /** @default "password" when `password` is set, else "oauth" when `entra.clientId` is set */
  auth: z.enum(["password", "oauth"], { error: 'must be "password" or "oauth"' }).optional(),
  /** The mailbox that authenticates. */
  user: text("the mailbox address").optional(),
  /** Basic auth password (`auth: "password"`). */
  password: z.string({ error: "must be a string" }).min(1, { error: "is empty" }).optional(),
  /** Connections kept open, at most 3 (Exchange's per-mailbox limit). @default 3 */
  maxConnections: integer("1, 2 or 3 (Exchange allows 3 per mailbox)", 1, 3).optional(),
});

/** SMTP relay connector or direct send. */
const relaySchema = z.strictObject({
  /** The relay endpoint. Give this or `domain`. */
  host: text("a host name").optional(),
  /** An accepted domain; the host is its MX endpoint. */
  domain: text("a domain such as contoso.com").optional(),
  /** @default 25 */
  port: integer("a port number from 1 to 65535 (25 for the MX endpoint)", 1, 65_535).optional(),
  /** Local IP to connect from (an IP-matched connector's static IP). */
  localAddress: text("an IP address").optional(),
  /** Client certificate PEM file (certificate-matched connector). */
  clientCertPath: text("a file path").optional(),
  /** Its private key PEM file. */
  clientKeyPath: text("a file path").optional(),
  /** Client certificate as PEM, instead of `clientCertPath`. */
  clientCert: text("PEM text").optional(),
  /** Its private key as PEM, instead of `clientKeyPath`. */
  clientKey: text("PEM text").optional(),
  /** Direct send: the tenant's accepted domains; other recipients are refused before sending. */
  directSendDomains: z
    .array(text("a domain"), { error: "must be a list of domains" })
    .min(1, { error: "must list at least one accepted domain" })
    .optional(),
});

/** Graph sendMail. */
const graphSchema = z.strictObject({
  /** @default the cloud's Graph root */
  baseUrl: httpsOrigin.optional(),
  /** @default "auto" */
  mode: z.enum(["auto", "json", "mime"], { error: 'must be "auto", "json" or "mime"' }).optional(),
  /** @default true */
  saveToSentItems: flag.optional(),
  /** @default the message's From */
  mailbox: text("a mailbox address").optional(),
  /** Time limit of one HTTP request. @default 120_000 */
  requestTimeoutMs: delay(1).optional(),
});

/** Retry policy as data (see core's `RetryOptions`). */
const retrySchema = z.strictObject({
  /** @default 3 */
  maxAttempts: integer("a whole number >= 1 (1 turns retries off)", 1).optional(),
  /** @default 500 */
  baseDelayMs: delay(0).optional(),
  /** @default 30_000 */
  maxDelayMs: delay(0).optional(),
  /** @default 120_000 */
  maxRetryAfterMs: delay(0).optional(),
  /** @default true */
  retryAmbiguous: flag.optional(),
});

/** Where the outbox of `createOutboxFromEnv` keeps its queues. */
const outboxSchema = z.strictObject({
  /** `redis://` or `rediss://` URL. */
  redisUrl: text("a redis:// or rediss:// URL").optional(),
  /** Prefix of its Redis keys. @default "mailpath" */
  prefix: text("a key prefix without ':'").optional(),
});

/**
 * The whole configuration. `retry`, `rateLimit` and `circuitBreaker` may also be `false` (the
 * policy off): that is taken out before parsing, the schema describes the object form.
 */
export const configSchema = z.strictObject({
  /** Checked by `parseTransportSpec`, which reports its own problems. */
  transport: z.unknown().optional(),
  /** Default sender. */
  from: text("an address such as notifications@contoso.com").optional(),
  /** @default "global" */
  cloud: z
    .enum(CLOUDS, { error: `must be one of ${CLOUDS.join(", ")} ("global" includes GCC)` })
    .optional(),
  entra: entraSchema.optional(),
  smtp: smtpSchema.optional(),
  relay: relaySchema.optional(),
  graph: graphSchema.optional(),
  /** Extra trusted CA: a file (`caFile`) or PEM text (`ca`). */
  tls: z
    .strictObject({ caFile: text("a file path").optional(), ca: text("PEM text").optional() })
    .optional(),
  retry: retrySchema.optional(),
  rateLimit: z
    .strictObject({
      concurrency: integer("a whole number >= 1", 1).optional(),
      maxPerInterval: integer("a whole number >= 1", 1).optional(),
      intervalMs: delay(1).optional(),
    })
    .optional(),
  circuitBreaker: z
    .strictObject({
      errorThresholdPercentage: z
        .number({ error: "must be a percentage from 1 to 100" })
        .min(1, { error: "must be a percentage from 1 to 100" })
        .max(100, { error: "must be a percentage from 1 to 100" })
        .optional(),
      volumeThreshold: integer("a whole number >= 1", 1).optional(),
      rollingWindowMs: delay(1).optional(),
      resetTimeoutMs: delay(1).optional(),
    })
    .optional(),
  /** Per attempt. @default 60_000 */
  timeoutMs: delay(1).optional(),
  /** HTTPS proxy for Graph and Entra; `"off"` or `false`: direct. @default HTTPS_PROXY / NO_PROXY */
  proxy: z.union([text("a proxy URL such as http://proxy:3128"), z.literal(false)]).optional(),
  /** JSON lines on stdout from `level`. @default { level: "silent" } */
  log: z
    .strictObject({
      level: z
        .enum(["debug", "info", "warn", "error", "silent"], {
          error: 'must be "debug", "info", "warn", "error" or "silent"',
        })
        .optional(),
    })
    .optional(),
  /** OpenTelemetry through the global providers (needs `@opentelemetry/api`). @default false */
  telemetry: flag.optional(),
  /** The durable outbox (`createOutboxFromEnv`); ignored by the mailer. */
  outbox: outboxSchema.optional(),
});

/** The configuration after parsing (defaults not applied: `resolveConfig` does that). */
export type ParsedConfig = z.output<typeof configSchema>;

/** A schema's input, read-only all the way down: what users write. */
type Written<T> = T extends readonly (infer Item)[]
  ? readonly Written<Item>[]
  : T extends object
    ? { readonly [K in keyof T]: Written<T[K]> }
    : T;

/**
 * Entra app registration (Graph, and SMTP with OAuth).
 * @since 0.1.0
 */
export type EntraConfig = Written<z.input<typeof entraSchema>>;

/**
 * SMTP AUTH client submission.
 * @since 0.1.0
 */
export type SmtpConfig = Written<z.input<typeof smtpSchema>>;

/**
 * SMTP relay connector or direct send.
 * @since 0.1.0
 */
export type RelayConfig = Written<z.input<typeof relaySchema>>;

/**
 * Graph sendMail.
 * @since 0.1.0
 */
export type GraphConfig = Written<z.input<typeof graphSchema>>;

/**
 * Retry policy as data (see core's `RetryOptions`).
 * @since 0.1.0
 */
export type RetryConfig = Written<z.input<typeof retrySchema>>;

/**
 * Where the outbox of `createOutboxFromEnv` keeps its queues.
 * @since 0.1.0
 */
export type OutboxConfig = Written<z.input<typeof outboxSchema>>;

/**
 * Everything `createMailerFromConfig` needs, as plain data (JSON, YAML, a secrets manager).
 * Only `transport` is always required; the sections of the paths it names supply the rest.
 * The keys are the schema's; `transport` and the policies that `false` turns off are typed
 * with the types the mailer takes.
 *
 * @example
 * {
 *   transport: { weighted: [{ path: "graph", weight: 10 }, { path: "smtp", weight: 90 }] },
 *   from: "notifications@contoso.com",
 *   entra: { tenantId: "…", clientId: "…", clientSecret: process.env.CLIENT_SECRET },
 *   smtp: { user: "notifications@contoso.com", auth: "oauth" },
 * }
 * @since 0.1.0
 */
export type MailpathConfig = Written<
  Omit<z.input<typeof configSchema>, "transport" | "retry" | "rateLimit" | "circuitBreaker">
> & {
  readonly transport: TransportSpec;
  /** `false`: one attempt. */
  readonly retry?: RetryConfig | false | undefined;
  /** `false`: no client-side pacing. @default each path's Exchange limits */
  readonly rateLimit?: RateLimitOptions | false | undefined;
  /** `false`: no breaker. */
  readonly circuitBreaker?: CircuitBreakerOptions | false | undefined;
};

/** Dotted paths of the leaves of a config object: `smtp.host`, `entra.clientCertificate.path`. */
type LeafKeys<T, Prefix extends string = ""> = {
  [K in keyof T & string]-?: unknown extends T[K]
    ? `${Prefix}${K}`
    : Exclude<NonNullable<T[K]>, false> extends infer Value
      ? Value extends readonly unknown[] | string | number | boolean
        ? `${Prefix}${K}`
        : Value extends object
          ? LeafKeys<Value, `${Prefix}${K}.`>
          : `${Prefix}${K}`
      : never;
}[keyof T & string];

/** Every config key a variable, an issue or a factory option can name. */
export type ConfigKey = LeafKeys<z.input<typeof configSchema>>;
