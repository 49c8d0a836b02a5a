// The mailbox store: every message any path accepted, parsed from its raw MIME so that a
// message sent by SMTP, relay or Graph can be compared field by field.
import { createHash, randomUUID } from "node:crypto";
import type { Address, Importance } from "@mailpath/core";
import type { DeliveredAttachment, DeliveredMessage } from "@mailpath/core/testing";
import { type AddressObject, type EmailAddress, simpleParser } from "mailparser";
import type { DeliveryInput, MailStore } from "./context.js";

/** @default 5000 */
const DEFAULT_WAIT_MS = 5_000;

function flattenAddresses(value: AddressObject | AddressObject[] | undefined): Address[] {
  if (!value) return [];
  const out: Address[] = [];
  const visit = (entry: EmailAddress) => {
    if (entry.group) {
      entry.group.forEach(visit);
      return;
    }
    if (!entry.address) return;
    out.push(
      entry.name ? { address: entry.address, name: entry.name } : { address: entry.address },
    );
  };
  for (const object of Array.isArray(value) ? value : [value]) object.value.forEach(visit);
  return out;
}

function unfold(line: string): string {
  const colon = line.indexOf(":");
  return line
    .slice(colon + 1)
    .replace(/\r?\n[ \t]+/g, " ")
    .trim();
}

function importanceOf(headers: Record<string, string | readonly string[]>): Importance | undefined {
  const first = (name: string) => {
    const value = headers[name];
    return (Array.isArray(value) ? value[0] : value) as string | undefined;
  };
  const importance = first("importance")?.toLowerCase();
  if (importance === "high" || importance === "low" || importance === "normal") return importance;
  const priority = first("x-priority");
  if (priority) {
    const level = Number.parseInt(priority, 10);
    if (level === 1 || level === 2) return "high";
    if (level === 4 || level === 5) return "low";
    if (level === 3) return "normal";
  }
  return undefined;
}

/**
 * Parses one raw MIME message into a `DeliveredMessage`.
 * @param input the delivery (path, envelope, raw MIME, submitter)
 * @param receivedAt when it was accepted
 */
export async function parseDelivery(
  input: DeliveryInput,
  receivedAt: Date,
): Promise<DeliveredMessage> {
  const raw = typeof input.raw === "string" ? input.raw : input.raw.toString("utf8");
  const parsed = await simpleParser(input.raw, {
    keepCidLinks: true,
    skipImageLinks: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    checksumAlgo: false,
  });
  const headers: Record<string, string | string[]> = {};
  for (const { key, line } of parsed.headerLines) {
    const value = unfold(line);
    const existing = headers[key];
    if (existing === undefined) headers[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else headers[key] = [existing, value];
  }
  const to = flattenAddresses(parsed.to);
  const cc = flattenAddresses(parsed.cc);
  const visible = new Set([...to, ...cc].map((entry) => entry.address.toLowerCase()));
  const bcc = input.envelope.to
    .filter((address) => !visible.has(address.toLowerCase()))
    .map((address) => ({ address }));
  const attachments: DeliveredAttachment[] = parsed.attachments.map((attachment) => {
    const contentId = attachment.contentId?.replace(/^<|>$/g, "");
    const inline =
      attachment.contentDisposition === "inline" ||
      (attachment.contentDisposition === undefined && attachment.related === true);
    return {
      ...(attachment.filename !== undefined ? { filename: attachment.filename } : {}),
      contentType: attachment.contentType,
      size: attachment.content.length,
      sha256: createHash("sha256").update(attachment.content).digest("hex"),
      ...(contentId ? { contentId } : {}),
      inline,
    };
  });
  const from = flattenAddresses(parsed.from)[0];
  const importance = importanceOf(headers);
  return {
    id: randomUUID(),
    path: input.path,
    envelope: { from: input.envelope.from, to: [...input.envelope.to] },
    raw,
    headers,
    ...(parsed.messageId ? { messageId: parsed.messageId } : {}),
    ...(parsed.subject !== undefined ? { subject: parsed.subject } : {}),
    ...(from ? { from } : {}),
    to,
    cc,
    bcc,
    replyTo: flattenAddresses(parsed.replyTo),
    ...(parsed.text !== undefined ? { text: parsed.text } : {}),
    ...(typeof parsed.html === "string" ? { html: parsed.html } : {}),
    ...(importance ? { importance } : {}),
    attachments,
    ...(input.submittedBy !== undefined ? { submittedBy: input.submittedBy } : {}),
    ...(input.savedToSentItems !== undefined ? { savedToSentItems: input.savedToSentItems } : {}),
    receivedAt,
  };
}

interface Waiter {
  readonly count: number;
  readonly resolve: (messages: readonly DeliveredMessage[]) => void;
}

/**
 * Creates an empty store.
 * @param now clock for `receivedAt`
 */
export function createMailStore(
  now: () => number = Date.now,
  options: {
    /** Messages kept from an earlier run (`dataDir`), stored without notifying `onStored`. */
    readonly restored?: readonly DeliveredMessage[];
    /** Sees every message as it is stored. */
    readonly onStored?: (message: DeliveredMessage) => void;
  } = {},
): MailStore {
  let messages: DeliveredMessage[] = [...(options.restored ?? [])];
  let waiters: Waiter[] = [];
  const settle = () => {
    const ready = waiters.filter((waiter) => messages.length >= waiter.count);
    waiters = waiters.filter((waiter) => messages.length < waiter.count);
    for (const waiter of ready) waiter.resolve([...messages]);
  };
  return {
    async deliver(input: DeliveryInput): Promise<DeliveredMessage> {
      const message = await parseDelivery(input, new Date(now()));
      messages.push(message);
      options.onStored?.(message);
      settle();
      return message;
    },
    add(message: DeliveredMessage): void {
      messages.push(message);
      options.onStored?.(message);
      settle();
    },
    list(): readonly DeliveredMessage[] {
      return [...messages];
    },
    remove(ids: readonly string[]): number {
      const gone = new Set(ids);
      const before = messages.length;
      messages = messages.filter((message) => !gone.has(message.id));
      return before - messages.length;
    },
    waitFor(count, options = {}): Promise<readonly DeliveredMessage[]> {
      if (messages.length >= count) return Promise.resolve([...messages]);
      const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          count,
          resolve: (delivered) => {
            clearTimeout(timer);
            resolve(delivered);
          },
        };
        const timer = setTimeout(() => {
          waiters = waiters.filter((entry) => entry !== waiter);
          reject(
            new Error(
              `waited ${timeoutMs} ms for ${count} delivered message(s), got ${messages.length}`,
            ),
          );
        }, timeoutMs);
        timer.unref?.();
        waiters.push(waiter);
      });
    },
    clear(): void {
      messages = [];
    },
  };
}
