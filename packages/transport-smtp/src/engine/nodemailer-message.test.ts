import { Readable } from "node:stream";
import type { NormalizedMessage } from "@mailpath/core";
import { describe, expect, it } from "vitest";
import { toNodemailerMessage } from "./nodemailer-message.js";

const base: NormalizedMessage = {
  messageId: "<m1@contoso.com>",
  from: { address: "notifications@contoso.com", name: "Contoso" },
  to: [{ address: "ada@contoso.com", name: "Ada" }],
  cc: [{ address: "grace@contoso.com" }],
  bcc: [{ address: "alan@contoso.com" }],
  replyTo: [{ address: "support@contoso.com" }],
  subject: "Report",
  text: "Hello",
  html: "<p>Hello</p>",
  attachments: [],
  headers: { "X-Job": "42" },
  importance: "high",
  inReplyTo: "<m0@contoso.com>",
  references: ["<m0@contoso.com>"],
  recipients: ["ada@contoso.com", "grace@contoso.com", "alan@contoso.com"],
};

describe("toNodemailerMessage", () => {
  it("maps headers, importance, threading and an envelope with every recipient", () => {
    const mail = toNodemailerMessage(base);
    expect(mail).toMatchObject({
      messageId: "<m1@contoso.com>",
      from: { name: "Contoso", address: "notifications@contoso.com" },
      to: [{ name: "Ada", address: "ada@contoso.com" }],
      cc: [{ name: "", address: "grace@contoso.com" }],
      bcc: [{ name: "", address: "alan@contoso.com" }],
      replyTo: [{ name: "", address: "support@contoso.com" }],
      subject: "Report",
      text: "Hello",
      html: "<p>Hello</p>",
      headers: { "X-Job": "42" },
      priority: "high",
      inReplyTo: "<m0@contoso.com>",
      references: ["<m0@contoso.com>"],
      envelope: {
        from: "notifications@contoso.com",
        to: ["ada@contoso.com", "grace@contoso.com", "alan@contoso.com"],
      },
      disableUrlAccess: true,
    });
  });

  it("leaves normal importance without priority headers", () => {
    expect(toNodemailerMessage({ ...base, importance: "normal" })).not.toHaveProperty("priority");
  });

  it("streams a { path } attachment from disk: nodemailer gets the path, never the bytes", () => {
    const mail = toNodemailerMessage({
      ...base,
      attachments: [
        {
          filename: "big.bin",
          content: { path: "/tmp/big.bin" },
          contentType: "application/octet-stream",
          inline: false,
        },
      ],
    });
    const [attachment] = mail.attachments ?? [];
    expect(attachment).toEqual({
      filename: "big.bin",
      path: "/tmp/big.bin",
      contentType: "application/octet-stream",
      contentDisposition: "attachment",
    });
    expect(attachment).not.toHaveProperty("content");
  });

  it("passes a Readable through as a stream, bytes as a Buffer view, and cid for inline parts", () => {
    const stream = Readable.from(["a", "b"]);
    const bytes = new Uint8Array([1, 2, 3, 4]).subarray(1, 3);
    const mail = toNodemailerMessage({
      ...base,
      attachments: [
        { filename: "s.txt", content: stream, contentType: "text/plain", inline: false },
        {
          filename: "b.bin",
          content: bytes,
          contentType: "application/octet-stream",
          inline: false,
        },
        {
          content: "aGVsbG8=",
          encoding: "base64",
          contentType: "image/png",
          contentId: "logo",
          inline: true,
        },
      ],
    });
    const [fromStream, fromBytes, inline] = mail.attachments ?? [];
    expect(fromStream?.content).toBe(stream);
    expect(Buffer.isBuffer(fromBytes?.content)).toBe(true);
    expect([...((fromBytes?.content as Buffer | undefined) ?? [])]).toEqual([2, 3]);
    expect(inline).toEqual({
      content: "aGVsbG8=",
      encoding: "base64",
      contentType: "image/png",
      contentDisposition: "inline",
      cid: "logo",
    });
  });
});
