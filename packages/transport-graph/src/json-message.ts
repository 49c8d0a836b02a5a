import type { Address, NormalizedMessage } from "@mailpath/core";
import type { ResolvedAttachment } from "./attachments.js";
import type { GraphSendMode } from "./options.js";

/** A Graph `recipient`. */
export interface GraphRecipient {
  readonly emailAddress: { readonly address: string; readonly name?: string };
}

/** A Graph `fileAttachment`. */
export interface GraphFileAttachment {
  readonly "@odata.type": "#microsoft.graph.fileAttachment";
  readonly name: string;
  readonly contentType: string;
  readonly contentBytes: string;
  readonly isInline: boolean;
  readonly contentId?: string;
}

/** The Graph `message` resource mailpath sends in JSON mode. */
export interface GraphMessage {
  readonly subject: string;
  readonly body: { readonly contentType: "HTML" | "Text"; readonly content: string };
  readonly from: GraphRecipient;
  readonly toRecipients: readonly GraphRecipient[];
  readonly ccRecipients: readonly GraphRecipient[];
  readonly bccRecipients: readonly GraphRecipient[];
  readonly replyTo: readonly GraphRecipient[];
  readonly importance: "low" | "normal" | "high";
  readonly internetMessageId: string;
  readonly internetMessageHeaders?: readonly { readonly name: string; readonly value: string }[];
  readonly attachments?: readonly GraphFileAttachment[];
}

function recipient(address: Address): GraphRecipient {
  return {
    emailAddress: {
      address: address.address,
      ...(address.name !== undefined && address.name !== "" && { name: address.name }),
    },
  };
}

const X_HEADER = /^x-/i;

/**
 * Why a message needs MIME: the things a Graph JSON message cannot carry. Empty when JSON
 * carries the message whole.
 */
export function mimeOnlyFeatures(message: NormalizedMessage): string[] {
  const reasons: string[] = [];
  for (const name of Object.keys(message.headers)) {
    // Graph's internetMessageHeaders only take names that start with "x-" (InvalidInternetMessageHeader).
    if (!X_HEADER.test(name)) reasons.push(`header ${name}`);
  }
  if (message.text !== undefined && message.html !== undefined) reasons.push("both text and html");
  if (message.inReplyTo !== undefined) reasons.push("inReplyTo");
  if (message.references.length > 0) reasons.push("references");
  for (const attachment of message.attachments) {
    if (/^text\/calendar\b/i.test(attachment.contentType)) {
      reasons.push("a text/calendar part");
      break;
    }
  }
  return reasons;
}

/** The mode used for a message: `auto` resolves to `mime` when JSON would lose something. */
export function chooseMode(message: NormalizedMessage, mode: GraphSendMode): "json" | "mime" {
  if (mode !== "auto") return mode;
  return mimeOnlyFeatures(message).length > 0 ? "mime" : "json";
}

/** One Graph `fileAttachment` (its bytes base64 in `contentBytes`). */
export function fileAttachment(attachment: ResolvedAttachment, bytes: Buffer): GraphFileAttachment {
  return {
    "@odata.type": "#microsoft.graph.fileAttachment",
    name: attachment.name,
    contentType: attachment.source.contentType,
    contentBytes: bytes.toString("base64"),
    isInline: attachment.source.inline,
    ...(attachment.source.contentId !== undefined && { contentId: attachment.source.contentId }),
  };
}

/**
 * The exact size of the JSON body that POSTs `attachment` to a draft (`fileAttachment`
 * serialized, with `contentBytes` as the base64 of `attachment.size` bytes).
 */
export function attachmentPostBytes(attachment: ResolvedAttachment): number {
  const empty = Buffer.byteLength(JSON.stringify(fileAttachment(attachment, Buffer.alloc(0))));
  return empty + Math.ceil(attachment.size / 3) * 4;
}

/**
 * The Graph message resource for a message. JSON carries one body: the HTML when there is
 * one, else the text (use MIME to send both). Only `X-` headers are kept.
 */
export function toGraphMessage(
  message: NormalizedMessage,
  attachments: readonly GraphFileAttachment[] = [],
): GraphMessage {
  const headers = Object.entries(message.headers)
    .filter(([name]) => X_HEADER.test(name))
    .map(([name, value]) => ({ name, value }));
  return {
    subject: message.subject,
    body:
      message.html !== undefined
        ? { contentType: "HTML", content: message.html }
        : { contentType: "Text", content: message.text ?? "" },
    from: recipient(message.from),
    toRecipients: message.to.map(recipient),
    ccRecipients: message.cc.map(recipient),
    bccRecipients: message.bcc.map(recipient),
    replyTo: message.replyTo.map(recipient),
    importance: message.importance,
    internetMessageId: message.messageId,
    ...(headers.length > 0 && { internetMessageHeaders: headers }),
    ...(attachments.length > 0 && { attachments }),
  };
}

/** What the attachments add inside the message object: `,"attachments":[` and `]`. */
const ATTACHMENTS_KEY_BYTES = Buffer.byteLength(',"attachments":[]');

/**
 * The size of the JSON body of a `sendMail` request for this message and its attachments
 * (`{ message, saveToSentItems }`), before any attachment is read. An upper bound, since the
 * transport sends the body in one request when this is at most 4 MB: exact, except that
 * `saveToSentItems` is counted as `false` (one byte longer than `true`). Each attachment is
 * counted as its serialized `fileAttachment` (escaped name, content type and content id,
 * `isInline`, and the base64 of its size) and the comma between two.
 */
export function estimateJsonBytes(
  message: NormalizedMessage,
  attachments: readonly ResolvedAttachment[],
): number {
  const body = { message: toGraphMessage(message), saveToSentItems: false };
  let bytes = Buffer.byteLength(JSON.stringify(body));
  if (attachments.length === 0) return bytes;
  bytes += ATTACHMENTS_KEY_BYTES + attachments.length - 1;
  for (const attachment of attachments) bytes += attachmentPostBytes(attachment);
  return bytes;
}
