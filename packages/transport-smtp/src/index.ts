// Public API of @mailpath/transport-smtp. Explicit named re-exports only.
export type { SmtpLogger } from "./engine/logger.js";
export {
  MAX_CONNECTIONS_PER_MAILBOX,
  SMTP_DEFAULT_LIMITS,
  type SmtpAccessTokenAuth,
  type SmtpAuth,
  type SmtpPasswordAuth,
  type SmtpPoolOptions,
  type SmtpTlsOptions,
  type SmtpTokenProviderAuth,
  type SmtpTransportOptions,
} from "./options.js";
export { createSmtpTransport, type SmtpTransport } from "./smtp-transport.js";
