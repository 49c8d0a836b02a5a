// Generated sections of the user docs, kept in step with the code by docs.test.ts:
// the variables table of docs/configuration.md and the reply index of docs/troubleshooting.md.
import type { MailErrorCode } from "@mailpath/core";
import { HTTP_RULES, SMTP_RULES } from "@mailpath/core/classifier";
import { ENV_VARIABLES } from "../variables.js";

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->`. */
export function replaceSection(document: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = document.indexOf(start);
  const to = document.indexOf(end);
  if (from === -1 || to === -1 || to < from)
    throw new Error(`markers ${start} … ${end} are missing`);
  return `${document.slice(0, from + start.length)}\n${body}\n${document.slice(to)}`;
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The table of every MAILPATH_* variable. */
export function renderVariablesTable(): string {
  const rows = ENV_VARIABLES.map((variable) => {
    const paths = variable.paths.includes("*") ? "all" : variable.paths.join(", ");
    return `| \`${variable.name}\` | ${paths} | ${cell(variable.description)} | ${cell(variable.defaultValue ?? "none: required when its path is used")} | \`${cell(variable.example)}\` |`;
  });
  return [
    "| variable | paths | meaning | default | example |",
    "|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

/** Which section of docs/troubleshooting.md deals with each error code. */
export const SECTION_BY_CODE: Readonly<Record<MailErrorCode, string>> = {
  AUTH_FAILED: "authentication-fails",
  AUTH_DISABLED: "smtp-auth-is-disabled-or-basic-auth-is-refused",
  TLS_ERROR: "tls-errors",
  SEND_AS_DENIED: "send-as-denied",
  RELAY_DENIED: "the-relay-refuses-the-message",
  PERMISSION_DENIED: "graph-permission-denied",
  THROTTLED: "throttled",
  QUOTA_EXCEEDED: "quota-exceeded",
  MESSAGE_TOO_LARGE: "message-too-large",
  RECIPIENT_REJECTED: "recipients-rejected",
  MAILBOX_UNAVAILABLE: "the-mailbox-cannot-send",
  INVALID_MESSAGE: "the-message-is-refused-as-invalid",
  SERVER_ERROR: "timeouts-and-server-errors",
  TIMEOUT: "timeouts-and-server-errors",
  CONNECTION_FAILED: "cannot-connect",
  CIRCUIT_OPEN: "circuit_open",
  INVALID_CONFIG: "invalid_config-at-start",
  ABORTED: "timeouts-and-server-errors",
  UNKNOWN: "timeouts-and-server-errors",
};

/** The heading of each section, as the link text. */
const TITLES: Readonly<Record<string, string>> = {
  "authentication-fails": "Authentication fails",
  "smtp-auth-is-disabled-or-basic-auth-is-refused":
    "SMTP AUTH is disabled or Basic auth is refused",
  "tls-errors": "TLS errors",
  "send-as-denied": "Send As denied",
  "the-relay-refuses-the-message": "The relay refuses the message",
  "graph-permission-denied": "Graph: permission denied",
  throttled: "Throttled",
  "quota-exceeded": "Quota exceeded",
  "message-too-large": "Message too large",
  "recipients-rejected": "Recipients rejected",
  "the-mailbox-cannot-send": "The mailbox cannot send",
  "the-message-is-refused-as-invalid": "The message is refused as invalid",
  "timeouts-and-server-errors": "Timeouts and server errors",
  "cannot-connect": "Cannot connect",
  circuit_open: "CIRCUIT_OPEN",
  "invalid_config-at-start": "INVALID_CONFIG at start",
};

const link = (code: MailErrorCode) => {
  const anchor = SECTION_BY_CODE[code];
  return `[${TITLES[anchor] ?? anchor}](#${anchor})`;
};

/** The SMTP reply as a reader would grep for it: without Exchange's bracketed host name. */
export function smtpReplyText(example: string): string {
  return example.replace(/\s*\[(?:Hostname=)?[A-Za-z0-9.-]+\.outlook\.(?:com|cn)\]/g, "").trim();
}

/** The index of every reply the classifier knows, pointing at its section. */
export function renderReplyIndex(): string {
  const smtp = SMTP_RULES.map(
    (rule) =>
      `| \`${cell(smtpReplyText(rule.example))}\` | \`${rule.code}\` | ${rule.retryable ? "yes" : "no"} | ${link(rule.code)} |`,
  );
  const http = HTTP_RULES.map(
    (rule) =>
      `| ${cell(rule.match)} | \`${rule.code}\` | ${rule.retryable ? "yes" : "no"} | ${link(rule.code)} |`,
  );
  return [
    "### SMTP replies (SMTP AUTH and relay)",
    "",
    "| reply | code | retried | what to do |",
    "|---|---|---|---|",
    ...smtp,
    "",
    "### Graph and Entra answers",
    "",
    "| answer | code | retried | what to do |",
    "|---|---|---|---|",
    ...http,
  ].join("\n");
}
