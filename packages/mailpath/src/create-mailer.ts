// createMailerFromConfig / createMailerFromEnv: validate, then import only the transport
// packages the routing names (an app on Graph never loads nodemailer; one on SMTP with a
// password never loads msal), build them, route them with core's failover / weighted.
import {
  createMailer,
  failover,
  type Logger,
  MailError,
  type Mailer,
  type MailIssue,
  type Transport,
  weighted,
} from "@mailpath/core";
import {
  type ConfigKey,
  type ConfigSource,
  invalidConfig,
  labeller,
  type MailpathConfig,
  type ResolvedConfig,
  resolveConfig,
} from "./config.js";
import { configFromEnv, type Env, leafKeys, mergeConfig } from "./env.js";
import { createJsonLogger } from "./json-logger.js";
import { entraApp, pickDefined } from "./path-options.js";
import { formatRouting, type PathName, routingPaths } from "./routing-spec.js";

/**
 * Code-level hooks of `createMailerFromConfig` / `createMailerFromEnv`, for tests and custom
 * set-ups: things that are not plain data.
 * @since 0.1.0
 */
export interface CreateMailerOptions {
  /**
   * Ready-made transports to use for some paths instead of building them from the config
   * (a memory transport in tests, a transport with a custom logger). Their config sections are
   * then not required.
   * @default {} (every path is built from the config)
   */
  readonly transports?: Partial<Record<PathName, Transport>>;
  /** Randomness of a weighted split, in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Clock of the mailer. @default Date.now */
  readonly now?: () => number;
  /**
   * The logger of the mailer and of every path it builds (pino, or any `debug/info/warn/error`
   * object called as `(fields, message)`); it wins over `MAILPATH_LOG_LEVEL`'s JSON lines.
   * Ready-made `transports` keep their own.
   * @default the JSON-lines logger of `logLevel` (`MAILPATH_LOG_LEVEL`), or none
   */
  readonly logger?: Logger;
}

/**
 * A mailer built from configuration: core's `Mailer` plus what it was built from.
 * @since 0.1.0
 */
export interface ConfiguredMailer extends Mailer {
  /** The routing in `MAILPATH_TRANSPORT` syntax: `smtp`, `graph,smtp`, `graph:10,smtp:90`. */
  readonly routing: string;
  /** The paths in use, in order. */
  readonly paths: readonly PathName[];
}

/** How each factory names its options, in config keys. */
const OPTION_KEYS: Record<PathName | "entra", Readonly<Record<string, ConfigKey>>> = {
  smtp: {
    host: "smtp.host",
    port: "smtp.port",
    secure: "smtp.port",
    "auth.user": "smtp.user",
    "auth.pass": "smtp.password",
    auth: "smtp.password",
    "pool.maxConnections": "smtp.maxConnections",
    "tls.ca": "tls.caFile",
    cloud: "cloud",
  },
  relay: {
    host: "relay.host",
    domain: "relay.domain",
    port: "relay.port",
    "tls.cert": "relay.clientCertPath",
    "tls.key": "relay.clientKeyPath",
    "tls.ca": "tls.caFile",
    localAddress: "relay.localAddress",
    directSend: "relay.directSendDomains",
    cloud: "cloud",
  },
  graph: {
    tenantId: "entra.tenantId",
    clientId: "entra.clientId",
    clientSecret: "entra.clientSecret",
    clientCertificate: "entra.clientCertificate.path",
    authorityHost: "entra.authorityHost",
    baseUrl: "graph.baseUrl",
    mode: "graph.mode",
    mailbox: "graph.mailbox",
    saveToSentItems: "graph.saveToSentItems",
    requestTimeoutMs: "graph.requestTimeoutMs",
    "tls.ca": "tls.caFile",
    cloud: "cloud",
    proxy: "proxy",
  },
  entra: {
    tenantId: "entra.tenantId",
    clientId: "entra.clientId",
    clientSecret: "entra.clientSecret",
    clientCertificate: "entra.clientCertificate.path",
    authorityHost: "entra.authorityHost",
    "tls.ca": "tls.caFile",
    cloud: "cloud",
    proxy: "proxy",
  },
};

/**
 * A factory other than the path's own refused its options (the Entra token provider of SMTP
 * OAuth): its issues are labelled with that factory's option keys.
 */
class FactoryRefusal {
  constructor(
    readonly factory: "entra",
    readonly error: MailError,
  ) {}
}

/** Re-labels a factory's INVALID_CONFIG issues with the config keys / variables the user set. */
function relabel(
  error: MailError,
  factory: PathName | "entra",
  label: (key: string) => string,
): MailIssue[] {
  const table = OPTION_KEYS[factory];
  const issues = error.issues?.length ? error.issues : [{ path: factory, message: error.message }];
  return issues.map((issue) => {
    let key: string | undefined;
    for (
      let path = issue.path;
      path !== "";
      path = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : ""
    ) {
      key = table[path.replace(/\[\d+\]$/, "")];
      if (key) break;
    }
    return {
      path: key ? label(key) : `${factory}.${issue.path}`,
      message: `${issue.message} (${factory} transport)`,
    };
  });
}

/** The transport packages, imported on first use only. */
const load = {
  smtp: () => import("@mailpath/transport-smtp"),
  relay: () => import("@mailpath/transport-relay"),
  graph: () => import("@mailpath/transport-graph"),
  entra: () => import("@mailpath/entra"),
};

// One JSON-lines logger per resolved config (MAILPATH_LOG_LEVEL), shared by its paths and mailer.
const loggers = new WeakMap<ResolvedConfig, Logger | undefined>();
function loggerFor(config: ResolvedConfig): Logger | undefined {
  if (!loggers.has(config)) loggers.set(config, createJsonLogger(config.logLevel ?? "silent"));
  return loggers.get(config);
}

/** The `logger` option, when the config sets MAILPATH_LOG_LEVEL. */
function loggerOption(config: ResolvedConfig) {
  const logger = loggerFor(config);
  return logger !== undefined ? { logger } : {};
}

/** `logger` and `proxy` options for the HTTPS paths (Graph, Entra), when the config sets them. */
function httpsOptions(config: ResolvedConfig) {
  return {
    ...loggerOption(config),
    ...(config.proxy !== undefined && { proxy: config.proxy }),
  };
}

async function buildPath(path: PathName, config: ResolvedConfig): Promise<Transport> {
  const ca = pickDefined(config, ["ca"]);
  if (path === "smtp") {
    const { createSmtpTransport } = await load.smtp();
    const { smtp } = config;
    let auth: Parameters<typeof createSmtpTransport>[0]["auth"];
    if (smtp.auth === "oauth") {
      const { createClientCredentialsProvider } = await load.entra();
      let tokenProvider: ReturnType<typeof createClientCredentialsProvider>;
      try {
        tokenProvider = createClientCredentialsProvider({
          ...entraApp(config),
          target: "smtp",
          ...httpsOptions(config),
        });
      } catch (error) {
        if (MailError.isInstance(error) && error.code === "INVALID_CONFIG") {
          throw new FactoryRefusal("entra", error);
        }
        throw error;
      }
      auth = { user: smtp.user as string, tokenProvider };
    } else {
      auth = { user: smtp.user as string, pass: smtp.password as string };
    }
    return createSmtpTransport({
      ...pickDefined(smtp, ["host", "port"]),
      cloud: config.cloud,
      auth,
      tls: ca,
      ...loggerOption(config),
      ...(smtp.maxConnections !== undefined && { pool: { maxConnections: smtp.maxConnections } }),
    });
  }
  if (path === "relay") {
    const { createRelayTransport } = await load.relay();
    const { relay } = config;
    return createRelayTransport({
      ...pickDefined(relay, ["host", "domain", "port", "localAddress"]),
      cloud: config.cloud,
      tls: {
        ...ca,
        ...(relay.clientCert !== undefined && { cert: relay.clientCert }),
        ...(relay.clientKey !== undefined && { key: relay.clientKey }),
      },
      ...(relay.directSendDomains !== undefined && {
        directSend: { acceptedDomains: relay.directSendDomains },
      }),
      ...loggerOption(config),
    });
  }
  const { createGraphTransport } = await load.graph();
  return createGraphTransport({
    ...entraApp(config),
    ...pickDefined(config.graph, [
      "baseUrl",
      "mode",
      "saveToSentItems",
      "mailbox",
      "requestTimeoutMs",
    ]),
    ...httpsOptions(config),
  });
}

/**
 * A transport built from configuration: the routed paths as one `Transport`, to compose with
 * transports of your own (`failover([configured, myTransport])`) or to hand to `createMailer`.
 * @since 0.1.0
 */
export interface ConfiguredTransport extends Transport {
  /** The routing in `MAILPATH_TRANSPORT` syntax. */
  readonly routing: string;
  /** The paths in use, in order. */
  readonly paths: readonly PathName[];
}

/** Closes what was built before a failure, so no pool or timer outlives the rejected call. */
async function closeAll(transports: ReadonlyMap<PathName, Transport>): Promise<void> {
  await Promise.allSettled([...transports.values()].map((transport) => transport.close?.()));
}

/** The paths `options.transports` provides, whose config sections are then not required. */
function injectedPaths(options: CreateMailerOptions): Set<PathName> {
  return new Set(Object.keys(options.transports ?? {}) as PathName[]);
}

async function buildTransport(
  config: ResolvedConfig,
  source: ConfigSource,
  options: CreateMailerOptions,
): Promise<ConfiguredTransport> {
  const label = labeller(source);
  // A logger given in code replaces the one MAILPATH_LOG_LEVEL describes, for paths and mailer.
  if (options.logger) loggers.set(config, options.logger);
  const transports = new Map<PathName, Transport>();
  const issues: MailIssue[] = [];
  for (const path of routingPaths(config.routing)) {
    const injected = options.transports?.[path];
    if (injected) {
      transports.set(path, injected);
      continue;
    }
    try {
      transports.set(path, await buildPath(path, config));
    } catch (caught) {
      const { factory, error } =
        caught instanceof FactoryRefusal ? caught : { factory: path, error: caught };
      if (!MailError.isInstance(error) || error.code !== "INVALID_CONFIG") {
        await closeAll(transports);
        throw error;
      }
      issues.push(...relabel(error, factory, label));
    }
  }
  if (issues.length > 0) {
    await closeAll(transports);
    throw invalidConfig(issues, source);
  }
  const { routing } = config;
  const routingOptions = {
    ...(config.rateLimit !== undefined && { rateLimit: config.rateLimit }),
    ...(config.circuitBreaker !== undefined && { circuitBreaker: config.circuitBreaker }),
  };
  const transport =
    routing.kind === "single"
      ? transports.get(routing.path)!
      : routing.kind === "failover"
        ? failover(
            routing.paths.map((path) => transports.get(path)!),
            { ...routingOptions, name: formatRouting(routing) },
          )
        : weighted(
            routing.paths.map((entry) => ({
              transport: transports.get(entry.path)!,
              weight: entry.weight,
            })),
            {
              ...routingOptions,
              name: formatRouting(routing),
              ...(options.random && { random: options.random }),
            },
          );
  // A wrapper, so the routing is described without touching the transport object itself.
  return {
    specificationVersion: "v1",
    name: transport.name,
    ...(transport.limits && { limits: transport.limits }),
    send: (message, sendOptions) => transport.send(message, sendOptions),
    ...(transport.verify && { verify: () => transport.verify!() }),
    ...(transport.close && { close: () => transport.close!() }),
    // A route guards each path itself and reports their breakers through this.
    ...(transport.router && { router: transport.router }),
    routing: formatRouting(routing),
    paths: routingPaths(routing),
  };
}

/** A validated config and where it came from (for naming its problems). */
interface Resolution {
  readonly resolved: ResolvedConfig;
  readonly source: ConfigSource;
}

/** The mailer of a validated config: its routed transport, with the mailer settings around it. */
async function buildMailer(
  { resolved: config, source }: Resolution,
  options: CreateMailerOptions,
): Promise<ConfiguredMailer> {
  const transport = await buildTransport(config, source, options);
  const logger = loggerFor(config);
  const mailer = createMailer({
    transport,
    ...(config.from !== undefined && { from: config.from }),
    ...(config.retry !== undefined && { retry: config.retry }),
    // Over a route these belong to each path (given to failover/weighted above), not the mailer.
    ...(!transport.router && config.rateLimit !== undefined && { rateLimit: config.rateLimit }),
    ...(!transport.router &&
      config.circuitBreaker !== undefined && { circuitBreaker: config.circuitBreaker }),
    ...(config.timeoutMs !== undefined && { timeoutMs: config.timeoutMs }),
    ...(options.now && { now: options.now }),
    ...(logger !== undefined && { logger }),
    ...(config.telemetry === true && { telemetry: {} }),
  });
  return Object.assign(mailer, { routing: transport.routing, paths: transport.paths });
}

// Reading a config the caller built (a getter that throws, a Proxy) can fail in ways the
// validation does not foresee; that is still a configuration problem, never a raw error.
async function guarded<T>(source: ConfigSource, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (MailError.isInstance(error)) throw error;
    const path = source.kind === "env" ? "env" : "config";
    const what = error instanceof Error ? error.name : typeof error;
    throw invalidConfig([{ path, message: `could not be read (${what})` }], source).with({
      cause: error,
    });
  }
}

/**
 * Reads and validates the MAILPATH_* variables with `overrides` merged over them, as
 * createMailerFromEnv does (the CLI reads them through this too).
 * @throws MailError `INVALID_CONFIG` listing every problem, each named by its variable or key
 */
export async function resolveFromEnv(
  env: Env,
  overrides: Partial<MailpathConfig> | undefined,
  options: CreateMailerOptions,
): Promise<Resolution> {
  const source: ConfigSource = { kind: "env", overridden: new Set() };
  return guarded(source, () => readEnv(env, overrides, options));
}

async function readEnv(
  env: Env,
  overrides: Partial<MailpathConfig> | undefined,
  options: CreateMailerOptions,
): Promise<Resolution> {
  const read = configFromEnv(env);
  const merged = mergeConfig(read.config, overrides) as MailpathConfig;
  const source: ConfigSource = { kind: "env", overridden: new Set(leafKeys(overrides ?? {})) };
  const resolved = await resolveConfig(merged, source, {
    injected: injectedPaths(options),
    issues: read.issues,
  });
  return { resolved, source };
}

async function resolveFromConfig(
  config: MailpathConfig,
  options: CreateMailerOptions,
): Promise<Resolution> {
  const source: ConfigSource = { kind: "config" };
  const resolved = await guarded(source, () =>
    resolveConfig(config, source, { injected: injectedPaths(options) }),
  );
  return { resolved, source };
}

/**
 * Builds the routed transport a config describes, without a mailer: to compose it with your
 * own transports. The mailer settings (`from`, `retry`, `timeoutMs`) are validated but unused.
 * @param config what to build; see `MailpathConfig` and docs/configuration.md
 * @param options code-level hooks (ready-made transports, randomness)
 * @returns the routed transport, with `routing` and `paths` saying what it was built from
 * @throws MailError `INVALID_CONFIG` listing every problem, each named by its key
 * @example
 * const configured = await createTransportFromConfig({ transport: "graph", entra });
 * const mailer = createMailer({ transport: failover([configured, myOnPremTransport]) });
 * @since 0.1.0
 */
export async function createTransportFromConfig(
  config: MailpathConfig,
  options: CreateMailerOptions = {},
): Promise<ConfiguredTransport> {
  const { resolved, source } = await resolveFromConfig(config, options);
  return buildTransport(resolved, source, options);
}

/**
 * Builds the routed transport the `MAILPATH_*` variables describe, without a mailer.
 * @param env @default process.env
 * @param overrides config merged over what the variables say
 * @param options code-level hooks (ready-made transports, randomness)
 * @returns the routed transport, with `routing` and `paths` saying what it was built from
 * @throws MailError `INVALID_CONFIG` listing every problem, each named by its variable
 * @since 0.1.0
 */
export async function createTransportFromEnv(
  env: Env = process.env,
  overrides?: Partial<MailpathConfig>,
  options: CreateMailerOptions = {},
): Promise<ConfiguredTransport> {
  const { resolved, source } = await resolveFromEnv(env, overrides, options);
  return buildTransport(resolved, source, options);
}

/**
 * Builds a mailer from a config object (plain data). Validates everything first and imports
 * only the transport packages the routing uses, so it is async.
 *
 * @param config what to build; see `MailpathConfig` and docs/configuration.md
 * @param options code-level hooks (ready-made transports, randomness)
 * @returns a mailer whose `routing` says what it was built from
 * @throws MailError `INVALID_CONFIG` listing every problem in `issues`, each named by its key
 * @example
 * const mailer = await createMailerFromConfig({
 *   transport: "graph,smtp",
 *   from: "notifications@contoso.com",
 *   entra: { tenantId, clientId, clientSecret },
 *   smtp: { user: "notifications@contoso.com", auth: "oauth" },
 * });
 * @since 0.1.0
 */
export async function createMailerFromConfig(
  config: MailpathConfig,
  options: CreateMailerOptions = {},
): Promise<ConfiguredMailer> {
  return buildMailer(await resolveFromConfig(config, options), options);
}

/**
 * Builds a mailer from `MAILPATH_*` environment variables (see docs/configuration.md). Async:
 * it imports only the transport packages `MAILPATH_TRANSPORT` names.
 *
 * @param env @default process.env
 * @param overrides config merged over what the variables say (retry, rate limit, … or any key)
 * @param options code-level hooks (ready-made transports, randomness)
 * @returns a mailer whose `routing` says what it was built from
 * @throws MailError `INVALID_CONFIG` listing every problem in `issues`, each named by its variable
 * @example
 * // MAILPATH_TRANSPORT=graph MAILPATH_TENANT_ID=… MAILPATH_CLIENT_ID=… MAILPATH_CLIENT_SECRET=…
 * const mailer = await createMailerFromEnv();
 * await mailer.send({ to: "ada@contoso.com", subject: "Hello", text: "Hi Ada" });
 * @since 0.1.0
 */
export async function createMailerFromEnv(
  env: Env = process.env,
  overrides?: Partial<MailpathConfig>,
  options: CreateMailerOptions = {},
): Promise<ConfiguredMailer> {
  return buildMailer(await resolveFromEnv(env, overrides, options), options);
}
