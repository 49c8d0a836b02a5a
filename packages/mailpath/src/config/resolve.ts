// Resolution: the one validation createMailerFromConfig and createMailerFromEnv both go
// through. Every problem (schema, cross-field requirements, PEM files) is collected, then thrown
// together as one INVALID_CONFIG whose issues name the variable (env) or key (config); a valid
// config comes back with its defaults worked out (each once) and its files read.
import {
  type CircuitBreakerOptions,
  type Cloud,
  MailError,
  type MailIssue,
  type RateLimitOptions,
} from "@mailpath/core";
import type { z } from "zod";
import { type PathName, parseTransportSpec, type Routing, routingPaths } from "../routing-spec.js";
import { ENV_VARIABLES, VARIABLE_BY_KEY } from "../variables.js";
import {
  type LoadedClientCertificate,
  loadCa,
  loadClientCertificate,
  loadRelayCredentials,
} from "./pem.js";
import {
  type Loose,
  type Problem,
  present,
  requirementProblems,
  section,
  smtpAuthOf,
} from "./requirements.js";
import {
  configSchema,
  type GraphConfig,
  type MailpathConfig,
  type RelayConfig,
  type RetryConfig,
  type SmtpConfig,
} from "./schema.js";

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
  readonly retry?: Defined<RetryConfig> | false;
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

/** An object's members without `undefined` (zod leaves an absent key out; the types say so). */
type Defined<T> = { readonly [K in keyof T]?: Exclude<T[K], undefined> };
function defined<T extends object>(value: T): Defined<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, member]) => member !== undefined),
  ) as Defined<T>;
}

/** The config keys every section allows, for "did you mean". */
const KNOWN_KEYS: readonly string[] = [
  ...Object.keys(configSchema.shape),
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

/**
 * Turns a config key into what the user should look for: the variable name (from the
 * environment, unless the overrides argument set the key), else the key.
 */
export function labeller(source: ConfigSource): (key: string) => string {
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
  const parsed = configSchema.safeParse(shaped);
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
  const paths = routing ? routingPaths(routing) : [];
  const built = paths.filter((path) => !options.injected?.has(path));
  const usesEntra =
    built.includes("graph") || (built.includes("smtp") && smtpAuthOf(input) === "oauth");
  const ca = await loadCa(section(input.tls), problems);
  const clientCertificate =
    usesEntra &&
    (present(certificate.path) ||
      present(certificate.privateKey) ||
      present(certificate.certificate))
      ? await loadClientCertificate(certificate, problems)
      : undefined;
  const { cert: relayCert, key: relayKey } = await loadRelayCredentials(
    section(input.relay),
    built.includes("relay"),
    problems,
  );

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
    ...(input.retry === false
      ? { retry: false as const }
      : data.retry && { retry: defined(data.retry) }),
    ...(input.rateLimit === false
      ? { rateLimit: false as const }
      : data.rateLimit && { rateLimit: defined(data.rateLimit) }),
    ...(input.circuitBreaker === false
      ? { circuitBreaker: false as const }
      : data.circuitBreaker && { circuitBreaker: defined(data.circuitBreaker) }),
    ...(data.timeoutMs !== undefined && { timeoutMs: data.timeoutMs }),
    ...(data.proxy !== undefined && { proxy: data.proxy === "off" ? false : data.proxy }),
    ...(data.log?.level !== undefined && { logLevel: data.log.level }),
    ...(data.telemetry !== undefined && { telemetry: data.telemetry }),
  };
}
