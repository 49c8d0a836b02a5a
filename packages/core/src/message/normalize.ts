import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { domainToASCII } from "node:url";
import type {
  Address,
  AddressInput,
  Attachment,
  Importance,
  MailMessage,
  NormalizedAttachment,
  NormalizedMessage,
} from "../contract/message.js";
import { MailError, type MailIssue } from "../errors/mail-error.js";
import { parseAddressInput, toAddressList } from "./address.js";
import { contentTypeFor } from "./content-type.js";

/**
 * Options of `normalizeMessage`.
 * @since 0.1.0
 */
export interface NormalizeOptions {
  /** Sender used when the message has no `from`. */
  readonly from?: AddressInput;
  /** Builds the Message-ID when the message has none. @default `<uuid@sender-domain>` */
  readonly generateMessageId?: (from: Address) => string;
}

// RFC 5322 field name: printable US-ASCII except the colon.
const FIELD_NAME = /^[!-9;-~]+$/;
// <left@right> in printable ASCII without angle brackets or a second @ (RFC 5322 msg-id; a
// non-ASCII one would reach the wire as raw 8-bit bytes, which servers refuse without SMTPUTF8).
const MESSAGE_ID = /^<[!-;=?A-~]+@[!-;=?A-~]+>$/;
// type/subtype, then parameters on the same line (no CR, LF or other controls anywhere).
const CONTENT_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+(?:[ \t]*;[\t -~]*)?$/i;
// Printable ASCII without angle brackets: it is written as <contentId> on a header line.
const CONTENT_ID = /^[!-;=?-~]+$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const IMPORTANCE: readonly Importance[] = ["low", "normal", "high"];
// RFC 5322 §2.1.1: a line is at most 998 octets. A field mailpath writes on one line must fit
// on it with its name ("Subject: ", "Message-ID: ", …); 900 octets leaves room for any name.
const MAX_LINE = 998;
const MAX_FIELD = 900;
const MAX_FILENAME = 255;
const ATTACHMENT_KEYS = new Set(["filename", "content", "contentType", "contentId", "encoding"]);
// Fields mailpath writes from the message itself: setting them as headers would contradict it.
const RESERVED_HEADERS = new Set([
  "from",
  "to",
  "cc",
  "bcc",
  "reply-to",
  "subject",
  "message-id",
  "date",
  "in-reply-to",
  "references",
  "mime-version",
  "importance",
  "x-priority",
  "sender",
]);
// Trace and transport fields (RFC 5321 §4.4, RFC 5322 §3.6.6–3.6.7) and the ones servers stamp
// for themselves: a message that carries them claims a history it does not have, and Exchange
// reads X-MS-Exchange-Organization-* as its own verdicts. Content-* is the MIME builder's.
const TRACE_HEADERS = new Set([
  "return-path",
  "received",
  "received-spf",
  "authentication-results",
  "dkim-signature",
]);
const TRACE_PREFIXES = ["resent-", "content-", "arc-", "x-ms-exchange-organization-"];

const octets = (text: string) => Buffer.byteLength(text, "utf8");

/** A string of the form `pattern` that fits on a header line (`MAX_FIELD` octets). */
const isFieldValue = (value: unknown, pattern: RegExp): boolean =>
  typeof value === "string" && pattern.test(value) && octets(value) <= MAX_FIELD;

function isAttachmentContent(content: unknown): boolean {
  return (
    typeof content === "string" ||
    content instanceof Uint8Array ||
    content instanceof Readable ||
    (typeof content === "object" &&
      content !== null &&
      typeof (content as { path?: unknown }).path === "string")
  );
}

function normalizeId(value: string): string | undefined {
  const trimmed = value.trim();
  const bracketed = trimmed.startsWith("<") ? trimmed : `<${trimmed}>`;
  return MESSAGE_ID.test(bracketed) && octets(bracketed) <= MAX_FIELD ? bracketed : undefined;
}

/** Why a one-line header text is refused, or `undefined` when it is fine. */
function headerTextProblem(value: string, maxOctets: number): string | undefined {
  // One pass over the code units instead of two regexes: CR and LF first (whatever comes
  // before them), then any other control character (\p{Cc}: U+0000–U+001F, U+007F–U+009F)
  // but the tab.
  let control = false;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 0x20) {
      if (code === 0x0d || code === 0x0a) return "must not contain CR or LF (header injection)";
      if (code !== 0x09) control = true;
    } else if (code >= 0x7f && code <= 0x9f) control = true;
  }
  if (control) return "must not contain NUL or other control characters";
  // A UTF-16 code unit is at most 3 UTF-8 octets: a short text needs no counting.
  if (value.length * 3 > maxOctets && octets(value) > maxOctets) {
    return `must be at most ${maxOctets} octets (RFC 5322 line limit)`;
  }
  return undefined;
}

/**
 * Validates a message and applies defaults. Every problem is collected into one
 * `MailError{code:"INVALID_MESSAGE"}` with `issues`; nothing is ever sent for an invalid message.
 * Each field is read once, into the normalized copy: a getter cannot change what is sent after
 * it was checked.
 *
 * @param message the message as the application gives it
 * @param options the default sender and the Message-ID generator
 * @returns the message transports receive, with a Message-ID (generated when absent).
 * @throws MailError `INVALID_MESSAGE`
 * @since 0.1.0
 */
export function normalizeMessage(
  message: MailMessage,
  options: NormalizeOptions = {},
): NormalizedMessage {
  const issues: MailIssue[] = [];
  if (typeof message !== "object" || message === null) {
    throw invalid([{ path: "message", message: "must be an object" }]);
  }
  // Every field once, here; only these copies are checked and passed on.
  const {
    from: fromInput,
    to: toInput,
    cc: ccInput,
    bcc: bccInput,
    replyTo: replyToInput,
    subject,
    text,
    html,
    attachments: attachmentsInput,
    headers: headersInput,
    importance: importanceInput,
    messageId: messageIdInput,
    inReplyTo: inReplyToInput,
    references: referencesInput,
  } = message;
  const defaultFrom = options.from;

  const addresses = (field: string, input: unknown): Address[] => {
    const list = toAddressList(input as AddressInput | AddressInput[] | undefined);
    const result: Address[] = [];
    for (let index = 0; index < list.length; index++) {
      for (const parsed of parseAddressInput(list[index] as AddressInput)) {
        if (parsed.ok) result.push(parsed.value);
        else {
          const path = Array.isArray(input) ? `${field}[${index}]` : field;
          issues.push({ path, message: parsed.reason });
        }
      }
    }
    return result;
  };

  let fromList: Address[] = [];
  if (fromInput === undefined && defaultFrom === undefined) {
    issues.push({
      path: "from",
      message: "is required (set it on the message or the mailer's `from`)",
    });
  } else if (fromInput === null) {
    issues.push({ path: "from", message: "must be an address, not null" });
  } else {
    const before = issues.length;
    fromList = addresses("from", fromInput ?? defaultFrom);
    if (fromList.length > 1) issues.push({ path: "from", message: "must be one address" });
    else if (fromList.length === 0 && issues.length === before) {
      issues.push({ path: "from", message: "must be one address (the list is empty)" });
    }
  }
  const recipientIssues = issues.length;
  const to = addresses("to", toInput);
  const cc = addresses("cc", ccInput);
  const bcc = addresses("bcc", bccInput);
  if (to.length + cc.length + bcc.length === 0 && issues.length === recipientIssues) {
    issues.push({ path: "to", message: "at least one recipient (to, cc or bcc) is required" });
  }
  const replyTo = addresses("replyTo", replyToInput);

  if (typeof subject !== "string" || subject.trim() === "") {
    issues.push({ path: "subject", message: "is required and must be a non-empty string" });
  } else {
    const problem = headerTextProblem(subject, MAX_LINE - "Subject: ".length);
    if (problem) issues.push({ path: "subject", message: problem });
  }

  if (text === undefined && html === undefined) {
    issues.push({ path: "text", message: "a text or html body is required" });
  }
  const checkBody = (path: "text" | "html", body: unknown) => {
    if (body === undefined) return;
    if (typeof body !== "string") issues.push({ path, message: "must be a string" });
    else if (body.includes("\u0000")) issues.push({ path, message: "must not contain NUL" });
  };
  checkBody("text", text);
  checkBody("html", html);

  // A list that is not an array (or a map that is not an object) must fail validation, not
  // throw a TypeError from forEach or be read character by character by Object.entries.
  const list = <T>(path: string, value: readonly T[] | undefined): readonly T[] => {
    if (value === undefined || Array.isArray(value)) return value ?? [];
    issues.push({ path, message: "must be an array" });
    return [];
  };
  const headerInput: unknown = headersInput ?? {};
  const headerMap =
    typeof headerInput === "object" && headerInput !== null && !Array.isArray(headerInput)
      ? (headerInput as Record<string, unknown>)
      : undefined;
  if (!headerMap) {
    issues.push({ path: "headers", message: "must be an object of header names to strings" });
  }
  const headers: Record<string, string> = {};
  // Header names are case-insensitive: "X-Id" and "x-id" would put one field on the wire twice.
  const names = new Set<string>();
  for (const [name, value] of Object.entries(headerMap ?? {})) {
    const path = `headers.${name}`;
    const lower = name.toLowerCase();
    const repeated = names.has(lower);
    names.add(lower);
    if (!FIELD_NAME.test(name)) {
      issues.push({
        path,
        message: "header name must be printable ASCII without spaces or colons",
      });
    } else if (repeated) {
      issues.push({ path, message: "header name given twice (names are case-insensitive)" });
    } else if (RESERVED_HEADERS.has(lower)) {
      issues.push({ path, message: `set "${name}" through the message field, not headers` });
    } else if (
      TRACE_HEADERS.has(lower) ||
      TRACE_PREFIXES.some((prefix) => lower.startsWith(prefix))
    ) {
      issues.push({
        path,
        message: `"${name}" is a trace, transport or MIME field that servers and the MIME builder write; it cannot be set`,
      });
    } else if (typeof value !== "string") {
      issues.push({ path, message: "header value must be a string" });
    } else if (value.trim() === "") {
      // An empty field is dropped by MIME builders: what was validated would not be sent.
      issues.push({ path, message: "header value must not be empty" });
    } else {
      const problem = headerTextProblem(value, MAX_LINE - octets(name) - 2);
      if (problem) issues.push({ path, message: `header value ${problem}` });
      else headers[name] = value;
    }
  }

  const importance = importanceInput ?? "normal";
  if (!IMPORTANCE.includes(importance)) {
    issues.push({ path: "importance", message: `must be one of ${IMPORTANCE.join(", ")}` });
  }

  const attachments: NormalizedAttachment[] = [];
  list("attachments", attachmentsInput).forEach((attachment: Attachment, index) => {
    const path = `attachments[${index}]`;
    if (typeof attachment !== "object" || attachment === null) {
      issues.push({ path, message: "must be an object" });
      return;
    }
    const before = issues.length;
    for (const key of Object.keys(attachment)) {
      if (!ATTACHMENT_KEYS.has(key)) {
        issues.push({
          path: `${path}.${key}`,
          message: `is not an attachment field (use ${[...ATTACHMENT_KEYS].join(", ")})`,
        });
      }
    }
    const { filename, content: contentInput, contentType, contentId, encoding } = attachment;
    // `{ path }` is copied, so the path read here is the one the transport opens.
    const pathInput =
      typeof contentInput === "object" &&
      contentInput !== null &&
      !(contentInput instanceof Uint8Array) &&
      !(contentInput instanceof Readable)
        ? (contentInput as { path?: unknown }).path
        : undefined;
    const content =
      pathInput === undefined ? contentInput : ({ path: pathInput } as { path: string });
    if (!isAttachmentContent(content)) {
      issues.push({
        path: `${path}.content`,
        message: "must be a Uint8Array, string, Readable or { path }",
      });
    } else if (
      typeof pathInput === "string" &&
      (pathInput === "" || pathInput.includes("\u0000"))
    ) {
      issues.push({
        path: `${path}.content.path`,
        message: "must be a non-empty path without NUL",
      });
    }
    if (filename === undefined && contentId === undefined) {
      issues.push({ path, message: "needs a filename (or a contentId for an inline part)" });
    }
    if (filename !== undefined) {
      const problem =
        typeof filename !== "string" || filename.trim() === ""
          ? "must be a non-empty string"
          : headerTextProblem(filename, MAX_FILENAME);
      if (problem) issues.push({ path: `${path}.filename`, message: problem });
    }
    if (contentId !== undefined && !isFieldValue(contentId, CONTENT_ID)) {
      issues.push({
        path: `${path}.contentId`,
        message: `must be a printable ASCII token without spaces or angle brackets, at most ${MAX_FIELD} octets`,
      });
    }
    if (contentType !== undefined && !isFieldValue(contentType, CONTENT_TYPE)) {
      issues.push({
        path: `${path}.contentType`,
        message: "must be a MIME type such as application/pdf, in ASCII on one line",
      });
    }
    if (encoding !== undefined && encoding !== "utf8" && encoding !== "base64") {
      issues.push({ path: `${path}.encoding`, message: 'must be "utf8" or "base64"' });
    } else if (
      encoding === "base64" &&
      typeof content === "string" &&
      !BASE64.test(content.replace(/\s+/g, ""))
    ) {
      issues.push({ path: `${path}.content`, message: "is not base64 text" });
    }
    if (issues.length > before) return;
    attachments.push({
      content: content as NormalizedAttachment["content"],
      contentType: contentType ?? contentTypeFor(filename),
      inline: contentId !== undefined,
      ...(filename !== undefined && { filename }),
      ...(contentId !== undefined && { contentId }),
      ...(encoding !== undefined && { encoding }),
    });
  });

  const idField = (path: string, value: unknown): string | undefined => {
    if (value === undefined) return undefined;
    const id = typeof value === "string" ? normalizeId(value) : undefined;
    if (!id) {
      issues.push({
        path,
        message: `must look like <id@domain> (printable ASCII, no spaces, at most ${MAX_FIELD} octets)`,
      });
    }
    return id;
  };
  const givenId = idField("messageId", messageIdInput);
  const inReplyTo = idField("inReplyTo", inReplyToInput);
  const references = list("references", referencesInput)
    .map((reference, index) => idField(`references[${index}]`, reference))
    .filter((reference): reference is string => reference !== undefined);

  if (issues.length > 0) throw invalid(issues);

  const from = fromList[0]!;
  let recipients: string[];
  if (to.length + cc.length + bcc.length === 1) {
    recipients = [((to[0] ?? cc[0] ?? bcc[0]) as Address).address];
  } else {
    const seen = new Set<string>();
    recipients = [];
    for (const group of [to, cc, bcc]) {
      for (const { address } of group) {
        const key = address.toLowerCase();
        if (!seen.has(key)) {
          seen.add(key);
          recipients.push(address);
        }
      }
    }
  }
  const messageId = givenId ?? (options.generateMessageId ?? defaultMessageId)(from);

  // Built field by field (same fields, same order) rather than with conditional spreads, which
  // allocate an object each and copy it.
  const normalized: { -readonly [Key in keyof NormalizedMessage]?: NormalizedMessage[Key] } = {
    messageId,
    from,
    to,
    cc,
    bcc,
    replyTo,
    subject: subject as string,
  };
  if (text !== undefined) normalized.text = endLines(text);
  if (html !== undefined) normalized.html = endLines(html);
  normalized.attachments = attachments;
  normalized.headers = headers;
  normalized.importance = importance;
  if (inReplyTo !== undefined) normalized.inReplyTo = inReplyTo;
  normalized.references = references;
  normalized.recipients = recipients;
  return normalized as NormalizedMessage;
}

/**
 * `<uuid@sender-domain>`: unique, and its domain is the sender's as RFC 5322 suggests.
 * @param from the message's sender
 * @returns a new Message-ID, angle brackets included
 * @since 0.1.0
 */
export function defaultMessageId(from: Address): string {
  const domain = from.address.slice(from.address.lastIndexOf("@") + 1).toLowerCase();
  // An internationalized domain in its ASCII (punycode) form: a Message-ID is ASCII. A sender's
  // domain is the same on most sends: converted once.
  let ascii = asciiDomains.get(domain);
  if (ascii === undefined) {
    ascii = domainToASCII(domain) || "localhost";
    if (asciiDomains.size >= 256) asciiDomains.clear();
    asciiDomains.set(domain, ascii);
  }
  return `<${randomUUID()}@${ascii}>`;
}

/** Sender domains already converted by `defaultMessageId` (bounded). */
const asciiDomains = new Map<string, string>();

/**
 * A lone CR becomes CRLF: SMTP allows CR only before LF (RFC 5321 §2.3.8), and MIME builders
 * pass a lone CR through to the wire, where servers refuse it or read a line break.
 */
function endLines(body: string): string {
  return body.includes("\r") ? body.replace(/\r(?!\n)/g, "\r\n") : body;
}

function invalid(issues: readonly MailIssue[]): MailError {
  const summary = issues.map((issue) => `${issue.path} ${issue.message}`).join("; ");
  return new MailError({
    code: "INVALID_MESSAGE",
    message: `Invalid message: ${summary}.`,
    hint: "Fix the listed fields; nothing was sent.",
    issues,
  });
}
