// Public API of the Exchange classifier. Re-exported from the package index.

export {
  classifyHttpError,
  classifyNetworkError,
  classifySmtpReply,
  findHttpRule,
  findNetworkRule,
  findSmtpRule,
  type NetworkErrorInput,
  type SmtpReplyInput,
} from "./classify.js";
export { CODE_DOCS, type CodeDoc } from "./code-docs.js";
export { BASIC_SMTP_RULES, GENERIC_SMTP_RULES } from "./generic-smtp-rules.js";
export { HTTP_FALLBACK_4XX, HTTP_FALLBACK_OTHER, HTTP_RULES } from "./http-rules.js";
export { NETWORK_FALLBACK, NETWORK_RULES } from "./network-rules.js";
export { type ParsedSmtpReply, parseRetryAfter, parseSmtpReply } from "./parse.js";
export {
  SMTP_FALLBACK_4XX,
  SMTP_FALLBACK_5XX,
  SMTP_FALLBACK_OTHER,
  SMTP_RULES,
} from "./smtp-rules.js";
export {
  type HttpErrorContext,
  httpErrorToMailError,
  type SmtpErrorContext,
  smtpErrorToMailError,
} from "./to-mail-error.js";
export type {
  Classification,
  EnhancedRange,
  HttpErrorInput,
  HttpRule,
  NetworkRule,
  SmtpRule,
} from "./types.js";
