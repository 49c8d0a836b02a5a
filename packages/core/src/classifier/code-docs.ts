import type { MailErrorCode } from "../errors/codes.js";

/**
 * What a `MailErrorCode` means for the person reading it.
 * @since 0.1.0
 */
export interface CodeDoc {
  readonly meaning: string;
  /** `yes`, `no`, or when it depends, on what. */
  readonly retryable: string;
  readonly action: string;
}

/**
 * One entry per `MailErrorCode` (the `Record` type makes a missing one a compile error).
 * @since 0.1.0
 */
export const CODE_DOCS: Readonly<Record<MailErrorCode, CodeDoc>> = {
  INVALID_MESSAGE: {
    meaning: "The message failed validation, or the service refused its content or format.",
    retryable: "no",
    action: "Fix the fields listed in `issues` (or the header/MIME problem the server named).",
  },
  INVALID_CONFIG: {
    meaning: "A transport or mailer option is wrong or missing.",
    retryable: "no",
    action: "Fix the named option; it is raised when the transport or mailer is created.",
  },
  AUTH_FAILED: {
    meaning:
      "Credentials were refused: wrong password, bad or expired token or secret, wrong app or tenant id, missing mailbox permission.",
    retryable: "no",
    action:
      "Fix the credentials or the app set-up the hint names (client secret, token scope, service principal, mailbox permission).",
  },
  AUTH_DISABLED: {
    meaning:
      "The tenant or mailbox turned the authentication method off (SMTP AUTH disabled, Basic blocked or retired).",
    retryable: "no",
    action:
      "Enable SMTP AUTH for the mailbox (`Set-CASMailbox -SmtpClientAuthenticationDisabled $false`) or move to OAuth or Graph.",
  },
  TLS_ERROR: {
    meaning: "TLS could not be negotiated, or the server's certificate was not trusted.",
    retryable: "no",
    action:
      "Use TLS 1.2+, connect by the certificate's host name, and pass the right CA in `tls.ca`.",
  },
  SEND_AS_DENIED: {
    meaning:
      "The authenticated identity may not send as the From address, or the server refused the sender address.",
    retryable: "no, except a temporary refusal such as `450 4.1.8` sender domain not found",
    action:
      "Grant Send As (`Add-RecipientPermission -AccessRights SendAs`) or send from the mailbox's own address.",
  },
  RELAY_DENIED: {
    meaning:
      "The relay endpoint refused to relay: no matching connector, Direct Send rejected, or the sending IP is blocked.",
    retryable: "no",
    action: "Fix the inbound connector (IP or certificate), or use SMTP AUTH submission.",
  },
  PERMISSION_DENIED: {
    meaning: "The app lacks a permission, or a policy blocks it.",
    retryable: "no",
    action:
      "Grant `Mail.Send` (application) with admin consent and include the mailbox in the RBAC for Applications scope.",
  },
  RECIPIENT_REJECTED: {
    meaning:
      "Every recipient was refused (unknown address, full or disabled mailbox, refused by the recipient's policy).",
    retryable:
      "no, except a temporary refusal such as `452 4.2.2` mailbox full for now (`retryAfterMs` says when)",
    action: "Check the addresses (and a group's delivery restrictions).",
  },
  MESSAGE_TOO_LARGE: {
    meaning: "The message is larger than the path or mailbox allows.",
    retryable: "no",
    action:
      "Reduce attachments (base64 adds about 33%), use a Graph upload session, or raise `MaxSendSize`.",
  },
  THROTTLED: {
    meaning: "The service asks the client to slow down.",
    retryable: "yes, after `retryAfterMs` (except continuous-error throttling `5.2.251`–`5.2.255`)",
    action: "Lower concurrency and rate per mailbox; the mailer backs off by itself.",
  },
  QUOTA_EXCEEDED: {
    meaning: "A daily or mailbox quota is used up.",
    retryable: "no (`retryAfterMs` says when a later send may succeed, for an outbox)",
    action:
      "Wait for the window to roll or free mailbox space; check the account is not compromised.",
  },
  MAILBOX_UNAVAILABLE: {
    meaning: "The mailbox cannot send: unlicensed, inactive, on-premises, or blocked by Microsoft.",
    retryable: "no",
    action: "License or unblock the mailbox, or send from another one.",
  },
  CONNECTION_FAILED: {
    meaning: "The server could not be reached, or it dropped the connection.",
    retryable: "yes (may be `ambiguous` if it dropped after the message was sent)",
    action: "Check host, port and firewalls if it persists.",
  },
  TIMEOUT: {
    meaning: "An attempt took longer than its timeout.",
    retryable: "yes (may be `ambiguous` if it happened after the message was sent)",
    action: "Check the network path; raise the timeout for large messages.",
  },
  SERVER_ERROR: {
    meaning: "The server failed: HTTP 5xx, or a transient SMTP 4xx without a better code.",
    retryable: "yes (no for `5.4.300` message expired)",
    action: "Nothing; the mailer retries. If it persists, check service health.",
  },
  CIRCUIT_OPEN: {
    meaning: "The circuit breaker of this transport is open; it is not tried until `retryAfterMs`.",
    retryable: "yes, after `retryAfterMs`",
    action: "Look at the errors that opened it.",
  },
  ABORTED: {
    meaning: "The caller aborted the send, or the mailer was closed.",
    retryable: "no",
    action: "Nothing, unless the abort was not intended.",
  },
  UNKNOWN: {
    meaning:
      "Nothing better is known: an unknown permanent 5xx reply or HTTP 4xx, or an unexpected error.",
    retryable: "no",
    action:
      "Read the server's reply in `smtp.response` or `http`, and report it so the classifier learns it.",
  },
};
