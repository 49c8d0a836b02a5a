import {
  CLOUDS,
  type Cloud,
  type Logger,
  MailError,
  type MailIssue,
  resolveCloud,
} from "@mailpath/core";
import type { ClientCertificateOptions, LoadedCertificate } from "./certificate.js";
import { loadClientCertificate } from "./certificate.js";
import type { EntraEvent } from "./events.js";
import { type ProxyOption, type ResolvedProxy, resolveProxy } from "./proxy.js";
import { scopeFor, type TokenTarget } from "./scope.js";

/**
 * Options of `createClientCredentialsProvider`: an app registration in one tenant with a
 * client secret or a client certificate.
 * @since 0.1.0
 */
export interface ClientCredentialsOptions {
  /** Directory (tenant) id, a GUID, or a verified domain (`contoso.onmicrosoft.com`). Not `common`/`organizations`. */
  readonly tenantId: string;
  /** Application (client) id of the app registration. */
  readonly clientId: string;
  /** The client secret's Value (not its Secret ID). Give this or `clientCertificate`. */
  readonly clientSecret?: string;
  /** A certificate registered on the app. Give this or `clientSecret`. */
  readonly clientCertificate?: ClientCertificateOptions;
  /**
   * What the token is for: `"graph"` (Mail.Send), `"smtp"` (SMTP.SendAsApp) or a `/.default` scope.
   * @default "graph"
   */
  readonly target?: TokenTarget;
  /** Microsoft cloud; picks the authority host and scopes. @default "global" */
  readonly cloud?: Cloud;
  /** Override the authority host (HTTPS origin), e.g. a private cloud or the emulator's. @default the cloud's */
  readonly authorityHost?: string;
  /**
   * Extra trusted CA certificate(s), PEM: a private cloud's or the emulator's. Added to the
   * default roots (Node's and NODE_EXTRA_CA_CERTS), which stay trusted.
   * @default none: the default roots only
   */
  readonly tls?: { readonly ca?: string | Buffer | readonly (string | Buffer)[] };
  /** Fetch a new token this long before the cached one expires. @default 300_000 (5 min) */
  readonly refreshBeforeExpiryMs?: number;
  /** Emit `certificateExpiring` when the client certificate has fewer days left. @default 30 */
  readonly certificateExpiryWarningDays?: number;
  /** Timeout of one request to the token endpoint. @default 30_000 */
  readonly timeoutMs?: number;
  /** Clock (ms since epoch) for expiry bookkeeping; inject it in tests. @default Date.now */
  readonly now?: () => number;
  /** Receives every event (`token`, `certificateExpiring`, `error`). Never carries a secret or token. */
  readonly onEvent?: (event: EntraEvent) => void;
  /**
   * HTTPS proxy for the token endpoint (HTTP CONNECT; TLS stays end to end and verified).
   * `false` connects directly whatever the environment says.
   * @default HTTPS_PROXY / https_proxy, bypassed for the hosts in NO_PROXY / no_proxy
   */
  readonly proxy?: ProxyOption;
  /**
   * Receives a `debug` line per token-endpoint request (method, host, path, status, duration:
   * never a header, a query, a body, the secret or the token) and `warn` on a failed refresh.
   * @default no logging
   */
  readonly logger?: Logger;
}

/** The options after validation and defaults. */
export interface ResolvedOptions {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly certificate?: LoadedCertificate;
  readonly cloud: Cloud;
  readonly scope: string;
  readonly authorityHost: string;
  readonly ca: readonly (string | Buffer)[];
  readonly refreshBeforeExpiryMs: number;
  readonly certificateExpiryWarningDays: number;
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly onEvent?: (event: EntraEvent) => void;
  readonly proxy?: ResolvedProxy;
  readonly logger?: Logger;
}

const MULTI_TENANT = new Set(["common", "organizations", "consumers"]);

const HINTS: Record<string, string> = {
  tenantId:
    "Set tenantId to the Directory (tenant) ID shown on the app registration's Overview page.",
  clientId:
    "Set clientId to the Application (client) ID shown on the app registration's Overview page.",
  credential:
    "Give exactly one credential: clientSecret (the secret's Value) or clientCertificate ({ privateKey, certificate }).",
  clientCertificate:
    "Give clientCertificate.privateKey (PEM) with clientCertificate.certificate (PEM) or its thumbprintSha256, as registered on the app.",
  authorityHost:
    "authorityHost must be an https:// origin such as https://login.microsoftonline.com (msal refuses http).",
};

function nonNegative(value: unknown): boolean {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

/**
 * Validates every option and applies defaults.
 * @throws MailError `INVALID_CONFIG` listing every problem in `issues`, the first one's fix in `hint`.
 */
export function resolveOptions(options: ClientCredentialsOptions): ResolvedOptions {
  const issues: MailIssue[] = [];
  const hints: string[] = [];
  const problem = (path: string, message: string, hintKey?: string) => {
    issues.push({ path, message });
    if (hintKey && HINTS[hintKey]) hints.push(HINTS[hintKey]);
  };
  if (typeof options !== "object" || options === null) {
    throw new MailError({
      code: "INVALID_CONFIG",
      message: "createClientCredentialsProvider needs an options object.",
      hint: "Pass { tenantId, clientId, clientSecret } or { tenantId, clientId, clientCertificate }.",
    });
  }

  const tenantId = typeof options.tenantId === "string" ? options.tenantId.trim() : "";
  if (tenantId === "") problem("tenantId", "is required", "tenantId");
  else if (MULTI_TENANT.has(tenantId.toLowerCase()))
    problem(
      "tenantId",
      `"${tenantId}" cannot be used with client credentials: an app-only token is issued by one specific tenant`,
      "tenantId",
    );
  else if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(tenantId))
    problem("tenantId", "must be a tenant GUID or a domain name", "tenantId");

  const clientId = typeof options.clientId === "string" ? options.clientId.trim() : "";
  if (clientId === "") problem("clientId", "is required", "clientId");

  const clientSecret =
    typeof options.clientSecret === "string" && options.clientSecret.length > 0
      ? options.clientSecret
      : undefined;
  if (options.clientSecret !== undefined && typeof options.clientSecret !== "string")
    problem("clientSecret", "must be a string", "credential");
  let certificate: LoadedCertificate | undefined;
  if (clientSecret !== undefined && options.clientCertificate !== undefined) {
    problem(
      "clientSecret",
      "clientSecret and clientCertificate are both set: use one credential",
      "credential",
    );
  } else if (clientSecret === undefined && options.clientCertificate === undefined) {
    problem("clientSecret", "no credential: set clientSecret or clientCertificate", "credential");
  } else if (options.clientCertificate !== undefined) {
    const loaded = loadClientCertificate(options.clientCertificate);
    for (const issue of loaded.issues) problem(issue.path, issue.message, "clientCertificate");
    certificate = loaded.certificate;
  }

  const cloud = options.cloud ?? "global";
  let endpoints: ReturnType<typeof resolveCloud> | undefined;
  if (!(CLOUDS as readonly string[]).includes(cloud)) {
    problem("cloud", `must be one of ${CLOUDS.join(", ")}`);
    hints.push(`Use one of: ${CLOUDS.join(", ")} ("global" includes GCC).`);
  } else {
    endpoints = resolveCloud(cloud);
  }

  let scope = "";
  if (endpoints) {
    try {
      scope = scopeFor(options.target ?? "graph", cloud);
    } catch (error) {
      const mailError = error as MailError;
      for (const issue of mailError.issues ?? []) problem(issue.path, issue.message);
      if (mailError.hint) hints.push(mailError.hint);
    }
  }

  let authorityHost = endpoints?.authorityHost ?? "";
  if (options.authorityHost !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(options.authorityHost);
    } catch {
      url = undefined;
    }
    if (!url) problem("authorityHost", "is not a URL", "authorityHost");
    else if (url.protocol !== "https:")
      problem("authorityHost", `must use https:// (got ${url.protocol})`, "authorityHost");
    else if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash)
      problem(
        "authorityHost",
        "must be an origin without a path (the tenant is added from tenantId)",
        "authorityHost",
      );
    else authorityHost = url.origin;
  }

  const refreshBeforeExpiryMs = options.refreshBeforeExpiryMs ?? 300_000;
  if (!nonNegative(refreshBeforeExpiryMs))
    problem("refreshBeforeExpiryMs", "must be a number of milliseconds >= 0");
  const certificateExpiryWarningDays = options.certificateExpiryWarningDays ?? 30;
  if (!nonNegative(certificateExpiryWarningDays))
    problem("certificateExpiryWarningDays", "must be a number of days >= 0");
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!nonNegative(timeoutMs) || timeoutMs === 0)
    problem("timeoutMs", "must be a number of milliseconds > 0");

  const caInput = options.tls?.ca;
  const ca = caInput === undefined ? [] : Array.isArray(caInput) ? [...caInput] : [caInput];
  for (const [index, entry] of ca.entries()) {
    if (typeof entry !== "string" && !Buffer.isBuffer(entry))
      problem(`tls.ca[${index}]`, "must be a PEM string or Buffer");
  }

  const proxyIssues: MailIssue[] = [];
  const proxy = resolveProxy(options.proxy, proxyIssues);
  for (const issue of proxyIssues) {
    problem(issue.path, issue.message);
    hints.push("Set the proxy to an http:// URL such as http://proxy.contoso.com:3128.");
  }

  if (issues.length > 0) {
    const first = issues[0]!;
    throw new MailError({
      code: "INVALID_CONFIG",
      message: `Invalid Entra options: ${issues.map((issue) => `${issue.path} ${issue.message}`).join("; ")}.`,
      hint: hints[0] ?? `Fix ${first.path}.`,
      issues,
    });
  }

  return {
    tenantId,
    clientId,
    ...(clientSecret !== undefined && { clientSecret }),
    ...(certificate !== undefined && { certificate }),
    cloud,
    scope,
    authorityHost,
    ca,
    refreshBeforeExpiryMs,
    certificateExpiryWarningDays,
    timeoutMs,
    now: options.now ?? Date.now,
    ...(options.onEvent !== undefined && { onEvent: options.onEvent }),
    ...(proxy !== undefined && { proxy }),
    ...(options.logger !== undefined && { logger: options.logger }),
  };
}
