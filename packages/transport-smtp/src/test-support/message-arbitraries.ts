// Generated messages for the property tests of issue 9 (validation and the bytes on the wire):
// mostly valid, sometimes hostile input, and the check that compiled bytes carry exactly the
// validated fields. Shared by the MIME-builder property and its sample over real SMTP.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { domainToASCII } from "node:url";
import {
  MailError,
  type MailMessage,
  type NormalizedMessage,
  normalizeMessage,
} from "@mailpath/core";
import fc from "fast-check";
import { afterAll, beforeAll, expect } from "vitest";

let filePath = "";

/**
 * Writes the file a generated `{ path }` attachment points at into a temporary directory
 * before the file's tests, and removes it after them.
 */
export function useAttachmentFile(): void {
  let directory = "";
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "mailpath-property-"));
    filePath = join(directory, "attachment.bin");
    await writeFile(filePath, "file content\r\n");
  });
  afterAll(async () => {
    if (directory) await rm(directory, { recursive: true, force: true });
  });
}

/** `runs` cases; MAILPATH_FC_SEED reproduces a failure (fast-check prints its seed and path). */
export function propertyRuns(runs: number): fc.Parameters<unknown> {
  const seed = process.env.MAILPATH_FC_SEED;
  return { numRuns: runs, ...(seed !== undefined && { seed: Number(seed) }) };
}

/**
 * The generated input as validation leaves it, or `undefined` when validation refuses it: a
 * refusal must be INVALID_MESSAGE, anything else thrown fails the property.
 */
export function validatedOrRefused(input: unknown): NormalizedMessage | undefined {
  try {
    return normalizeMessage(input as MailMessage);
  } catch (error) {
    expect(MailError.isInstance(error) && error.code, String(error)).toBe("INVALID_MESSAGE");
    return undefined;
  }
}

// Pieces an attacker or a buggy caller would put in a field.
const HOSTILE = [
  "\r\n",
  "\r\nBcc: victim@fabrikam.com",
  "\nX-Injected: 1",
  "\r",
  "\u0000",
  "\u0001",
  "\u007f",
  "\u0085",
  "\u2028",
  "\t",
  " ",
  ":",
  ";",
  "<",
  ">",
  "@",
  '"',
  "\\",
  "=?utf-8?q?x?=",
  "é",
  "山田",
  "😀",
  "a".repeat(300),
  "b ".repeat(200),
];
const piece = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 4 }) },
);
const text = fc.array(piece, { maxLength: 8 }).map((pieces) => pieces.join(""));
const longText = fc.oneof(
  text,
  fc.array(piece, { maxLength: 60 }).map((pieces) => pieces.join("")),
);

const local = fc.constantFrom("ada", "grace.hopper", "a+tag", '"quoted local"', "zoë", "x");
const domain = fc.constantFrom("contoso.com", "fabrikam.co.uk", "bücher.de", "mail.example.org");
const address = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`) },
  { weight: 1, arbitrary: text },
);
const addressInput = fc.oneof(
  { weight: 3, arbitrary: address },
  { weight: 2, arbitrary: fc.tuple(text, address).map(([name, a]) => `${name} <${a}>`) },
  {
    weight: 2,
    arbitrary: fc.record(
      { address, name: fc.option(text, { nil: undefined }) },
      { requiredKeys: ["address"] },
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 42, {}, []) },
);
const addressList = fc.oneof(
  addressInput,
  fc.array(addressInput, { maxLength: 4 }),
  fc.constant(undefined),
);

const headerName = fc.oneof(
  fc.constantFrom(
    "X-Correlation-Id",
    "List-Unsubscribe",
    "X-Tag",
    "Bcc",
    "Subject",
    "Content-Type",
    "Received",
    "Return-Path",
    "X-MS-Exchange-Organization-SCL",
    "Resent-To",
    "Bad Name",
    "X:Colon",
    "X-Ünicode",
  ),
  fc.stringMatching(/^X-[A-Za-z0-9-]{1,12}$/),
);
const headerValue = fc.oneof(text, fc.constantFrom<unknown>(42, null, ["a"]));

const content = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }),
  fc.constantFrom("aGVsbG8=", "not base64!", ""),
  fc.constant("FILE").map(() => ({ path: filePath })),
  fc.constantFrom<unknown>(42, null, { href: "https://example.com" }),
);
const attachment = fc.record(
  {
    filename: fc.oneof(
      text,
      fc.constantFrom("report.pdf", "logo.png", "a.ics"),
      fc.constantFrom<unknown>(7),
    ),
    content,
    contentType: fc.oneof(
      fc.constantFrom("application/pdf", "image/png", "text/plain; charset=utf-8"),
      text.map((extra) => `text/plain${extra}`),
      fc.constantFrom<unknown>(1),
    ),
    contentId: fc.oneof(
      fc.constantFrom("logo", "chart@contoso.com"),
      text,
      fc.constantFrom<unknown>(true, 123),
    ),
    encoding: fc.constantFrom<unknown>("utf8", "base64", "hex"),
    disposition: fc.constant("inline"),
  },
  { requiredKeys: ["content"] },
);
const messageId = fc.oneof(
  fc.constantFrom("<id-1@contoso.com>", "id-2@contoso.com"),
  text.map((value) => `<${value}@contoso.com>`),
  text,
);

// Mostly valid, sometimes hostile: each field is valid six times in seven, so a good share of
// the generated messages passes validation and reaches the MIME builder.
const mostly = <T>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 6, arbitrary: valid as fc.Arbitrary<unknown> },
    { weight: 1, arbitrary: hostile },
  );
const safeText = fc.string({ unit: "grapheme", maxLength: 30 });
const safeLong = fc.oneof(
  safeText,
  fc
    .array(fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }), { maxLength: 70 })
    .map((words) => words.join(" ")),
);
const validAddress = fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`);
const validAddressInput = fc.oneof(
  validAddress,
  fc.tuple(safeText, validAddress).map(([name, a]) => ({ address: a, name })),
  fc
    .tuple(fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,20}$/), validAddress)
    .map(([name, a]) => `${name} <${a}>`),
);
const validList = fc.array(validAddressInput, { minLength: 1, maxLength: 3 });
const validAttachment = fc.oneof(
  fc.record({
    filename: fc.oneof(
      fc.constantFrom("report.pdf", "logo.png", "a.ics"),
      safeText.map((name) => `${name}x.txt`),
    ),
    content: fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.uint8Array({ maxLength: 40 }),
      fc.constant("FILE").map(() => ({ path: filePath })),
    ),
  }),
  fc.record({
    contentId: fc.stringMatching(/^[a-z0-9.@_-]{1,20}$/),
    content: fc.constant("aGVsbG8="),
    encoding: fc.constant("base64"),
    contentType: fc.constantFrom("image/png", "image/gif; name=x.gif"),
  }),
);
const validId = fc.stringMatching(/^[a-z0-9.-]{1,30}$/).map((left) => `<${left}@contoso.com>`);

/** A message as an application might pass it: each field valid six times in seven. */
export const messageInput = fc.record(
  {
    from: mostly(validAddressInput, fc.oneof(addressInput, fc.constant([]), fc.constant(null))),
    to: mostly(validList, addressList),
    cc: mostly(fc.option(validList, { nil: undefined }), addressList),
    bcc: mostly(fc.option(validList, { nil: undefined }), addressList),
    replyTo: mostly(fc.option(validList, { nil: undefined }), addressList),
    subject: mostly(
      safeLong.map((value) => `S${value}`),
      fc.oneof(longText, fc.constantFrom<unknown>(42, "")),
    ),
    text: mostly(
      fc.oneof(safeLong, fc.constant(`line\r\n.\r\nQUIT\r\n${"z".repeat(2000)}`)),
      fc.oneof(longText, fc.constant(42)),
    ),
    html: mostly(
      safeLong.map((value) => `<p>${value}</p>`),
      text,
    ),
    attachments: mostly(
      fc.array(validAttachment, { maxLength: 3 }),
      fc.array(attachment, { maxLength: 3 }),
    ),
    headers: mostly(
      fc.dictionary(fc.stringMatching(/^X-[A-Za-z0-9-]{1,12}$/), safeLong, { maxKeys: 3 }),
      fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
    ),
    importance: mostly(
      fc.constantFrom("low", "normal", "high"),
      fc.constantFrom<unknown>("urgent", 1),
    ),
    messageId: mostly(fc.option(validId, { nil: undefined }), messageId),
    inReplyTo: mostly(fc.option(validId, { nil: undefined }), messageId),
    references: mostly(fc.array(validId, { maxLength: 3 }), fc.array(messageId, { maxLength: 3 })),
  },
  { requiredKeys: [] },
);

/** The top-level header fields of a message, unfolded: [lower-case name, value]. */
function headerFields(raw: string): [string, string][] {
  const block = raw.slice(0, raw.indexOf("\r\n\r\n"));
  return block
    .replace(/\r\n(?=[ \t])/g, "")
    .split("\r\n")
    .map((line) => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).replace(/^ /, "")] as [
        string,
        string,
      ];
    });
}

// Values whose text could read as an encoded word, or with white space a header line trims,
// have no single expected form; every other value must read back exactly.
const comparable = (given: string) =>
  !given.includes("=?") && given.trim() === given && !/\s\s/.test(given);

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/y;

/** An unfolded header value with its RFC 2047 encoded words decoded (UTF-8, as nodemailer writes). */
function decodeWords(value: string): string {
  let result = "";
  let bytes: Buffer[] = [];
  const flush = () => {
    if (bytes.length) result += Buffer.concat(bytes).toString("utf8");
    bytes = [];
  };
  let index = 0;
  while (index < value.length) {
    ENCODED_WORD.lastIndex = index;
    const word = ENCODED_WORD.exec(value);
    if (word) {
      const [, , encoding, textPart = ""] = word;
      bytes.push(
        encoding!.toUpperCase() === "B"
          ? Buffer.from(textPart, "base64")
          : Buffer.from(
              textPart
                .replace(/_/g, " ")
                .replace(/=([0-9A-F]{2})/gi, (_match, hex: string) =>
                  String.fromCharCode(Number.parseInt(hex, 16)),
                ),
              "latin1",
            ),
      );
      index = ENCODED_WORD.lastIndex;
      // White space between two encoded words is not part of the text (RFC 2047 §6.2).
      const gap = /^[ \t]+/.exec(value.slice(index))?.[0] ?? "";
      ENCODED_WORD.lastIndex = index + gap.length;
      if (gap && ENCODED_WORD.test(value)) index += gap.length;
      continue;
    }
    flush();
    result += value[index];
    index++;
  }
  flush();
  return result;
}

const ascii = (address: string) => {
  const at = address.lastIndexOf("@");
  return `${address.slice(0, at)}@${domainToASCII(address.slice(at + 1))}`;
};

/**
 * What compiled bytes must look like, given what validation let through. `bccKept`: the
 * stream transport writes the Bcc field; the SMTP transport must not.
 */
export function expectExactly(
  message: NormalizedMessage,
  raw: Buffer,
  envelope: { readonly from: string; readonly to: readonly string[] },
  options: {
    readonly bccKept: boolean;
    /** The recipients the server accepted, when it refused some. @default all of them */
    readonly accepted?: readonly string[];
  },
): void {
  // No NUL, no bare CR or LF, no line over 998 octets (RFC 5322 §2.1.1, RFC 5321 §4.5.3.1.6).
  expect(raw.includes(0), "NUL in the message").toBe(false);
  const textForm = raw.toString("latin1");
  expect(/\r(?!\n)|(?<!\r)\n/.test(textForm), "bare CR or LF").toBe(false);
  for (const line of textForm.split("\r\n")) {
    expect(line.length, `line of ${line.length} octets: ${line.slice(0, 60)}…`).toBeLessThanOrEqual(
      998,
    );
  }

  const fields = headerFields(raw.toString("utf8"));
  const names = fields.map(([name]) => name);
  const expected = new Set([
    "from",
    "subject",
    "message-id",
    "date",
    "mime-version",
    "content-type",
    ...(message.to.length ? ["to"] : []),
    ...(message.cc.length ? ["cc"] : []),
    ...(options.bccKept && message.bcc.length ? ["bcc"] : []),
    ...(message.replyTo.length ? ["reply-to"] : []),
    ...(message.inReplyTo ? ["in-reply-to"] : []),
    ...(message.references.length ? ["references"] : []),
    ...(message.importance !== "normal" ? ["importance", "x-priority", "x-msmail-priority"] : []),
    ...Object.keys(message.headers).map((name) => name.toLowerCase()),
  ]);
  const optional = new Set(["content-transfer-encoding"]);
  // Empty bodies are not written: a lone attachment is then the whole message.
  if (!message.text && !message.html && message.attachments.length === 1) {
    optional.add("content-disposition").add("content-id");
  }
  // Exactly these fields, each once: an injected line would add a name or repeat one.
  expect(names.filter((name) => !optional.has(name)).sort()).toEqual([...expected].sort());
  expect(new Set(names).size).toBe(names.length);

  const value = (name: string) => fields.find(([field]) => field === name)?.[1];
  expect(value("message-id")).toBe(message.messageId);
  // Header values read back (encoded words decoded) are the validated values.
  for (const [name, given] of Object.entries(message.headers)) {
    if (comparable(given)) expect(decodeWords(value(name.toLowerCase()) ?? "")).toBe(given);
  }
  if (comparable(message.subject))
    expect(decodeWords(value("subject") ?? "")).toBe(message.subject);

  // One MIME part per attachment, with the validated Content-ID.
  const dispositions = textForm.match(/^Content-Disposition: /gim) ?? [];
  expect(dispositions.length).toBe(message.attachments.length);
  for (const part of message.attachments) {
    if (part.contentId) expect(textForm).toContain(`Content-ID: <${part.contentId}>`);
  }

  // The envelope is the validated sender and recipients, nothing else (an IDN domain may be
  // written in punycode; nodemailer keeps it as is when the local part needs SMTPUTF8 anyway).
  const same = (actual: string, given: string) => actual === given || actual === ascii(given);
  expect(same(envelope.from, message.from.address), envelope.from).toBe(true);
  const recipients = options.accepted ?? message.recipients;
  expect(envelope.to.length).toBe(recipients.length);
  envelope.to.forEach((actual, index) => {
    expect(same(actual, recipients[index]!), actual).toBe(true);
  });
}
