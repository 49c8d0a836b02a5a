import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { thrownMailError } from "../testing/mail-error.js";
import { normalizeMessage } from "./normalize.js";

function issuesOf(run: () => unknown): { path: string; message: string }[] {
  const error = thrownMailError(run);
  expect(error.code).toBe("INVALID_MESSAGE");
  return [...(error.issues ?? [])];
}

describe("normalizeMessage", () => {
  it("applies the mailer's from, parses addresses and generates <random@sender-domain>", () => {
    const message = normalizeMessage(
      {
        to: ["Ada <ada@contoso.com>", "ADA@contoso.com"],
        bcc: "grace@fabrikam.com",
        subject: "Hi",
        text: "Hello",
      },
      { from: "Notifications <notifications@Contoso.com>" },
    );
    expect(message.from).toEqual({ address: "notifications@Contoso.com", name: "Notifications" });
    expect(message.messageId).toMatch(/^<[0-9a-f-]{36}@contoso\.com>$/);
    expect(message.recipients).toEqual(["ada@contoso.com", "grace@fabrikam.com"]);
    expect(message.importance).toBe("normal");
  });

  it("keeps a given Message-ID and adds angle brackets", () => {
    expect(
      normalizeMessage({
        from: "a@contoso.com",
        to: "b@contoso.com",
        subject: "s",
        text: "t",
        messageId: "id-1@contoso.com",
      }).messageId,
    ).toBe("<id-1@contoso.com>");
  });

  it("lists every problem in one INVALID_MESSAGE", () => {
    const issues = issuesOf(() =>
      normalizeMessage({
        from: "not an address",
        subject: "Hello\r\nBcc: victim@contoso.com",
        headers: { "X-Ok": "fine", "X-Bad": "a\r\nb", "Bad Name": "x", Subject: "dup" },
        importance: "urgent" as never,
      }),
    );
    expect(issues.map((issue) => issue.path)).toEqual([
      "from",
      "to",
      "subject",
      "text",
      "headers.X-Bad",
      "headers.Bad Name",
      "headers.Subject",
      "importance",
    ]);
    expect(issues.find((issue) => issue.path === "subject")!.message).toMatch(/header injection/);
  });

  it("refuses a message without any recipient", () => {
    expect(
      issuesOf(() => normalizeMessage({ from: "a@contoso.com", subject: "s", text: "t" })),
    ).toEqual([{ path: "to", message: "at least one recipient (to, cc or bcc) is required" }]);
  });

  it("names the index of a malformed address", () => {
    const issues = issuesOf(() =>
      normalizeMessage({
        from: "a@contoso.com",
        to: ["b@contoso.com", "nope"],
        subject: "s",
        text: "t",
      }),
    );
    expect(issues).toEqual([{ path: "to[1]", message: '"nope" is not a valid mail address' }]);
  });

  it("accepts every attachment content kind and marks contentId parts inline", () => {
    const message = normalizeMessage({
      from: "a@contoso.com",
      to: "b@contoso.com",
      subject: "s",
      html: '<img src="cid:logo">',
      attachments: [
        { filename: "a.pdf", content: new Uint8Array([1, 2]) },
        { filename: "b.txt", content: "hello" },
        { filename: "c.csv", content: Readable.from(["x,y"]) },
        { filename: "d.bin", content: { path: "/tmp/d.bin" } },
        { contentId: "logo", content: "aGk=", encoding: "base64", contentType: "image/png" },
      ],
    });
    expect(
      message.attachments.map((attachment) => [attachment.contentType, attachment.inline]),
    ).toEqual([
      ["application/pdf", false],
      ["text/plain", false],
      ["text/csv", false],
      ["application/octet-stream", false],
      ["image/png", true],
    ]);
  });

  it("refuses attachments without content or name", () => {
    const issues = issuesOf(() =>
      normalizeMessage({
        from: "a@contoso.com",
        to: "b@contoso.com",
        subject: "s",
        text: "t",
        attachments: [{ content: 42 as never }, { filename: "x\r\n.txt", content: "x" }],
      }),
    );
    expect(issues.map((issue) => issue.path)).toEqual([
      "attachments[0].content",
      "attachments[0]",
      "attachments[1].filename",
    ]);
  });

  it("refuses attachments, references and headers of the wrong shape with INVALID_MESSAGE, not a TypeError", () => {
    const base = { from: "a@contoso.com", to: "ada@contoso.com", subject: "s", text: "t" };
    expect(
      issuesOf(() => normalizeMessage({ ...base, attachments: "report.pdf" as never })),
    ).toEqual([{ path: "attachments", message: "must be an array" }]);
    expect(
      issuesOf(() => normalizeMessage({ ...base, references: "<a@contoso.com>" as never })),
    ).toEqual([{ path: "references", message: "must be an array" }]);
    for (const headers of ["X-Tag: 1", [["X-Tag", "1"]]]) {
      expect(issuesOf(() => normalizeMessage({ ...base, headers: headers as never }))).toEqual([
        { path: "headers", message: "must be an object of header names to strings" },
      ]);
    }
  });
});
