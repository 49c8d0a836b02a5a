// What a job holds in Redis: the message after core's validation, as JSON. Attachments are
// stored inline in base64, so a worker on another machine needs nothing but Redis; `{ path }`
// is read at enqueue for the same reason, and a Readable is refused (it could only be read
// into memory, and the caller can do that knowingly).
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import {
  type Address,
  MailError,
  type MailIssue,
  type MailMessage,
  type NormalizedMessage,
} from "@mailpath/core";

/** An attachment as stored: content in base64. */
export interface StoredAttachment {
  readonly filename?: string;
  readonly contentType: string;
  readonly contentId?: string;
  /** The bytes, base64. */
  readonly content: string;
}

/**
 * A validated message as JSON: the normalized message with its attachments in base64, and
 * without `recipients` (core works them out again from to, cc and bcc when the worker sends).
 */
export interface StoredMessage extends Omit<NormalizedMessage, "attachments" | "recipients"> {
  readonly attachments: readonly StoredAttachment[];
}

/** The data of one outbox job. */
export interface OutboxJobData {
  /** Format version of this record. */
  readonly v: 1;
  readonly message: StoredMessage;
  /** Milliseconds since epoch. */
  readonly enqueuedAt: number;
  /** The idempotency key given at enqueue, if any. */
  readonly idempotencyKey?: string;
  /** Trace propagation headers of the span that enqueued (W3C `traceparent`), with `telemetry`. */
  readonly trace?: Readonly<Record<string, string>>;
}

async function attachmentBytes(
  content: NormalizedMessage["attachments"][number]["content"],
  encoding: "utf8" | "base64" | undefined,
  path: string,
  issues: MailIssue[],
): Promise<string | undefined> {
  if (content instanceof Uint8Array) return Buffer.from(content).toString("base64");
  if (typeof content === "string") {
    return encoding === "base64"
      ? Buffer.from(content, "base64").toString("base64")
      : Buffer.from(content, "utf8").toString("base64");
  }
  if (content instanceof Readable) {
    issues.push({
      path,
      message:
        "a Readable cannot be stored in the outbox; pass a Buffer, a string or { path } (read at enqueue)",
    });
    return undefined;
  }
  try {
    return (await readFile(content.path)).toString("base64");
  } catch (error) {
    issues.push({
      path,
      message: `could not be read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    });
    return undefined;
  }
}

/**
 * The job record of a validated message.
 * @throws MailError `INVALID_MESSAGE` for a Readable attachment or an unreadable `{ path }`.
 */
export async function storeMessage(message: NormalizedMessage): Promise<StoredMessage> {
  const issues: MailIssue[] = [];
  const attachments: StoredAttachment[] = [];
  for (const [index, attachment] of message.attachments.entries()) {
    const content = await attachmentBytes(
      attachment.content,
      attachment.encoding,
      `attachments[${index}].content`,
      issues,
    );
    if (content === undefined) continue;
    attachments.push({
      contentType: attachment.contentType,
      content,
      ...(attachment.filename !== undefined && { filename: attachment.filename }),
      ...(attachment.contentId !== undefined && { contentId: attachment.contentId }),
    });
  }
  if (issues.length > 0) {
    throw new MailError({
      code: "INVALID_MESSAGE",
      message: `The message cannot be stored in the outbox: ${issues.map((issue) => `${issue.path} ${issue.message}`).join("; ")}.`,
      hint: "Pass attachment content as a Buffer, a string or { path }; nothing was queued.",
      issues,
      messageId: message.messageId,
    });
  }
  return {
    messageId: message.messageId,
    from: message.from,
    to: message.to,
    cc: message.cc,
    bcc: message.bcc,
    replyTo: message.replyTo,
    subject: message.subject,
    ...(message.text !== undefined && { text: message.text }),
    ...(message.html !== undefined && { html: message.html }),
    attachments,
    headers: message.headers,
    importance: message.importance,
    ...(message.inReplyTo !== undefined && { inReplyTo: message.inReplyTo }),
    references: message.references,
  };
}

/** The message a worker hands to the mailer: the same Message-ID on every attempt. */
export function restoreMessage(stored: StoredMessage): MailMessage {
  const list = (addresses: readonly Address[]) => (addresses.length > 0 ? addresses : undefined);
  const to = list(stored.to);
  const cc = list(stored.cc);
  const bcc = list(stored.bcc);
  const replyTo = list(stored.replyTo);
  return {
    messageId: stored.messageId,
    from: stored.from,
    ...(to && { to }),
    ...(cc && { cc }),
    ...(bcc && { bcc }),
    ...(replyTo && { replyTo }),
    subject: stored.subject,
    ...(stored.text !== undefined && { text: stored.text }),
    ...(stored.html !== undefined && { html: stored.html }),
    attachments: stored.attachments.map((attachment) => ({
      content: attachment.content,
      encoding: "base64" as const,
      contentType: attachment.contentType,
      ...(attachment.filename !== undefined && { filename: attachment.filename }),
      ...(attachment.contentId !== undefined && { contentId: attachment.contentId }),
    })),
    headers: stored.headers,
    importance: stored.importance,
    ...(stored.inReplyTo !== undefined && { inReplyTo: stored.inReplyTo }),
    references: stored.references,
  };
}
