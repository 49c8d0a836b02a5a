// The message bytes of the common messages, written in one pass into one Buffer.
//
// nodemailer composes a message as a tree of MIME nodes, each streamed through its own chain
// of transforms (a PassThrough, the encoders, a newline fixer, setImmediate between parts):
// per message that cost more client CPU than the SMTP dialogue itself (profiles of
// bench/peers: about 0.35 ms of 1.3 ms for a text message, 3 ms of 7 ms with a 100 kB
// attachment). A message whose fields need none of the encodings that make MIME hard — no
// encoded words, no IDN, no stream or file content, no inline parts, no custom header — is
// written here instead, as the same structure nodemailer writes (same fields in the same
// order, the same transfer encoding choice), and handed to nodemailer's pool as it is (see
// sendPrepared in smtp-engine.ts). Everything else is composed by nodemailer as before:
// `toRawMessage` answers undefined.
import { randomBytes } from "node:crypto";
import type { Address, NormalizedAttachment, NormalizedMessage } from "@mailpath/core";

/** nodemailer's fold width for header fields and its long-line limit for 7bit text. */
const LINE = 76;
/** Header values written as they are: printable ASCII, no encoded-word opener. */
const PLAIN_VALUE = /^[\x20-\x7e]*$/;
/** Addresses written as they are: ASCII dot-atom local part and domain (no IDN, no quotes). */
const PLAIN_ADDRESS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+$/;
/** A display name of atoms (RFC 5322 phrase) needs no quotes. */
const ATOM_NAME = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+$/;
/** A display name that can be a quoted string as it is (no quote or backslash to escape). */
const QUOTABLE_NAME = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/;
/** A file name written bare (RFC 2045 token) or quoted. */
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** `type/subtype` with no parameters. */
const MEDIA_TYPE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+$/;
/** Body text the fast path takes: no C0 control but tab and line breaks, no lone CR. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: byte ranges are the point
const UNSAFE_TEXT = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: byte ranges are the point
const NON_ASCII = /[^\x00-\x7f]/;
const LINE_BREAK = /\r?\n/g;

/** Boundaries: a random prefix per process and a counter, checked against the bodies. */
const BOUNDARY_PREFIX = `--_mp-${randomBytes(8).toString("hex")}-`;
let boundaries = 0;

const PRIORITY = {
  high: ["X-Priority: 1 (Highest)", "X-Msmail-Priority: High", "Importance: High"],
  low: ["X-Priority: 5 (Lowest)", "X-Msmail-Priority: Low", "Importance: Low"],
} as const;

/**
 * The message as MIME bytes (CRLF line ends, no Bcc field: the envelope carries the Bcc
 * recipients), or undefined when a field needs what only nodemailer's composer does (encoded
 * words, IDN, streamed or file content, inline parts, custom header fields); the caller then
 * lets nodemailer compose the message from `toNodemailerMessage`.
 * @param date The Date field's moment (a send's first attempt writes now).
 */
export function toRawMessage(message: NormalizedMessage, date = new Date()): Buffer | undefined {
  if (
    (message.text === undefined || message.text === "") &&
    (message.html === undefined || message.html === "")
  ) {
    return undefined; // nodemailer's shapes for a lone attachment or an empty body
  }
  if (message.text === "" || message.html === "") return undefined;
  for (const _ in message.headers) return undefined;

  const head: string[] = [];
  if (!addressField(head, "From", [message.from])) return undefined;
  if (message.to.length > 0 && !addressField(head, "To", message.to)) return undefined;
  if (message.cc.length > 0 && !addressField(head, "Cc", message.cc)) return undefined;
  if (message.replyTo.length > 0 && !addressField(head, "Reply-To", message.replyTo)) {
    return undefined;
  }
  if (message.inReplyTo !== undefined && !plainField(head, "In-Reply-To", message.inReplyTo)) {
    return undefined;
  }
  if (message.references.length > 0) {
    if (!plainField(head, "References", message.references.join(" "))) return undefined;
  }
  if (!plainField(head, "Subject", message.subject)) return undefined;
  if (!plainField(head, "Message-ID", message.messageId)) return undefined;
  if (message.importance !== "normal") head.push(...PRIORITY[message.importance]);
  head.push(`Date: ${date.toUTCString().replace("GMT", "+0000")}`, "MIME-Version: 1.0");

  const text = message.text === undefined ? undefined : textPart("text/plain", message.text);
  const html = message.html === undefined ? undefined : textPart("text/html", message.html);
  if (text === null || html === null) return undefined;
  const attachments: Part[] = [];
  for (const attachment of message.attachments) {
    const part = attachmentPart(attachment);
    if (part === undefined) return undefined;
    attachments.push(part);
  }

  let body = (text ?? html) as Part;
  if (text !== undefined && html !== undefined) {
    const alternative = multipart("alternative", [text, html]);
    if (alternative === undefined) return undefined;
    body = alternative;
  }
  if (attachments.length > 0) {
    const mixed = multipart("mixed", [body, ...attachments]);
    if (mixed === undefined) return undefined;
    body = mixed;
  }
  // Content-Type last among the root fields, as nodemailer writes it; the message ends with
  // a line break (nodemailer adds one when the content has none).
  const chunks: Chunk[] = [`${head.join("\r\n")}\r\n${body.head}\r\n\r\n`, ...body.content];
  const last = chunks[chunks.length - 1] as Chunk;
  if (!endsWithLineBreak(last)) chunks.push("\r\n");
  // Every chunk is written once, into the one Buffer of the message.
  let size = 0;
  for (const chunk of chunks) size += chunk.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const chunk of chunks) {
    at += typeof chunk === "string" ? out.write(chunk, at, "latin1") : chunk.writeTo(out, at);
  }
  return out;
}

const CR = 0x0d;
const LF = 0x0a;
/** Base64 input per line: 57 bytes make the 76 characters of a full line. */
const LINE_BYTES = (LINE / 4) * 3;
/**
 * Lines encoded per call. One string for the whole content is slow once it is past V8's
 * largest regular object (128 KiB of text, the encoding of 96 KiB): for 100 kB it cost three
 * times the CPU of four strings of at most 512 lines (39 kB each) on Node 20.
 */
const CHUNK_BYTES = 512 * LINE_BYTES;

/**
 * Bytes to be written as base64 lines (76 characters, CRLF between lines, none after the last),
 * straight into the message's Buffer: no wrapped copy of the encoding is made first.
 */
class Base64Lines {
  /** The encoded size, line breaks included. */
  readonly length: number;

  constructor(private readonly bytes: Buffer) {
    this.length = linesLength(bytes.length);
  }

  /** Writes the lines at `at`; returns how many bytes it wrote (`length`). */
  writeTo(out: Buffer, at: number): number {
    const { bytes } = this;
    let to = at;
    // Chunks of whole lines, so a chunk's last line is a full one unless it is the content's.
    for (let start = 0; start < bytes.length; start += CHUNK_BYTES) {
      if (start > 0) {
        out[to++] = CR;
        out[to++] = LF;
      }
      to = writeLines(bytes.subarray(start, start + CHUNK_BYTES), out, to);
    }
    return to - at;
  }
}

/** The size of `size` bytes as base64 lines, line breaks included. */
function linesLength(size: number): number {
  const encoded = Math.ceil(size / 3) * 4;
  return encoded + (encoded === 0 ? 0 : 2 * (Math.ceil(encoded / LINE) - 1));
}

/**
 * Writes `bytes` as base64 lines at `at` and returns where they end. The bytes are encoded in
 * one call at the end of the lines' space, then each line is moved down to its place and
 * followed by CRLF: one encoding and one copy of the text, where a call per line (encode, write,
 * write CRLF) cost 1.7x as much CPU. A line never overwrites text not yet moved: line k starts
 * 2 x (lines - 1 - k) bytes below where it was encoded.
 */
function writeLines(bytes: Buffer, out: Buffer, at: number): number {
  const end = at + linesLength(bytes.length);
  let from = end - Math.ceil(bytes.length / 3) * 4;
  out.write(bytes.toString("base64"), from, "latin1");
  let to = at;
  // Lines before the last move; the last is already in place (no CRLF after it).
  while (from !== to) {
    out.copyWithin(to, from, from + LINE);
    to += LINE;
    from += LINE;
    out[to++] = CR;
    out[to++] = LF;
  }
  return end;
}

/** ASCII text, or bytes to be written as base64 lines. */
type Chunk = string | Base64Lines;

/** A MIME part: its header fields and its encoded content (neither with a final CRLF). */
interface Part {
  readonly head: string;
  readonly content: readonly Chunk[];
}

function endsWithLineBreak(chunk: Chunk): boolean {
  // Base64 lines have no line break after the last one.
  return typeof chunk === "string" && chunk.endsWith("\r\n");
}

function multipart(subtype: "alternative" | "mixed", parts: readonly Part[]): Part | undefined {
  // The suffix keeps one boundary from being the start of another.
  const boundary = `${BOUNDARY_PREFIX}${++boundaries}_`;
  // The content is the application's: a body that happens to hold the boundary gets nodemailer's.
  // (Base64 lines cannot hold it: "_" and "-" are not in their alphabet.)
  for (const part of parts) {
    for (const chunk of part.content) {
      if (typeof chunk === "string" && chunk.includes(boundary)) return undefined;
    }
  }
  // The CRLF before each delimiter belongs to the delimiter (RFC 2046 §5.1.1).
  const content: Chunk[] = [];
  for (const part of parts) {
    content.push(`${content.length ? "\r\n" : ""}--${boundary}\r\n${part.head}\r\n\r\n`);
    content.push(...part.content);
  }
  content.push(`\r\n--${boundary}--\r\n`);
  return { head: `Content-Type: multipart/${subtype};\r\n boundary="${boundary}"`, content };
}

/** A text body: 7bit when ASCII with short lines, else quoted-printable (ASCII) or base64. */
function textPart(type: "text/plain" | "text/html", value: string): Part | null {
  if (UNSAFE_TEXT.test(value)) return null;
  const lines = value.split(LINE_BREAK);
  const contentType = `Content-Type: ${type}; charset=utf-8\r\n`;
  if (NON_ASCII.test(value)) {
    return {
      head: `${contentType}Content-Transfer-Encoding: base64`,
      content: [new Base64Lines(Buffer.from(lines.join("\r\n"), "utf8"))],
    };
  }
  let long = false;
  for (const line of lines) {
    if (line.length > LINE) {
      long = true;
      break;
    }
  }
  if (!long) {
    return {
      head: `${contentType}Content-Transfer-Encoding: 7bit`,
      content: [lines.join("\r\n")],
    };
  }
  return {
    head: `${contentType}Content-Transfer-Encoding: quoted-printable`,
    content: [lines.map(quotedPrintableLine).join("\r\n")],
  };
}

/**
 * One line of ASCII text as quoted-printable (RFC 2045 §6.7): `=` escaped, white space at the
 * end of the line escaped, soft line breaks so that no encoded line is over 76 characters.
 */
function quotedPrintableLine(line: string): string {
  let escaped = line.replaceAll("=", "=3D");
  const last = escaped.at(-1);
  if (last === " " || last === "\t") {
    escaped = `${escaped.slice(0, -1)}${last === " " ? "=20" : "=09"}`;
  }
  if (escaped.length <= LINE) return escaped;
  let out = "";
  let start = 0;
  while (escaped.length - start > LINE) {
    // 75 characters and the soft break "=", never inside an "=XX" escape.
    let end = start + LINE - 1;
    const equals = escaped.lastIndexOf("=", end - 1);
    if (equals > end - 3) end = equals;
    out += `${escaped.slice(start, end)}=\r\n`;
    start = end;
  }
  return out + escaped.slice(start);
}

function attachmentPart(attachment: NormalizedAttachment): Part | undefined {
  if (attachment.inline || attachment.contentId !== undefined) return undefined;
  const { filename, contentType, content } = attachment;
  if (contentType.length > 100 || !MEDIA_TYPE.test(contentType)) return undefined;
  let bytes: Buffer;
  if (content instanceof Uint8Array) {
    bytes = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  } else if (typeof content === "string") {
    bytes = Buffer.from(content, attachment.encoding === "base64" ? "base64" : "utf8");
  } else {
    return undefined; // a stream or a file: nodemailer reads it while it writes the part
  }
  let name = "";
  if (filename !== undefined) {
    const quoted = TOKEN.test(filename) ? filename : `"${filename}"`;
    if (!QUOTABLE_NAME.test(filename) || 40 + quoted.length > LINE) return undefined;
    name = quoted;
  }
  return {
    head:
      `Content-Type: ${contentType}${name && `; name=${name}`}\r\n` +
      "Content-Transfer-Encoding: base64\r\n" +
      `Content-Disposition: attachment${name && `; filename=${name}`}`,
    content: [new Base64Lines(bytes)],
  };
}

/** An unstructured or identifier field, folded at spaces; false when it needs encoding. */
function plainField(head: string[], name: string, value: string): boolean {
  if (!PLAIN_VALUE.test(value) || value.includes("=?")) return false;
  const line = `${name}: ${value}`;
  if (line.length <= LINE) {
    head.push(line);
    return true;
  }
  // Folding inserts CRLF before a space; unfolding restores the value. A line of white space
  // alone is not allowed, so a fold goes only before a word.
  const words = line.split(/(?= )/);
  let current = words[0] as string;
  let folded = "";
  for (let i = 1; i < words.length; i++) {
    const word = words[i] as string;
    if (current.length + word.length > LINE && word.trim() !== "" && current.trim() !== "") {
      folded += `${current}\r\n`;
      current = word;
    } else {
      current += word;
    }
    if (current.length > 998) return false;
  }
  head.push(folded + current);
  return true;
}

/** An address list field, folded between addresses; false when one needs encoding. */
function addressField(head: string[], name: string, addresses: readonly Address[]): boolean {
  let line = `${name}:`;
  let folded = "";
  for (let i = 0; i < addresses.length; i++) {
    const written = formatAddress(addresses[i] as Address);
    if (written === undefined) return false;
    const item = i < addresses.length - 1 ? `${written},` : written;
    if (line.length + 1 + item.length > LINE && i > 0) {
      folded += `${line}\r\n`;
      line = ` ${item}`;
    } else {
      line += ` ${item}`;
    }
  }
  head.push(folded + line);
  return true;
}

function formatAddress(address: Address): string | undefined {
  if (!PLAIN_ADDRESS.test(address.address)) return undefined;
  const { name } = address;
  if (name === undefined || name === "") return address.address;
  if (name.includes("=?")) return undefined;
  if (ATOM_NAME.test(name) && name.trim() === name && !name.includes("  ")) {
    return `${name} <${address.address}>`;
  }
  if (QUOTABLE_NAME.test(name)) return `"${name}" <${address.address}>`;
  return undefined;
}
