import { BASIC_SMTP_RULES, GENERIC_SMTP_RULES } from "./generic-smtp-rules.js";
import { HTTP_FALLBACK_4XX, HTTP_FALLBACK_OTHER, HTTP_RULES } from "./http-rules.js";
import { NETWORK_FALLBACK, NETWORK_RULES } from "./network-rules.js";
import { parseRetryAfter, parseSmtpReply } from "./parse.js";
import {
  SMTP_FALLBACK_4XX,
  SMTP_FALLBACK_5XX,
  SMTP_FALLBACK_OTHER,
  SMTP_RULES,
} from "./smtp-rules.js";
import type { Classification, HttpErrorInput, HttpRule, NetworkRule, SmtpRule } from "./types.js";

/**
 * An SMTP reply to classify.
 * @since 0.1.0
 */
export interface SmtpReplyInput {
  /** `535`; `0`/`NaN` when unknown (then taken from `response`). */
  readonly replyCode: number;
  /** `5.7.139`; parsed from `response` when omitted. */
  readonly enhancedCode?: string;
  /** The server's full reply. */
  readonly response: string;
  /**
   * The command the server answered (`MAIL FROM`, `RCPT TO`, `DATA`, nodemailer's `command`):
   * a refusal of MAIL FROM refuses the sender, not a recipient.
   */
  readonly command?: string;
}

/**
 * A network or TLS error to classify.
 * @since 0.1.0
 */
export interface NetworkErrorInput {
  readonly code?: string;
  readonly originalCode?: string;
  readonly message?: string;
}

function fromRule(
  rule: Pick<SmtpRule, "id" | "code" | "retryable" | "hint" | "retryAfterMs">,
  retryAfterMs = rule.retryAfterMs,
): Classification {
  return {
    code: rule.code,
    retryable: rule.retryable,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    hint: rule.hint,
    ruleId: rule.id,
  };
}

function enhancedMatches(rule: SmtpRule, enhanced: string | undefined): boolean {
  if (rule.enhanced === undefined) return true;
  if (enhanced === undefined) return false;
  if (typeof rule.enhanced === "string") return rule.enhanced === enhanced;
  const { prefix, from, to } = rule.enhanced;
  if (!enhanced.startsWith(`${prefix}.`)) return false;
  const detail = Number(enhanced.slice(prefix.length + 1));
  return detail >= from && detail <= to;
}

/**
 * The SMTP row that matches a reply (fallbacks included).
 * @param reply the reply code, enhanced status code and text
 * @returns the first matching row of `SMTP_RULES`, else a fallback row
 * @since 0.1.0
 */
export function findSmtpRule(reply: SmtpReplyInput): SmtpRule {
  const parsed = parseSmtpReply(reply.response ?? "");
  const replyCode =
    Number.isInteger(reply.replyCode) && reply.replyCode > 0 ? reply.replyCode : parsed.replyCode;
  const enhanced = reply.enhancedCode?.trim() || parsed.enhancedCode;
  const text = String(reply.response ?? "");
  const command = typeof reply.command === "string" ? reply.command.trim() : "";
  const replyClass = replyCode !== undefined ? Math.floor(replyCode / 100) : Number(enhanced?.[0]);
  const matches = (rule: SmtpRule) =>
    (rule.replyCode === undefined || rule.replyCode === replyCode) &&
    (rule.replyClass === undefined || rule.replyClass === replyClass) &&
    enhancedMatches(rule, enhanced) &&
    (rule.command === undefined || rule.command.test(command)) &&
    (rule.text === undefined || rule.text.test(text));
  // Exchange Online's own replies first, then what every server means by the enhanced code
  // and its words, then (for a reply without an enhanced code) the basic reply code.
  const rule =
    SMTP_RULES.find(matches) ??
    GENERIC_SMTP_RULES.find(matches) ??
    (enhanced === undefined ? BASIC_SMTP_RULES.find(matches) : undefined);
  if (rule) return rule;
  if (replyClass === 4) return SMTP_FALLBACK_4XX;
  if (replyClass === 5) return SMTP_FALLBACK_5XX;
  return SMTP_FALLBACK_OTHER;
}

/**
 * Classifies an SMTP reply: the first row of `SMTP_RULES` (Exchange Online) whose reply code,
 * enhanced status code and text match; else the first of `GENERIC_SMTP_RULES` (RFC 3463
 * enhanced codes and the words every server uses, with the refused command); else, for a
 * reply without an enhanced code, `BASIC_SMTP_RULES` (RFC 5321 / RFC 4954 reply codes); else
 * by reply class (4xx transient `SERVER_ERROR`, 5xx permanent `UNKNOWN`).
 *
 * @param reply the reply code, enhanced status code and text
 * @returns the code, retryability, hint and the id of the row used
 * @example classifySmtpReply({ replyCode: 535, response: "535 5.7.139 Authentication unsuccessful, basic authentication is disabled." })
 * // { code: "AUTH_DISABLED", retryable: false, hint: "Basic authentication is blocked …", ruleId: "smtp-basic-auth-disabled" }
 * @since 0.1.0
 */
export function classifySmtpReply(reply: SmtpReplyInput): Classification {
  return fromRule(findSmtpRule(reply));
}

function statusMatches(rule: HttpRule, status: number): boolean {
  if (rule.status === undefined) return true;
  if (typeof rule.status === "number") return rule.status === status;
  return Math.floor(status / 100) === Number(rule.status[0]);
}

/**
 * The HTTP row that matches an error (fallbacks included).
 * @param error the status, error code and message of the response
 * @returns the first matching row of `HTTP_RULES`, else a fallback row
 * @since 0.1.0
 */
export function findHttpRule(error: HttpErrorInput): HttpRule {
  const status = Number(error.status);
  const errorCode = (error.code ?? "").toLowerCase();
  const text = `${error.code ?? ""} ${error.message ?? ""}`;
  for (const rule of HTTP_RULES) {
    if (!statusMatches(rule, status)) continue;
    if (rule.errorCode !== undefined && rule.errorCode.toLowerCase() !== errorCode) continue;
    if (rule.text && !rule.text.test(text)) continue;
    return rule;
  }
  return Math.floor(status / 100) === 4 ? HTTP_FALLBACK_4XX : HTTP_FALLBACK_OTHER;
}

/**
 * Classifies a Graph or Entra HTTP error. `retryAfterMs` comes from `Retry-After` (seconds
 * or HTTP-date) when present, else from the row.
 *
 * @param error the status, error code, message and `Retry-After` of the response
 * @param options.now Current time in ms, for an HTTP-date `Retry-After`. @default Date.now()
 * @returns the code, retryability, `retryAfterMs`, hint and the id of the row used
 * @since 0.1.0
 */
export function classifyHttpError(
  error: HttpErrorInput,
  options: { readonly now?: number } = {},
): Classification {
  const rule = findHttpRule(error);
  const fromHeader = parseRetryAfter(error.retryAfter, options.now ?? Date.now());
  return fromRule(rule, fromHeader ?? rule.retryAfterMs);
}

function matchByCode(code: string | undefined): NetworkRule | undefined {
  if (typeof code !== "string" || code === "") return undefined;
  return NETWORK_RULES.find((rule) =>
    rule.codes.some((pattern) =>
      pattern.endsWith("*") ? code.startsWith(pattern.slice(0, -1)) : code === pattern,
    ),
  );
}

/**
 * The network row that matches an error (fallback included).
 * @param error the `code`, `originalCode` and message of what was thrown
 * @returns the matching row of `NETWORK_RULES`, else `NETWORK_FALLBACK`
 * @since 0.1.0
 */
export function findNetworkRule(error: NetworkErrorInput): NetworkRule {
  const message = typeof error.message === "string" ? error.message : "";
  // originalCode is the socket's own code (DEPTH_ZERO_SELF_SIGNED_CERT) where nodemailer
  // replaced `code` with its generic ESOCKET/ECONNECTION, so it wins; then a certificate or
  // TLS failure named only in the message; then the generic code.
  return (
    matchByCode(error.originalCode) ??
    NETWORK_RULES.find((rule) => rule.code === "TLS_ERROR" && rule.text?.test(message)) ??
    matchByCode(error.code) ??
    NETWORK_RULES.find((rule) => rule.text?.test(message)) ??
    NETWORK_FALLBACK
  );
}

/**
 * Classifies a network or TLS error from its Node.js or nodemailer `code` / `originalCode`
 * (ECONNREFUSED, ETIMEDOUT, ECONNRESET, DEPTH_ZERO_SELF_SIGNED_CERT, ERR_SSL_*, …).
 * @param error the `code`, `originalCode` and message of what was thrown
 * @returns the code, retryability, hint and the id of the row used
 * @since 0.1.0
 */
export function classifyNetworkError(error: NetworkErrorInput): Classification {
  return fromRule(findNetworkRule(error ?? {}));
}
