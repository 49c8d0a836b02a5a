// Maps a NormalizedMessage onto nodemailer's message options, for every SMTP-based transport
// (SMTP AUTH here, the relay through `@mailpath/transport-smtp/engine`).
import type { Readable } from "node:stream";
import type { Address, NormalizedAttachment, NormalizedMessage } from "@mailpath/core";
import type { Attachment as NodemailerAttachment, SendMailOptions } from "nodemailer";

/**
 * The nodemailer message for a normalized message: headers from the message, envelope from
 * its recipients (bcc included), attachments streamed (`{ path }` stays a path, a `Readable`
 * stays a stream), and URL access turned off.
 * @since 0.1.0
 */
export function toNodemailerMessage(message: NormalizedMessage): SendMailOptions {
  return {
    messageId: message.messageId,
    from: toAddress(message.from),
    ...(message.to.length > 0 && { to: message.to.map(toAddress) }),
    ...(message.cc.length > 0 && { cc: message.cc.map(toAddress) }),
    ...(message.bcc.length > 0 && { bcc: message.bcc.map(toAddress) }),
    ...(message.replyTo.length > 0 && { replyTo: message.replyTo.map(toAddress) }),
    subject: message.subject,
    ...(message.text !== undefined && { text: message.text }),
    ...(message.html !== undefined && { html: message.html }),
    ...(message.attachments.length > 0 && { attachments: message.attachments.map(toAttachment) }),
    headers: { ...message.headers },
    ...(message.importance !== "normal" && { priority: message.importance }),
    ...(message.inReplyTo !== undefined && { inReplyTo: message.inReplyTo }),
    ...(message.references.length > 0 && { references: [...message.references] }),
    envelope: {
      from: message.from.address,
      to: [...message.recipients],
      // nodemailer asks for SMTPUTF8 only when an envelope address needs it; a non-ASCII
      // local part that only Reply-To carries is written into the header as raw UTF-8, which
      // Exchange refuses in a 7BIT transaction (554 5.6.0). Declare 8-bit content for it.
      ...(message.replyTo.some(({ address }) => hasNonAsciiLocalPart(address)) && {
        use8BitMime: true,
      }),
    },
    // Attachments come from the application: never let a string be fetched as a URL.
    disableUrlAccess: true,
  };
}

function hasNonAsciiLocalPart(address: string): boolean {
  return /[^\p{ASCII}]/u.test(address.slice(0, address.lastIndexOf("@")));
}

function toAddress(address: Address): { name: string; address: string } {
  return { name: address.name ?? "", address: address.address };
}

function isReadable(value: unknown): value is Readable {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { pipe?: unknown }).pipe === "function"
  );
}

function toAttachment(attachment: NormalizedAttachment): NodemailerAttachment {
  const { content } = attachment;
  const base: NodemailerAttachment = {
    ...(attachment.filename !== undefined && { filename: attachment.filename }),
    contentType: attachment.contentType,
    contentDisposition: attachment.inline ? "inline" : "attachment",
    ...(attachment.contentId !== undefined && { cid: attachment.contentId }),
  };
  if (isReadable(content)) return { ...base, content };
  if (content instanceof Uint8Array) {
    return {
      ...base,
      content: Buffer.from(content.buffer, content.byteOffset, content.byteLength),
    };
  }
  if (typeof content === "string") {
    return { ...base, content, ...(attachment.encoding === "base64" && { encoding: "base64" }) };
  }
  // { path }: nodemailer opens the file when it writes the part, so it streams from disk.
  return { ...base, path: content.path };
}
