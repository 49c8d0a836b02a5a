import { normalizeMessage } from "@mailpath/core";
import { describe, expect, it } from "vitest";
import { resolveAttachments } from "./attachments.js";
import { buildMime } from "./mime-message.js";

describe("buildMime", () => {
  it("keeps List-Unsubscribe, both bodies, Bcc for Graph, threading and our Message-ID", async () => {
    const message = normalizeMessage(
      {
        to: "ada@contoso.com",
        bcc: "reports@contoso.com",
        subject: "News",
        text: "plain body",
        html: "<p>html body</p>",
        headers: { "List-Unsubscribe": "<https://contoso.com/u?id=1>" },
        inReplyTo: "<parent@contoso.com>",
        messageId: "<news-1@contoso.com>",
        attachments: [{ filename: "a.txt", content: "hello" }],
      },
      { from: "notifications@contoso.com" },
    );
    const attachments = await resolveAttachments(message.attachments);
    const mime = (await buildMime(message, attachments.items)).toString("utf8");
    expect(mime).toMatch(/^List-Unsubscribe: <https:\/\/contoso\.com\/u\?id=1>\r$/m);
    expect(mime).toMatch(/^Message-ID: <news-1@contoso\.com>\r$/m);
    expect(mime).toMatch(/^In-Reply-To: <parent@contoso\.com>\r$/m);
    expect(mime).toMatch(/^Bcc: reports@contoso\.com\r$/m);
    expect(mime).toContain("multipart/alternative");
    expect(mime).toContain("plain body");
    expect(mime).toContain("<p>html body</p>");
    expect(mime).toContain("filename=a.txt");
  });
});
