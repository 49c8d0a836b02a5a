// The parts of Mailpit's REST API (/api/v1) that fit the emulator's store: list, search,
// message, headers, raw source, attachment parts and delete, in Mailpit's JSON shapes, so
// Mailpit clients and test helpers work against the sandbox unchanged.
import { createHash } from "node:crypto";
import type { DeliveredMessage } from "@mailpath/core/testing";
import type { Attachment } from "mailparser";
import { headerLines, matchesQuery, newestFirst, rawSize, snippet } from "./model.js";

type Address = { readonly address: string; readonly name?: string };

const mailpitAddress = (entry: Address | undefined) => ({
  Name: entry?.name ?? "",
  Address: entry?.address ?? "",
});

/** One list entry (`MessageSummary` in Mailpit's API). */
export function listItem(message: DeliveredMessage) {
  return {
    ID: message.id,
    MessageID: (message.messageId ?? "").replace(/^<|>$/g, ""),
    Read: false,
    From: mailpitAddress(message.from ?? { address: message.envelope.from }),
    To: message.to.map(mailpitAddress),
    Cc: message.cc.map(mailpitAddress),
    Bcc: message.bcc.map(mailpitAddress),
    ReplyTo: message.replyTo.map(mailpitAddress),
    Subject: message.subject ?? "",
    Created: message.receivedAt.toISOString(),
    Username: message.submittedBy ?? "",
    Tags: [message.path, ...(message.savedToSentItems ? ["sent-items"] : [])],
    Size: rawSize(message),
    Attachments: message.attachments.filter((attachment) => !attachment.inline).length,
    Snippet: snippet(message),
  };
}

/** The list/search answer (`MessagesSummary`). */
export function listAnswer(
  messages: readonly DeliveredMessage[],
  all: number,
  start: number,
  limit: number,
) {
  const ordered = newestFirst(messages);
  const page = ordered.slice(start, start + limit);
  return {
    total: all,
    unread: all,
    count: page.length,
    messages_count: ordered.length,
    messages_unread: ordered.length,
    start,
    tags: [],
    messages: page.map(listItem),
  };
}

function attachmentAnswer(part: Attachment, index: number) {
  return {
    PartID: String(index + 1),
    FileName: part.filename ?? "",
    ContentType: part.contentType,
    ContentID: (part.contentId ?? "").replace(/^<|>$/g, ""),
    Size: part.size,
    Checksums: {
      MD5: createHash("md5").update(part.content).digest("hex"),
      SHA1: createHash("sha1").update(part.content).digest("hex"),
      SHA256: createHash("sha256").update(part.content).digest("hex"),
    },
  };
}

/** Whether a part is shown inline (Mailpit splits `Inline` from `Attachments`). */
export function isInline(part: Attachment): boolean {
  return (
    part.contentDisposition === "inline" ||
    (part.contentDisposition === undefined && part.related === true)
  );
}

/** The message answer (`Message`). */
export function messageAnswer(message: DeliveredMessage, parts: readonly Attachment[]) {
  const header = (name: string) => {
    const value = message.headers[name];
    return Array.isArray(value) ? value[0] : (value as string | undefined);
  };
  const indexed = parts.map((part, index) => ({ part, index }));
  return {
    ...listItem(message),
    ReturnPath: message.envelope.from,
    Date: message.receivedAt.toISOString(),
    ListUnsubscribe: {
      Header: header("list-unsubscribe") ?? "",
      Links: [],
      Errors: "",
      HeaderPost: "",
    },
    Text: message.text ?? "",
    HTML: message.html ?? "",
    Inline: indexed
      .filter(({ part }) => isInline(part))
      .map(({ part, index }) => attachmentAnswer(part, index)),
    Attachments: indexed
      .filter(({ part }) => !isInline(part))
      .map(({ part, index }) => attachmentAnswer(part, index)),
  };
}

/** Headers as Mailpit answers them: each name as written, every value in order. */
export function headersAnswer(message: DeliveredMessage): Record<string, string[]> {
  const answer: Record<string, string[]> = {};
  for (const { name, value } of headerLines(message)) {
    const key = Object.keys(answer).find((known) => known.toLowerCase() === name.toLowerCase());
    const values = answer[key ?? name] ?? [];
    values.push(value);
    answer[key ?? name] = values;
  }
  return answer;
}

/** Filters for `/api/v1/search`. */
export function search(messages: readonly DeliveredMessage[], query: string) {
  return messages.filter((message) => matchesQuery(message, query));
}
