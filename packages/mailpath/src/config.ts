// The configuration as plain data, its zod schema, and the one validation both
// createMailerFromConfig and createMailerFromEnv go through: every problem is collected, then
// thrown together as one INVALID_CONFIG whose issues name the variable (env) or key (config).
import { readFile } from "node:fs/promises";
import {
  type CircuitBreakerOptions,
  CLOUDS,
  type Cloud,
  MAX_DELAY_MS,
  MailError,
  type MailIssue,
  parseAddressInput,
  type RateLimitOptions,
} from "@mailpath/core";
import { z } from "zod";
import {
  type PathName,
  parseTransportSpec,
  type Routing,
  routingPaths,
  type TransportSpec,
} from "./routing-spec.js";
import { ENV_VARIABLES, VARIABLE_BY_KEY } from "./variables.js";

/**
 * Entra app registration (Graph, and SMTP with OAuth).
 * @since 0.1.0
 */
export interface EntraConfig {
  /** Directory (tenant) ID. */
  readonly tenantId?: string;
  /** Application (client) ID. */
  readonly clientId?: string;
  /** The client secret's Value. Give this or `clientCertificate`. */
  readonly clientSecret?: string;
  /** A certificate registered on the app, from files or inline PEM. */
  readonly clientCertificate?: {
    /** PEM file with the certificate (and possibly its private key). */
    readonly path?: string;
    /** PEM file with the private key. @default the key inside `path` */
    readonly keyPath?: string;
    /** Passphrase of an encrypted key. */
    readonly passphrase?: string;
    /** The certificate as PEM, instead of `path`. */
    readonly certificate?: string;
    /** The private key as PEM, instead of `keyPath`. */
    readonly privateKey?: string;
    /** SHA-256 thumbprint, when no certificate is given. */
    readonly thumbprintSha256?: string;
  };
  /** @default the cloud's authority host */
  readonly authorityHost?: string;
}

/**
 * SMTP AUTH client submission.
 * @since 0.1.0
 */
export interface SmtpConfig {
  /** @default the cloud's (smtp.office365.com) */
  readonly host?: string;
  /** @default 587 */
  readonly port?: number;
  /** @default "password" when `password` is set, else "oauth" when `entra.clientId` is set */
  readonly auth?: "password" | "oauth";
  /** The mailbox that authenticates. */
  readonly user?: string;
  /** Basic auth password (`auth: "password"`). */
  readonly password?: string;
  /** Connections kept open, at most 3 (Exchange's per-mailbox limit). @default 3 */
  readonly maxConnections?: number;
}

/**
 * SMTP relay connector or direct send.
 * @since 0.1.0
 */
export interface RelayConfig {
  /** The relay endpoint. Give this or `domain`. */
  readonly host?: string;
  /** An accepted domain; the host is its MX endpoint. */
  readonly domain?: string;
  /** @default 25 */
  readonly port?: number;
  /** Local IP to connect from (an IP-matched connector's static IP). */
  readonly localAddress?: string;
  /** Client certificate PEM file (certificate-matched connector). */
  readonly clientCertPath?: string;
  /** Its private key PEM file. */
  readonly clientKeyPath?: string;
  /** Client certificate as PEM, instead of `clientCertPath`. */
  readonly clientCert?: string;
  /** Its private key as PEM, instead of `clientKeyPath`. */
  readonly clientKey?: string;
  /** Direct send: the tenant's accepted domains; other recipients are refused before sending. */
  readonly directSendDomains?: readonly string[];
}

/**
 * Graph sendMail.
 * @since 0.1.0
 */
export interface GraphConfig {
  /** @default the cloud's Graph root */
  readonly baseUrl?: string;
  /** @default "auto" */
  readonly mode?: "auto" | "json" | "mime";
  /** @default true */
  readonly saveToSentItems?: boolean;
  /** @default the message's From */
  readonly mailbox?: string;
  /** Time limit of one HTTP request. @default 120_000 */
  readonly requestTimeoutMs?: number;
}

/**
 * Retry policy as data (see core's `RetryOptions`).
 * @since 0.1.0
 */
export interface RetryConfig {
  /** @default 3 */
  readonly maxAttempts?: number;
  /** @default 500 */
  readonly baseDelayMs?: number;
  /** @default 30_000 */
  readonly maxDelayMs?: number;
  /** @default 120_000 */
  readonly maxRetryAfterMs?: number;
  /** @default true */
  readonly retryAmbiguous?: boolean;
}

/**
 * Everything `createMailerFromConfig` needs, as plain data (JSON, YAML, a secrets manager).
 * Only `transport` is always required; the sections of the paths it names supply the rest.
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
export interface MailpathConfig {
  readonly transport: TransportSpec;
  /** Default sender. */
  readonly from?: string;
  /** @default "global" */
  readonly cloud?: Cloud;
  readonly entra?: EntraConfig;
  readonly smtp?: SmtpConfig;
  readonly relay?: RelayConfig;
  readonly graph?: GraphConfig;
  /** Extra trusted CA: a file (`caFile`) or PEM text (`ca`). */
  readonly tls?: { readonly caFile?: string; readonly ca?: string };
  /** `false`: one attempt. */
  readonly retry?: RetryConfig | false;
  /** `false`: no client-side pacing. @default each path's Exchange limits */
  readonly rateLimit?: RateLimitOptions | false;
  /** `false`: no breaker. */
  readonly circuitBreaker?: CircuitBreakerOptions | false;
  /** Per attempt. @default 60_000 */
  readonly timeoutMs?: number;
  /** The durable outbox (`createOutboxFromEnv`); ignored by the mailer. */
  readonly outbox?: OutboxConfig;
  /** HTTPS proxy for Graph and Entra; `"off"` or `false`: direct. @default HTTPS_PROXY / NO_PROXY */
  readonly proxy?: string | false;
  /** JSON lines on stdout from `level`. @default { level: "silent" } */
  readonly log?: { readonly level?: "debug" | "info" | "warn" | "error" | "silent" };
  /** OpenTelemetry through the global providers (needs `@opentelemetry/api`). @default false */
  readonly telemetry?: boolean;
}

/**
 * Where the outbox of `createOutboxFromEnv` keeps its queues.
 * @since 0.1.0
 */
export interface OutboxConfig {
  /** `redis://` or `rediss://` URL. */
  readonly redisUrl?: string;
  /** Prefix of its Redis keys. @default "mailpath" */
  readonly prefix?: string;
}

/** A certificate credential, loaded. */
export interface LoadedClientCertificate {
  readonly privateKey: string;
  readonly certificate?: string;
  readonly passphrase?: string;
  readonly thumbprintSha256?: string;
}

/** The configuration after validation, with files read. */
export interface ResolvedConfig {
  readonly routing: Routing;
  readonly paths: readonly PathName[];
  readonly from?: string;
  readonly cloud: Cloud;
  readonly ca?: string;
  readonly entra: {
    readonly tenantId?: string;
    readonly clientId?: string;
    readonly clientSecret?: string;
    readonly clientCertificate?: LoadedClientCertificate;
    readonly authorityHost?: string;
  };
  readonly smtp: Omit<SmtpConfig, "auth"> & { readonly auth: "password" | "oauth" };
  readonly relay: Omit<RelayConfig, "clientCertPath" | "clientKeyPath">;
  readonly graph: GraphConfig;
  readonly retry?: RetryConfig | false;
  readonly rateLimit?: RateLimitOptions | false;
  readonly circuitBreaker?: CircuitBreakerOptions | false;
  readonly timeoutMs?: number;
  readonly proxy?: string | false;
  readonly logLevel?: "debug" | "info" | "warn" | "error" | "silent";
  readonly telemetry?: boolean;
}

/** Where a config came from: issue paths are variable names for `env`, keys for `config`. */
export interface ConfigSource {
  readonly kind: "env" | "config";
  /** For `env`: keys set by the `overrides` argument (named by key, not by variable). */
  readonly overridden?: ReadonlySet<string>;
}

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

const schema = z.strictObject({
  transport: z.unknown().optional(),
  from: text("an address such as notifications@contoso.com").optional(),
  cloud: z
    .enum(CLOUDS, { error: `must be one of ${CLOUDS.join(", ")} ("global" includes GCC)` })
    .optional(),
  entra: z
    .strictObject({
      tenantId: text("the Directory (tenant) ID").optional(),
      clientId: text("the Application (client) ID").optional(),
      clientSecret: z
        .string({ error: "must be the client secret's Value" })
        .min(1, {
          error: "is empty: give the client secret's Value or remove it",
        })
        .optional(),
      clientCertificate: z
        .strictObject({
          path: text("a file path").optional(),
          keyPath: text("a file path").optional(),
          passphrase: z.string({ error: "must be a string" }).optional(),
          certificate: text("PEM text").optional(),
          privateKey: text("PEM text").optional(),
          thumbprintSha256: text("a hex SHA-256 thumbprint").optional(),
        })
        .optional(),
      authorityHost: httpsOrigin.optional(),
    })
    .optional(),
  smtp: z
    .strictObject({
      host: text("a host name").optional(),
      port: integer("a port number from 1 to 65535 (587 for SMTP AUTH)", 1, 65_535).optional(),
      auth: z.enum(["password", "oauth"], { error: 'must be "password" or "oauth"' }).optional(),
      user: text("the mailbox address").optional(),
      password: z.string({ error: "must be a string" }).min(1, { error: "is empty" }).optional(),
      maxConnections: integer("1, 2 or 3 (Exchange allows 3 per mailbox)", 1, 3).optional(),
    })
    .optional(),
  relay: z
    .strictObject({
      host: text("a host name").optional(),
      domain: text("a domain such as contoso.com").optional(),
      port: integer("a port number from 1 to 65535 (25 for the MX endpoint)", 1, 65_535).optional(),
      localAddress: text("an IP address").optional(),
      clientCertPath: text("a file path").optional(),
      clientKeyPath: text("a file path").optional(),
      clientCert: text("PEM text").optional(),
      clientKey: text("PEM text").optional(),
      directSendDomains: z
        .array(text("a domain"), { error: "must be a list of domains" })
        .min(1, { error: "must list at least one accepted domain" })
        .optional(),
    })
    .optional(),
  graph: z
    .strictObject({
      baseUrl: httpsOrigin.optional(),
      mode: z
        .enum(["auto", "json", "mime"], { error: 'must be "auto", "json" or "mime"' })
        .optional(),
      saveToSentItems: flag.optional(),
      mailbox: text("a mailbox address").optional(),
      requestTimeoutMs: delay(1).optional(),
    })
    .optional(),
  tls: z
    .strictObject({ caFile: text("a file path").optional(), ca: text("PEM text").optional() })
    .optional(),
  retry: z
    .strictObject({
      maxAttempts: integer("a whole number >= 1 (1 turns retries off)", 1).optional(),
      baseDelayMs: delay(0).optional(),
      maxDelayMs: delay(0).optional(),
      maxRetryAfterMs: delay(0).optional(),
      retryAmbiguous: flag.optional(),
    })
    .optional(),
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
  timeoutMs: delay(1).optional(),
  proxy: z.union([text("a proxy URL such as http://proxy:3128"), z.literal(false)]).optional(),
  log: z
    .strictObject({
      level: z
        .enum(["debug", "info", "warn", "error", "silent"], {
          error: 'must be "debug", "info", "warn", "error" or "silent"',
        })
        .optional(),
    })
    .optional(),
  telemetry: flag.optional(),
  outbox: z
    .strictObject({
      redisUrl: text("a redis:// or rediss:// URL").optional(),
      prefix: text("a key prefix without ':'").optional(),
    })
    .optional(),
});

/** The config keys every section allows, for "did you mean". */
const KNOWN_KEYS: readonly string[] = [
  ...Object.keys(schema.shape),
  ...ENV_VARIABLES.map((variable) => variable.key),
];

/** Edit distance, for suggestions. */
function distance(left: string, right: string): number {
  const previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let i = 1; i <= left.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= right.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(
        previous[j]! + 1,
        previous[j - 1]! + 1,
        diagonal + (left[i - 1] === right[j - 1] ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return previous[right.length]!;
}

/**
 * The candidate closest to a mistyped `key` (case aside), when it is at most two edits away.
 * @param key - what the user wrote.
 * @param candidates - the names that exist.
 * @returns the name meant, or `undefined` when none is close.
 */
export function suggest(key: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; score: number } | undefined;
  for (const candidate of candidates) {
    const score = distance(key.toLowerCase(), candidate.toLowerCase());
    if (score <= 2 && (!best || score < best.score)) best = { name: candidate, score };
  }
  return best?.name;
}

/** A problem found, keyed by config key; refs to other keys are written `{{key}}`. */
interface Problem {
  readonly key: string;
  readonly message: string;
}

type Loose = Record<string, unknown>;
const section = (value: unknown): Loose =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Loose) : {};
const present = (value: unknown) =>
  value !== undefined && value !== null && !(typeof value === "string" && value.trim() === "");

/**
 * The SMTP AUTH mechanism, decided once on the raw input: `smtp.auth`, else password when one
 * is given, else OAuth when an Entra app is configured, else password. (An invalid `smtp.auth`
 * is returned as is: the schema reports it.)
 */
function smtpAuthOf(input: Loose): unknown {
  const smtp = section(input.smtp);
  return (
    smtp.auth ??
    (present(smtp.password)
      ? "password"
      : present(section(input.entra).clientId)
        ? "oauth"
        : "password")
  );
}

/** Per-path requirements, checked on the raw input so every one is reported at once. */
function requirementProblems(
  input: Loose,
  routing: Routing | undefined,
  injected: ReadonlySet<PathName>,
): Problem[] {
  const problems: Problem[] = [];
  if (!routing) return problems;
  const needed = routingPaths(routing).filter((path) => !injected.has(path));
  const entra = section(input.entra);
  const certificate = section(entra.clientCertificate);
  const smtp = section(input.smtp);
  const relay = section(input.relay);

  const entraUsers: string[] = [];
  if (needed.includes("graph")) entraUsers.push("graph");
  if (needed.includes("smtp")) {
    if (!present(smtp.user)) {
      problems.push({
        key: "smtp.user",
        message:
          "is required for the smtp path: set it to the mailbox that authenticates (for app-only OAuth, a mailbox the app has FullAccess on)",
      });
    }
    const auth = smtpAuthOf(input);
    if (auth === "password" && !present(smtp.password)) {
      problems.push({
        key: "smtp.password",
        message:
          'is required for the smtp path with password auth: set it to the mailbox\'s password, or set {{smtp.auth}} to "oauth" with the Entra app ({{entra.tenantId}}, {{entra.clientId}}, {{entra.clientSecret}})',
      });
    }
    if (auth === "oauth") entraUsers.push("smtp (oauth)");
  }
  if (entraUsers.length > 0) {
    const who = `the ${entraUsers.join(" and ")} path${entraUsers.length > 1 ? "s" : ""}`;
    if (!present(entra.tenantId)) {
      problems.push({
        key: "entra.tenantId",
        message: `is required for ${who}: set it to the Directory (tenant) ID of your app registration`,
      });
    }
    if (!present(entra.clientId)) {
      problems.push({
        key: "entra.clientId",
        message: `is required for ${who}: set it to the Application (client) ID of your app registration`,
      });
    }
    const hasCertificate =
      present(certificate.path) ||
      present(certificate.privateKey) ||
      present(certificate.certificate);
    if (!present(entra.clientSecret) && !hasCertificate) {
      problems.push({
        key: "entra.clientSecret",
        message: `is required for ${who}: set it to the client secret's Value, or set {{entra.clientCertificate.path}} to a certificate registered on the app`,
      });
    } else if (present(entra.clientSecret) && hasCertificate) {
      problems.push({
        key: "entra.clientCertificate.path",
        message: "is set together with {{entra.clientSecret}}: keep only one credential",
      });
    }
    if (
      hasCertificate &&
      !present(certificate.path) &&
      !present(certificate.certificate) &&
      !present(certificate.thumbprintSha256)
    ) {
      problems.push({
        key: "entra.clientCertificate.path",
        message:
          "is required with a private key: set it to the certificate (PEM) registered on the app",
      });
    }
  }
  if (needed.includes("relay")) {
    if (present(relay.host) === present(relay.domain)) {
      problems.push({
        key: present(relay.host) ? "relay.domain" : "relay.host",
        message: present(relay.host)
          ? "is set together with {{relay.host}}: keep only one"
          : "is required for the relay path: set it to the relay endpoint, or set {{relay.domain}} to an accepted domain (its MX endpoint is used)",
      });
    }
    const cert = present(relay.clientCertPath) || present(relay.clientCert);
    const key = present(relay.clientKeyPath) || present(relay.clientKey);
    if (cert !== key) {
      problems.push({
        key: cert ? "relay.clientKeyPath" : "relay.clientCertPath",
        message: cert
          ? "is required with a relay client certificate: set it to the certificate's private key (PEM)"
          : "is required with a relay client key: set it to the client certificate (PEM)",
      });
    }
  }
  if (typeof input.from === "string" && input.from.trim() !== "") {
    const parsed = parseAddressInput(input.from);
    const bad = parsed.find((entry) => !entry.ok);
    if (bad && !bad.ok) {
      problems.push({
        key: "from",
        message: `${bad.reason}: set it to an address such as notifications@contoso.com`,
      });
    } else if (parsed.length > 1) {
      problems.push({ key: "from", message: "holds several addresses: give one sender" });
    }
  }
  return problems;
}

/** Turns a config key into what the user should look for: a variable name or the key. */
function labeller(source: ConfigSource): (key: string) => string {
  return (key) => {
    if (source.kind !== "env" || source.overridden?.has(key)) return key;
    return VARIABLE_BY_KEY.get(key)?.name ?? key;
  };
}

function toIssues(problems: readonly Problem[], label: (key: string) => string): MailIssue[] {
  const seen = new Set<string>();
  const issues: MailIssue[] = [];
  for (const problem of problems) {
    const path = label(problem.key);
    const message = problem.message.replace(/\{\{([^}]+)\}\}/g, (_, key: string) => label(key));
    const id = `${path}\u0000${message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    issues.push({ path, message });
  }
  return issues;
}

/** Builds the INVALID_CONFIG error for a list of issues. */
export function invalidConfig(issues: readonly MailIssue[], source: ConfigSource): MailError {
  const where = source.kind === "env" ? "environment" : "configuration";
  const lines = issues.map((issue) => `${issue.path} ${issue.message}`);
  return new MailError({
    code: "INVALID_CONFIG",
    message: `Invalid mailpath ${where}: ${lines.join("; ")}.`,
    hint:
      source.kind === "env"
        ? "Set or fix the variables named above; docs/configuration.md lists every MAILPATH_* variable with an example."
        : "Fix the keys named above; docs/configuration.md describes every key.",
    issues,
  });
}

function zodProblems(error: z.ZodError): Problem[] {
  const problems: Problem[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const full = base ? `${base}.${key}` : key;
        const guess = suggest(full, KNOWN_KEYS);
        problems.push({
          key: full,
          message: `is not a mailpath option${guess ? `: did you mean ${guess}?` : ": remove it"}`,
        });
      }
      continue;
    }
    if (
      issue.code === "invalid_type" &&
      issue.path.length > 0 &&
      !issue.message.startsWith("must")
    ) {
      problems.push({ key: base, message: "must be an object" });
      continue;
    }
    problems.push({ key: base, message: issue.message });
  }
  return problems;
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
/** Every certificate of a PEM bundle, in order (String#match with a global pattern keeps no state). */
const certificatesIn = (pem: string) => pem.match(new RegExp(CERTIFICATE.source, "g"));
const PRIVATE_KEY =
  /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;

async function readPem(
  path: string,
  key: string,
  problems: Problem[],
): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    problems.push({
      key,
      message: `cannot be read (${code} for ${path}): set it to a readable PEM file`,
    });
    return undefined;
  }
}

/** Options of `resolveConfig`. */
export interface ResolveConfigOptions {
  /** Paths whose transports are given ready-made: their settings are not required. */
  readonly injected?: ReadonlySet<PathName>;
  /** Problems found before (unknown variables), reported with the others. */
  readonly issues?: readonly MailIssue[];
}

/**
 * Validates a config and reads the files it names.
 * @throws MailError `INVALID_CONFIG` with every problem in `issues`.
 */
export async function resolveConfig(
  config: unknown,
  source: ConfigSource = { kind: "config" },
  options: ResolveConfigOptions = {},
): Promise<ResolvedConfig> {
  const label = labeller(source);
  const input = section(config);
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw invalidConfig(
      [{ path: "config", message: "must be an object with at least { transport }" }],
      source,
    );
  }
  const problems: Problem[] = [];
  // `false` turns a policy off; the schema only describes the object form.
  const shaped: Loose = { ...input };
  for (const policy of ["retry", "rateLimit", "circuitBreaker"] as const) {
    if (shaped[policy] === false) delete shaped[policy];
  }
  const parsed = schema.safeParse(shaped);
  if (!parsed.success) problems.push(...zodProblems(parsed.error));

  let routing: Routing | undefined;
  if (!present(input.transport)) {
    problems.push({
      key: "transport",
      message:
        'is required: set it to smtp, relay or graph, a failover order such as "graph,smtp", or a weighted split such as "graph:10,smtp:90"',
    });
  } else {
    const result = parseTransportSpec(input.transport);
    if (Array.isArray(result))
      for (const problem of result) problems.push({ key: "transport", message: problem.message });
    else routing = result as Routing;
  }
  problems.push(...requirementProblems(input, routing, options.injected ?? new Set()));

  // Files are read only for paths in use, and their problems join the others.
  const entra = section(input.entra);
  const certificate = section(entra.clientCertificate);
  const relay = section(input.relay);
  const tls = section(input.tls);
  const paths = routing ? routingPaths(routing) : [];
  const built = paths.filter((path) => !options.injected?.has(path));
  const usesEntra =
    built.includes("graph") || (built.includes("smtp") && smtpAuthOf(input) === "oauth");

  let ca: string | undefined = typeof tls.ca === "string" ? tls.ca : undefined;
  if (typeof tls.caFile === "string" && present(tls.caFile)) {
    const content = await readPem(tls.caFile, "tls.caFile", problems);
    if (content !== undefined) {
      if (!CERTIFICATE.test(content)) {
        problems.push({
          key: "tls.caFile",
          message: `holds no PEM certificate (${tls.caFile}): set it to a CA certificate file`,
        });
      } else ca = ca ? `${ca}\n${content}` : content;
    }
  }

  let clientCertificate: LoadedClientCertificate | undefined;
  if (
    usesEntra &&
    (present(certificate.path) ||
      present(certificate.privateKey) ||
      present(certificate.certificate))
  ) {
    let certText =
      typeof certificate.certificate === "string" ? certificate.certificate : undefined;
    let keyText = typeof certificate.privateKey === "string" ? certificate.privateKey : undefined;
    if (typeof certificate.path === "string" && present(certificate.path)) {
      const content = await readPem(certificate.path, "entra.clientCertificate.path", problems);
      if (content !== undefined) {
        const certificates = certificatesIn(content);
        if (!certificates) {
          problems.push({
            key: "entra.clientCertificate.path",
            message: `holds no PEM certificate (${certificate.path}): set it to the certificate registered on the app`,
          });
        } else certText = certificates.join("\n");
        keyText ??= content.match(PRIVATE_KEY)?.[0];
      }
    }
    if (typeof certificate.keyPath === "string" && present(certificate.keyPath)) {
      const content = await readPem(
        certificate.keyPath,
        "entra.clientCertificate.keyPath",
        problems,
      );
      if (content !== undefined) {
        const key = content.match(PRIVATE_KEY)?.[0];
        if (!key) {
          problems.push({
            key: "entra.clientCertificate.keyPath",
            message: `holds no PEM private key (${certificate.keyPath}): set it to the certificate's private key`,
          });
        } else keyText = key;
      }
    }
    if (
      keyText === undefined &&
      !problems.some((problem) => problem.key.startsWith("entra.clientCertificate"))
    ) {
      problems.push({
        key: "entra.clientCertificate.keyPath",
        message:
          "is required: the certificate file holds no private key, so set this to the key's PEM file",
      });
    }
    if (keyText !== undefined) {
      clientCertificate = {
        privateKey: keyText,
        ...(certText !== undefined && { certificate: certText }),
        ...(typeof certificate.passphrase === "string" && { passphrase: certificate.passphrase }),
        ...(typeof certificate.thumbprintSha256 === "string" && {
          thumbprintSha256: certificate.thumbprintSha256,
        }),
      };
    }
  }

  let relayCert = typeof relay.clientCert === "string" ? relay.clientCert : undefined;
  let relayKey = typeof relay.clientKey === "string" ? relay.clientKey : undefined;
  if (built.includes("relay")) {
    // Checked here so that a wrong file fails at start, not at the first TLS handshake.
    if (typeof relay.clientCertPath === "string" && present(relay.clientCertPath)) {
      relayCert = await readPem(relay.clientCertPath, "relay.clientCertPath", problems);
      if (relayCert !== undefined && !CERTIFICATE.test(relayCert)) {
        problems.push({
          key: "relay.clientCertPath",
          message: `holds no PEM certificate (${relay.clientCertPath}): set it to the certificate whose name the connector expects`,
        });
      }
    }
    if (typeof relay.clientKeyPath === "string" && present(relay.clientKeyPath)) {
      relayKey = await readPem(relay.clientKeyPath, "relay.clientKeyPath", problems);
      if (relayKey !== undefined && !PRIVATE_KEY.test(relayKey)) {
        problems.push({
          key: "relay.clientKeyPath",
          message: `holds no PEM private key (${relay.clientKeyPath}): set it to the certificate's private key`,
        });
      }
    }
  }

  if (problems.length > 0 || !parsed.success || !routing) {
    throw invalidConfig([...(options.issues ?? []), ...toIssues(problems, label)], source);
  }
  if (options.issues && options.issues.length > 0) throw invalidConfig(options.issues, source);
  const data = parsed.data;
  // Valid here: the schema accepted smtp.auth.
  const smtpAuth = smtpAuthOf(input) as "password" | "oauth";
  const { clientCertPath: _cert, clientKeyPath: _key, ...relayRest } = data.relay ?? {};
  return {
    routing,
    paths,
    ...(data.from !== undefined && { from: data.from }),
    cloud: data.cloud ?? "global",
    ...(ca !== undefined && { ca }),
    entra: {
      ...(data.entra?.tenantId !== undefined && { tenantId: data.entra.tenantId }),
      ...(data.entra?.clientId !== undefined && { clientId: data.entra.clientId }),
      ...(data.entra?.clientSecret !== undefined &&
        !clientCertificate && { clientSecret: data.entra.clientSecret }),
      ...(clientCertificate && { clientCertificate }),
      ...(data.entra?.authorityHost !== undefined && { authorityHost: data.entra.authorityHost }),
    },
    smtp: { ...data.smtp, auth: smtpAuth },
    relay: {
      ...relayRest,
      ...(relayCert !== undefined && { clientCert: relayCert }),
      ...(relayKey !== undefined && { clientKey: relayKey }),
    },
    graph: { ...data.graph },
    ...(input.retry === false ? { retry: false as const } : data.retry && { retry: data.retry }),
    ...(input.rateLimit === false
      ? { rateLimit: false as const }
      : data.rateLimit && { rateLimit: data.rateLimit }),
    ...(input.circuitBreaker === false
      ? { circuitBreaker: false as const }
      : data.circuitBreaker && { circuitBreaker: data.circuitBreaker }),
    ...(data.timeoutMs !== undefined && { timeoutMs: data.timeoutMs }),
    ...(data.proxy !== undefined && { proxy: data.proxy === "off" ? false : data.proxy }),
    ...(data.log?.level !== undefined && { logLevel: data.log.level }),
    ...(data.telemetry !== undefined && { telemetry: data.telemetry }),
  };
}
