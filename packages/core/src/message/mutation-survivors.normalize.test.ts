// Message normalization at its edges (issue 17, core-message): line limits counted in octets,
// every reserved and trace header, defaults, recipients, Message-IDs and the error's wording.
import { describe, expect, it } from "vitest";
import type { MailMessage } from "../contract/message.js";
import { MailError } from "../errors/mail-error.js";
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
