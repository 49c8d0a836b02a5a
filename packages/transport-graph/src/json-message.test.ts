import { type NormalizedMessage, normalizeMessage } from "@mailpath/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ResolvedAttachment } from "./attachments.js";
import {
  attachmentPostBytes,
  chooseMode,
  estimateJsonBytes,
  fileAttachment,
  mimeOnlyFeatures,
  toGraphMessage,
} from "./json-message.js";

const from = "Contoso <notifications@contoso.com>";

describe("toGraphMessage", () => {
  it("maps addresses, subject, html body, importance, X- headers and the Message-ID", () => {
    const message = normalizeMessage(
      {
        to: ["Ada <ada@contoso.com>", "grace@contoso.com"],
        cc: "alan@contoso.com",
        bcc: "reports@contoso.com",
        replyTo: "help@contoso.com",
        subject: "Report",
        html: "<p>Hi</p>",
        importance: "high",
        headers: { "X-Campaign": "42" },
        messageId: "<abc@contoso.com>",
      },
      { from },
    );
    expect(toGraphMessage(message)).toEqual({
      subject: "Report",
      body: { contentType: "HTML", content: "<p>Hi</p>" },
      from: { emailAddress: { address: "notifications@contoso.com", name: "Contoso" } },
      toRecipients: [
        { emailAddress: { address: "ada@contoso.com", name: "Ada" } },
        { emailAddress: { address: "grace@contoso.com" } },
      ],
      ccRecipients: [{ emailAddress: { address: "alan@contoso.com" } }],
      bccRecipients: [{ emailAddress: { address: "reports@contoso.com" } }],
      replyTo: [{ emailAddress: { address: "help@contoso.com" } }],
      importance: "high",
      internetMessageId: "<abc@contoso.com>",
      internetMessageHeaders: [{ name: "X-Campaign", value: "42" }],
    });
  });

  it("sends a text-only message as a Text body", () => {
    const message = normalizeMessage(
      { to: "ada@contoso.com", subject: "s", text: "plain" },
      { from },
    );
    expect(toGraphMessage(message).body).toEqual({ contentType: "Text", content: "plain" });
  });

  // Mutants (json-message.ts:119): an empty internetMessageHeaders list in every body.
  it("has no internetMessageHeaders or attachments key when there is nothing to put in them", () => {
    const message = normalizeMessage(
      { to: "ada@contoso.com", subject: "s", text: "plain", messageId: "<m@contoso.com>" },
      { from },
    );
    expect(toGraphMessage(message)).toEqual({
      subject: "s",
      body: { contentType: "Text", content: "plain" },
      from: { emailAddress: { address: "notifications@contoso.com", name: "Contoso" } },
      toRecipients: [{ emailAddress: { address: "ada@contoso.com" } }],
      ccRecipients: [],
      bccRecipients: [],
      replyTo: [],
      importance: "normal",
      internetMessageId: "<m@contoso.com>",
    });
    expect(Object.keys(toGraphMessage(message))).not.toContain("internetMessageHeaders");
  });
});

describe("auto mode", () => {
  it("uses JSON when JSON carries everything", () => {
    const message = normalizeMessage(
      { to: "ada@contoso.com", subject: "s", html: "<b>x</b>", headers: { "x-tag": "1" } },
      { from },
    );
    expect(mimeOnlyFeatures(message)).toEqual([]);
    expect(chooseMode(message, "auto")).toBe("json");
  });

  it("switches to MIME for List-Unsubscribe, text plus html, threading headers and calendar parts", () => {
    const message = normalizeMessage(
      {
        to: "ada@contoso.com",
        subject: "s",
        text: "t",
        html: "<b>h</b>",
        headers: { "List-Unsubscribe": "<mailto:u@contoso.com>" },
        inReplyTo: "<parent@contoso.com>",
        attachments: [
          {
            filename: "invite.ics",
            content: "BEGIN:VCALENDAR",
            contentType: "text/calendar; method=REQUEST",
          },
        ],
      },
      { from },
    );
    expect(mimeOnlyFeatures(message)).toEqual([
      "header List-Unsubscribe",
      "both text and html",
      "inReplyTo",
      "a text/calendar part",
    ]);
    expect(chooseMode(message, "auto")).toBe("mime");
    expect(chooseMode(message, "json")).toBe("json");
  });

  // Mutant (json-message.ts:44): X_HEADER without its ^ anchor. Graph refuses a header whose
  // name only contains "x-" (InvalidInternetMessageHeader).
  it("switches to MIME for a header whose name contains x- but does not start with it", () => {
    const message = normalizeMessage(
      { to: "ada@contoso.com", subject: "s", html: "<b>x</b>", headers: { "Mailbox-Id": "1" } },
      { from },
    );
    expect(mimeOnlyFeatures(message)).toEqual(["header Mailbox-Id"]);
    expect(chooseMode(message, "auto")).toBe("mime");
    expect(toGraphMessage(message)).not.toHaveProperty("internetMessageHeaders");
  });

  // Mutants (json-message.ts:58): references alone, without inReplyTo.
  it("switches to MIME for references without inReplyTo", () => {
    const message = normalizeMessage(
      { to: "ada@contoso.com", subject: "s", html: "<b>x</b>", references: ["<a@contoso.com>"] },
      { from },
    );
    expect(mimeOnlyFeatures(message)).toEqual(["references"]);
    expect(chooseMode(message, "auto")).toBe("mime");
  });

  // Mutant (json-message.ts:60): the calendar test without its ^ anchor.
  it("keeps JSON for a content type that only mentions text/calendar in a parameter", () => {
    const message = normalizeMessage(
      {
        to: "ada@contoso.com",
        subject: "s",
        html: "<b>x</b>",
        attachments: [
          {
            filename: "data.bin",
            content: "x",
            contentType: "application/octet-stream; x=text/calendar",
          },
        ],
      },
      { from },
    );
    expect(message.attachments[0]?.contentType).toBe("application/octet-stream; x=text/calendar");
    expect(mimeOnlyFeatures(message)).toEqual([]);
    expect(chooseMode(message, "auto")).toBe("json");
  });
});

describe("attachmentPostBytes", () => {
  // The 4 MB request check depends on it: one byte short lets a 413 through.
  it("is the exact size of the attachment POST body, for every base64 padding", () => {
    for (const size of [0, 1, 2, 3, 4, 5, 6, 1000]) {
      for (const inline of [false, true]) {
        const bytes = Buffer.alloc(size, 0xfe);
        const item = {
          source: {
            content: bytes,
            contentType: "application/pdf",
            inline,
            ...(inline && { contentId: "logo@contoso" }),
          },
          name: "Résumé.pdf",
          size,
          bytes,
        } as unknown as Parameters<typeof attachmentPostBytes>[0];
        expect(attachmentPostBytes(item), `${size} bytes, inline ${inline}`).toBe(
          Buffer.byteLength(JSON.stringify(fileAttachment(item, bytes))),
        );
      }
    }
  });
});

describe("estimateJsonBytes", () => {
  // transport.ts sends JSON in one request when the estimate is at most 4 MB, with no second
  // check: the estimate must never be under the body it sends, and not far over it either (an
  // overestimate sends messages through the draft path, which needs Mail.ReadWrite).
  function resolved(
    size: number,
    name: string,
    contentType: string,
    inline: boolean,
    contentId?: string,
  ): ResolvedAttachment {
    const bytes = Buffer.alloc(size, 0xfe);
    return {
      source: {
        content: bytes,
        contentType,
        inline,
        ...(contentId !== undefined && { contentId }),
      },
      name,
      size,
      bytes,
    } as ResolvedAttachment;
  }

  /** The body transport.ts POSTs to sendMail in JSON mode, in bytes. */
  function sentBytes(
    message: NormalizedMessage,
    items: readonly ResolvedAttachment[],
    saveToSentItems: boolean,
  ): number {
    const attachments = items.map((item) => fileAttachment(item, item.bytes ?? Buffer.alloc(0)));
    return Buffer.byteLength(
      JSON.stringify({ message: toGraphMessage(message, attachments), saveToSentItems }),
    );
  }

  const html = `<p>${'Grüße "quoted" \\ back\\slash '.repeat(40_000)}</p>`;
  const large = normalizeMessage(
    {
      to: "Ada <ada@contoso.com>",
      cc: "alan@contoso.com",
      subject: "Rapport « annuel »",
      html,
      headers: { "X-Campaign": "42" },
      messageId: "<abc@contoso.com>",
    },
    { from },
  );
  const contentId = `${"logo-".repeat(14)}@contoso`.slice(0, 76);

  it("is the body's exact size for saveToSentItems false and one byte over for true", () => {
    const docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    const cases: [string, ResolvedAttachment[]][] = [
      ["no attachment", []],
      ["inline, 76-character contentId", [resolved(1000, contentId, "image/png", true, contentId)]],
      ["non-ASCII name, long type", [resolved(1_000_000, "Résumé 日本.docx", docx, false)]],
      [
        "three",
        [
          resolved(0, 'quote " and back\\slash.txt', "text/plain", false),
          resolved(5, "tab\there\u0001.bin", docx, true, contentId),
          resolved(6, "a.bin", "application/octet-stream", false),
        ],
      ],
    ];
    for (const [label, items] of cases) {
      for (const save of [false, true]) {
        expect(estimateJsonBytes(large, items) - sentBytes(large, items, save), label).toBe(
          save ? 1 : 0,
        );
      }
    }
  });

  it("is an upper bound of the sendMail body at most one byte over it, for any attachments", () => {
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 120 }),
      fc.constantFrom("Résumé.pdf", 'a"b\\c.txt', "日本語.txt", "\u0000\u001f\u2028"),
    );
    const attachment = fc
      .record({
        size: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 5000 })),
        name: text,
        contentType: fc.oneof(
          text,
          fc.constant("application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        ),
        inline: fc.boolean(),
        contentId: fc.option(text, { nil: undefined }),
      })
      .map(({ size, name, contentType, inline, contentId }) =>
        resolved(size, name, contentType, inline, contentId),
      );
    const message = fc.oneof(
      fc.constant(large),
      fc
        .record({ subject: fc.string({ maxLength: 40 }), body: fc.string({ maxLength: 2000 }) })
        .map(({ subject, body }) =>
          normalizeMessage(
            {
              to: "ada@contoso.com",
              // normalize() refuses an empty subject and control characters in it.
              subject: `Re: ${subject.replace(/\p{Cc}/gu, " ")}`,
              html: `<p>${body}</p>`,
            },
            { from },
          ),
        ),
    );
    fc.assert(
      fc.property(
        message,
        fc.array(attachment, { maxLength: 3 }),
        fc.boolean(),
        (message, items, save) => {
          const slack = estimateJsonBytes(message, items) - sentBytes(message, items, save);
          expect(slack).toBeGreaterThanOrEqual(0);
          expect(slack).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 200 },
    );
  });
});
