// Issue 9, defects 1 and 10: input a custom transport or Graph JSON would have received.
import { describe, expect, it } from "vitest";
import type { MailMessage } from "../contract/message.js";
import type { Transport } from "../contract/transport.js";
import { createMailer } from "../mailer.js";
import { thrownMailError } from "../testing/mail-error.js";
import { normalizeMessage } from "./normalize.js";

const BASE = { from: "a@contoso.com", to: "ada@contoso.com", subject: "s", text: "t" } as const;

function issuesOf(message: unknown): { path: string; message: string }[] {
  const error = thrownMailError(() => normalizeMessage(message as MailMessage));
  expect(error.code).toBe("INVALID_MESSAGE");
  return [...(error.issues ?? [])];
}
const paths = (message: unknown) => issuesOf(message).map((issue) => issue.path);

describe("attachments: every field is type-checked (defect 1)", () => {
  it.each([true, 123, {}, ["logo"]])("refuses contentId %j", (contentId) => {
    expect(
      paths({ ...BASE, attachments: [{ filename: "a.png", content: "x", contentId }] }),
    ).toEqual(["attachments[0].contentId"]);
  });

  it("fails a non-string contentId with INVALID_MESSAGE before the transport is called", async () => {
    let calls = 0;
    const transport: Transport = {
      specificationVersion: "v1",
      name: "counting",
      async send(message) {
        calls++;
        return { accepted: [...message.recipients], rejected: [] };
      },
    };
    const mailer = createMailer({ transport, retry: false, rateLimit: false });
    try {
      for (let attempt = 0; attempt < 6; attempt++) {
        await expect(
          mailer.send({
            ...BASE,
            attachments: [{ content: "x", contentId: true as never }],
          }),
        ).rejects.toMatchObject({ code: "INVALID_MESSAGE" });
      }
      // The breaker saw nothing: a good message still goes through.
      await expect(mailer.send(BASE)).resolves.toMatchObject({ accepted: ["ada@contoso.com"] });
      expect(calls).toBe(1);
    } finally {
      await mailer.close();
    }
  });

  it("refuses filename, contentType, encoding and content of the wrong type or shape", () => {
    expect(
      paths({
        ...BASE,
        attachments: [
          { filename: 42, content: "x" },
          { filename: "a.txt", content: "x", contentType: 7 },
          { filename: "a.txt", content: "x", encoding: "hex" },
          { filename: "a.txt", content: { path: 42 } },
          { filename: "a.txt", content: { path: "" } },
          { filename: "a.txt", content: "not base64!", encoding: "base64" },
          { filename: "", content: "x" },
        ],
      }),
    ).toEqual([
      "attachments[0].filename",
      "attachments[1].contentType",
      "attachments[2].encoding",
      "attachments[3].content",
      "attachments[4].content.path",
      "attachments[5].content",
      "attachments[6].filename",
    ]);
  });

  it("refuses fields an attachment does not have (disposition, cid, path, headers)", () => {
    expect(
      paths({
        ...BASE,
        attachments: [
          { filename: "a.txt", content: "x", disposition: "inline" },
          { filename: "a.txt", content: "x", cid: "logo", headers: { "X-A": "1" } },
        ],
      }),
    ).toEqual(["attachments[0].disposition", "attachments[1].cid", "attachments[1].headers"]);
  });
});

describe("the smaller input holes (defect 10)", () => {
  it("refuses CR or LF in an attachment's contentType", () => {
    for (const contentType of [
      "text/plain\r\n; name=x",
      "text/plain;\r\nBcc: victim@contoso.com",
      "text/plain\n",
    ]) {
      expect(
        paths({ ...BASE, attachments: [{ filename: "a.txt", content: "x", contentType }] }),
      ).toEqual(["attachments[0].contentType"]);
    }
  });

  it("refuses NUL in the subject, header values, Message-IDs, contentId, filename, addresses and bodies", () => {
    expect(
      paths({
        ...BASE,
        subject: "Hi\u0000there",
        headers: { "X-Tag": "a\u0000b" },
        messageId: "<a\u0000b@contoso.com>",
        inReplyTo: "<x\u0000@contoso.com>",
        attachments: [
          { filename: "a\u0000.txt", content: "x" },
          { contentId: "lo\u0000go", content: "x" },
        ],
      }),
    ).toEqual([
      "subject",
      "headers.X-Tag",
      "attachments[0].filename",
      "attachments[1].contentId",
      "messageId",
      "inReplyTo",
    ]);
    expect(paths({ ...BASE, to: '"ad\u0000a"@contoso.com' })).toEqual(["to"]);
    expect(paths({ ...BASE, to: "Ada\u0000 <ada@contoso.com>" })).toEqual(["to"]);
    expect(paths({ ...BASE, to: { address: "ada@contoso.com", name: "A\u0000" } })).toEqual(["to"]);
    expect(paths({ ...BASE, text: "a\u0000b" })).toEqual(["text"]);
    expect(paths({ ...BASE, html: "<p>\u0000</p>" })).toEqual(["html"]);
  });

  it("refuses to: [] (and empty cc and bcc) as no recipient at all", () => {
    expect(issuesOf({ ...BASE, to: [] })).toEqual([
      { path: "to", message: "at least one recipient (to, cc or bcc) is required" },
    ]);
    expect(paths({ ...BASE, to: [], cc: [], bcc: [] })).toEqual(["to"]);
  });

  it("refuses from: [] and from: null, with or without a messageId, as INVALID_MESSAGE", () => {
    for (const from of [[], null]) {
      expect(paths({ ...BASE, from, messageId: "<id-1@contoso.com>" })).toEqual(["from"]);
      expect(paths({ ...BASE, from })).toEqual(["from"]);
    }
    // Also with a mailer default: an explicit null is not "absent".
    expect(() =>
      normalizeMessage({ ...BASE, from: null as never }, { from: "default@contoso.com" }),
    ).toThrow(/from must be an address/);
  });

  it("refuses a header name given twice in other letter cases (one field would be on the wire twice)", () => {
    expect(issuesOf({ ...BASE, headers: { "X-Tag": "a", "x-TAG": "b", "X-Other": "c" } })).toEqual([
      { path: "headers.x-TAG", message: "header name given twice (names are case-insensitive)" },
    ]);
  });

  it("refuses header lines over 998 octets (subject, custom headers, Message-ID, display name)", () => {
    const long = "a".repeat(992);
    expect(
      paths({
        ...BASE,
        subject: long,
        headers: { "X-Long": long },
        messageId: `<${"b".repeat(950)}@contoso.com>`,
      }),
    ).toEqual(["subject", "headers.X-Long", "messageId"]);
    expect(paths({ ...BASE, to: { address: "ada@contoso.com", name: "n".repeat(1000) } })).toEqual([
      "to",
    ]);
    // Multi-byte characters count in octets.
    expect(paths({ ...BASE, headers: { "X-Long": "é".repeat(496) } })).toEqual(["headers.X-Long"]);
    expect(() =>
      normalizeMessage({ ...BASE, headers: { "X-Fits": "é".repeat(490) } }),
    ).not.toThrow();
  });

  it.each([
    "Return-Path",
    "Received",
    "Resent-From",
    "resent-message-id",
    "X-MS-Exchange-Organization-SCL",
    "X-MS-Exchange-Organization-AuthAs",
    "Content-Type",
    "Content-Disposition",
    "Content-Transfer-Encoding",
    "Authentication-Results",
    "ARC-Seal",
    "DKIM-Signature",
    "Received-SPF",
  ])("refuses the trace, transport or MIME header %s as a custom header", (name) => {
    expect(paths({ ...BASE, headers: { [name]: "x" } })).toEqual([`headers.${name}`]);
  });

  it("keeps Message-IDs, contentId and contentType in ASCII (raw 8-bit bytes need SMTPUTF8)", () => {
    expect(
      paths({
        ...BASE,
        messageId: "<é@contoso.com>",
        references: ["<¡@contoso.com>"],
        attachments: [{ contentId: "lögo", content: "x", contentType: "image/png; name=é.png" }],
      }),
    ).toEqual([
      "attachments[0].contentId",
      "attachments[0].contentType",
      "messageId",
      "references[0]",
    ]);
    const generated = normalizeMessage({ ...BASE, from: "zoë@bücher.de" }).messageId;
    expect(generated).toMatch(/^<[0-9a-f-]{36}@xn--bcher-kva\.de>$/);
  });

  it("refuses an empty header value, which MIME builders drop instead of sending", () => {
    expect(paths({ ...BASE, headers: { "X-Empty": "", "X-Blank": " \t" } })).toEqual([
      "headers.X-Empty",
      "headers.X-Blank",
    ]);
  });

  it("turns a lone CR in a body into CRLF (SMTP allows CR only before LF)", () => {
    const message = normalizeMessage({ ...BASE, text: "a\rb\r\nc\r", html: "<p>\r</p>" });
    expect(message.text).toBe("a\r\nb\r\nc\r\n");
    expect(message.html).toBe("<p>\r\n</p>");
  });

  it("reads each field once: a getter cannot change what is sent after it was checked", () => {
    const reads: Record<string, number> = {};
    const once = (name: string, safe: unknown, evil: unknown) => {
      reads[name] = 0;
      return {
        get() {
          reads[name]!++;
          return reads[name] === 1 ? safe : evil;
        },
        enumerable: true,
      };
    };
    const attachment = Object.defineProperties(
      {},
      {
        filename: once("filename", "a.txt", "a.txt\r\nBcc: victim@contoso.com"),
        content: once("content", "x", 42),
        contentId: once("contentId", "logo", true),
        contentType: once("contentType", "text/plain", "text/plain\r\nBcc: x"),
      },
    );
    const address = Object.defineProperties(
      {},
      {
        address: once("address", "ada@contoso.com", "victim@contoso.com\r\nBcc: x"),
        name: once("name", "Ada", "Ada\r\nBcc: x"),
      },
    );
    const message = Object.defineProperties(
      {},
      {
        from: once("from", "a@contoso.com", "evil@fabrikam.com"),
        to: once("to", address, "victim@fabrikam.com"),
        subject: once("subject", "Hello", "Hello\r\nBcc: victim@contoso.com"),
        text: once("text", "t", 42),
        messageId: once("messageId", "<id-1@contoso.com>", "<evil@fabrikam.com>\r\nBcc: x"),
        attachments: once("attachments", [attachment], "x"),
        headers: once("headers", { "X-Ok": "1" }, { "X-Ok": "1\r\nBcc: x" }),
      },
    );
    const normalized = normalizeMessage(message as MailMessage);
    expect(normalized).toMatchObject({
      from: { address: "a@contoso.com" },
      to: [{ address: "ada@contoso.com", name: "Ada" }],
      subject: "Hello",
      text: "t",
      messageId: "<id-1@contoso.com>",
      headers: { "X-Ok": "1" },
      attachments: [
        { filename: "a.txt", content: "x", contentId: "logo", contentType: "text/plain" },
      ],
    });
    for (const [name, count] of Object.entries(reads)) expect(count, name).toBe(1);
  });

  it("copies { path } content, so the path opened is the path checked", () => {
    let reads = 0;
    const content = {
      get path() {
        reads++;
        return reads === 1 ? "/tmp/report.pdf" : "/etc/shadow";
      },
    };
    const normalized = normalizeMessage({
      ...BASE,
      attachments: [{ filename: "report.pdf", content }],
    });
    const copied = normalized.attachments[0]!.content as { path: string };
    expect(copied.path).toBe("/tmp/report.pdf");
    expect(copied.path).toBe("/tmp/report.pdf");
    expect(reads).toBe(1);
  });
});
