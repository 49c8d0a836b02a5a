import { MailError, type MailIssue, type TransportLimits, withDefaultRoots } from "@mailpath/core";
import type { SmtpLogger } from "./logger.js";

/**
 * Records one problem with an option: where it is, what is wrong, and the fix.
 * @since 0.1.0
 */
export type OptionProblem = (path: string, message: string, hint: string) => void;

/**
 * Collects every problem with a transport's options, so one `INVALID_CONFIG` names them all.
 * @since 0.1.0
 */
export interface OptionIssues {
  readonly problem: OptionProblem;
  /** How many problems were recorded. */
  readonly count: number;
  /**
   * The `INVALID_CONFIG` error listing every problem and its fix.
   * @param transport The transport's name, set on the error.
   * @param what Names the options in the message: `Invalid ${what} options: …`.
   */
  toError(transport: string, what: string): MailError;
}

/**
 * Starts collecting option problems.
 * @since 0.1.0
 */
export function collectOptionIssues(): OptionIssues {
  const issues: MailIssue[] = [];
  const hints: string[] = [];
  return {
    problem: (path, message, hint) => {
      issues.push({ path, message });
      hints.push(hint);
    },
    get count() {
      return issues.length;
    },
    toError: (transport, what) =>
      new MailError({
        code: "INVALID_CONFIG",
        transport,
        message: `Invalid ${what} options: ${issues.map((issue) => `${issue.path} ${issue.message}`).join("; ")}.`,
        hint: hints.join(" "),
        issues: [...issues],
      }),
  };
}

/**
 * The connection options every SMTP-based transport has, as a user writes them.
 * @since 0.1.0
 */
export interface SmtpConnectionInput {
  readonly tls?: {
    readonly ca?: string | Buffer | readonly (string | Buffer)[];
    readonly minVersion?: "TLSv1.2" | "TLSv1.3";
    readonly servername?: string;
  };
  readonly pool?: { readonly maxConnections?: number; readonly maxMessages?: number };
  readonly limits?: Partial<TransportLimits>;
  readonly ehloName?: string;
  readonly localAddress?: string;
  readonly connectionTimeoutMs?: number;
  readonly greetingTimeoutMs?: number;
  readonly socketTimeoutMs?: number;
  readonly logger?: SmtpLogger;
  readonly proxy?: string;
}

/**
 * What differs between SMTP-based transports in the shared options.
 * @since 0.1.0
 */
export interface SmtpConnectionRules {
  /** The transport's limits when the user overrides none. */
  readonly defaultLimits: TransportLimits;
  /** Pooled connections: the default, an upper bound if the service has one, and its fix. */
  readonly maxConnections: {
    readonly default: number;
    readonly max?: number;
    /** @default "Remove pool.maxConnections." */
    readonly hint?: string;
  };
  /** Fixes named for a TLS version below 1.2 and for turning certificate checks off. */
  readonly tlsHints: { readonly minVersion: string; readonly rejectUnauthorized: string };
}

/**
 * The shared connection options after defaults and validation.
 * @since 0.1.0
 */
export interface ResolvedSmtpConnection {
  readonly tls: {
    /** The default roots followed by the extra CAs of `tls.ca`; unset without `tls.ca`. */
    readonly ca?: string | Buffer | (string | Buffer)[];
    readonly minVersion: "TLSv1.2" | "TLSv1.3";
    readonly servername?: string;
  };
  readonly maxConnections: number;
  readonly maxMessages: number;
  readonly limits: TransportLimits;
  readonly ehloName?: string;
  readonly localAddress?: string;
  readonly connectionTimeoutMs: number;
  readonly greetingTimeoutMs: number;
  readonly socketTimeoutMs: number;
  readonly logger?: SmtpLogger;
  /** HTTP CONNECT proxy URL. */
  readonly proxy?: string;
}

/**
 * Validates the options all SMTP-based transports share (TLS floor and verification, pool,
 * limits, timeouts) and applies their defaults, recording problems in the order a user reads
 * them: TLS, pool, limits, timeouts.
 * @since 0.1.0
 */
export function resolveSmtpConnection(
  input: SmtpConnectionInput,
  problem: OptionProblem,
  rules: SmtpConnectionRules,
): ResolvedSmtpConnection {
  const tls = input.tls ?? {};
  // Wrong TLS material would otherwise only fail at STARTTLS, after connecting.
  if (typeof tls !== "object") {
    problem("tls", "must be an object", "Pass tls as { ca, minVersion, servername }.");
  }
  if (tls.ca !== undefined && !(isPem(tls.ca) || (Array.isArray(tls.ca) && tls.ca.every(isPem)))) {
    problem(
      "tls.ca",
      "must be a PEM string or Buffer, or an array of them",
      "Pass the CA certificate's PEM text (for the emulator: its ca).",
    );
  }
  if (tls.servername !== undefined && typeof tls.servername !== "string") {
    problem(
      "tls.servername",
      "must be a host name",
      "Remove tls.servername or set it to the host name the server's certificate names.",
    );
  }
  const minVersion = tls.minVersion ?? "TLSv1.2";
  if (minVersion !== "TLSv1.2" && minVersion !== "TLSv1.3") {
    problem(
      "tls.minVersion",
      `"${String(minVersion)}" is below TLS 1.2`,
      rules.tlsHints.minVersion,
    );
  }
  if ((tls as Record<string, unknown>).rejectUnauthorized === false) {
    problem(
      "tls.rejectUnauthorized",
      "certificate verification cannot be turned off",
      rules.tlsHints.rejectUnauthorized,
    );
  }

  const { max, hint = "Remove pool.maxConnections." } = rules.maxConnections;
  const maxConnections = input.pool?.maxConnections ?? rules.maxConnections.default;
  if (
    !Number.isInteger(maxConnections) ||
    maxConnections < 1 ||
    (max !== undefined && maxConnections > max)
  ) {
    problem(
      "pool.maxConnections",
      max === undefined ? "must be a positive integer" : `must be an integer from 1 to ${max}`,
      hint,
    );
  }
  const maxMessages = input.pool?.maxMessages ?? 100;
  if (!Number.isInteger(maxMessages) || maxMessages < 1) {
    problem("pool.maxMessages", "must be a positive integer", "Remove pool.maxMessages.");
  }

  const limits: TransportLimits = {
    ...rules.defaultLimits,
    ...Object.fromEntries(
      Object.entries(input.limits ?? {}).filter(([, value]) => value !== undefined),
    ),
  };
  for (const [key, value] of Object.entries(limits)) {
    if (typeof value !== "number" || !(value > 0)) {
      problem(`limits.${key}`, "must be a positive number", `Remove limits.${key} or make it > 0.`);
    }
  }

  const timeouts = {
    connectionTimeoutMs: input.connectionTimeoutMs ?? 30_000,
    greetingTimeoutMs: input.greetingTimeoutMs ?? 30_000,
    socketTimeoutMs: input.socketTimeoutMs ?? 600_000,
  };
  for (const [key, value] of Object.entries(timeouts)) {
    if (typeof value !== "number" || !(value > 0)) {
      problem(key, "must be a positive number of milliseconds", `Remove ${key} or make it > 0.`);
    }
  }

  let proxy: string | undefined;
  if (input.proxy !== undefined) {
    let protocol = "";
    try {
      protocol = new URL(String(input.proxy)).protocol;
    } catch {
      // reported below
    }
    if (protocol === "http:" || protocol === "https:") proxy = String(input.proxy);
    else
      problem(
        "proxy",
        "must be an http:// proxy URL (HTTP CONNECT)",
        "Set proxy to http://[user:password@]proxy.contoso.com:3128, or remove it to connect directly.",
      );
  }
  return {
    tls: {
      ...(tls.ca !== undefined && {
        ca: withDefaultRoots(Array.isArray(tls.ca) ? tls.ca : [tls.ca as string | Buffer]),
      }),
      minVersion,
      ...(tls.servername !== undefined && { servername: tls.servername }),
    },
    maxConnections,
    maxMessages,
    limits,
    ...(input.ehloName !== undefined && { ehloName: input.ehloName }),
    ...(input.localAddress !== undefined && { localAddress: input.localAddress }),
    ...timeouts,
    ...(input.logger !== undefined && { logger: input.logger }),
    ...(proxy !== undefined && { proxy }),
  };
}

/** Whether `value` can hold PEM text (a string or a Buffer). */
function isPem(value: unknown): value is string | Buffer {
  return typeof value === "string" || Buffer.isBuffer(value);
}

/**
 * Whether `port` is a TCP port number.
 * @since 0.1.0
 */
export function isPort(port: unknown): port is number {
  return Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65_535;
}
