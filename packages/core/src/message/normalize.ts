import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
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

const CRLF = /[\r\n]/;
// RFC 5322 field name: printable US-ASCII except the colon.
const FIELD_NAME = /^[!-9;-~]+$/;
const MESSAGE_ID = /^<[^<>\s@]+@[^<>\s@]+>$/;
const CONTENT_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+(?:\s*;.*)?$/i;
const IMPORTANCE: readonly Importance[] = ["low", "normal", "high"];
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
  "content-type",
  "content-transfer-encoding",
  "importance",
  "x-priority",
  "sender",
]);

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
  return MESSAGE_ID.test(bracketed) ? bracketed : undefined;
}

/**
 * Validates a message and applies defaults. Every problem is collected into one
 * `MailError{code:"INVALID_MESSAGE"}` with `issues`; nothing is ever sent for an invalid message.
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

  const addresses = (field: string, input: unknown): Address[] => {
    const list = toAddressList(input as AddressInput | AddressInput[] | undefined);
    const result: Address[] = [];
    list.forEach((item, index) => {
      const path = Array.isArray(input) ? `${field}[${index}]` : field;
      for (const parsed of parseAddressInput(item)) {
        if (parsed.ok) result.push(parsed.value);
        else issues.push({ path, message: parsed.reason });
      }
    });
    return result;
  };

  const fromList = addresses("from", message.from ?? options.from);
  if (message.from === undefined && options.from === undefined) {
    issues.push({
      path: "from",
      message: "is required (set it on the message or the mailer's `from`)",
    });
  } else if (fromList.length > 1) {
    issues.push({ path: "from", message: "must be one address" });
  }
  const to = addresses("to", message.to);
  const cc = addresses("cc", message.cc);
  const bcc = addresses("bcc", message.bcc);
  const replyTo = addresses("replyTo", message.replyTo);
  if (message.to === undefined && message.cc === undefined && message.bcc === undefined) {
    issues.push({ path: "to", message: "at least one recipient (to, cc or bcc) is required" });
  }

  if (typeof message.subject !== "string" || message.subject.trim() === "") {
    issues.push({ path: "subject", message: "is required and must be a non-empty string" });
  } else if (CRLF.test(message.subject)) {
    issues.push({ path: "subject", message: "must not contain CR or LF (header injection)" });
  }

  if (message.text === undefined && message.html === undefined) {
    issues.push({ path: "text", message: "a text or html body is required" });
  }
  if (message.text !== undefined && typeof message.text !== "string") {
    issues.push({ path: "text", message: "must be a string" });
  }
  if (message.html !== undefined && typeof message.html !== "string") {
    issues.push({ path: "html", message: "must be a string" });
  }

  // A list that is not an array (or a map that is not an object) must fail validation, not
  // throw a TypeError from forEach or be read character by character by Object.entries.
  const list = <T>(path: string, value: readonly T[] | undefined): readonly T[] => {
    if (value === undefined || Array.isArray(value)) return value ?? [];
    issues.push({ path, message: "must be an array" });
    return [];
  };
  const headerInput: unknown = message.headers ?? {};
  const headerMap =
    typeof headerInput === "object" && headerInput !== null && !Array.isArray(headerInput)
      ? (headerInput as Record<string, unknown>)
      : undefined;
  if (!headerMap) {
    issues.push({ path: "headers", message: "must be an object of header names to strings" });
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(headerMap ?? {})) {
    const path = `headers.${name}`;
    if (!FIELD_NAME.test(name)) {
      issues.push({
        path,
        message: "header name must be printable ASCII without spaces or colons",
      });
    } else if (RESERVED_HEADERS.has(name.toLowerCase())) {
      issues.push({ path, message: `set "${name}" through the message field, not headers` });
    } else if (typeof value !== "string") {
      issues.push({ path, message: "header value must be a string" });
    } else if (CRLF.test(value)) {
      issues.push({ path, message: "header value must not contain CR or LF (header injection)" });
    } else {
      headers[name] = value;
    }
  }

  const importance = message.importance ?? "normal";
  if (!IMPORTANCE.includes(importance)) {
    issues.push({ path: "importance", message: `must be one of ${IMPORTANCE.join(", ")}` });
  }

  const attachments: NormalizedAttachment[] = [];
  list("attachments", message.attachments).forEach((attachment: Attachment, index) => {
    const path = `attachments[${index}]`;
    if (typeof attachment !== "object" || attachment === null) {
      issues.push({ path, message: "must be an object" });
      return;
    }
    const before = issues.length;
    if (!isAttachmentContent(attachment.content)) {
      issues.push({
        path: `${path}.content`,
        message: "must be a Uint8Array, string, Readable or { path }",
      });
    }
    if (attachment.filename === undefined && attachment.contentId === undefined) {
      issues.push({ path, message: "needs a filename (or a contentId for an inline part)" });
    }
    if (
      attachment.filename !== undefined &&
      (typeof attachment.filename !== "string" || CRLF.test(attachment.filename))
    ) {
      issues.push({ path: `${path}.filename`, message: "must be a string without CR or LF" });
    }
    if (attachment.contentId !== undefined && !/^[^<>\s]+$/.test(attachment.contentId)) {
      issues.push({
        path: `${path}.contentId`,
        message: "must be a token without spaces or angle brackets",
      });
    }
    if (attachment.contentType !== undefined && !CONTENT_TYPE.test(attachment.contentType)) {
      issues.push({
        path: `${path}.contentType`,
        message: "must be a MIME type such as application/pdf",
      });
    }
    if (
      attachment.encoding !== undefined &&
      attachment.encoding !== "utf8" &&
      attachment.encoding !== "base64"
    ) {
      issues.push({ path: `${path}.encoding`, message: 'must be "utf8" or "base64"' });
    }
    if (issues.length > before) return;
    attachments.push({
      content: attachment.content,
      contentType: attachment.contentType ?? contentTypeFor(attachment.filename),
      inline: attachment.contentId !== undefined,
      ...(attachment.filename !== undefined && { filename: attachment.filename }),
      ...(attachment.contentId !== undefined && { contentId: attachment.contentId }),
      ...(attachment.encoding !== undefined && { encoding: attachment.encoding }),
    });
  });

  const idField = (path: string, value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    const id = typeof value === "string" ? normalizeId(value) : undefined;
    if (!id) issues.push({ path, message: "must look like <id@domain>" });
    return id;
  };
  const givenId = idField("messageId", message.messageId);
  const inReplyTo = idField("inReplyTo", message.inReplyTo);
  const references = list("references", message.references)
    .map((reference, index) => idField(`references[${index}]`, reference))
    .filter((reference): reference is string => reference !== undefined);

  if (issues.length > 0) throw invalid(issues);

  const from = fromList[0]!;
  const seen = new Set<string>();
  const recipients: string[] = [];
  for (const { address } of [...to, ...cc, ...bcc]) {
    const key = address.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      recipients.push(address);
    }
  }
  const messageId = givenId ?? (options.generateMessageId ?? defaultMessageId)(from);

  return {
    messageId,
    from,
    to,
    cc,
    bcc,
    replyTo,
    subject: message.subject,
    ...(message.text !== undefined && { text: message.text }),
    ...(message.html !== undefined && { html: message.html }),
    attachments,
    headers,
    importance,
    ...(inReplyTo !== undefined && { inReplyTo }),
    references,
    recipients,
  };
}

/**
 * `<uuid@sender-domain>`: unique, and its domain is the sender's as RFC 5322 suggests.
 * @param from the message's sender
 * @returns a new Message-ID, angle brackets included
 * @since 0.1.0
 */
export function defaultMessageId(from: Address): string {
  const domain = from.address.slice(from.address.lastIndexOf("@") + 1).toLowerCase();
  return `<${randomUUID()}@${domain}>`;
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
