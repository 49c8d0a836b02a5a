import { MAIL_ERROR_CODES, PATH_FAILURE_CODES } from "../errors/codes.js";
import { CODE_DOCS } from "./code-docs.js";
import { BASIC_SMTP_RULES, GENERIC_SMTP_RULES } from "./generic-smtp-rules.js";
import { HTTP_FALLBACK_4XX, HTTP_FALLBACK_OTHER, HTTP_RULES } from "./http-rules.js";
import { NETWORK_FALLBACK, NETWORK_RULES } from "./network-rules.js";
import {
  SMTP_FALLBACK_4XX,
  SMTP_FALLBACK_5XX,
  SMTP_FALLBACK_OTHER,
  SMTP_RULES,
} from "./smtp-rules.js";
import type { HttpRule } from "./types.js";

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
const width = (text: string) => [...text].length;

// Columns padded to their widest cell, as the repository's Markdown formatter (biome) writes
// tables, so `biome ci` accepts the generated file unchanged.
function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const all = [header, ...rows].map((cells) => cells.map(cell));
  const widths = header.map((_, column) =>
    Math.max(3, ...all.map((cells) => width(cells[column] ?? ""))),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((text, column) => text + " ".repeat((widths[column] ?? 0) - width(text))).join(" | ")} |`;
  const [head = [], ...body] = all;
  return [line(head), line(widths.map((size) => "-".repeat(size))), ...body.map(line)];
}
const yesNo = (value: boolean) => (value ? "yes" : "no");

function duration(ms: number | undefined): string {
  if (ms === undefined) return "–";
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

/** The columns every SMTP and HTTP rule table shows (the fields `SmtpRule` shares). */
type DocumentedRule = Pick<HttpRule, "match" | "code" | "retryable" | "retryAfterMs" | "hint">;

/** A classifier table, one row a rule in order, its example in the first column. */
function ruleTable<Rule extends DocumentedRule>(
  exampleHeader: string,
  rules: readonly Rule[],
  example: (rule: Rule) => string,
): string[] {
  return table(
    [exampleHeader, "matches", "code", "retryable", "retryAfterMs", "hint"],
    rules.map((rule) => [
      example(rule),
      rule.match,
      `\`${rule.code}\``,
      yesNo(rule.retryable),
      duration(rule.retryAfterMs),
      rule.hint,
    ]),
  );
}

const smtpExample = (rule: { readonly example: string }) => `\`${rule.example}\``;

const DECISIONS = [
  "**Other SMTP servers are read by the standards.** Beneath the Exchange Online rows, a generic layer reads what every server sends (on-premises Exchange, Postfix, Exim, Sendmail, Google): the RFC 3463 enhanced status code (class.subject.detail, with the RFC 4954 authentication codes), the words servers share for relaying, a refused sender, greylisting and rate limiting, and, for a reply with no enhanced code, the RFC 5321 / RFC 4954 reply code. So `535 5.7.8` is `AUTH_FAILED`, `553 5.7.1 … Sender address rejected: not owned by user` is `SEND_AS_DENIED`, `552 5.2.2` mailbox full is `RECIPIENT_REJECTED`, greylisting and rate limits are `THROTTLED`, retryable.",
  "**The refused party is named.** A refusal of `MAIL FROM`, or a reply that says the sender was refused, is `SEND_AS_DENIED` and its message says `(refused: the sender)`, also when the server gave it in reply to `RCPT TO` (Postfix checks the sender there by default) and nodemailer lists every recipient as rejected. A recipient's full mailbox is the recipient's refusal (`RECIPIENT_REJECTED`; retryable for `452 4.2.2`), not the sender's quota: only Exchange's `STOREDRV.Submission` quota replies are `QUOTA_EXCEEDED`.",
  "**Policy deferrals back off, they do not trip the breaker.** A `4.7.x` deferral (greylisting, reputation, rate) and `4.3.1` / `4.4.5` congestion are `THROTTLED`: the mailer backs off, and since they are not path failures, one server's greylisting does not open the circuit breaker or move `failover` to another path.",
  "**Unknown replies fall back by class.** An SMTP 4xx nobody listed is `SERVER_ERROR`, retryable (SMTP's rule: 4xx is transient). An unlisted 5xx is `UNKNOWN`, not retryable: permanent, but not `SERVER_ERROR`, so one odd rejection of one message does not count toward the circuit breaker. An unlisted HTTP 4xx is `UNKNOWN`, not retryable; every HTTP 5xx is `SERVER_ERROR`, retryable.",
  "**`503` is retryable.** A bad sequence of commands says the session was in the wrong state, not that the message was refused; a new connection can succeed (nodemailer agrees: it does not count 503 as permanent).",
  "**Quotas are not retryable but say when.** `554 5.2.0 SubmissionQuotaExceeded` and `5.1.90` (10,000 recipients per rolling 24 h) are `QUOTA_EXCEEDED`, `retryable: false`, with `retryAfterMs` of 24 h: the mailer does not wait a day inside one `send()`, but an outbox can schedule the message for later. Mailbox full (`5.2.2`) has no `retryAfterMs`: it needs a person.",
  "**Continuous-error throttling is `THROTTLED` but not retryable.** `550 5.2.251`–`5.2.255` mean the mailbox is throttled for a Microsoft-set period after repeated failures; retrying soon only prolongs it, and the hint names the root cause to fix.",
  "**Sender or tenant blocked by Microsoft is `MAILBOX_UNAVAILABLE`.** `5.1.8`, `5.7.501`–`5.7.503` and `5.7.705` mean the sending mailbox or tenant cannot send until it is unblocked; `5.7.750` (unregistered domains) is `PERMISSION_DENIED`, a policy fixed by verifying domains. Banned or refused sending IPs (`5.7.606`–`5.7.649`, `5.7.708`) are `RELAY_DENIED`: the path, not the mailbox, is refused.",
  "**Entra configuration errors are `AUTH_FAILED`, not `INVALID_CONFIG`.** `AADSTS700016` (app not found) and `AADSTS90002` (tenant not found) are only known when Entra answers, they fail every send of that transport (so they count toward the breaker and `failover` moves on), and `INVALID_CONFIG` is kept for options refused when a transport is created. The hint names the option to fix.",
  "**`452 4.5.3` too many recipients is `THROTTLED`, retryable.** Exchange defers recipients above 200 per domain in one transaction; a later transaction with the rest succeeds. The hint says to chunk the list.",
  '**`ambiguous`.** A connection failure or timeout with no reply after the message body was sent (`phase: "after-data"`, or nodemailer\'s failing `command` is `DATA`/`BDAT`) is `ambiguous: true`: Exchange may have accepted the message, and a retry can deliver it twice. A reply (any code) is never ambiguous.',
  "**Retry-After.** HTTP `Retry-After` (seconds or an HTTP-date) always wins over the table's suggestion. SMTP has no such header: the table's `retryAfterMs` for throttles is a suggestion; the mailer caps it.",
  "**TLS.** A certificate error (`DEPTH_ZERO_SELF_SIGNED_CERT`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `CERT_HAS_EXPIRED`, `ERR_TLS_CERT_ALTNAME_INVALID`, `ERR_SSL_*`) is `TLS_ERROR` even when nodemailer reports it as `ESOCKET`/`ECONNECTION`: its `originalCode`, or a certificate message, wins over the generic code.",
];

/**
 * Renders `docs/errors.md` from the classifier's tables, so the docs cannot drift from them.
 * A test compares the file with this output.
 */
export function renderErrorsDoc(): string {
  const lines: string[] = [
    "# Errors and codes",
    "",
    "<!-- Generated by renderErrorsDoc() in packages/core/src/classifier/errors-doc.ts: do not edit by hand.",
    "     Regenerate with: cd packages/core && UPDATE_DOCS=1 npx vitest run src/classifier -->",
    "",
    "Every failure mailpath reports is a `MailError` with a stable `code`, `retryable`, the",
    "server's own words (`smtp: { replyCode, enhancedCode, response }` or",
    "`http: { status, code, requestId }`), a `hint` that says what to change, and, when the",
    "server may have accepted the message anyway, `ambiguous: true`. The same failure has the",
    "same code on every path (SMTP AUTH, relay, Graph). No password, secret, token or private",
    "key is ever in an error: `cause` is a copy of what was caught that keeps its name, message,",
    "stack and errno or status fields, never the request options, headers or bodies a",
    "third-party error carries.",
    "",
    // Compiled in front of the snippet by the docs snippet check (tests/snippets); hidden once rendered.
    "<!-- snippet: context",
    'import type { ConfiguredMailer, MailMessage } from "mailpath";',
    "declare const mailer: ConfiguredMailer;",
    "declare const message: MailMessage;",
    "-->",
    "```ts",
    'import { MailError } from "@mailpath/core";',
    "",
    "try {",
    "  await mailer.send(message);",
    "} catch (error) {",
    '  if (MailError.isInstance(error) && error.code === "AUTH_DISABLED") console.error(error.hint);',
    "}",
    "```",
    "",
    "## Codes",
    "",
    '"Path failure" codes count toward the circuit breaker and make `failover` try the next transport.',
    "",
    ...table(
      ["code", "meaning", "retryable", "what to do", "path failure"],
      MAIL_ERROR_CODES.map((code) => {
        const doc = CODE_DOCS[code];
        return [
          `\`${code}\``,
          doc.meaning,
          doc.retryable,
          doc.action,
          yesNo(PATH_FAILURE_CODES.has(code)),
        ];
      }),
    ),
    "",
    "## How replies are classified",
    "",
    "The classifier walks a table top to bottom and takes the first row whose reply code,",
    "enhanced status code (parsed from the reply text when not given) and text all match.",
    "The rows below are that table, in order, with the reply Exchange Online really sends.",
    "",
    "Decisions:",
    "",
    ...DECISIONS.map((decision) => `- ${decision}`),
    "",
    "## Exchange Online SMTP replies",
    "",
    ...ruleTable(
      "reply (example)",
      [...SMTP_RULES, SMTP_FALLBACK_4XX, SMTP_FALLBACK_5XX, SMTP_FALLBACK_OTHER],
      smtpExample,
    ),
    "",
    "## Other SMTP servers (RFC 3463, RFC 5321, RFC 4954)",
    "",
    "Consulted when no Exchange Online row matched, top to bottom; the reply-code rows at the end",
    "only for a reply without an enhanced status code. The examples are what the server named in",
    "the row sends.",
    "",
    ...ruleTable("reply (example)", [...GENERIC_SMTP_RULES, ...BASIC_SMTP_RULES], smtpExample),
    "",
    "## Microsoft Graph and Entra errors",
    "",
    "`retryAfterMs` is the response's `Retry-After` when it has one; the column shows the value",
    "used when it does not.",
    "",
    ...ruleTable(
      "response (example)",
      [...HTTP_RULES, HTTP_FALLBACK_4XX, HTTP_FALLBACK_OTHER],
      (rule) =>
        [
          String(rule.example.status),
          rule.example.code && `\`${rule.example.code}\``,
          rule.example.message && `"${rule.example.message}"`,
        ]
          .filter(Boolean)
          .join(" "),
    ),
    "",
    "## Network and TLS errors",
    "",
    "Matched on the error's `originalCode`, then a certificate or TLS message, then `code`.",
    "",
    ...table(
      ["error codes", "example message", "code", "retryable", "hint"],
      [...NETWORK_RULES, NETWORK_FALLBACK].map((rule) => [
        rule.codes.length ? rule.codes.map((code) => `\`${code}\``).join(", ") : "(anything else)",
        `\`${rule.example}\``,
        `\`${rule.code}\``,
        yesNo(rule.retryable),
        rule.hint,
      ]),
    ),
    "",
  ];
  return lines.join("\n");
}
