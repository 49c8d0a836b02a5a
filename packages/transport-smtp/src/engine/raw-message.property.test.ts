// The one-pass MIME writer (raw-message.ts) against nodemailer's composer: for any message it
// takes, the bytes carry exactly the validated fields (the issue 9 property) and read back,
// parsed by mailparser, the same as what nodemailer composes from the same message: subject,
// addresses, ids, priority, text, html and every attachment's name, type and bytes.
import { createRequire } from "node:module";
import {
  MailError,
  type MailMessage,
  type NormalizedMessage,
  normalizeMessage,
} from "@mailpath/core";
import fc from "fast-check";
import nodemailer from "nodemailer";
import { describe, expect, it } from "vitest";
import { expectExactly, messageInput } from "../test-support/message-arbitraries.js";
import { toNodemailerMessage } from "./nodemailer-message.js";
import { toRawMessage } from "./raw-message.js";

// mailparser through the emulator (its dependency), so both sides are read by the same parser
// the emulator's store uses. Only the fields read here are typed.
interface ParsedAddresses {
  value: { address?: string; name: string }[];
}
interface Parsed {
  subject?: string;
  from?: ParsedAddresses;
  to?: ParsedAddresses | ParsedAddresses[];
  cc?: ParsedAddresses | ParsedAddresses[];
  bcc?: ParsedAddresses | ParsedAddresses[];
  replyTo?: ParsedAddresses;
  messageId?: string;
  inReplyTo?: string;
  references?: string | string[];
  text?: string;
  html?: string | false;
  attachments: {
    filename?: string;
    contentType: string;
    contentDisposition: string;
    content: Buffer;
  }[];
}
const require = createRequire(import.meta.url);
const { simpleParser } = createRequire(require.resolve("@mailpath/emulator"))("mailparser") as {
  simpleParser(raw: Buffer, options: object): Promise<Parsed>;
};

const RUNS = Number(process.env.MAILPATH_FC_RUNS ?? 500);

const compiler = nodemailer.createTransport({
  streamTransport: true,
  buffer: true,
  newline: "windows",
});

async function composed(message: NormalizedMessage): Promise<Buffer> {
  const info = (await compiler.sendMail({ ...toNodemailerMessage(message), bcc: undefined })) as {
    message: Buffer;
  };
  return info.message;
}

/** What a reader sees in a message. */
async function reading(raw: Buffer) {
  const parsed = await simpleParser(raw, { skipTextToHtml: true, skipHtmlToText: true });
  const addresses = (field: ParsedAddresses | ParsedAddresses[] | undefined) =>
    (Array.isArray(field) ? field : field ? [field] : []).flatMap((entry) =>
      entry.value.map(({ address, name }) => ({ address, name })),
    );
  return {
    subject: parsed.subject,
    from: addresses(parsed.from),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    replyTo: addresses(parsed.replyTo),
    bcc: addresses(parsed.bcc),
    messageId: parsed.messageId,
    inReplyTo: parsed.inReplyTo,
    references: parsed.references,
    // mailparser folds the three priority fields into one: compare them as written.
    priority: raw
      .toString("latin1")
      .slice(0, raw.indexOf("\r\n\r\n"))
      .split("\r\n")
      .filter((line) => /^(x-priority|x-msmail-priority|importance):/i.test(line)),
    text: parsed.text,
    html: parsed.html,
    attachments: parsed.attachments.map((attachment) => ({
      filename: attachment.filename,
      contentType: attachment.contentType,
      disposition: attachment.contentDisposition,
      content: attachment.content.toString("base64"),
    })),
  };
}

const word = fc.stringMatching(/^[A-Za-z0-9.,!?'()=-]{1,12}$/);
const asciiText = fc
  .array(fc.oneof(word, fc.constantFrom(" ", "\n", "\r\n", "\t", "=", ".", "x".repeat(90))), {
    minLength: 1,
    maxLength: 40,
  })
  .map((parts) => parts.join(""));
const plainAddress = fc
  .tuple(fc.constantFrom("ada", "grace.hopper", "a+tag", "x_y"), fc.constantFrom("contoso.com"))
  .map(([local, domain]) => `${local}@${domain}`);
const plainName = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom("Ada Lovelace", "J. Doe", "O'Brien, Pat", "a(b)", "Grace"),
);
const plainRecipient = fc
  .tuple(plainName, plainAddress)
  .map(([name, address]) => (name === undefined ? address : { name, address }));
/** Messages mostly inside what the one-pass writer takes, so it is exercised. */
const plainInput = fc.record(
  {
    from: plainRecipient,
    to: fc.array(plainRecipient, { minLength: 1, maxLength: 12 }),
    cc: fc.array(plainRecipient, { maxLength: 3 }),
    bcc: fc.array(plainRecipient, { maxLength: 2 }),
    replyTo: fc.array(plainRecipient, { maxLength: 2 }),
    subject: fc.oneof(asciiText, fc.constantFrom("Hello", "Café", `${"long ".repeat(30)}end`)),
    text: fc.oneof(asciiText, fc.constantFrom("héllo wörld\n", "😀")),
    html: fc.oneof(
      fc.constant(undefined),
      asciiText.map((value) => `<p>${value}</p>`),
    ),
    attachments: fc.array(
      fc.record({
        filename: fc.constantFrom("report.bin", "a b.txt", "x.pdf"),
        content: fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.string({ maxLength: 40 }),
          fc.constant("aGVsbG8="),
        ),
        contentType: fc.constantFrom("application/octet-stream", "text/plain", "application/pdf"),
      }),
      { maxLength: 2 },
    ),
    importance: fc.constantFrom("low", "normal", "high"),
    inReplyTo: fc.constantFrom(undefined, "<parent-1@contoso.com>"),
    references: fc.array(fc.constantFrom("<r-1@contoso.com>", "<r-2@contoso.com>"), {
      maxLength: 8,
    }),
  },
  { requiredKeys: ["from", "to", "subject", "text"] },
);

async function check(input: unknown): Promise<"raw" | "composed" | "refused"> {
  let message: NormalizedMessage;
  try {
    message = normalizeMessage(input as MailMessage);
  } catch (error) {
    expect(MailError.isInstance(error) && error.code, String(error)).toBe("INVALID_MESSAGE");
    return "refused";
  }
  const raw = toRawMessage(message);
  if (raw === undefined) return "composed";
  expectExactly(
    message,
    raw,
    { from: message.from.address, to: message.recipients },
    { bccKept: false },
  );
  expect(
    raw
      .toString("latin1")
      .split("\r\n")
      .every((line) => line.length <= 998),
  ).toBe(true);
  // mailparser reads a fold's CRLF and the run of spaces after it as one space. nodemailer
  // folds before a run of spaces ("-\r\n  x"), so a run at a fold reads one space short from
  // its bytes; the writer folds inside the run ("- \r\n x"), and both unfold (RFC 5322) to the
  // same value, which expectExactly above checks of the writer's bytes. So the subjects are
  // compared with their runs of spaces as one.
  const spaced = (read: Awaited<ReturnType<typeof reading>>) => ({
    ...read,
    subject: read.subject?.replace(/ {2,}/g, " "),
  });
  expect(spaced(await reading(raw))).toEqual(spaced(await reading(await composed(message))));
  return "raw";
}

describe("the one-pass MIME writer", () => {
  it(`writes what nodemailer composes, for the messages it takes (${RUNS} plain cases)`, async () => {
    let written = 0;
    await fc.assert(
      fc.asyncProperty(plainInput, async (input) => {
        if ((await check(input)) === "raw") written++;
      }),
      { numRuns: RUNS },
    );
    expect(written).toBeGreaterThan(RUNS / 3);
  }, 300_000);

  it(`is exact or leaves the message to nodemailer (${RUNS} hostile cases)`, async () => {
    const seen = { raw: 0, composed: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(messageInput, async (input) => {
        seen[await check(input)]++;
      }),
      { numRuns: RUNS },
    );
    expect(seen.composed).toBeGreaterThan(0);
  }, 300_000);

  it("takes the benchmark's three shapes and leaves the rest to nodemailer", () => {
    const base = { from: "sender@contoso.com", to: "ada@contoso.com", subject: "Hi", text: "a\n" };
    const takes = (input: MailMessage) => toRawMessage(normalizeMessage(input)) !== undefined;
    expect(takes(base)).toBe(true);
    expect(takes({ ...base, html: `<p>${"x".repeat(200)}</p>` })).toBe(true);
    expect(
      takes({ ...base, attachments: [{ filename: "r.bin", content: new Uint8Array(100_000) }] }),
    ).toBe(true);
    // Encoded words, IDN, custom fields, inline parts and streamed content are nodemailer's.
    expect(takes({ ...base, subject: "Café" })).toBe(false);
    expect(takes({ ...base, subject: "=?utf-8?q?x?=" })).toBe(false);
    expect(takes({ ...base, to: "ada@bücher.de" })).toBe(false);
    expect(takes({ ...base, from: "Zoë <sender@contoso.com>" })).toBe(false);
    expect(takes({ ...base, headers: { "X-Tag": "a" } })).toBe(false);
    expect(
      takes({ ...base, attachments: [{ filename: "l.png", content: "aGk=", contentId: "l" }] }),
    ).toBe(false);
    expect(takes({ ...base, attachments: [{ filename: "f.txt", content: { path: "/x" } }] })).toBe(
      false,
    );
  });
});
