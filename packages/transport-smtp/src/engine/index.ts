/**
 * `@mailpath/transport-smtp/engine`: the building blocks of SMTP-based transports — the
 * relay transport (`@mailpath/transport-relay`) and anyone writing their own transport that
 * sends over SMTP with nodemailer. SMTP AUTH (`createSmtpTransport`) is built from them too.
 *
 * - `createSmtpEngine`: send / verify / close over a nodemailer pool, with abort, receipts and
 *   failures classified by core's `smtpErrorToMailError` (with the phase, for ambiguity);
 * - `resolveSmtpConnection`, `collectOptionIssues`: the options every SMTP transport shares
 *   (TLS floor and verification, pool, limits, timeouts), validated with `INVALID_CONFIG`;
 * - `toNodemailerMessage`, `toNodemailerLogger`, `trackMessageStreams`, `toSmtpReceipt`: the
 *   pieces the engine is made of, for a transport that drives nodemailer itself.
 *
 * Explicit named re-exports only.
 * @since 0.1.0
 */
export { type SmtpLogger, toNodemailerLogger } from "./logger.js";
export { toNodemailerMessage } from "./nodemailer-message.js";
export {
  collectOptionIssues,
  isPort,
  type OptionIssues,
  type OptionProblem,
  type ResolvedSmtpConnection,
  resolveSmtpConnection,
  type SmtpConnectionInput,
  type SmtpConnectionRules,
} from "./options.js";
export {
  createSmtpEngine,
  type SmtpEndpoint,
  type SmtpEngine,
  type SmtpEngineOptions,
  type SmtpRetryOnce,
  type SmtpSendProgress,
  toSmtpPoolOptions,
  toSmtpReceipt,
  trackMessageStreams,
} from "./smtp-engine.js";
