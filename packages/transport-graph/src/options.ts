import {
  type Cloud,
  type CloudEndpoints,
  type Logger,
  MailError,
  type MailIssue,
  resolveCloud,
  type TokenProvider,
  type TransportLimits,
} from "@mailpath/core";
import {
  type ClientCertificateOptions,
  type ProxyOption,
  type ResolvedProxy,
  resolveProxy,
} from "@mailpath/entra";

/** How the message goes to Graph. @see GraphTransportOptions.mode */
export type GraphSendMode = "auto" | "json" | "mime";

const MODES: readonly GraphSendMode[] = ["auto", "json", "mime"];

/** A certificate credential registered on the app (see `@mailpath/entra`). */
export type GraphClientCertificate = ClientCertificateOptions;

/**
 * Options of `createGraphTransport`.
 * @since 0.1.0
 */
export interface GraphTransportOptions {
  /** Directory (tenant) id or a verified domain. Required unless `tokenProvider` is given. */
  readonly tenantId?: string;
  /** Application (client) id. Required unless `tokenProvider` is given. */
  readonly clientId?: string;
  /** Client secret *value*. Exactly one of `clientSecret`, `clientCertificate`, `tokenProvider`. */
  readonly clientSecret?: string;
  /** Certificate credential. Exactly one of `clientSecret`, `clientCertificate`, `tokenProvider`. */
  readonly clientCertificate?: GraphClientCertificate;
  /** Any source of Graph app-only access tokens (`getToken({ forceRefresh })`). */
  readonly tokenProvider?: TokenProvider;
  /** Microsoft cloud: picks the Graph host, Entra host and token scope. @default "global" */
  readonly cloud?: Cloud;
  /** Entra authority host, e.g. `https://login.microsoftonline.us`. @default per cloud */
  readonly authorityHost?: string;
  /** Graph root without the version, e.g. `https://graph.microsoft.us`. @default per cloud */
  readonly baseUrl?: string;
  /**
   * The mailbox to send through (`/users/{mailbox}/sendMail`), when it is not the message's
   * From: a user that has Send As on a shared mailbox, for example. The From of each message
   * must then be an address this mailbox may send as (else `SEND_AS_DENIED`).
   * @default the message's From address
   */
  readonly mailbox?: string;
  /** Keep a copy in the sender's Sent Items (JSON and MIME sendMail). @default true */
  readonly saveToSentItems?: boolean;
  /**
   * `json` posts a Graph message resource, `mime` posts the RFC 5322 message built by
   * nodemailer's composer, `auto` picks per message: MIME when the message has a header that
   * is not `X-…`, both `text` and `html`, `inReplyTo`/`references` or a `text/calendar`
   * attachment; JSON otherwise.
   * @default "auto"
   */
  readonly mode?: GraphSendMode;
  /**
   * Extra trusted CA certificates (PEM) for Graph and Entra (a private CA, the emulator),
   * added to the default roots (Node's and NODE_EXTRA_CA_CERTS), which stay trusted.
   * @default Node's default roots
   */
  readonly tls?: { readonly ca?: string | Buffer | readonly (string | Buffer)[] };
  /** Transport name in errors, events and receipts. @default "graph" */
  readonly name?: string;
  /**
   * Overrides of the per-mailbox limits the mailer derives its rate limit from.
   * @default GRAPH_DEFAULT_LIMITS (4 concurrent requests, 10,000 per 10 minutes per mailbox)
   */
  readonly limits?: Partial<TransportLimits>;
  /** Time limit of one HTTP request (each upload chunk is one request). @default 120_000 */
  readonly requestTimeoutMs?: number;
  /** A WHATWG `fetch`, for testing. @default undici's `fetch` */
  readonly fetch?: typeof globalThis.fetch;
  /**
   * HTTPS proxy for Graph, upload sessions and Entra: `http://proxy.contoso.com:3128`
   * (`user:password@` for Basic authentication), `{ url, noProxy }`, or `false` for direct
   * connections. HTTP CONNECT: TLS stays end to end, with the same certificate checks.
   * @default HTTPS_PROXY / https_proxy, bypassed for the hosts in NO_PROXY / no_proxy
   */
  readonly proxy?: ProxyOption;
  /**
   * Receives the protocol trace at `debug` (one line per request: method, path, status,
   * request-id, duration; never a token, header, query or body), also for Entra.
   * @default no logging
   */
  readonly logger?: Logger;
}

/** The options after validation and defaults. */
export interface ResolvedGraphOptions {
  readonly name: string;
  readonly endpoints: CloudEndpoints;
  /** `https://host[:port]` without a trailing slash or version. */
  readonly baseUrl: string;
  readonly authorityHost: string;
  readonly mailbox?: string;
  readonly saveToSentItems: boolean;
  readonly mode: GraphSendMode;
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  readonly limits: TransportLimits;
  readonly requestTimeoutMs: number;
  readonly fetch?: typeof globalThis.fetch;
  readonly proxyOption?: ProxyOption;
  readonly proxy?: ResolvedProxy;
  readonly logger?: Logger;
  readonly credential:
    | { readonly kind: "provider"; readonly tokenProvider: TokenProvider }
    | {
        readonly kind: "secret" | "certificate";
        readonly tenantId: string;
        readonly clientId: string;
        readonly clientSecret?: string;
        readonly clientCertificate?: GraphClientCertificate;
      };
  /** Strings that must never appear in an error, event or log. */
  readonly secrets: readonly string[];
}

/** Graph's per-mailbox limits (see docs/transports/graph.md). */
export const GRAPH_DEFAULT_LIMITS: TransportLimits = {
  maxConcurrency: 4,
  maxMessagesPerInterval: 10_000,
  intervalMs: 600_000,
  maxRecipientsPerMessage: 500,
  maxMessageBytes: 150 * 1024 * 1024,
};

function invalidConfig(issues: MailIssue[]): MailError {
  const first = issues[0]!;
  return new MailError({
    code: "INVALID_CONFIG",
    message: `Invalid Graph transport option ${first.path}: ${first.message}${
      issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""
    }.`,
    hint: issues.map((issue) => `${issue.path}: ${issue.message}`).join("; "),
    issues,
    transport: "graph",
  });
}

function httpsUrl(value: string, path: string, issues: MailIssue[]): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    issues.push({ path, message: `must be an absolute https:// URL, got "${value}"` });
    return undefined;
  }
  if (url.protocol !== "https:") {
    issues.push({ path, message: `must use https:// (TLS is mandatory), got "${url.protocol}"` });
    return undefined;
  }
  if (url.pathname !== "/" && url.pathname !== "") {
    const trimmed = url.pathname.replace(/\/+$/, "");
    if (/\/(v1\.0|beta)$/i.test(trimmed)) {
      issues.push({
        path,
        message: `must be the Graph root without the version segment (drop "${trimmed}")`,
      });
      return undefined;
    }
    return `${url.origin}${trimmed}`;
  }
  return url.origin;
}

function nonEmpty(value: unknown): value is string {
  return typeof value === "string" && value.trim().length > 0;
}

/**
 * Validates the options and applies defaults.
 * @throws MailError `INVALID_CONFIG` naming every wrong option.
 */
export function resolveGraphOptions(options: GraphTransportOptions): ResolvedGraphOptions {
  const issues: MailIssue[] = [];
  if (typeof options !== "object" || options === null) {
    throw invalidConfig([{ path: "options", message: "must be an object" }]);
  }

  let endpoints: CloudEndpoints | undefined;
  try {
    endpoints = resolveCloud(options.cloud ?? "global");
  } catch {
    issues.push({
      path: "cloud",
      message: `unknown cloud "${String(options.cloud)}": use global, usgov, usgovdod or china`,
    });
  }

  const mode = options.mode ?? "auto";
  if (!MODES.includes(mode)) {
    issues.push({
      path: "mode",
      message: `must be "auto", "json" or "mime", got "${String(mode)}"`,
    });
  }

  const baseUrl =
    options.baseUrl !== undefined ? httpsUrl(options.baseUrl, "baseUrl", issues) : undefined;
  const authorityHost =
    options.authorityHost !== undefined
      ? httpsUrl(options.authorityHost, "authorityHost", issues)
      : undefined;

  const given = [
    options.clientSecret !== undefined && "clientSecret",
    options.clientCertificate !== undefined && "clientCertificate",
    options.tokenProvider !== undefined && "tokenProvider",
  ].filter((value): value is string => typeof value === "string");
  if (given.length === 0) {
    issues.push({
      path: "clientSecret",
      message:
        "no credentials: give clientSecret, clientCertificate or tokenProvider (with tenantId and clientId for the first two)",
    });
  } else if (given.length > 1) {
    issues.push({
      path: given[1]!,
      message: `give only one of clientSecret, clientCertificate, tokenProvider (got ${given.join(" and ")})`,
    });
  }
  if (options.clientSecret !== undefined && !nonEmpty(options.clientSecret)) {
    issues.push({
      path: "clientSecret",
      message: "must be a non-empty string (the secret's Value)",
    });
  }
  if (
    options.tokenProvider !== undefined &&
    typeof (options.tokenProvider as { getToken?: unknown })?.getToken !== "function"
  ) {
    issues.push({ path: "tokenProvider", message: "must have a getToken() method" });
  }
  if (options.tokenProvider === undefined && given.length > 0) {
    if (!nonEmpty(options.tenantId)) {
      issues.push({ path: "tenantId", message: "is required with clientSecret/clientCertificate" });
    }
    if (!nonEmpty(options.clientId)) {
      issues.push({ path: "clientId", message: "is required with clientSecret/clientCertificate" });
    }
  }
  if (
    options.requestTimeoutMs !== undefined &&
    !(Number.isFinite(options.requestTimeoutMs) && options.requestTimeoutMs > 0)
  ) {
    issues.push({ path: "requestTimeoutMs", message: "must be a positive number of milliseconds" });
  }
  if (options.saveToSentItems !== undefined && typeof options.saveToSentItems !== "boolean") {
    issues.push({ path: "saveToSentItems", message: "must be true or false" });
  }
  if (options.fetch !== undefined && typeof options.fetch !== "function") {
    issues.push({ path: "fetch", message: "must be a fetch function" });
  }
  if (
    options.mailbox !== undefined &&
    !(nonEmpty(options.mailbox) && /^[^\s@]+@[^\s@]+$/.test(options.mailbox))
  ) {
    issues.push({ path: "mailbox", message: "must be a mailbox address (user@domain)" });
  }
  if (options.name !== undefined && !nonEmpty(options.name)) {
    issues.push({ path: "name", message: "must be a non-empty string" });
  }
  const proxy = resolveProxy(options.proxy, issues);
  if (issues.length > 0 || !endpoints) throw invalidConfig(issues);

  const privateKey = options.clientCertificate?.privateKey?.toString();
  const secrets = [
    options.clientSecret,
    options.clientCertificate?.passphrase,
    privateKey,
    // A key could be quoted one PEM line at a time.
    ...(privateKey ?? "")
      .split(/\r?\n/)
      .filter((line) => line.length >= 16 && !line.startsWith("-----")),
    ...(proxy?.secrets ?? []),
  ].filter((value): value is string => nonEmpty(value));

  return {
    name: options.name ?? "graph",
    endpoints,
    baseUrl: baseUrl ?? endpoints.graphBaseUrl,
    authorityHost: authorityHost ?? endpoints.authorityHost,
    ...(options.mailbox !== undefined && { mailbox: options.mailbox }),
    saveToSentItems: options.saveToSentItems ?? true,
    mode,
    ...(options.tls?.ca !== undefined && { ca: options.tls.ca }),
    limits: { ...GRAPH_DEFAULT_LIMITS, ...options.limits },
    requestTimeoutMs: options.requestTimeoutMs ?? 120_000,
    ...(options.fetch && { fetch: options.fetch }),
    ...(options.proxy !== undefined && { proxyOption: options.proxy }),
    ...(proxy !== undefined && { proxy }),
    ...(options.logger !== undefined && { logger: options.logger }),
    credential: options.tokenProvider
      ? { kind: "provider", tokenProvider: options.tokenProvider }
      : {
          kind: options.clientSecret !== undefined ? "secret" : "certificate",
          tenantId: options.tenantId!,
          clientId: options.clientId!,
          ...(options.clientSecret !== undefined && { clientSecret: options.clientSecret }),
          ...(options.clientCertificate !== undefined && {
            clientCertificate: options.clientCertificate,
          }),
        },
    secrets,
  };
}
