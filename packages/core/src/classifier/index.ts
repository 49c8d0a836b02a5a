// `@mailpath/core/classifier`: the rule tables behind the Exchange classifier, for tools that
// document or test the mapping (mailpath's docs check reads them). The classify functions
// themselves are exported from `@mailpath/core`; fallbacks, rule finders and the code
// documentation table stay internal.

export { BASIC_SMTP_RULES, GENERIC_SMTP_RULES } from "./generic-smtp-rules.js";
export { HTTP_RULES } from "./http-rules.js";
export { NETWORK_RULES } from "./network-rules.js";
export { SMTP_RULES } from "./smtp-rules.js";
export type { EnhancedRange, HttpRule, NetworkRule, SmtpRule } from "./types.js";
