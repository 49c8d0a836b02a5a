import type { MailErrorCode } from "../errors/codes.js";
import { MailError, type SmtpReplyInfo } from "../errors/mail-error.js";
import { redactSecrets } from "../errors/redact.js";
import { classifyHttpError, classifyNetworkError, classifySmtpReply } from "./classify.js";
import { parseSmtpReply } from "./parse.js";
import type { Classification, HttpErrorInput } from "./types.js";

/**
 * Where an SMTP failure happened and what to hide.
 * @since 0.1.0
 */
export interface SmtpErrorContext {
  /** The transport's name, copied to `MailError.transport`. */
  readonly transport: string;
  /** Passwords, tokens and keys the transport knows: removed from every text. */
  readonly secrets?: readonly (string | undefined)[];
  /**
   * `after-data` when the message body was fully sent before the failure; a failure with
   * no reply then is `ambiguous` (the server may have accepted the message). Without it,
   * nodemailer's `command` (`DATA`, `BDAT`) decides.
   */
  readonly phase?: "before-data" | "after-data";
}

/**
 * Where an HTTP failure happened and what to hide.
 * @since 0.1.0
 */
export interface HttpErrorContext {
  readonly transport: string;
  readonly secrets?: readonly (string | undefined)[];
  /** The request may have been accepted (for example the response never arrived). */
  readonly ambiguous?: boolean;
  /** Current time in ms, for an HTTP-date `Retry-After`. @default Date.now() */
  readonly now?: number;
}

interface NodemailerLike {
  readonly code?: string;
  readonly originalCode?: string;
  readonly responseCode?: number;
  readonly response?: string;
  readonly command?: string;
  readonly message?: string;
  readonly rejected?: readonly string[];
  readonly rejectedErrors?: readonly NodemailerLike[];
}

function read(value: unknown): NodemailerLike {
  if (typeof value !== "object" || value === null) {
    return value === undefined ? {} : { message: String(value) };
  }
  const source = value as Record<string, unknown>;
  // A throwing getter reads as absent: the error being mapped must not turn into another.
  const field = (key: string): unknown => {
    try {
      return source[key];
    } catch {
      return undefined;
    }
  };
  const text = (key: string) => {
    const value = field(key);
    return typeof value === "string" ? value : undefined;
  };
  const responseCode = field("responseCode");
  const rejected = field("rejected");
  const rejectedErrors = field("rejectedErrors");
  const result: Record<string, unknown> = {};
  for (const key of ["code", "originalCode", "response", "command", "message"]) {
    const value = text(key);
    if (value !== undefined) result[key] = value;
  }
  if (typeof responseCode === "number" && Number.isFinite(responseCode)) {
    result.responseCode = responseCode;
  }
  if (Array.isArray(rejected)) result.rejected = rejected.map(String);
  if (Array.isArray(rejectedErrors)) result.rejectedErrors = rejectedErrors.map(read);
  return result as NodemailerLike;
}

const DATA_COMMAND = /^(?:DATA|BDAT)\b/i;
const STARTTLS_COMMAND = /^STARTTLS\b/i;
const MAIL_FROM_COMMAND = /^MAIL FROM\b/i;

// A refused STARTTLS (502 when the server does not know it, 454 when it cannot): the client
// stops there rather than authenticate in the clear, so the failure is about TLS, whatever
// the reply code says.
function refusedStarttls(replyCode: number): Classification {
  return {
    code: "TLS_ERROR",
    retryable: replyCode < 500,
    hint: "The server did not upgrade the connection with STARTTLS, so nothing was authenticated or sent: check host and port (smtp.office365.com:587 for submission, the MX host on 25 for relay) and that no proxy or firewall strips STARTTLS.",
    ruleId: "smtp-starttls-refused",
  };
}

// nodemailer failures that carry no server reply and are not network errors.
function classifyClientSide(fields: NodemailerLike): Classification | undefined {
  const message = fields.message ?? "";
  const of = (
    code: MailErrorCode,
    hint: string,
    ruleId: string,
    retryable = false,
  ): Classification => ({ code, retryable, hint, ruleId });
  switch (fields.code) {
    case "EAUTH":
      return /missing credentials/i.test(message)
        ? of(
            "INVALID_CONFIG",
            "No credentials were configured: set auth.user with auth.pass, an accessToken or a tokenProvider.",
            "nodemailer-missing-credentials",
          )
        : of(
            "AUTH_FAILED",
            "Authentication failed before the server answered: check the auth options and that the server offers the chosen method (AUTH LOGIN or XOAUTH2) after STARTTLS.",
            "nodemailer-auth",
          );
    case "ENOAUTH":
    case "ECONFIG":
      return of(
        "INVALID_CONFIG",
        "The SMTP options are incomplete or wrong: set auth.user with auth.pass, an accessToken or a tokenProvider, and check host and port.",
        "nodemailer-config",
      );
    case "EOAUTH2":
      return of(
        "AUTH_FAILED",
        "No OAuth token could be obtained for XOAUTH2: check the token provider (client id, secret or certificate, tenant, scope https://outlook.office365.com/.default).",
        "nodemailer-oauth2",
      );
    case "EMAXRECIPIENTS":
      return of(
        "INVALID_MESSAGE",
        "The message has more recipients than allowed: split it (Exchange accepts 500 recipients per message by default).",
        "nodemailer-max-recipients",
      );
    case "EMESSAGE":
      return /size/i.test(message)
        ? of(
            "MESSAGE_TOO_LARGE",
            "The message is larger than the SIZE the server announced: reduce attachments or raise the mailbox's MaxSendSize.",
            "nodemailer-size",
          )
        : of(
            "INVALID_MESSAGE",
            "The message could not be sent as built: check its content.",
            "nodemailer-message",
          );
    case "EENVELOPE":
      return of(
        "INVALID_MESSAGE",
        "The envelope is not valid: give a sender and at least one recipient.",
        "nodemailer-envelope",
      );
    case "ESTREAM":
      return of(
        "INVALID_MESSAGE",
        "An attachment or body stream failed while the message was read: check the stream or file.",
        "nodemailer-stream",
      );
    default:
      return undefined;
  }
}

/**
 * Turns anything an SMTP transport caught (a nodemailer error, a socket error, a string,
 * `undefined`) into a `MailError`: classified from the server's reply when there is one,
 * else from the network code. Every text is redacted of `context.secrets`. A `MailError`
 * is returned unchanged.
 *
 * @param error what the transport caught
 * @param context the transport's name, its secrets and how far the exchange got
 * @returns the `MailError` to throw
 * @example
 * catch (error) { throw smtpErrorToMailError(error, { transport: "smtp", secrets: [pass] }) }
 * @since 0.1.0
 */
export function smtpErrorToMailError(error: unknown, context: SmtpErrorContext): MailError {
  if (MailError.isInstance(error)) return error;
  const secrets = context.secrets ?? [];
  const redact = (text: string) => redactSecrets(text, secrets);
  const fields = read(error);

  // EENVELOPE puts each recipient's reply in rejectedErrors; use the first when the
  // error itself carries none.
  const firstRejected = fields.rejectedErrors?.find((item) => item.response || item.responseCode);
  const response = fields.response ?? firstRejected?.response;
  const parsed = response !== undefined ? parseSmtpReply(response) : undefined;
  const replyCode = fields.responseCode ?? firstRejected?.responseCode ?? parsed?.replyCode;
  const isReply = replyCode !== undefined && replyCode >= 400 && replyCode < 600;

  let classification: Classification;
  let smtp: SmtpReplyInfo | undefined;
  if (isReply) {
    const text = response ?? String(replyCode);
    classification = STARTTLS_COMMAND.test(fields.command ?? "")
      ? refusedStarttls(replyCode)
      : classifySmtpReply({
          replyCode,
          response: text,
          ...(fields.command !== undefined && { command: fields.command }),
        });
    const enhancedCode = parsed?.enhancedCode;
    smtp = {
      replyCode,
      ...(enhancedCode !== undefined && { enhancedCode }),
      response: redact(text),
    };
  } else {
    classification = classifyClientSide(fields) ?? classifyNetworkError(fields);
  }

  const noReply = !isReply && classification.code !== "ABORTED";
  const afterData =
    context.phase === "after-data" ||
    (context.phase === undefined && DATA_COMMAND.test(fields.command ?? ""));
  const ambiguous =
    noReply && afterData && !["INVALID_MESSAGE", "INVALID_CONFIG"].includes(classification.code);

  const detail = isReply
    ? `server replied: ${response ?? replyCode}`
    : fields.message || fields.code || "unknown error";
  // Name the party the server refused: a refused sender is reported as such even when
  // nodemailer lists the recipients (Postfix checks the sender at RCPT TO by default, so every
  // recipient "fails" with "Sender address rejected").
  const senderRefused =
    isReply &&
    (classification.code === "SEND_AS_DENIED" || MAIL_FROM_COMMAND.test(fields.command ?? ""));
  const rejected = senderRefused
    ? " (refused: the sender)"
    : fields.rejected?.length
      ? ` (rejected: ${fields.rejected.join(", ")})`
      : "";

  return new MailError({
    code: classification.code,
    message: redact(`${context.transport}: ${detail}${rejected}`),
    retryable: classification.retryable,
    transport: context.transport,
    ...(classification.retryAfterMs !== undefined && {
      retryAfterMs: classification.retryAfterMs,
    }),
    ...(smtp && { smtp }),
    hint: redact(classification.hint),
    ...(ambiguous && { ambiguous: true }),
  });
}

/**
 * Turns a Graph or Entra HTTP error into a `MailError` with `http: { status, code, requestId }`
 * and `retryAfterMs` from `Retry-After`. Every text is redacted of `context.secrets`.
 * @param error the status, error code, message, request id and `Retry-After` of the response
 * @param context the transport's name, its secrets, whether it is ambiguous and the clock
 * @returns the `MailError` to throw
 * @since 0.1.0
 */
export function httpErrorToMailError(error: HttpErrorInput, context: HttpErrorContext): MailError {
  if (MailError.isInstance(error)) return error;
  const secrets = context.secrets ?? [];
  const redact = (text: string) => redactSecrets(text, secrets);
  const status = Number(error?.status) || 0;
  const code = typeof error?.code === "string" ? error.code : undefined;
  const message = typeof error?.message === "string" ? error.message : undefined;
  const requestId = typeof error?.requestId === "string" ? error.requestId : undefined;
  const classification = classifyHttpError(
    { status, code, message, retryAfter: error?.retryAfter ?? null },
    context.now === undefined ? {} : { now: context.now },
  );
  const summary = [`HTTP ${status}`, code, message].filter(Boolean).join(" ");
  return new MailError({
    code: classification.code,
    message: redact(`${context.transport}: ${summary}`),
    retryable: classification.retryable,
    transport: context.transport,
    ...(classification.retryAfterMs !== undefined && {
      retryAfterMs: classification.retryAfterMs,
    }),
    http: {
      status,
      ...(code !== undefined && { code: redact(code) }),
      ...(requestId !== undefined && { requestId }),
    },
    hint: redact(classification.hint),
    ...(context.ambiguous && { ambiguous: true }),
  });
}
