// Base64 content written straight into the message's Buffer (raw-message.ts, Base64Lines)
// against nodemailer's own encoder and line wrapper: for attachments and non-ASCII text of any
// size, the part's body is exactly nodemailer's (76-character lines, CRLF between them, none
// after the last), and the message ends where its bytes end (no byte left unwritten).
import { createRequire } from "node:module";
import { normalizeMessage } from "@mailpath/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toRawMessage } from "./raw-message.js";

const require = createRequire(import.meta.url);
const base64 = require("nodemailer/lib/base64") as {
  encode(buffer: Buffer): string;
  wrap(text: string, lineLength?: number): string;
};
const RUNS = Number(process.env.MAILPATH_FC_RUNS ?? 300);

/** nodemailer's body of a base64 part: the encoding in lines of 76. */
const nodemailerBase64 = (bytes: Buffer) => base64.wrap(base64.encode(bytes), 76);

/** The body of the part whose header block ends with `marker`, up to the next delimiter. */
function partBody(raw: Buffer, marker: string): string {
  const text = raw.toString("latin1");
  const start = text.indexOf(`${marker}\r\n\r\n`) + marker.length + 4;
  expect(start).toBeGreaterThan(marker.length + 3);
  return text.slice(start, text.indexOf("\r\n--", start));
}

/** A raw message must end with its closing delimiter: bytes after it were never written. */
function expectClosed(raw: Buffer): void {
  expect(raw.toString("latin1")).toMatch(/\r\n--[^\r\n]+--\r\n$/);
}

describe("base64 lines in the message bytes", () => {
  it("write an attachment of any size exactly as nodemailer's encoder does", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          fc.uint8Array({ minLength: 400, maxLength: 4_000 }),
          // Large, and no two lines alike: a line written in another's place shows. The
          // content is encoded 512 lines (29,184 bytes) at a time: sizes around those joins.
          fc
            .oneof(
              fc.integer({ min: 0, max: 120_000 }),
              fc.constantFrom(29_183, 29_184, 29_185, 58_367, 58_368, 58_369),
            )
            .map((size) => Uint8Array.from({ length: size }, (_, i) => (i * 131 + (i >> 9)) & 255)),
        ),
        (content) => {
          const bytes = Buffer.from(content);
          const raw = toRawMessage(
            normalizeMessage({
              from: "app@contoso.com",
              to: "ada@contoso.com",
              subject: "Report",
              text: "See the file.",
              attachments: [
                { filename: "report.bin", content: bytes, contentType: "application/octet-stream" },
              ],
            }),
          );
          expect(raw).toBeDefined();
          if (raw === undefined) return;
          const body = partBody(raw, "Content-Disposition: attachment; filename=report.bin");
          expect(body).toBe(nodemailerBase64(bytes));
          for (const line of body.split("\r\n")) expect(line.length).toBeLessThanOrEqual(76);
          expect(Buffer.from(body.replaceAll("\r\n", ""), "base64").equals(bytes)).toBe(true);
          expectClosed(raw);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("write non-ASCII text as nodemailer's base64 of its UTF-8", () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom("é", "ü", "a", " ", "日", "\n"),
          minLength: 1,
          maxLength: 300,
        }),
        (text) => {
          fc.pre(/[éü日]/.test(text));
          const message = normalizeMessage({
            from: "app@contoso.com",
            to: "ada@contoso.com",
            subject: "Text",
            text,
            html: "<p>x</p>",
          });
          const raw = toRawMessage(message);
          expect(raw).toBeDefined();
          if (raw === undefined) return;
          const utf8 = Buffer.from((message.text as string).split(/\r?\n/).join("\r\n"), "utf8");
          const body = partBody(
            raw,
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64",
          );
          expect(body).toBe(nodemailerBase64(utf8));
          expectClosed(raw);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
