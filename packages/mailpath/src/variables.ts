// Every MAILPATH_* environment variable: its config key, how its text is read, its default and
// an example. One table drives createMailerFromEnv, the names in INVALID_CONFIG messages and
// docs/configuration.md (a test checks that page lists every variable here).
import type { ConfigKey } from "./config/schema.js";

/**
 * How a variable's text becomes a config value.
 * @since 0.1.0
 */
export type VariableKind = "string" | "secret" | "file" | "integer" | "boolean" | "list";

/**
 * One environment variable.
 * @since 0.1.0
 */
export interface VariableSpec {
  /** `MAILPATH_SMTP_HOST` */
  readonly name: string;
  /** Dotted key of `MailpathConfig` it sets: `smtp.host`. */
  readonly key: string;
  readonly kind: VariableKind;
  /** Which paths read it (`*`: all). */
  readonly paths: readonly ("smtp" | "relay" | "graph" | "*")[];
  /** What it means, in one sentence. */
  readonly description: string;
  /** The default, in words. */
  readonly defaultValue?: string;
  readonly example: string;
}

/**
 * Every variable `createMailerFromEnv` reads. `MAILPATH_TRANSPORT` is the only one always
 * required; what else is required depends on the paths it names.
 * @since 0.1.0
 */
export const ENV_VARIABLES: readonly VariableSpec[] = [
  {
    name: "MAILPATH_TRANSPORT",
    key: "transport",
    kind: "string",
    paths: ["*"],
    description:
      "The path(s): `smtp`, `relay` or `graph`; a comma list is failover in that order; `path:weight` pairs are a weighted split.",
    defaultValue: "none: always required",
    example: "graph:10,smtp:90",
  },
  {
    name: "MAILPATH_FROM",
    key: "from",
    kind: "string",
    paths: ["*"],
    description: "Default sender for messages without `from` (an address or `Name <address>`).",
    defaultValue: "none: every message must then carry `from`",
    example: "Contoso Notifications <notifications@contoso.com>",
  },
  {
    name: "MAILPATH_CLOUD",
    key: "cloud",
    kind: "string",
    paths: ["*"],
    description:
      "Microsoft cloud: `global` (includes GCC), `usgov` (GCC High), `usgovdod` (DoD) or `china` (21Vianet); picks the hosts of every path.",
    defaultValue: "global",
    example: "usgov",
  },
  {
    name: "MAILPATH_TENANT_ID",
    key: "entra.tenantId",
    kind: "string",
    paths: ["graph", "smtp"],
    description:
      "Directory (tenant) ID of the Entra app registration (Graph, and SMTP with `MAILPATH_SMTP_AUTH=oauth`).",
    example: "8a6e2f4c-1b3d-4e5f-9a7b-0c1d2e3f4a5b",
  },
  {
    name: "MAILPATH_CLIENT_ID",
    key: "entra.clientId",
    kind: "string",
    paths: ["graph", "smtp"],
    description: "Application (client) ID of the app registration.",
    example: "3f1c9d2e-7a4b-4c5d-8e6f-1a2b3c4d5e6f",
  },
  {
    name: "MAILPATH_CLIENT_SECRET",
    key: "entra.clientSecret",
    kind: "secret",
    paths: ["graph", "smtp"],
    description:
      "The client secret's Value. Give this or `MAILPATH_CLIENT_CERTIFICATE_PATH`, not both.",
    defaultValue: "none: this or a certificate is required for graph and smtp with oauth",
    example: "(from your secret store)",
  },
  {
    name: "MAILPATH_CLIENT_CERTIFICATE_PATH",
    key: "entra.clientCertificate.path",
    kind: "file",
    paths: ["graph", "smtp"],
    description:
      "PEM file with the certificate registered on the app; it may also hold the private key (then `MAILPATH_CLIENT_CERTIFICATE_KEY_PATH` is not needed).",
    defaultValue: "none (use `MAILPATH_CLIENT_SECRET`)",
    example: "/run/secrets/mailpath-app.pem",
  },
  {
    name: "MAILPATH_CLIENT_CERTIFICATE_KEY_PATH",
    key: "entra.clientCertificate.keyPath",
    kind: "file",
    paths: ["graph", "smtp"],
    description:
      "PEM file with the certificate's RSA private key, when it is not in the certificate file.",
    defaultValue: "the key in `MAILPATH_CLIENT_CERTIFICATE_PATH`",
    example: "/run/secrets/mailpath-app.key",
  },
  {
    name: "MAILPATH_CLIENT_CERTIFICATE_PASSPHRASE",
    key: "entra.clientCertificate.passphrase",
    kind: "secret",
    paths: ["graph", "smtp"],
    description: "Passphrase of an encrypted private key.",
    defaultValue: "none (the key is not encrypted)",
    example: "(from your secret store)",
  },
  {
    name: "MAILPATH_AUTHORITY_HOST",
    key: "entra.authorityHost",
    kind: "string",
    paths: ["graph", "smtp"],
    description: "Entra authority host (an https origin), for private clouds and the emulator.",
    defaultValue: "the cloud's (`https://login.microsoftonline.com` for global)",
    example: "https://login.microsoftonline.us",
  },
  {
    name: "MAILPATH_GRAPH_BASE_URL",
    key: "graph.baseUrl",
    kind: "string",
    paths: ["graph"],
    description: "Graph root without the version segment, for private clouds and the emulator.",
    defaultValue: "the cloud's (`https://graph.microsoft.com` for global)",
    example: "https://graph.microsoft.us",
  },
  {
    name: "MAILPATH_GRAPH_MODE",
    key: "graph.mode",
    kind: "string",
    paths: ["graph"],
    description:
      "`auto` sends JSON unless the message needs MIME (a non-`X-` header, text and html, reply headers, a calendar part); `json` or `mime` force one.",
    defaultValue: "auto",
    example: "mime",
  },
  {
    name: "MAILPATH_GRAPH_MAILBOX",
    key: "graph.mailbox",
    kind: "string",
    paths: ["graph"],
    description:
      "Mailbox to send through (`/users/{mailbox}/sendMail`) when it is not the message's From (a user with Send As on a shared mailbox).",
    defaultValue: "the message's From address",
    example: "notifications@contoso.com",
  },
  {
    name: "MAILPATH_SAVE_TO_SENT_ITEMS",
    key: "graph.saveToSentItems",
    kind: "boolean",
    paths: ["graph"],
    description:
      "Keep a copy in the sender's Sent Items when sending by Graph (`true`/`false`). Messages sent through a draft and upload session are always kept.",
    defaultValue: "true",
    example: "false",
  },
  {
    name: "MAILPATH_SMTP_HOST",
    key: "smtp.host",
    kind: "string",
    paths: ["smtp"],
    description: "SMTP AUTH submission host.",
    defaultValue: "the cloud's (`smtp.office365.com` for global)",
    example: "smtp.office365.com",
  },
  {
    name: "MAILPATH_SMTP_PORT",
    key: "smtp.port",
    kind: "integer",
    paths: ["smtp"],
    description:
      "Submission port: 587 (recommended) or 25, both with STARTTLS. 465 (implicit TLS) is refused on every host.",
    defaultValue: "587",
    example: "587",
  },
  {
    name: "MAILPATH_SMTP_AUTH",
    key: "smtp.auth",
    kind: "string",
    paths: ["smtp"],
    description:
      "`password` (Basic auth: `MAILPATH_SMTP_PASSWORD`) or `oauth` (XOAUTH2 with an app-only token from the Entra variables).",
    defaultValue:
      "`password` when `MAILPATH_SMTP_PASSWORD` is set, else `oauth` when `MAILPATH_CLIENT_ID` is set",
    example: "oauth",
  },
  {
    name: "MAILPATH_SMTP_USER",
    key: "smtp.user",
    kind: "string",
    paths: ["smtp"],
    description:
      "Mailbox that authenticates (its UPN); with app-only OAuth, a mailbox the app has FullAccess on.",
    example: "notifications@contoso.com",
  },
  {
    name: "MAILPATH_SMTP_PASSWORD",
    key: "smtp.password",
    kind: "secret",
    paths: ["smtp"],
    description: "The mailbox's password, for `MAILPATH_SMTP_AUTH=password`. Ignored with `oauth`.",
    defaultValue: "none: required for smtp with password auth",
    example: "(from your secret store)",
  },
  {
    name: "MAILPATH_RELAY_HOST",
    key: "relay.host",
    kind: "string",
    paths: ["relay"],
    description: "Relay endpoint to connect to. Give this or `MAILPATH_RELAY_DOMAIN`.",
    defaultValue: "none: this or `MAILPATH_RELAY_DOMAIN` is required for relay",
    example: "contoso-com.mail.protection.outlook.com",
  },
  {
    name: "MAILPATH_RELAY_DOMAIN",
    key: "relay.domain",
    kind: "string",
    paths: ["relay"],
    description:
      "An accepted domain; the host is its MX endpoint (`contoso.com` → `contoso-com.mail.protection.outlook.com`, per cloud).",
    defaultValue: "none: this or `MAILPATH_RELAY_HOST` is required for relay",
    example: "contoso.com",
  },
  {
    name: "MAILPATH_RELAY_PORT",
    key: "relay.port",
    kind: "integer",
    paths: ["relay"],
    description: "Relay port.",
    defaultValue: "25",
    example: "25",
  },
  {
    name: "MAILPATH_RELAY_CLIENT_CERT_PATH",
    key: "relay.clientCertPath",
    kind: "file",
    paths: ["relay"],
    description:
      "PEM client certificate for a connector matched by certificate (`-TlsSenderCertificateName`); needs `MAILPATH_RELAY_CLIENT_KEY_PATH`.",
    defaultValue: "none (the connector matches by IP, or direct send)",
    example: "/run/secrets/relay.contoso.com.pem",
  },
  {
    name: "MAILPATH_RELAY_CLIENT_KEY_PATH",
    key: "relay.clientKeyPath",
    kind: "file",
    paths: ["relay"],
    description: "PEM private key of the relay client certificate.",
    defaultValue: "none: required with `MAILPATH_RELAY_CLIENT_CERT_PATH`",
    example: "/run/secrets/relay.contoso.com.key",
  },
  {
    name: "MAILPATH_RELAY_LOCAL_ADDRESS",
    key: "relay.localAddress",
    kind: "string",
    paths: ["relay"],
    description:
      "Local IP address to connect from (the static IP an IP-matched connector lists), on hosts with several.",
    defaultValue: "chosen by the operating system",
    example: "203.0.113.10",
  },
  {
    name: "MAILPATH_RELAY_DIRECT_SEND_DOMAINS",
    key: "relay.directSendDomains",
    kind: "list",
    paths: ["relay"],
    description:
      "Direct send (no connector): the tenant's accepted domains, comma-separated. Messages to anyone else are refused before connecting, as Exchange would refuse them.",
    defaultValue: "none (connector relay: external recipients allowed)",
    example: "contoso.com,*.contoso.com",
  },
  {
    name: "MAILPATH_TLS_CA_FILE",
    key: "tls.caFile",
    kind: "file",
    paths: ["*"],
    description:
      "Extra trusted CA certificate(s), PEM, for every path and Entra: a private CA or the emulator's. Certificates are always verified.",
    defaultValue: "the system's CAs only",
    example: "/etc/ssl/private-ca.pem",
  },
  {
    name: "MAILPATH_TIMEOUT_MS",
    key: "timeoutMs",
    kind: "integer",
    paths: ["*"],
    description: "Longest one attempt may take before it is aborted with `TIMEOUT`.",
    defaultValue: "60000",
    example: "30000",
  },
  {
    name: "MAILPATH_MAX_ATTEMPTS",
    key: "retry.maxAttempts",
    kind: "integer",
    paths: ["*"],
    description: "Attempts per message, the first included; `1` turns retries off.",
    defaultValue: "3",
    example: "5",
  },
  {
    name: "MAILPATH_REDIS_URL",
    key: "outbox.redisUrl",
    kind: "secret",
    paths: ["*"],
    description:
      "Redis of the durable outbox (`createOutboxFromEnv` from `mailpath/outbox`, package `@mailpath/outbox`); it must not evict keys (`maxmemory-policy noeviction`).",
    defaultValue: "none: required by createOutboxFromEnv, unused otherwise",
    example: "redis://:password@redis.internal:6379",
  },
  {
    name: "MAILPATH_OUTBOX_PREFIX",
    key: "outbox.prefix",
    kind: "string",
    paths: ["*"],
    description:
      "Prefix of the outbox's Redis keys: services that share a Redis but not their queues use different prefixes.",
    defaultValue: "mailpath",
    example: "billing-mail",
  },
  {
    name: "MAILPATH_PROXY",
    key: "proxy",
    kind: "secret",
    paths: ["graph", "smtp"],
    description:
      "HTTPS proxy (HTTP CONNECT) for Graph and Entra, `user:password@` for Basic authentication; `off` connects directly. Without it `HTTPS_PROXY` and `NO_PROXY` apply.",
    defaultValue: "`HTTPS_PROXY` / `https_proxy`, bypassed for `NO_PROXY`",
    example: "http://proxy.contoso.com:3128",
  },
  {
    name: "MAILPATH_LOG_LEVEL",
    key: "log.level",
    kind: "string",
    paths: ["*"],
    description:
      "Log to stdout as JSON lines from this level: `debug` (with the SMTP dialogue and Graph requests), `info`, `warn`, `error`, or `silent`.",
    defaultValue: "silent: no logging",
    example: "info",
  },
  {
    name: "MAILPATH_OTEL",
    key: "telemetry",
    kind: "boolean",
    paths: ["*"],
    description:
      "OpenTelemetry spans and metrics through the global providers (`on`/`off`); needs `@opentelemetry/api` installed.",
    defaultValue: "off",
    example: "on",
  },
] satisfies readonly (VariableSpec & { readonly key: ConfigKey })[];

/** The variable that sets a config key, if any. */
export const VARIABLE_BY_KEY: ReadonlyMap<string, VariableSpec> = new Map(
  ENV_VARIABLES.map((variable) => [variable.key, variable]),
);

/** A variable by name. */
export const VARIABLE_BY_NAME: ReadonlyMap<string, VariableSpec> = new Map(
  ENV_VARIABLES.map((variable) => [variable.name, variable]),
);
