import { normalizeMessage } from "@mailpath/core";
import { describe, expect, it } from "vitest";
import {
  attachmentPostBytes,
  chooseMode,
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
