import { type Cloud, MailError, mxHostForDomain, type TransportLimits } from "@mailpath/core";
import {
  collectOptionIssues,
  isPort,
  type ResolvedSmtpConnection,
  resolveSmtpConnection,
  type SmtpLogger,
} from "@mailpath/transport-smtp/engine";

/**
 * Where the transport's log lines go. `console` fits; so does a pino or winston logger.
 * @since 0.1.0
 */
export type RelayLogger = SmtpLogger;

/** TLS settings. Certificates are always verified and TLS 1.2 is the floor. */
export interface RelayTlsOptions {
  /**
   * Extra trusted CA certificates (PEM): a private CA, the emulator's `ca`. Added to the
   * default roots (Node's and NODE_EXTRA_CA_CERTS), which stay trusted.
   */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /**
   * Client certificate (PEM) presented in the TLS handshake, for a connector created with
   * `New-InboundConnector -TlsSenderCertificateName`: its CN or a SAN must be that name.
   */
  readonly cert?: string | Buffer;
  /** Private key (PEM) of `cert`. */
  readonly key?: string | Buffer;
  /**
   * Refuse to send unless STARTTLS succeeded. Only `true` is accepted: mail never goes in the
   * clear (Exchange Online's MX endpoint always offers STARTTLS); `false` fails at creation.
   * @default true
   */
  readonly requireTLS?: boolean;
  /** Lowest TLS version. @default "TLSv1.2" */
  readonly minVersion?: "TLSv1.2" | "TLSv1.3";
  /** Name checked against the server certificate. @default the `host` */
  readonly servername?: string;
}

/** Direct send: no connector, internal recipients only. */
export interface RelayDirectSendOptions {
  /**
   * The tenant's accepted domains (`contoso.com`; `*.contoso.com` for its subdomains).
   * Exchange refuses anonymous mail to anyone else, so the transport refuses such a message
   * before connecting, with `RELAY_DENIED`.
   */
  readonly acceptedDomains: readonly string[];
}

/** Connection pool settings. */
export interface RelayPoolOptions {
  /** Connections kept open. @default 3 */
  readonly maxConnections?: number;
  /** Messages one connection sends before it is replaced. @default 100 */
  readonly maxMessages?: number;
}

/**
 * Options of `createRelayTransport`. Give exactly one of `host` and `domain`.
 * @since 0.1.0
 */
export interface RelayTransportOptions {
  /** The MX endpoint or relay host to connect to. Exactly one of `host` and `domain`. */
  readonly host?: string;
  /**
   * An accepted domain of the tenant: the host is its MX endpoint
   * (`contoso.com` → `contoso-com.mail.protection.outlook.com`, per `cloud`). Exactly one of
   * `host` and `domain`.
   */
  readonly domain?: string;
  /** Picks the MX suffix for `domain`. @default "global" */
  readonly cloud?: Cloud;
  /** Port of the MX endpoint. @default 25 */
  readonly port?: number;
  /** TLS settings. @default the system's CAs, TLS 1.2 or later, no client certificate */
  readonly tls?: RelayTlsOptions;
  /** Direct-send mode: refuse external recipients before connecting. @default off */
  readonly directSend?: RelayDirectSendOptions;
  /** Connection pool settings. @default 3 connections, 100 messages each */
  readonly pool?: RelayPoolOptions;
  /** What the mailer enforces; any field overrides the default. @default RELAY_DEFAULT_LIMITS */
  readonly limits?: Partial<TransportLimits>;
  /** Transport name in results, errors and events. @default "relay" */
  readonly name?: string;
  /** Host name announced in EHLO (some connectors and spam checks look at it). @default the machine's host name */
  readonly ehloName?: string;
  /**
   * Local address to connect from (IP-matched connectors see this address).
   * @default chosen by the operating system
   */
  readonly localAddress?: string;
  /** Time to open the TCP connection. @default 30_000 */
  readonly connectionTimeoutMs?: number;
  /** Time to wait for the greeting after connecting. @default 30_000 */
  readonly greetingTimeoutMs?: number;
  /** Inactivity allowed on an open connection. @default 600_000 */
  readonly socketTimeoutMs?: number;
  /** Receives the SMTP client's log lines. @default no logging */
  readonly logger?: RelayLogger;
}

/** Defaults for the relay path: connector relay has no per-mailbox message rate. */
export const RELAY_DEFAULT_LIMITS: TransportLimits = {
  maxConcurrency: 3,
  maxMessageBytes: 35 * 1024 * 1024,
};

/** Options after defaults and validation. */
export interface ResolvedRelayOptions extends ResolvedSmtpConnection {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly requireTLS: boolean;
  /** The TLS client certificate, for a certificate-matched connector. */
  readonly clientCertificate?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  readonly acceptedDomains?: readonly string[];
}

const DOMAIN = /^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/**
 * Validates the options and applies the defaults.
 * @throws MailError `INVALID_CONFIG` listing every problem with its fix.
 */
export function resolveRelayOptions(options: RelayTransportOptions): ResolvedRelayOptions {
  const issues = collectOptionIssues();
  const { problem } = issues;
  const input = (typeof options === "object" && options !== null ? options : {}) as
    | RelayTransportOptions
    | Record<string, never>;
  const name = input.name ?? "relay";

  let host = "";
  if ((input.host === undefined) === (input.domain === undefined)) {
    problem(
      input.host === undefined ? "host" : "domain",
      input.host === undefined ? "give host or domain" : "host and domain are both set",
      "Give exactly one: domain (an accepted domain such as contoso.com; the MX host is derived from it) or host (the relay endpoint).",
    );
  } else if (input.domain !== undefined) {
    if (typeof input.domain !== "string" || !DOMAIN.test(input.domain.trim())) {
      problem(
        "domain",
        "is not a domain name",
        "Set domain to an accepted domain, e.g. contoso.com.",
      );
    } else {
      try {
        host = mxHostForDomain(input.domain, input.cloud);
      } catch (error) {
        if (!MailError.isInstance(error)) throw error;
        problem("cloud", error.issues?.[0]?.message ?? error.message, error.hint ?? "");
      }
    }
  } else if (typeof input.host !== "string" || input.host.trim() === "") {
    problem("host", "must be a host name", "Set host to the relay endpoint.");
  } else {
    host = input.host;
  }

  const port = input.port ?? 25;
  if (!isPort(port)) {
    problem("port", "must be an integer from 1 to 65535", "Use port 25 (the MX endpoint's port).");
  }

  const tls = input.tls ?? {};
  const requireTLS = tls.requireTLS ?? true;
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    problem(
      tls.cert === undefined ? "tls.cert" : "tls.key",
      "a client certificate needs both cert and key",
      "Pass the certificate (PEM) in tls.cert and its private key (PEM) in tls.key.",
    );
  }
  for (const key of ["cert", "key"] as const) {
    const value: unknown = tls[key];
    if (value !== undefined && typeof value !== "string" && !Buffer.isBuffer(value)) {
      problem(
        `tls.${key}`,
        "must be PEM text (a string or Buffer)",
        "Read the PEM file and pass its content, e.g. readFileSync(path, 'utf8').",
      );
    }
  }
  if (!requireTLS) {
    problem(
      "tls.requireTLS",
      tls.cert !== undefined
        ? "a client certificate only works over TLS"
        : "mail would go in the clear to a server that does not offer STARTTLS",
      "Remove tls.requireTLS: TLS is never optional, and Exchange Online's MX endpoint always offers STARTTLS.",
    );
  }
  const connection = resolveSmtpConnection(input, problem, {
    defaultLimits: RELAY_DEFAULT_LIMITS,
    maxConnections: { default: 3 },
    tlsHints: {
      minVersion: "Remove tls.minVersion or set it to TLSv1.2 or TLSv1.3.",
      rejectUnauthorized:
        "Remove tls.rejectUnauthorized and pass the server's CA in tls.ca instead.",
    },
  });

  let acceptedDomains: string[] | undefined;
  if (input.directSend !== undefined) {
    const domains = input.directSend?.acceptedDomains;
    if (!Array.isArray(domains) || domains.length === 0) {
      problem(
        "directSend.acceptedDomains",
        "must list at least one accepted domain",
        "List the tenant's accepted domains, e.g. directSend: { acceptedDomains: ['contoso.com'] }.",
      );
    } else {
      acceptedDomains = [];
      domains.forEach((domain, index) => {
        if (typeof domain !== "string" || !DOMAIN.test(domain.trim())) {
          problem(
            `directSend.acceptedDomains[${index}]`,
            "is not a domain name",
            "Use plain domain names (contoso.com) or *.contoso.com for subdomains.",
          );
        } else {
          acceptedDomains?.push(domain.trim().toLowerCase());
        }
      });
    }
  }

  if (issues.count > 0) throw issues.toError(name, "relay transport");

  return {
    name,
    host,
    port,
    requireTLS,
    ...connection,
    ...(tls.cert !== undefined &&
      tls.key !== undefined && { clientCertificate: { cert: tls.cert, key: tls.key } }),
    ...(acceptedDomains !== undefined && { acceptedDomains }),
  };
}

/** Whether `address` is in one of the accepted domains (`*.contoso.com` covers subdomains). */
export function isInAcceptedDomain(address: string, acceptedDomains: readonly string[]): boolean {
  const domain = address.slice(address.lastIndexOf("@") + 1).toLowerCase();
  return acceptedDomains.some((accepted) =>
    accepted.startsWith("*.") ? domain.endsWith(accepted.slice(1)) : domain === accepted,
  );
}
