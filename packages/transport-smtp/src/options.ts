import {
  type Cloud,
  MailError,
  resolveCloud,
  type TokenProvider,
  type TransportLimits,
} from "@mailpath/core";
import type { SmtpLogger } from "./engine/logger.js";
import {
  collectOptionIssues,
  isPort,
  type OptionProblem,
  type ResolvedSmtpConnection,
  resolveSmtpConnection,
} from "./engine/options.js";

/** Basic authentication: the mailbox's user name and password. */
export interface SmtpPasswordAuth {
  /** The mailbox's user principal name (`notifications@contoso.com`). */
  readonly user: string;
  readonly pass: string;
}

/** XOAUTH2 with a token you already have (it is used as is and never refreshed). */
export interface SmtpAccessTokenAuth {
  /** The mailbox to send from; for app-only tokens, a mailbox the app has FullAccess on. */
  readonly user: string;
  /** An access token for `https://outlook.office365.com/.default` (per cloud). */
  readonly accessToken: string;
}

/** XOAUTH2 with tokens from a provider (`@mailpath/entra`), fetched per connection. */
export interface SmtpTokenProviderAuth {
  /** The mailbox to send from; for app-only tokens, a mailbox the app has FullAccess on. */
  readonly user: string;
  /**
   * Asked for a token on every new connection. After `535 5.7.3` the transport asks once more
   * with `forceRefresh: true` and retries the send once.
   */
  readonly tokenProvider: TokenProvider;
}

/** How the transport authenticates. SMTP AUTH always needs credentials. */
export type SmtpAuth = SmtpPasswordAuth | SmtpAccessTokenAuth | SmtpTokenProviderAuth;

/** TLS settings. Certificates are always verified and TLS 1.2 is the floor. */
export interface SmtpTlsOptions {
  /**
   * Extra trusted CA certificates (PEM): a private CA, the emulator's `ca`. Added to the
   * default roots (Node's and NODE_EXTRA_CA_CERTS), which stay trusted.
   */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Lowest TLS version. Exchange Online refuses anything below 1.2. @default "TLSv1.2" */
  readonly minVersion?: "TLSv1.2" | "TLSv1.3";
  /** Name checked against the server certificate. @default the `host` */
  readonly servername?: string;
}

/** Connection pool settings. */
export interface SmtpPoolOptions {
  /**
   * Connections kept open. Exchange Online allows 3 concurrent SMTP AUTH connections per
   * mailbox and answers `432 4.3.2` beyond that, so 3 is also the maximum. @default 3
   */
  readonly maxConnections?: number;
  /** Messages one connection sends before it is replaced. @default 100 */
  readonly maxMessages?: number;
}

/**
 * Options of `createSmtpTransport`.
 * @since 0.1.0
 */
export interface SmtpTransportOptions {
  /** SMTP AUTH submission host. @default resolveCloud(cloud).smtpHost ("smtp.office365.com") */
  readonly host?: string;
  /**
   * 587 (recommended) or 25, both with STARTTLS. 465 is refused against Microsoft hosts (not
   * an SMTP AUTH port of Exchange Online) and elsewhere needs `secure: true`. @default 587
   */
  readonly port?: number;
  /** Picks the default host. @default "global" */
  readonly cloud?: Cloud;
  /**
   * Implicit TLS from the first byte. Exchange Online uses STARTTLS on 587 and 25, so leave it
   * unset; `true` is refused on 587. @default false
   */
  readonly secure?: boolean;
  /**
   * Refuse to authenticate unless STARTTLS succeeded. Only `true` is accepted: credentials are
   * never sent in the clear. @default true
   */
  readonly requireTLS?: boolean;
  /** How the mailbox authenticates: a password, an access token or a token provider. */
  readonly auth: SmtpAuth;
  /** TLS settings. @default the system's CAs, TLS 1.2 or later, certificates verified */
  readonly tls?: SmtpTlsOptions;
  /** Connection pool settings. @default 3 connections, 100 messages each */
  readonly pool?: SmtpPoolOptions;
  /**
   * What the mailer enforces per mailbox; any field overrides the Exchange default.
   * @default SMTP_DEFAULT_LIMITS
   */
  readonly limits?: Partial<TransportLimits>;
  /** Transport name in results, errors and events. @default "smtp" */
  readonly name?: string;
  /** Host name announced in EHLO. @default the machine's host name */
  readonly ehloName?: string;
  /** Time to open the TCP connection. @default 30_000 */
  readonly connectionTimeoutMs?: number;
  /** Time to wait for the greeting after connecting. @default 30_000 */
  readonly greetingTimeoutMs?: number;
  /** Inactivity allowed on an open connection. @default 600_000 */
  readonly socketTimeoutMs?: number;
  /** Local address to connect from. @default chosen by the operating system */
  readonly localAddress?: string;
  /** Receives the SMTP client's log lines (secrets removed). @default no logging */
  readonly logger?: SmtpLogger;
  /**
   * HTTP CONNECT proxy the connections go through (`http://[user:password@]proxy:3128`); TLS
   * (STARTTLS or implicit) runs inside the tunnel with the same rules. `HTTPS_PROXY` is not used
   * for SMTP. @default direct connections
   */
  readonly proxy?: string;
}

/** Exchange's cap on concurrent SMTP AUTH connections per mailbox. */
export const MAX_CONNECTIONS_PER_MAILBOX = 3;

/**
 * Exchange Online's limits for SMTP AUTH submission, per mailbox
 * (docs/reference/exchange-online.md §5).
 */
export const SMTP_DEFAULT_LIMITS: Required<TransportLimits> = {
  maxMessagesPerInterval: 30,
  intervalMs: 60_000,
  maxConcurrency: MAX_CONNECTIONS_PER_MAILBOX,
  maxRecipientsPerDay: 10_000,
  maxRecipientsPerMessage: 500,
  maxMessageBytes: 35 * 1024 * 1024,
};

/** How the transport authenticates, after validation. */
export type ResolvedSmtpAuth =
  | { readonly kind: "password"; readonly user: string; readonly pass: string }
  | { readonly kind: "accessToken"; readonly user: string; readonly accessToken: string }
  | {
      readonly kind: "tokenProvider";
      readonly user: string;
      readonly tokenProvider: TokenProvider;
    };

/** Options after defaults and validation. */
export interface ResolvedSmtpOptions extends ResolvedSmtpConnection {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly auth: ResolvedSmtpAuth;
}

const MICROSOFT_HOST =
  /(^|\.)(office365\.com|office365\.us|outlook\.com|outlook\.cn|partner\.outlook\.cn)$/i;

/** Whether `host` is one of Microsoft's SMTP endpoints (port rules apply strictly there). */
function isMicrosoftHost(host: string): boolean {
  return MICROSOFT_HOST.test(host.trim().replace(/\.$/, ""));
}

/**
 * Validates the options and applies the defaults.
 * @throws MailError `INVALID_CONFIG` listing every problem with its fix.
 */
export function resolveSmtpOptions(options: SmtpTransportOptions): ResolvedSmtpOptions {
  if (typeof options !== "object" || options === null) {
    throw new MailError({
      code: "INVALID_CONFIG",
      message: "createSmtpTransport needs an options object.",
      hint: "Pass at least { auth: { user, pass } } or { auth: { user, tokenProvider } }.",
      issues: [{ path: "options", message: "must be an object" }],
    });
  }
  const issues = collectOptionIssues();
  const { problem } = issues;

  const name = options.name ?? "smtp";
  const host = options.host ?? resolveCloud(options.cloud).smtpHost;
  const port = options.port ?? 587;
  const secure = options.secure ?? false;

  if (typeof host !== "string" || host.trim() === "") {
    problem(
      "host",
      "must be a host name",
      "Set host to the SMTP endpoint, e.g. smtp.office365.com.",
    );
  }
  if (!isPort(port)) {
    problem("port", "must be an integer from 1 to 65535", "Use port 587 (STARTTLS).");
  } else if (port === 465 && typeof host === "string" && isMicrosoftHost(host)) {
    problem(
      "port",
      "465 (implicit TLS) is not supported by Exchange Online for SMTP AUTH",
      "Use port 587 with STARTTLS: remove port (587 is the default) and secure.",
    );
  } else if (port === 465 && !secure) {
    // 465 speaks TLS from the first byte: a STARTTLS client would wait for a greeting that
    // never comes and fail with a TIMEOUT that names nothing.
    problem(
      "port",
      "465 is the implicit-TLS port, and secure is not set",
      "Set secure: true for implicit TLS on 465, or use 587 with STARTTLS (the default).",
    );
  }
  if (secure && (port === 587 || (typeof host === "string" && isMicrosoftHost(host)))) {
    problem(
      "secure",
      `secure: true means implicit TLS, but ${port === 587 ? "port 587" : "Exchange Online"} uses STARTTLS`,
      "Remove secure (or set it to false): the transport upgrades the connection with STARTTLS and refuses to continue without it.",
    );
  }
  if (options.requireTLS === false) {
    problem(
      "requireTLS",
      port === 25
        ? "port 25 without TLS would send credentials in the clear"
        : "SMTP AUTH without TLS would send credentials in the clear",
      "Remove requireTLS: Exchange Online requires STARTTLS before AUTH on 587 and 25.",
    );
  }

  const auth = resolveAuth(options.auth, problem);

  const connection = resolveSmtpConnection(options, problem, {
    defaultLimits: SMTP_DEFAULT_LIMITS,
    maxConnections: {
      default: MAX_CONNECTIONS_PER_MAILBOX,
      max: MAX_CONNECTIONS_PER_MAILBOX,
      hint: "Exchange Online allows 3 concurrent SMTP AUTH connections per mailbox (more get 432 4.3.2): use 3 or fewer, and more mailboxes for more throughput.",
    },
    tlsHints: {
      minVersion:
        "Remove tls.minVersion or set it to TLSv1.2 or TLSv1.3: Exchange Online refuses TLS 1.0 and 1.1 (421 4.7.66).",
      rejectUnauthorized:
        "Remove tls.rejectUnauthorized and pass the server's CA in tls.ca instead (for the emulator: its ca).",
    },
  });

  if (issues.count > 0 || !auth) throw issues.toError(name, "SMTP transport");

  return { name, host, port, secure, auth, ...connection };
}

function resolveAuth(
  auth: SmtpAuth | undefined,
  problem: OptionProblem,
): ResolvedSmtpAuth | undefined {
  if (typeof auth !== "object" || auth === null) {
    problem(
      "auth",
      "SMTP AUTH needs credentials",
      "Pass auth: { user, tokenProvider } (OAuth, recommended: Basic auth is being retired) or auth: { user, pass }.",
    );
    return undefined;
  }
  const fields = auth as Partial<SmtpPasswordAuth & SmtpAccessTokenAuth & SmtpTokenProviderAuth>;
  let valid = true;
  if (typeof fields.user !== "string" || fields.user.trim() === "") {
    problem(
      "auth.user",
      "is missing",
      "Set auth.user to the mailbox's address (for app-only OAuth: a mailbox the app has FullAccess on).",
    );
    valid = false;
  }
  const hasPass = fields.pass !== undefined;
  const hasToken = fields.accessToken !== undefined;
  const hasProvider = fields.tokenProvider !== undefined;
  if (hasPass && (hasToken || hasProvider)) {
    problem(
      "auth.pass",
      "a password is set together with OAuth",
      "Remove auth.pass: with accessToken or tokenProvider the transport authenticates with XOAUTH2 and needs no password.",
    );
    return undefined;
  }
  if (hasToken && hasProvider) {
    problem(
      "auth.accessToken",
      "both accessToken and tokenProvider are set",
      "Keep only tokenProvider: it refreshes tokens, a fixed accessToken expires.",
    );
    return undefined;
  }
  if (!hasPass && !hasToken && !hasProvider) {
    problem(
      "auth",
      "no pass, accessToken or tokenProvider",
      "Pass auth.tokenProvider (OAuth, e.g. createClientCredentialsProvider from @mailpath/entra) or auth.pass.",
    );
    return undefined;
  }
  if (hasPass && (typeof fields.pass !== "string" || fields.pass === "")) {
    problem("auth.pass", "must be a non-empty string", "Set auth.pass to the mailbox's password.");
    valid = false;
  }
  if (hasToken && (typeof fields.accessToken !== "string" || fields.accessToken === "")) {
    problem(
      "auth.accessToken",
      "must be a non-empty string",
      "Set auth.accessToken, or use auth.tokenProvider.",
    );
    valid = false;
  }
  if (hasProvider && typeof fields.tokenProvider?.getToken !== "function") {
    problem(
      "auth.tokenProvider",
      "must have a getToken() method",
      "Pass a TokenProvider such as createClientCredentialsProvider({ target: 'smtp', ... }) from @mailpath/entra.",
    );
    valid = false;
  }
  if (!valid) return undefined;
  const user = fields.user as string;
  if (hasPass) return { kind: "password", user, pass: fields.pass as string };
  if (hasToken) return { kind: "accessToken", user, accessToken: fields.accessToken as string };
  return { kind: "tokenProvider", user, tokenProvider: fields.tokenProvider as TokenProvider };
}
