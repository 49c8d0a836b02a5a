import type { Address } from "@mailpath/core";
import type { DeliveredAttachment, DeliveredMessage } from "@mailpath/core/testing";

/**
 * The fields `compareDelivered` compares. `xHeaders` are the `X-` header fields, minus the
 * ones a path adds by itself (see `DEFAULT_IGNORED_HEADERS`).
 * @since 0.1.0
 */
export const PARITY_FIELDS = [
  "from",
  "to",
  "cc",
  "bcc",
  "replyTo",
  "subject",
  "text",
  "html",
  "importance",
  "messageId",
  "xHeaders",
  "attachments",
] as const;

/**
 * @see PARITY_FIELDS
 * @since 0.1.0
 */
export type FieldName = (typeof PARITY_FIELDS)[number];

/**
 * `X-` headers that differ between paths by design and are not compared unless
 * `ignoreHeaders` is given: Exchange's own `X-MS-*` stamps, and `X-Priority` /
 * `X-MSMail-Priority`, which SMTP uses to carry importance (compared as `importance`).
 * @since 0.1.0
 */
export const DEFAULT_IGNORED_HEADERS: readonly RegExp[] = [
  /^x-ms-/,
  /^x-microsoft-/,
  /^x-priority$/,
  /^x-msmail-priority$/,
  /^x-mailer$/,
  /^x-originating-ip$/,
];

/**
 * One field where two deliveries differ.
 * @since 0.1.0
 */
export interface ParityDifference {
  readonly field: FieldName;
  /** Where exactly: `to`, `x-headers.x-campaign`, `attachments[report.pdf].sha256`. */
  readonly path: string;
  /** The (normalized) value in the first message; `undefined` when absent. */
  readonly a: unknown;
  /** The (normalized) value in the second message. */
  readonly b: unknown;
}

/**
 * Options of `compareDelivered`.
 * @since 0.1.0
 */
export interface CompareOptions {
  /** Fields not to compare. @default [] (every field is compared) */
  readonly ignore?: readonly FieldName[];
  /** `X-` header names (lower-case) or patterns not to compare. @default DEFAULT_IGNORED_HEADERS */
  readonly ignoreHeaders?: readonly (string | RegExp)[];
}

const normalizeAddress = (address: Address) => ({
  address: address.address.toLowerCase(),
  name: address.name?.trim() || undefined,
});

function addressList(list: readonly Address[]) {
  return list
    .map(normalizeAddress)
    .sort((left, right) => left.address.localeCompare(right.address))
    .map((entry) => (entry.name ? `${entry.name} <${entry.address}>` : entry.address));
}

/**
 * CRLF → LF, no trailing blanks on lines or at the end.
 * @param text a text body
 * @returns the body in comparable form, or `undefined` when absent
 * @since 0.1.0
 */
export function normalizeText(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return text
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")
    .trim();
}

/**
 * Whitespace runs collapsed, none between tags.
 * @param html an HTML body
 * @returns the body in comparable form, or `undefined` when absent
 * @since 0.1.0
 */
export function normalizeHtml(html: string | undefined): string | undefined {
  if (html === undefined) return undefined;
  return html.replace(/\s+/g, " ").replace(/>\s+</g, "><").trim();
}

const stripContentTypeParameters = (type: string) => type.split(";")[0]?.trim().toLowerCase();
const bareMessageId = (id: string | undefined) => id?.trim().replace(/^<|>$/g, "");

function headerValue(value: string | readonly string[] | undefined) {
  if (value === undefined) return undefined;
  return typeof value === "string" ? value.trim() : value.map((entry) => entry.trim()).join("\n");
}

function attachmentKey(attachment: DeliveredAttachment, index: number): string {
  return (
    attachment.filename ?? (attachment.contentId ? `cid:${attachment.contentId}` : `#${index}`)
  );
}

/**
 * Compares two deliveries of the same message (for example one sent by SMTP and one by Graph)
 * field by field and lists where they differ. Addresses compare case-insensitively and in any
 * order, text bodies ignore line endings and trailing blanks, HTML bodies ignore whitespace,
 * an absent importance is `normal`, attachments are matched by filename (else Content-ID).
 * @param a one delivery, as the emulator or a memory transport recorded it
 * @param b the other delivery
 * @param options fields and headers not to compare
 * @returns the differences; empty when the deliveries agree
 * @example
 * expect(compareDelivered(viaSmtp, viaGraph, { ignore: ["messageId"] })).toEqual([]);
 * @since 0.1.0
 */
export function compareDelivered(
  a: DeliveredMessage,
  b: DeliveredMessage,
  options: CompareOptions = {},
): ParityDifference[] {
  const ignored = new Set<FieldName>(options.ignore ?? []);
  const differences: ParityDifference[] = [];
  const check = (field: FieldName, path: string, left: unknown, right: unknown) => {
    if (JSON.stringify(left) !== JSON.stringify(right))
      differences.push({ field, path, a: left, b: right });
  };
  const compare = (field: FieldName, body: () => void) => {
    if (!ignored.has(field)) body();
  };

  compare("from", () => {
    check("from", "from", a.from && addressList([a.from])[0], b.from && addressList([b.from])[0]);
  });
  for (const field of ["to", "cc", "bcc", "replyTo"] as const) {
    compare(field, () => check(field, field, addressList(a[field]), addressList(b[field])));
  }
  compare("subject", () => check("subject", "subject", a.subject, b.subject));
  compare("text", () => check("text", "text", normalizeText(a.text), normalizeText(b.text)));
  compare("html", () => check("html", "html", normalizeHtml(a.html), normalizeHtml(b.html)));
  compare("importance", () =>
    check("importance", "importance", a.importance ?? "normal", b.importance ?? "normal"),
  );
  compare("messageId", () =>
    check("messageId", "messageId", bareMessageId(a.messageId), bareMessageId(b.messageId)),
  );
  compare("xHeaders", () => {
    const patterns = options.ignoreHeaders ?? DEFAULT_IGNORED_HEADERS;
    const skip = (name: string) =>
      patterns.some((pattern) =>
        typeof pattern === "string" ? pattern.toLowerCase() === name : pattern.test(name),
      );
    const names = new Set(
      [...Object.keys(a.headers), ...Object.keys(b.headers)]
        .map((name) => name.toLowerCase())
        .filter((name) => name.startsWith("x-") && !skip(name)),
    );
    for (const name of [...names].sort()) {
      check(
        "xHeaders",
        `x-headers.${name}`,
        headerValue(findHeader(a.headers, name)),
        headerValue(findHeader(b.headers, name)),
      );
    }
  });
  compare("attachments", () => {
    const left = new Map(a.attachments.map((entry, index) => [attachmentKey(entry, index), entry]));
    const right = new Map(
      b.attachments.map((entry, index) => [attachmentKey(entry, index), entry]),
    );
    for (const key of new Set([...left.keys(), ...right.keys()])) {
      const x = left.get(key);
      const y = right.get(key);
      if (!x || !y) {
        check(
          "attachments",
          `attachments[${key}]`,
          x ? "present" : undefined,
          y ? "present" : undefined,
        );
        continue;
      }
      const path = `attachments[${key}]`;
      check(
        "attachments",
        `${path}.contentType`,
        stripContentTypeParameters(x.contentType),
        stripContentTypeParameters(y.contentType),
      );
      check("attachments", `${path}.size`, x.size, y.size);
      check("attachments", `${path}.sha256`, x.sha256.toLowerCase(), y.sha256.toLowerCase());
      check("attachments", `${path}.contentId`, x.contentId, y.contentId);
      check("attachments", `${path}.inline`, x.inline, y.inline);
    }
  });
  return differences;
}

function findHeader(headers: DeliveredMessage["headers"], name: string) {
  for (const [field, value] of Object.entries(headers)) {
    if (field.toLowerCase() === name) return value;
  }
  return undefined;
}

/**
 * Options of `assertParity`.
 * @since 0.1.0
 */
export interface AssertParityOptions extends CompareOptions {
  /**
   * Differences that are expected: a field name (`"html"`), or a difference path or its
   * prefix (`"x-headers.x-mailer"`, `"attachments[logo.png]"`). Say why in a comment.
   * @default [] (any difference fails)
   */
  readonly allowed?: readonly (FieldName | (string & {}))[];
}

/**
 * Throws when two deliveries differ in anything but the `allowed` differences, listing each.
 * @param a one delivery
 * @param b the other delivery
 * @param options the differences that are expected, and what not to compare
 * @throws Error listing every difference not allowed
 * @example
 * assertParity(viaSmtp, viaGraph, { allowed: ["messageId"] }); // Graph assigns its own id here
 * @since 0.1.0
 */
export function assertParity(
  a: DeliveredMessage,
  b: DeliveredMessage,
  options: AssertParityOptions = {},
): void {
  const allowed = options.allowed ?? [];
  const unexpected = compareDelivered(a, b, options).filter(
    (difference) =>
      !allowed.some(
        (entry) =>
          entry === difference.field ||
          entry === difference.path ||
          difference.path.startsWith(`${entry}.`),
      ),
  );
  if (unexpected.length === 0) return;
  const lines = unexpected.map(
    (difference) =>
      `  ${difference.path}: ${JSON.stringify(difference.a)} (${a.path}) ≠ ${JSON.stringify(difference.b)} (${b.path})`,
  );
  throw new Error(
    `Deliveries ${a.id} (${a.path}) and ${b.id} (${b.path}) differ in ${unexpected.length} field(s):\n${lines.join("\n")}`,
  );
}
