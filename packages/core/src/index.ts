// Public API of @mailpath/core. Explicit named re-exports only.

export {
  classifyHttpError,
  classifyNetworkError,
  classifySmtpReply,
  type NetworkErrorInput,
  type SmtpReplyInput,
} from "./classifier/classify.js";
export { type ParsedSmtpReply, parseRetryAfter, parseSmtpReply } from "./classifier/parse.js";
export {
  type HttpErrorContext,
  httpErrorToMailError,
  type SmtpErrorContext,
  smtpErrorToMailError,
} from "./classifier/to-mail-error.js";
export type { Classification, HttpErrorInput } from "./classifier/types.js";
export { CLOUDS, type Cloud, type CloudEndpoints, mxHostForDomain, resolveCloud } from "./cloud.js";
export type { Logger, LogLevel } from "./contract/logger.js";
export type {
  Address,
  AddressInput,
  AddressListInput,
  Attachment,
  AttachmentContent,
  Importance,
  MailMessage,
  NormalizedAttachment,
  NormalizedMessage,
} from "./contract/message.js";
export type {
  GetTokenOptions,
  PathEvent,
  PathFailure,
  TokenProvider,
  Transport,
  TransportLimits,
  TransportReceipt,
  TransportRouter,
  TransportSendOptions,
} from "./contract/transport.js";
export {
  isMailErrorCode,
  MAIL_ERROR_CODES,
  type MailErrorCode,
  PATH_FAILURE_CODES,
} from "./errors/codes.js";
export {
  type HttpErrorInfo,
  MailError,
  type MailErrorOptions,
  type MailIssue,
  type SmtpReplyInfo,
} from "./errors/mail-error.js";
export { redactSecrets, scrubText } from "./errors/redact.js";
export { safeCause } from "./errors/safe-cause.js";
export {
  type CloseOptions,
  createMailer,
  type Mailer,
  type MailerEvent,
  type MailerEvents,
  type MailerOptions,
  type SendOptions,
  type SendResult,
} from "./mailer.js";
export { MAILER_EVENTS } from "./mailer-events.js";
export {
  formatAddress,
  isValidAddress,
  type ParsedAddress,
  parseAddressInput,
} from "./message/address.js";
export { contentTypeFor } from "./message/content-type.js";
export { defaultMessageId, type NormalizeOptions, normalizeMessage } from "./message/normalize.js";
export {
  type AbortListener,
  type AbortSignalLike,
  attemptAbortSignal,
} from "./resilience/attempt-options.js";
export {
  type BreakerState,
  type CircuitBreakerOptions,
  isPathFailure,
} from "./resilience/circuit-breaker.js";
export { MAX_DELAY_MS } from "./resilience/delays.js";
export type { RateLimitOptions } from "./resilience/rate-limiter.js";
export type { RetryOptions } from "./resilience/retry.js";
export { failover, type RoutingOptions } from "./routing/failover.js";
export { type WeightedOptions, type WeightedPath, weighted } from "./routing/weighted.js";
export type { TelemetryOptions } from "./telemetry/options.js";
export {
  captureTraceContext,
  type RequestSpan,
  type RequestSpanOutcome,
  startRequestSpan,
  withTraceContext,
} from "./telemetry/request-span.js";
export { withDefaultRoots } from "./tls/default-roots.js";
