// Message normalization at its edges (issue 17, core-message): line limits counted in octets,
// every reserved and trace header, defaults, recipients, Message-IDs and the error's wording.
import { describe, expect, it } from "vitest";
import type { MailMessage } from "../contract/message.js";
import { MailError } from "../errors/mail-error.js";
import { thrownMailError } from "../testing/mail-error.js";
import { defaultMessageId, normalizeMessage } from "./normalize.js";

const BASE = { from: "app@contoso.com", to: "ada@contoso.com", subject: "s", text: "t" };

function issues(message: Partial<MailMessage> & Record<string, unknown>) {
  try {
    normalizeMessage({ ...BASE, ...message } as MailMessage);
  } catch (error) {
    if (MailError.isInstance(error)) return error.issues ?? [];
    throw error;
  }
  return [];
}
const paths = (message: Partial<MailMessage> & Record<string, unknown>) =>
  issues(message).map((issue) => issue.path);

describe("line limits, in octets", () => {
  it("a subject fits on its 998-octet line after 'Subject: ': 989 octets, not 990", () => {
    expect(paths({ subject: "a".repeat(989) })).toEqual([]);
    expect(issues({ subject: "a".repeat(990) })).toEqual([
      { path: "subject", message: "must be at most 989 octets (RFC 5322 line limit)" },
    ]);
    expect(paths({ subject: "é".repeat(495) })).toEqual(["subject"]);
  });

  it("a header value fits after its name, colon and space", () => {
    expect(paths({ headers: { "X-Tag": "a".repeat(998 - 5 - 2) } })).toEqual([]);
    expect(issues({ headers: { "X-Tag": "a".repeat(998 - 5 - 1) } })).toEqual([
      {
        path: "headers.X-Tag",
        message: "header value must be at most 991 octets (RFC 5322 line limit)",
      },
    ]);
  });

  it("a file name takes 255 octets, not 256; a contentId 900", () => {
    const attachment = (fields: Record<string, unknown>) => ({
      attachments: [{ content: "x", ...fields }],
    });
    expect(paths(attachment({ filename: "a".repeat(255) }))).toEqual([]);
    expect(paths(attachment({ filename: "a".repeat(256) }))).toEqual(["attachments[0].filename"]);
    expect(paths(attachment({ contentId: "c".repeat(900) }))).toEqual([]);
    expect(paths(attachment({ contentId: "c".repeat(901) }))).toEqual(["attachments[0].contentId"]);
  });
});

describe("headers the message cannot set", () => {
  // The fields the message sets itself, then what servers and the MIME builder write.
  const MESSAGE_FIELDS = [
    "From",
    "to",
    "CC",
    "bcc",
    "Reply-To",
    "subject",
    "Message-ID",
    "date",
    "In-Reply-To",
    "references",
    "MIME-Version",
    "importance",
    "X-Priority",
    "sender",
  ];
  const WRITTEN_BY_OTHERS = [
    "Return-Path",
    "Received",
    "Received-SPF",
    "Authentication-Results",
    "DKIM-Signature",
    "Resent-From",
    "Content-Type",
    "ARC-Seal",
    "X-MS-Exchange-Organization-SCL",
  ];
  it.each([
    ...MESSAGE_FIELDS.map((name) => [name, `set "${name}" through the message field, not headers`]),
    ...WRITTEN_BY_OTHERS.map((name) => [
      name,
      `"${name}" is a trace, transport or MIME field that servers and the MIME builder write; it cannot be set`,
    ]),
  ])("%s is refused: %s", (name, message) => {
    expect(issues({ headers: { [name]: "v" } })).toEqual([{ path: `headers.${name}`, message }]);
  });

  it("other X- headers pass, as given", () => {
    expect(normalizeMessage({ ...BASE, headers: { "X-Campaign": "spring" } }).headers).toEqual({
      "X-Campaign": "spring",
    });
  });
});

describe("defaults and what is handed on", () => {
  it("importance is normal unless one of low, normal, high", () => {
    expect(normalizeMessage(BASE).importance).toBe("normal");
    expect(normalizeMessage({ ...BASE, importance: "high" }).importance).toBe("high");
    expect(issues({ importance: "urgent" as never })).toEqual([
      { path: "importance", message: "must be one of low, normal, high" },
    ]);
  });

  it("recipients are to, cc and bcc once each, compared without case, in order", () => {
    const normalized = normalizeMessage({
      ...BASE,
      to: ["Ada@contoso.com", "bob@contoso.com"],
      cc: "ada@CONTOSO.com",
      bcc: ["eve@contoso.com", "BOB@contoso.com"],
    });
    expect(normalized.recipients).toEqual([
      "Ada@contoso.com",
      "bob@contoso.com",
      "eve@contoso.com",
    ]);
  });

  it.each([
    ["text", "a\rb\r\nc", "a\r\nb\r\nc"],
    ["html", "<p>a\r</p>", "<p>a\r\n</p>"],
  ] as const)("a lone CR in the %s body becomes CRLF; CRLF stays", (field, given, sent) => {
    expect(normalizeMessage({ ...BASE, [field]: given })[field]).toBe(sent);
  });

  it("no html body is handed on when none is given", () => {
    expect("html" in normalizeMessage(BASE)).toBe(false);
  });

  it("a base64 content may be wrapped in white space, and must be base64", () => {
    const attachment = (content: string) => ({
      attachments: [{ filename: "a.bin", content, encoding: "base64" as const }],
    });
    expect(paths(attachment("QUJD\r\nREVG\n"))).toEqual([]);
    expect(issues(attachment("not base64!"))).toEqual([
      { path: "attachments[0].content", message: "is not base64 text" },
    ]);
  });
});

describe("Message-IDs", () => {
  it("a generated one is a UUID at the sender's domain, in lower case and punycode", () => {
    expect(defaultMessageId({ address: "app@Contoso.COM" })).toMatch(
      /^<[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}@contoso\.com>$/,
    );
    expect(defaultMessageId({ address: "app@bücher.de" })).toMatch(/@xn--bcher-kva\.de>$/);
    expect(defaultMessageId({ address: "app@" })).toMatch(/@localhost>$/);
  });

  it("the generator given is used, with the sender", () => {
    const normalized = normalizeMessage(BASE, {
      generateMessageId: (from) => `<fixed@${from.address.split("@")[1]}>`,
    });
    expect(normalized.messageId).toBe("<fixed@contoso.com>");
  });

  it("a Message-ID takes 900 octets with its brackets, not 901", () => {
    const id = (length: number) => `<${"i".repeat(length - 14)}@contoso.com>`;
    expect(id(900)).toHaveLength(900);
    expect(paths({ messageId: id(900) })).toEqual([]);
    expect(paths({ messageId: id(901) })).toEqual(["messageId"]);
  });
});

describe("the error", () => {
  it("lists every issue in its message, in order, with a hint", () => {
    let error: MailError | undefined;
    try {
      normalizeMessage({ ...BASE, subject: "", text: undefined } as never);
    } catch (caught) {
      error = caught as MailError;
    }
    expect(error?.code).toBe("INVALID_MESSAGE");
    expect(error?.message).toBe(
      "Invalid message: subject is required and must be a non-empty string; text a text or html body is required.",
    );
    expect(error?.hint).toBe("Fix the listed fields; nothing was sent.");
  });
});

// Survivors of the first core-message run on this machine (2026-12-05): each refusal word for
// word with its path, the control-character ranges at their edges, and the exact shape of what
// is handed on (no key holding undefined where the field was not given).
describe("every refusal, word for word", () => {
  const attachment = (fields: Record<string, unknown>) => ({ attachments: [fields] });
  it.each([
    [
      "a from that is two addresses",
      { from: "a@contoso.com, b@contoso.com" },
      "from",
      "must be one address",
    ],
    ["an empty from list", { from: [] }, "from", "must be one address (the list is empty)"],
    ["a null from", { from: null }, "from", "must be an address, not null"],
    [
      "a blank subject",
      { subject: " \t" },
      "subject",
      "is required and must be a non-empty string",
    ],
    [
      "a subject that is not a string",
      { subject: 7 },
      "subject",
      "is required and must be a non-empty string",
    ],
    ["a text body that is not a string", { text: 7 }, "text", "must be a string"],
    ["an html body that is not a string", { html: {} }, "html", "must be a string"],
    ["NUL in the html body", { html: "<p>\u0000</p>" }, "html", "must not contain NUL"],
    [
      "a header value that is not a string",
      { headers: { "X-N": 1 } },
      "headers.X-N",
      "header value must be a string",
    ],
    [
      "an empty header value",
      { headers: { "X-E": "" } },
      "headers.X-E",
      "header value must not be empty",
    ],
    [
      "a header name with a colon",
      { headers: { "X:Y": "v" } },
      "headers.X:Y",
      "header name must be printable ASCII without spaces or colons",
    ],
    [
      "CR in a header value",
      { headers: { "X-C": "a\rb" } },
      "headers.X-C",
      "header value must not contain CR or LF (header injection)",
    ],
    [
      "a control character in a header value",
      { headers: { "X-C": "a\u0007b" } },
      "headers.X-C",
      "header value must not contain NUL or other control characters",
    ],
    ["attachments that are not an array", { attachments: {} }, "attachments", "must be an array"],
    [
      "an attachment that is not an object",
      { attachments: ["a.pdf"] },
      "attachments[0]",
      "must be an object",
    ],
    ["a null attachment", { attachments: [null] }, "attachments[0]", "must be an object"],
    [
      "null content",
      attachment({ filename: "a.txt", content: null }),
      "attachments[0].content",
      "must be a Uint8Array, string, Readable or { path }",
    ],
    [
      "no content",
      attachment({ filename: "a.txt" }),
      "attachments[0].content",
      "must be a Uint8Array, string, Readable or { path }",
    ],
    [
      "content of no known kind",
      attachment({ filename: "a.txt", content: {} }),
      "attachments[0].content",
      "must be a Uint8Array, string, Readable or { path }",
    ],
    [
      "a path with NUL",
      attachment({ filename: "a.txt", content: { path: "/tmp/a\u0000b" } }),
      "attachments[0].content.path",
      "must be a non-empty path without NUL",
    ],
    [
      "no filename or contentId",
      attachment({ content: "x" }),
      "attachments[0]",
      "needs a filename (or a contentId for an inline part)",
    ],
    [
      "a blank filename",
      attachment({ filename: "  ", content: "x" }),
      "attachments[0].filename",
      "must be a non-empty string",
    ],
    [
      "LF in a filename",
      attachment({ filename: "a\n.txt", content: "x" }),
      "attachments[0].filename",
      "must not contain CR or LF (header injection)",
    ],
    [
      "a contentId with a space",
      attachment({ contentId: "lo go", content: "x" }),
      "attachments[0].contentId",
      "must be a printable ASCII token without spaces or angle brackets, at most 900 octets",
    ],
    [
      "a contentType that is not a type",
      attachment({ filename: "a.txt", content: "x", contentType: "pdf" }),
      "attachments[0].contentType",
      "must be a MIME type such as application/pdf, in ASCII on one line",
    ],
    [
      "an unknown encoding",
      attachment({ filename: "a.txt", content: "x", encoding: "hex" }),
      "attachments[0].encoding",
      'must be "utf8" or "base64"',
    ],
    [
      "an unknown attachment field",
      attachment({ filename: "a.txt", content: "x", cid: "c" }),
      "attachments[0].cid",
      "is not an attachment field (use filename, content, contentType, contentId, encoding)",
    ],
    [
      "a Message-ID with a space",
      { messageId: "<a b@contoso.com>" },
      "messageId",
      "must look like <id@domain> (printable ASCII, no spaces, at most 900 octets)",
    ],
    [
      "an In-Reply-To that is not a string",
      { inReplyTo: 7 },
      "inReplyTo",
      "must look like <id@domain> (printable ASCII, no spaces, at most 900 octets)",
    ],
    [
      "a Message-ID in two pairs of brackets",
      { messageId: "<<id-1@contoso.com>>" },
      "messageId",
      "must look like <id@domain> (printable ASCII, no spaces, at most 900 octets)",
    ],
    [
      "two ids as one In-Reply-To",
      { inReplyTo: "<id-1@contoso.com> <id-2@contoso.com>" },
      "inReplyTo",
      "must look like <id@domain> (printable ASCII, no spaces, at most 900 octets)",
    ],
    [
      "a line before the contentType",
      attachment({
        filename: "a.txt",
        content: "x",
        contentType: "x\r\nBcc: eve@fabrikam.com\r\ntext/plain",
      }),
      "attachments[0].contentType",
      "must be a MIME type such as application/pdf, in ASCII on one line",
    ],
    [
      "a space before the contentType",
      attachment({ filename: "a.txt", content: "x", contentType: " text/plain" }),
      "attachments[0].contentType",
      "must be a MIME type such as application/pdf, in ASCII on one line",
    ],
    [
      "a reference without a domain",
      { references: ["<a@contoso.com>", "<nope>"] },
      "references[1]",
      "must look like <id@domain> (printable ASCII, no spaces, at most 900 octets)",
    ],
  ])("%s", (_, message, path, text) => {
    expect(issues(message as Partial<MailMessage>)).toEqual([{ path, message: text }]);
  });

  it("a message that is not an object", () => {
    for (const message of [null, "hello", 7]) {
      const error = thrownMailError(() => normalizeMessage(message as never));
      expect(error.code).toBe("INVALID_MESSAGE");
      expect(error.issues).toEqual([{ path: "message", message: "must be an object" }]);
    }
  });

  it("a from that is not an address: only its own reason, no second one", () => {
    expect(issues({ from: "nope" })).toEqual([
      { path: "from", message: '"nope" is not a valid mail address' },
    ]);
    expect(issues({ from: "" })).toEqual([{ path: "from", message: "is empty" }]);
    expect(issues({ from: ["nope"] } as never)).toEqual([
      { path: "from[0]", message: '"nope" is not a valid mail address' },
    ]);
  });

  it("recipients that are all invalid: their reasons, not 'at least one recipient'", () => {
    expect(issues({ to: "nope", cc: ["x@contoso.com", "bad"] })).toEqual([
      { path: "to", message: '"nope" is not a valid mail address' },
      { path: "cc[1]", message: '"bad" is not a valid mail address' },
    ]);
    expect(issues({ to: undefined, bcc: "nope" } as never)).toEqual([
      { path: "bcc", message: '"nope" is not a valid mail address' },
    ]);
  });

  it("a hole in a recipient list is refused at its index", () => {
    expect(issues({ to: ["ada@contoso.com", undefined] as never })).toEqual([
      { path: "to[1]", message: "must be a string or { address, name? }" },
    ]);
  });

  it("a reply-to is checked like a recipient, and a missing sender is named", () => {
    expect(issues({ replyTo: ["ok@contoso.com", "nope"] })).toEqual([
      { path: "replyTo[1]", message: '"nope" is not a valid mail address' },
    ]);
    expect(issues({ from: undefined } as never)).toEqual([
      { path: "from", message: "is required (set it on the message or the mailer's `from`)" },
    ]);
  });
});

describe("control characters in one-line texts, at the edges of their ranges", () => {
  it.each([
    ["U+001F", "\u001f"],
    ["U+007F (DEL)", "\u007f"],
    ["U+0080", "\u0080"],
    ["U+009F", "\u009f"],
    ["NUL", "\u0000"],
  ])("%s is refused in a subject, a header value and a file name", (_, char) => {
    const message = "must not contain NUL or other control characters";
    expect(
      issues({
        subject: `a${char}b`,
        headers: { "X-T": `a${char}b` },
        attachments: [{ filename: `a${char}b.txt`, content: "x" }],
      }),
    ).toEqual([
      { path: "subject", message },
      { path: "headers.X-T", message: `header value ${message}` },
      { path: "attachments[0].filename", message },
    ]);
  });

  it.each([
    ["a tab", "\t"],
    ["a space", " "],
    ["~ (U+007E)", "~"],
    ["U+00A0 (no-break space)", "\u00a0"],
    ["é", "é"],
  ])("%s is taken in a subject, a header value and a file name", (_, char) => {
    const normalized = normalizeMessage({
      ...BASE,
      subject: `a${char}b`,
      headers: { "X-T": `a${char}b` },
      attachments: [{ filename: `a${char}b.txt`, content: "x" }],
    });
    expect([
      normalized.subject,
      normalized.headers["X-T"],
      normalized.attachments[0]?.filename,
    ]).toEqual([`a${char}b`, `a${char}b`, `a${char}b.txt`]);
  });

  it("a line break is named as such wherever it is, even after another control character", () => {
    expect(issues({ subject: "a\u0007b\nc" })).toEqual([
      { path: "subject", message: "must not contain CR or LF (header injection)" },
    ]);
  });
});

describe("what is handed on, exactly", () => {
  it("a minimal message: no key for a field that was not given", () => {
    const normalized = normalizeMessage(BASE, { generateMessageId: () => "<id@contoso.com>" });
    expect(normalized).toStrictEqual({
      messageId: "<id@contoso.com>",
      from: { address: "app@contoso.com" },
      to: [{ address: "ada@contoso.com" }],
      cc: [],
      bcc: [],
      replyTo: [],
      subject: "s",
      text: "t",
      attachments: [],
      headers: {},
      importance: "normal",
      references: [],
      recipients: ["ada@contoso.com"],
    });
  });

  it("a full one: every field as given, ids in angle brackets", () => {
    const normalized = normalizeMessage({
      from: "App <app@contoso.com>",
      to: "ada@contoso.com",
      cc: "bob@contoso.com",
      bcc: ["eve@contoso.com"],
      replyTo: "help@contoso.com",
      subject: "s",
      html: "<p>h</p>",
      headers: { "X-Campaign": "spring" },
      importance: "low",
      messageId: " id-1@contoso.com ",
      inReplyTo: "<id-0@contoso.com>",
      references: ["id-00@contoso.com", "<id-0@contoso.com>"],
    });
    expect(normalized).toStrictEqual({
      messageId: "<id-1@contoso.com>",
      from: { address: "app@contoso.com", name: "App" },
      to: [{ address: "ada@contoso.com" }],
      cc: [{ address: "bob@contoso.com" }],
      bcc: [{ address: "eve@contoso.com" }],
      replyTo: [{ address: "help@contoso.com" }],
      subject: "s",
      html: "<p>h</p>",
      attachments: [],
      headers: { "X-Campaign": "spring" },
      importance: "low",
      inReplyTo: "<id-0@contoso.com>",
      references: ["<id-00@contoso.com>", "<id-0@contoso.com>"],
      recipients: ["ada@contoso.com", "bob@contoso.com", "eve@contoso.com"],
    });
  });

  it("attachments: only the fields given, the type from the name, inline for a contentId", () => {
    const bytes = new Uint8Array([1]);
    const normalized = normalizeMessage({
      ...BASE,
      attachments: [
        { filename: "a.pdf", content: bytes },
        { contentId: "logo", content: "aGk=", encoding: "base64" },
        {
          filename: "b.txt",
          content: { path: "/tmp/b.txt" },
          contentType: "text/plain; charset=utf-8",
          encoding: "utf8",
        },
      ],
    });
    expect(normalized.attachments).toStrictEqual([
      { content: bytes, contentType: "application/pdf", inline: false, filename: "a.pdf" },
      {
        content: "aGk=",
        contentType: "application/octet-stream",
        inline: true,
        contentId: "logo",
        encoding: "base64",
      },
      {
        content: { path: "/tmp/b.txt" },
        contentType: "text/plain; charset=utf-8",
        inline: false,
        filename: "b.txt",
        encoding: "utf8",
      },
    ]);
  });

  it.each([
    ["cc", { to: undefined, cc: "bob@contoso.com" }],
    ["bcc", { to: undefined, bcc: ["bob@contoso.com"] }],
  ])("one recipient in %s only is the one recipient", (_, fields) => {
    expect(normalizeMessage({ ...BASE, ...fields } as never).recipients).toEqual([
      "bob@contoso.com",
    ]);
  });

  it.each([
    ["to and cc", { cc: "bob@contoso.com" }],
    ["to and bcc", { bcc: "bob@contoso.com" }],
  ])("%s, one each: both are recipients", (_, fields) => {
    expect(normalizeMessage({ ...BASE, ...fields }).recipients).toEqual([
      "ada@contoso.com",
      "bob@contoso.com",
    ]);
  });

  it("two addresses that differ in more than letter case are both recipients (ß is not ss)", () => {
    expect(
      normalizeMessage({ ...BASE, to: ["straße@contoso.de", "strasse@contoso.de"] }).recipients,
    ).toEqual(["straße@contoso.de", "strasse@contoso.de"]);
  });

  it("base64 applies to text content: bytes with encoding base64 are taken as they are", () => {
    const bytes = new Uint8Array([1, 2]);
    expect(
      normalizeMessage({
        ...BASE,
        attachments: [{ filename: "a.bin", content: bytes, encoding: "base64" }],
      }).attachments[0]?.content,
    ).toBe(bytes);
  });

  it("the mailer's from is used only when the message has none", () => {
    const options = { from: "default@contoso.com" };
    expect(normalizeMessage({ ...BASE, from: undefined } as never, options).from).toEqual({
      address: "default@contoso.com",
    });
    expect(normalizeMessage(BASE, options).from).toEqual({ address: "app@contoso.com" });
  });

  it("a text body alone, an html body alone, or both", () => {
    const { text: _, ...noText } = BASE;
    expect(normalizeMessage({ ...noText, html: "<p>h</p>" })).not.toHaveProperty("text");
    expect(normalizeMessage(BASE)).not.toHaveProperty("html");
    const both = normalizeMessage({ ...BASE, html: "<p>h</p>" });
    expect([both.text, both.html]).toEqual(["t", "<p>h</p>"]);
  });
});
