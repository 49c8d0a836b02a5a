// The configuration: described once by its zod schema (config/schema.ts, which the public types
// are derived from), checked across fields (config/requirements.ts), its PEM files loaded
// (config/pem.ts) and resolved (config/resolve.ts). This module is what the rest of the package
// and its public entry import.
export type { LoadedClientCertificate } from "./config/pem.js";
export {
  type ConfigSource,
  invalidConfig,
  labeller,
  type ResolveConfigOptions,
  type ResolvedConfig,
  resolveConfig,
  suggest,
} from "./config/resolve.js";
export type {
  ConfigKey,
  EntraConfig,
  GraphConfig,
  MailpathConfig,
  OutboxConfig,
  RelayConfig,
  RetryConfig,
  SmtpConfig,
} from "./config/schema.js";
