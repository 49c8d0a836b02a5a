import type { Address, NormalizedMessage } from "@mailpath/core";
import type { ResolvedAttachment } from "./attachments.js";

type MailComposerModule = typeof import("nodemailer/lib/mail-composer");

let composer: Promise<MailComposerModule> | undefined;

// Loaded on the first MIME send only, so apps that send JSON never load nodemailer.
function loadComposer(): Promise<MailComposerModule> {
  composer ??= import("nodemailer/lib/mail-composer");
  return composer;
}

function address(value: Address): { name: string; address: string } {
  return { name: value.name ?? "", address: value.address };
}

/**
 * Builds the RFC 5322 message with nodemailer's composer, the same way the SMTP transports do:
 * every header, text and html, inline images, our Message-ID. Bcc is kept in the header
 * because Graph takes the recipients of a MIME message from its headers (Exchange removes
 * it before delivery).
 *
 * @param attachments the message's attachments, resolved; pass a subset to leave some out
 *   (the large-message path uploads them separately).
 */
export async function buildMime(
  message: NormalizedMessage,
  attachments: readonly ResolvedAttachment[],
): Promise<Buffer> {
  const { default: MailComposer } = await loadComposer();
  const mail = new MailComposer({
    from: address(message.from),
    to: message.to.map(address),
    cc: message.cc.map(address),
    bcc: message.bcc.map(address),
    replyTo: message.replyTo.map(address),
    subject: message.subject,
    messageId: message.messageId,
    ...(message.text !== undefined && { text: message.text }),
    ...(message.html !== undefined && { html: message.html }),
    ...(message.inReplyTo !== undefined && { inReplyTo: message.inReplyTo }),
    ...(message.references.length > 0 && { references: [...message.references] }),
    headers: { ...message.headers },
    attachments: attachments.map((attachment) => ({
      filename: attachment.source.filename ?? attachment.name,
      contentType: attachment.source.contentType,
      contentDisposition: attachment.source.inline ? "inline" : "attachment",
      ...(attachment.source.contentId !== undefined && { cid: attachment.source.contentId }),
      ...(attachment.bytes ? { content: attachment.bytes } : { path: attachment.path! }),
    })),
    disableUrlAccess: true,
  });
  const node = mail.compile();
  node.keepBcc = true;
  // nodemailer's Mailer (the SMTP path) sets these from `priority`; the composer alone does not.
  if (message.importance === "high") {
    node.setHeader("X-Priority", "1 (Highest)");
    node.setHeader("X-MSMail-Priority", "High");
    node.setHeader("Importance", "High");
  } else if (message.importance === "low") {
    node.setHeader("X-Priority", "5 (Lowest)");
    node.setHeader("X-MSMail-Priority", "Low");
    node.setHeader("Importance", "Low");
  }
  return node.build();
}
