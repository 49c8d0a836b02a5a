// What the sandbox shows of a delivered message: search, summaries, the parsed parts
// (attachments are read again from the raw MIME, the store keeps only their digests).
import type { DeliveredMessage } from "@mailpath/core/testing";
import { type Attachment, simpleParser } from "mailparser";

/**
 * The header analysis the message view shows. `analyzeHeaders()` of `@mailpath/inspect`
 * returns this shape; the emulator takes the function as an option so that it does not
 * depend on the inspect package (whose tests depend on the emulator).
 * @since 0.1.0
 */
export interface SandboxHeaderAnalysis {
  readonly authentication: {
    readonly authservId?: string;
    readonly spf?: { readonly result: string; readonly domain?: string; readonly ip?: string };
    readonly dkim: readonly {
      readonly result: string;
      readonly domain?: string;
      readonly selector?: string;
    }[];
    readonly dmarc?: {
      readonly result: string;
      readonly domain?: string;
      readonly policy?: string;
      readonly action?: string;
    };
    readonly compauth?: { readonly result: string; readonly reason?: string };
  };
  readonly spam: {
    readonly scl?: number;
    readonly bcl?: number;
    readonly sfv?: string;
    readonly cat?: string;
    readonly authAs?: string;
    readonly directionality?: string;
  };
  readonly hops: readonly {
    readonly from?: string;
    readonly by?: string;
    readonly with?: string;
    readonly at?: string;
    readonly delayMs: number | null;
  }[];
  readonly verdict: string;
  readonly findings: readonly { readonly severity: string; readonly message: string }[];
}

/** Reads a raw message's headers the way `@mailpath/inspect`'s `analyzeHeaders` does. */
export type SandboxHeaderAnalyzer = (raw: string) => Promise<SandboxHeaderAnalysis>;

/** Human names of the delivery paths. */
export const PATH_LABELS: Readonly<Record<string, string>> = {
  smtp: "SMTP submission",
  relay: "Relay / direct send",
  graph: "Graph sendMail",
};

/** Newest first. */
export function newestFirst(messages: readonly DeliveredMessage[]): DeliveredMessage[] {
  return [...messages].reverse();
}

/**
 * Mailpit-style search: `from:`, `to:`, `subject:` terms (quotes allowed) and free words
 * matching sender, recipients or subject; every term must match (case-insensitive).
 */
export function matchesQuery(message: DeliveredMessage, query: string): boolean {
  const terms = [...query.matchAll(/(?:(\w+):)?(?:"([^"]*)"|(\S+))/g)].map((match) => ({
    field: match[1]?.toLowerCase(),
    value: (match[2] ?? match[3] ?? "").toLowerCase(),
  }));
  const from = [message.envelope.from, message.from?.address, message.from?.name]
    .filter(Boolean)
    .join(" ")
    .toLowerCase();
  const to = [
    ...message.envelope.to,
    ...[...message.to, ...message.cc].flatMap((entry) => [entry.address, entry.name ?? ""]),
  ]
    .join(" ")
    .toLowerCase();
  const subject = (message.subject ?? "").toLowerCase();
  return terms.every(({ field, value }) => {
    if (value === "") return true;
    if (field === "from") return from.includes(value);
    if (field === "to") return to.includes(value);
    if (field === "subject") return subject.includes(value);
    const word = field ? `${field}:${value}` : value;
    return from.includes(word) || to.includes(word) || subject.includes(word);
  });
}

/** Size of the raw message in octets. */
export function rawSize(message: DeliveredMessage): number {
  return Buffer.byteLength(message.raw ?? "", "utf8");
}

/** A short plain-text preview. */
export function snippet(message: DeliveredMessage): string {
  const text = message.text ?? message.html?.replace(/<[^>]*>/g, " ") ?? "";
  return text.replace(/\s+/g, " ").trim().slice(0, 200);
}

/** Every header line of the raw message in order, unfolded (names as written). */
export function headerLines(message: DeliveredMessage): { name: string; value: string }[] {
  const raw = message.raw ?? "";
  const end = raw.search(/\r?\n\r?\n/);
  const head = end === -1 ? raw : raw.slice(0, end);
  const lines: { name: string; value: string }[] = [];
  for (const line of head.split(/\r?\n/)) {
    const last = lines.at(-1);
    if (/^[ \t]/.test(line) && last) {
      last.value += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon > 0) lines.push({ name: line.slice(0, colon), value: line.slice(colon + 1).trim() });
  }
  return lines;
}

/** Parsed parts of one message, cached by id (the raw message never changes). */
export function createPartReader(limit = 50) {
  const cache = new Map<string, Promise<readonly Attachment[]>>();
  return (message: DeliveredMessage): Promise<readonly Attachment[]> => {
    let parts = cache.get(message.id);
    if (!parts) {
      parts = simpleParser(message.raw ?? "", {
        keepCidLinks: true,
        skipImageLinks: true,
        skipTextToHtml: true,
        skipTextLinks: true,
      }).then((parsed) => parsed.attachments);
      cache.set(message.id, parts);
      if (cache.size > limit) cache.delete(cache.keys().next().value as string);
    }
    return parts;
  };
}
