// Graph message resources in and MIME out. A JSON message is rendered with nodemailer's
// MailComposer the way Exchange would send it (one body, `X-` headers kept, Bcc only in the
// envelope), so it compares field by field with the same message sent by SMTP. A MIME message
// is delivered as sent, minus its Bcc header.
import { randomBytes } from "node:crypto";
import { type AddressObject, type EmailAddress, simpleParser } from "mailparser";
import addressparser from "nodemailer/lib/addressparser";
import MailComposer from "nodemailer/lib/mail-composer";
import { detectMimeType } from "nodemailer/lib/mime-funcs";
import { GraphError, graphErrors } from "./graph-errors.js";

/** `{ emailAddress: { name, address } }` as Graph spells a recipient. */
export interface GraphRecipient {
  readonly emailAddress: { readonly name?: string; readonly address: string };
}

/** A file attachment as stored on a message (from `contentBytes` or an upload session). */
export interface StoredAttachment {
  readonly id: string;
  readonly name: string;
  readonly contentType: string;
  readonly isInline: boolean;
  readonly contentId?: string;
  readonly content: Buffer;
}

/** The message fields the emulator understands, validated. */
export interface GraphMessage {
  readonly subject?: string;
  readonly body?: { readonly contentType: "html" | "text"; readonly content: string };
  readonly from?: GraphRecipient;
  readonly toRecipients: readonly GraphRecipient[];
  readonly ccRecipients: readonly GraphRecipient[];
  readonly bccRecipients: readonly GraphRecipient[];
  readonly replyTo: readonly GraphRecipient[];
  readonly importance?: "low" | "normal" | "high";
  readonly internetMessageHeaders: readonly { readonly name: string; readonly value: string }[];
  readonly internetMessageId?: string;
  readonly attachments: readonly StoredAttachment[];
}

/** Exchange Online's Message-ID shape: `<…@<server>.namprd…prod.outlook.com>`. */
export function exchangeMessageId(): string {
  const server = `SN${randomBytes(2).readUInt16BE() % 10}PR${10 + ((randomBytes(1)[0] ?? 0) % 9)}MB${1000 + (randomBytes(2).readUInt16BE() % 9000)}`;
  return `<${server}${randomBytes(10).toString("hex").toUpperCase()}@${server}.namprd${10 + ((randomBytes(1)[0] ?? 0) % 9)}.prod.outlook.com>`;
}

/** A Graph-style item id (`AAMkAD…`), URL-safe. */
export function graphItemId(): string {
  return `AAMkAD${randomBytes(48).toString("base64url")}`;
}

const ADDRESS = /^[^\s@<>()",;:\\[\]]+@[^\s@<>()",;:\\[\].]+(\.[^\s@<>()",;:\\[\].]+)+$/u;

/** Whether an address is syntactically a mailbox address. */
export function isValidAddress(address: string): boolean {
  return ADDRESS.test(address);
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * An action's parameters (the JSON body of `sendMail`, `createUploadSession`), keyed by their
 * lower-cased names. Graph matches action parameter names case-insensitively: the docs write
 * `message` and `AttachmentItem`, Microsoft's Kiota SDKs send `Message` and `AttachmentItem`,
 * and production accepts either. When a body names one parameter twice in different cases,
 * the first spelling wins.
 */
export function actionParameters(value: unknown): ReadonlyMap<string, unknown> {
  const parameters = new Map<string, unknown>();
  for (const [name, parameter] of Object.entries(record(value) ?? {})) {
    const key = name.toLowerCase();
    if (!parameters.has(key)) parameters.set(key, parameter);
  }
  return parameters;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function recipient(value: unknown): GraphRecipient {
  const emailAddress = record(record(value)?.emailAddress);
  const address = text(emailAddress?.address);
  if (address === undefined) {
    throw graphErrors.invalidRecipient(text(emailAddress?.name) ?? "");
  }
  const name = text(emailAddress?.name);
  return { emailAddress: name === undefined ? { address } : { name, address } };
}

function recipients(value: unknown): GraphRecipient[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw graphErrors.unreadableBody();
  return value.map(recipient);
}

/**
 * Reads one `fileAttachment` from JSON (`contentBytes` base64).
 * @throws GraphError for other attachment types or a missing name/content
 */
export function parseFileAttachment(value: unknown): StoredAttachment {
  const attachment = record(value);
  if (!attachment) throw graphErrors.unreadableBody();
  const type = text(attachment["@odata.type"]);
  if (type !== undefined && type.toLowerCase() !== "#microsoft.graph.fileattachment") {
    throw graphErrors.invalidRequest(
      `The attachment type '${type}' isn't supported by the emulator; use #microsoft.graph.fileAttachment.`,
    );
  }
  const name = text(attachment.name);
  const contentBytes = text(attachment.contentBytes);
  if (!name || contentBytes === undefined) {
    throw graphErrors.invalidRequest("A file attachment needs a name and contentBytes.");
  }
  const contentId = text(attachment.contentId);
  return {
    id: graphItemId(),
    name,
    // Without a contentType, Exchange types the attachment by its name, as nodemailer does.
    contentType: text(attachment.contentType) ?? detectMimeType(name),
    isInline: attachment.isInline === true,
    ...(contentId ? { contentId } : {}),
    content: Buffer.from(contentBytes, "base64"),
  };
}

/**
 * Validates a Graph `message` resource.
 * @throws GraphError `InvalidInternetMessageHeader` for a header not starting with `x-`, and
 *   `UnableToDeserializePostBody` for a shape Graph could not read
 */
export function parseGraphMessage(value: unknown): GraphMessage {
  const message = record(value);
  if (!message) throw graphErrors.unreadableBody();
  const body = record(message.body);
  const headers = message.internetMessageHeaders ?? [];
  if (!Array.isArray(headers)) throw graphErrors.unreadableBody();
  const internetMessageHeaders = headers.map((entry) => {
    const name = text(record(entry)?.name) ?? "";
    const headerValue = text(record(entry)?.value) ?? "";
    // Graph accepts only custom headers here; anything else fails the whole request.
    if (!/^x-/i.test(name)) throw graphErrors.invalidHeader(name);
    return { name, value: headerValue };
  });
  const importance = text(message.importance)?.toLowerCase();
  const attachments = message.attachments ?? [];
  if (!Array.isArray(attachments)) throw graphErrors.unreadableBody();
  const from =
    message.from === undefined || message.from === null ? undefined : recipient(message.from);
  const subject = text(message.subject);
  const internetMessageId = text(message.internetMessageId);
  return {
    ...(subject !== undefined ? { subject } : {}),
    ...(body
      ? {
          body: {
            contentType: text(body.contentType)?.toLowerCase() === "html" ? "html" : "text",
            content: text(body.content) ?? "",
          },
        }
      : {}),
    ...(from ? { from } : {}),
    toRecipients: recipients(message.toRecipients),
    ccRecipients: recipients(message.ccRecipients),
    bccRecipients: recipients(message.bccRecipients),
    replyTo: recipients(message.replyTo),
    ...(importance === "low" || importance === "normal" || importance === "high"
      ? { importance }
      : {}),
    internetMessageHeaders,
    ...(internetMessageId ? { internetMessageId } : {}),
    attachments: attachments.map(parseFileAttachment),
  };
}

function composerAddress(value: GraphRecipient): { name: string; address: string } {
  return { name: value.emailAddress.name ?? "", address: value.emailAddress.address };
}

/** Everything a rendered message needs besides the resource itself. */
export interface RenderOptions {
  /** The sending mailbox, used as From when the message has none. */
  readonly mailbox: { readonly address: string; readonly displayName?: string };
  readonly messageId: string;
  readonly date: Date;
}

/** A stored attachment as a MailComposer attachment (one MIME part). */
function composerAttachment(attachment: StoredAttachment) {
  return {
    filename: attachment.name,
    content: attachment.content,
    contentType: attachment.contentType,
    contentDisposition: attachment.isInline ? "inline" : "attachment",
    ...(attachment.isInline && attachment.contentId ? { cid: attachment.contentId } : {}),
  };
}

/** Renders a Graph message to MIME and its envelope, as Exchange would submit it. */
export async function renderGraphMessage(
  message: GraphMessage,
  options: RenderOptions,
): Promise<{ raw: Buffer; envelope: { from: string; to: string[] } }> {
  const from = message.from ?? {
    emailAddress: { name: options.mailbox.displayName ?? "", address: options.mailbox.address },
  };
  const headers: { key: string; value: string }[] = message.internetMessageHeaders.map((entry) => ({
    key: entry.name,
    value: entry.value,
  }));
  // Same priority headers nodemailer's mailer writes, so both paths parse to the same importance.
  if (message.importance === "high") {
    headers.push(
      { key: "X-Priority", value: "1 (Highest)" },
      { key: "X-MSMail-Priority", value: "High" },
      { key: "Importance", value: "High" },
    );
  } else if (message.importance === "low") {
    headers.push(
      { key: "X-Priority", value: "5 (Lowest)" },
      { key: "X-MSMail-Priority", value: "Low" },
      { key: "Importance", value: "Low" },
    );
  }
  const composer = new MailComposer({
    from: composerAddress(from),
    ...(message.toRecipients.length > 0 ? { to: message.toRecipients.map(composerAddress) } : {}),
    ...(message.ccRecipients.length > 0 ? { cc: message.ccRecipients.map(composerAddress) } : {}),
    ...(message.replyTo.length > 0 ? { replyTo: message.replyTo.map(composerAddress) } : {}),
    subject: message.subject ?? "",
    messageId: options.messageId,
    date: options.date,
    // Graph keeps one body: the html, or the text.
    ...(message.body?.contentType === "html"
      ? { html: message.body.content }
      : { text: message.body?.content ?? "" }),
    attachments: message.attachments.map(composerAttachment),
    headers,
  });
  const raw = await composer.compile().build();
  const to = [...message.toRecipients, ...message.ccRecipients, ...message.bccRecipients].map(
    (entry) => entry.emailAddress.address,
  );
  return { raw, envelope: { from: from.emailAddress.address, to } };
}

/** What the emulator needs from a MIME message's header block. */
export interface MimeSummary {
  readonly from?: string;
  readonly recipients: readonly string[];
  readonly hasMessageId: boolean;
  /** The Message-ID header's value, when there is one. */
  readonly messageId?: string;
  readonly hasDate: boolean;
}

/** Splits a MIME message at the end of its header block. */
function splitHeader(raw: Buffer): { head: string; rest: Buffer; newline: string } {
  const crlf = raw.indexOf("\r\n\r\n");
  const lf = raw.indexOf("\n\n");
  if (crlf !== -1 && (lf === -1 || crlf < lf)) {
    return {
      head: raw.subarray(0, crlf).toString("latin1"),
      rest: raw.subarray(crlf),
      newline: "\r\n",
    };
  }
  if (lf !== -1) {
    return { head: raw.subarray(0, lf).toString("latin1"), rest: raw.subarray(lf), newline: "\n" };
  }
  return { head: raw.toString("latin1"), rest: Buffer.alloc(0), newline: "\r\n" };
}

/** Header fields in order, each with its folded source lines. */
function headerFields(head: string): { name: string; value: string; source: string }[] {
  const fields: { name: string; value: string; source: string }[] = [];
  for (const line of head.split(/\r?\n/)) {
    const last = fields.at(-1);
    if (/^[ \t]/.test(line) && last) {
      last.value += ` ${line.trim()}`;
      last.source += `\n${line}`;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    fields.push({
      name: line.slice(0, colon).trim().toLowerCase(),
      value: line.slice(colon + 1).trim(),
      source: line,
    });
  }
  return fields;
}

function addresses(value: string): string[] {
  return addressparser(Buffer.from(value, "latin1").toString("utf8"), { flatten: true })
    .map((entry) => entry.address)
    .filter((address) => address.length > 0);
}

/** Reads From and the To/Cc/Bcc recipients from a MIME message's header block. */
export function summarizeMime(raw: Buffer): MimeSummary {
  const fields = headerFields(splitHeader(raw).head);
  const from = fields.find((field) => field.name === "from");
  const recipients = fields
    .filter((field) => field.name === "to" || field.name === "cc" || field.name === "bcc")
    .flatMap((field) => addresses(field.value));
  const fromAddress = from ? addresses(from.value)[0] : undefined;
  const messageId = fields.find((field) => field.name === "message-id")?.value;
  return {
    ...(fromAddress ? { from: fromAddress } : {}),
    recipients,
    hasMessageId: messageId !== undefined,
    ...(messageId ? { messageId } : {}),
    hasDate: fields.some((field) => field.name === "date"),
  };
}

/**
 * Prepares a MIME message for delivery as Exchange submits it: the Bcc header is removed (the
 * recipients stay in the envelope) and a missing From, Message-ID or Date is added.
 */
export function prepareMime(
  raw: Buffer,
  additions: {
    readonly from?: string;
    readonly messageId?: string;
    readonly date?: Date;
    /** Keep the Bcc header (a draft keeps it until it is sent). */
    readonly keepBcc?: boolean;
  },
): Buffer {
  const { head, rest, newline } = splitHeader(raw);
  const kept: string[] = [];
  let skipping = false;
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line)) {
      if (!skipping) kept.push(line);
      continue;
    }
    skipping = additions.keepBcc !== true && /^bcc\s*:/i.test(line);
    if (!skipping) kept.push(line);
  }
  if (additions.from) kept.unshift(`From: ${additions.from}`);
  if (additions.messageId) kept.unshift(`Message-ID: ${additions.messageId}`);
  if (additions.date) kept.unshift(`Date: ${additions.date.toUTCString().replace("GMT", "+0000")}`);
  return Buffer.concat([Buffer.from(kept.join(newline), "latin1"), rest]);
}

function graphRecipients(value: AddressObject | AddressObject[] | undefined): GraphRecipient[] {
  const groups = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const flat = (entries: readonly EmailAddress[]): EmailAddress[] =>
    entries.flatMap((entry) => (entry.group ? flat(entry.group) : [entry]));
  return flat(groups.flatMap((group) => group.value))
    .filter((entry) => entry.address)
    .map((entry) => ({
      emailAddress: entry.name
        ? { name: entry.name, address: entry.address ?? "" }
        : { address: entry.address ?? "" },
    }));
}

/**
 * Reads the message resource of a draft created from MIME (subject, addresses, body) and
 * whether the MIME carries attachments. The MIME itself stays the message that is sent.
 */
export async function readMimeDraft(
  raw: Buffer,
): Promise<{ message: GraphMessage; hasAttachments: boolean }> {
  const parsed = await simpleParser(raw, {
    skipImageLinks: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    keepCidLinks: true,
  });
  const from = graphRecipients(parsed.from)[0];
  const html = typeof parsed.html === "string" ? parsed.html : undefined;
  return {
    message: {
      ...(parsed.subject !== undefined ? { subject: parsed.subject } : {}),
      body:
        html !== undefined
          ? { contentType: "html", content: html }
          : { contentType: "text", content: parsed.text ?? "" },
      ...(from ? { from } : {}),
      toRecipients: graphRecipients(parsed.to),
      ccRecipients: graphRecipients(parsed.cc),
      bccRecipients: graphRecipients(parsed.bcc),
      replyTo: graphRecipients(parsed.replyTo),
      internetMessageHeaders: [],
      ...(parsed.messageId ? { internetMessageId: parsed.messageId } : {}),
      attachments: [],
    },
    hasAttachments: parsed.attachments.some(
      (attachment) => attachment.contentDisposition !== "inline" && attachment.related !== true,
    ),
  };
}

/** Decodes Graph's base64 MIME body strictly (whitespace allowed, nothing else). */
export function decodeMimeBase64(body: Buffer): Buffer {
  const compact = body.toString("latin1").replace(/[\r\n\t ]/g, "");
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw graphErrors.invalidBase64();
  }
  return Buffer.from(compact, "base64");
}

/**
 * Adds attachments (from upload sessions or attachment POSTs) to a MIME message, as Exchange
 * does when it sends a draft created from MIME: the message keeps its header block (every
 * header, Bcc included, for the envelope), its own structure becomes the first part of a
 * `multipart/mixed`, and each attachment is rendered as `renderGraphMessage` renders one.
 */
export async function appendMimeAttachments(
  raw: Buffer,
  attachments: readonly StoredAttachment[],
): Promise<Buffer> {
  if (attachments.length === 0) return raw;
  const { head, rest, newline } = splitHeader(raw);
  const fields = headerFields(head);
  const sourceOf = (field: { source: string }) => field.source.split("\n").join(newline);
  const isContentField = (name: string) => name.startsWith("content-");
  // The original body part: its Content-* fields, then its body as it was.
  const original = Buffer.concat([
    Buffer.from(
      fields
        .filter((field) => isContentField(field.name))
        .map(sourceOf)
        .join(newline),
      "latin1",
    ),
    rest,
  ]);
  const wrapper = await new MailComposer({
    newline: newline === "\n" ? "\n" : "\r\n",
    attachments: [{ raw: original }, ...attachments.map(composerAttachment)],
  })
    .compile()
    .build();
  // The wrapper's own header block is replaced by the message's, but for its Content-Type.
  const built = splitHeader(wrapper);
  const contentType = headerFields(built.head).filter((field) => field.name === "content-type");
  const kept = fields.filter((field) => !isContentField(field.name));
  if (!kept.some((field) => field.name === "mime-version")) {
    kept.push({ name: "mime-version", value: "1.0", source: "MIME-Version: 1.0" });
  }
  return Buffer.concat([
    Buffer.from([...kept, ...contentType].map(sourceOf).join(newline), "latin1"),
    built.rest,
  ]);
}

export { GraphError };
