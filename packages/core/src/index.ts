// Public API of @mailpath/core. Explicit named re-exports only.

export { CLOUDS, type Cloud, type CloudEndpoints, mxHostForDomain, resolveCloud } from "./cloud.js";
export type {
  Address,
  AddressInput,
  AddressListInput,
  Attachment,
  AttachmentContent,
  GetTokenOptions,
  Importance,
  MailMessage,
  NormalizedAttachment,
  NormalizedMessage,
  TokenProvider,
  Transport,
  TransportLimits,
  TransportReceipt,
  TransportSendOptions,
} from "./contract/index.js";
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
