// The attachment types mailpath picks from a file name (issue 17, core-message survivors):
// written from the IANA media types, not read from the table, so a changed entry fails here.
import { describe, expect, it } from "vitest";
import { contentTypeFor } from "./content-type.js";
import { normalizeMessage } from "./normalize.js";

const IANA: readonly (readonly [string, string])[] = [
  ["report.pdf", "application/pdf"],
  ["logo.png", "image/png"],
  ["photo.jpg", "image/jpeg"],
  ["photo.jpeg", "image/jpeg"],
  ["anim.gif", "image/gif"],
  ["icon.svg", "image/svg+xml"],
  ["pic.webp", "image/webp"],
  ["notes.txt", "text/plain"],
  ["rows.csv", "text/csv"],
  ["page.html", "text/html"],
  ["page.htm", "text/html"],
  ["invite.ics", "text/calendar"],
  ["data.json", "application/json"],
  ["feed.xml", "application/xml"],
  ["bundle.zip", "application/zip"],
  ["log.gz", "application/gzip"],
  ["sheet.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
  ["letter.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
  ["deck.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"],
  ["forwarded.eml", "message/rfc822"],
];

describe("contentTypeFor", () => {
  it.each(IANA)("%s is %s", (filename, type) => {
    expect(contentTypeFor(filename)).toBe(type);
  });

  it("reads the last extension, in any case", () => {
    expect(contentTypeFor("archive.tar.GZ")).toBe("application/gzip");
    expect(contentTypeFor("Report.PDF")).toBe("application/pdf");
  });

  it.each([
    ["an unknown extension", "setup.exe"],
    ["no extension", "README"],
    ["a trailing dot", "notes."],
    ["no file name", undefined],
    ["a name that is an Object.prototype key", "x.constructor"],
    ["__proto__ as the extension", "x.__proto__"],
  ])("%s is application/octet-stream", (_, filename) => {
    expect(contentTypeFor(filename)).toBe("application/octet-stream");
  });

  it("is what a message's attachment carries unless it names its own type", () => {
    const normalized = normalizeMessage(
      {
        from: "app@contoso.com",
        to: "ada@contoso.com",
        subject: "s",
        text: "t",
        attachments: [
          { filename: "r.csv", content: "a,b" },
          { filename: "r.csv", content: "a,b", contentType: "text/plain" },
          { filename: "x.constructor", content: "a,b" },
        ],
      },
      {},
    );
    expect(normalized.attachments.map((attachment) => attachment.contentType)).toEqual([
      "text/csv",
      "text/plain",
      "application/octet-stream",
    ]);
  });
});
