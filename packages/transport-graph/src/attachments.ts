import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { MailError, type NormalizedAttachment } from "@mailpath/core";

/**
 * Attachments of this size or more go through an upload session (Graph: "if the file size is
 * under 3 MB, do a single POST"; an upload session takes 3 MB to 150 MB).
 */
export const LARGE_ATTACHMENT_BYTES = 3 * 1024 * 1024;

/** Largest Graph request body (4 MB). */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/**
 * Upload-session chunk: at most 4 MB and a multiple of 320 KiB, as Graph asks
 * (12 × 327,680 = 3,932,160 bytes).
 */
export const UPLOAD_CHUNK_BYTES = 12 * 320 * 1024;

/** An attachment whose size is known and whose bytes can be read (again) without a network. */
export interface ResolvedAttachment {
  readonly source: NormalizedAttachment;
  /** File name sent to Graph (`contentId` or `attachment` when the message has none). */
  readonly name: string;
  readonly size: number;
  /** In-memory bytes (small attachments and byte/string content). */
  readonly bytes?: Buffer;
  /** A file to stream from (`{ path }`, or a `Readable` spooled to a temporary file). */
  readonly path?: string;
}

/** Attachments of one send, with the temporary files to remove afterwards. */
export interface ResolvedAttachments {
  readonly items: readonly ResolvedAttachment[];
  /** Removes temporary files. Idempotent. */
  cleanup(): Promise<void>;
}

function attachmentName(attachment: NormalizedAttachment, index: number): string {
  return attachment.filename ?? attachment.contentId ?? `attachment-${index + 1}`;
}

function consumedStream(index: number): MailError {
  return new MailError({
    code: "INVALID_MESSAGE",
    message: `attachments[${index}] is a stream that was already read (a previous attempt consumed it).`,
    hint: "Give the attachment as { path } or bytes so a retry can read it again.",
    issues: [{ path: `attachments[${index}].content`, message: "stream already consumed" }],
  });
}

/**
 * Reads a `Readable` into memory up to `LARGE_ATTACHMENT_BYTES`; a longer stream is spooled to
 * a temporary file so that its size is known (an upload session needs it up front) and its
 * bytes are never all in memory.
 */
async function resolveStream(
  stream: Readable,
  index: number,
  tempDirs: string[],
): Promise<{ bytes?: Buffer; path?: string; size: number }> {
  if (stream.readableEnded || stream.destroyed) throw consumedStream(index);
  const head: Buffer[] = [];
  let size = 0;
  const iterator = stream[Symbol.asyncIterator]();
  for (;;) {
    const next = await iterator.next();
    if (next.done) return { bytes: Buffer.concat(head, size), size };
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    head.push(chunk);
    size += chunk.length;
    if (size >= LARGE_ATTACHMENT_BYTES) break;
  }
  const dir = await mkdtemp(join(tmpdir(), "mailpath-graph-"));
  tempDirs.push(dir);
  const path = join(dir, "attachment");
  async function* rest() {
    for (const chunk of head) yield chunk;
    head.length = 0;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      size += chunk.length;
      yield chunk;
    }
  }
  await pipeline(Readable.from(rest()), createWriteStream(path));
  return { path, size };
}

/**
 * Finds every attachment's size, reading small streams into memory and spooling large ones.
 * Files given as `{ path }` are only `stat`ed here.
 */
export async function resolveAttachments(
  attachments: readonly NormalizedAttachment[],
): Promise<ResolvedAttachments> {
  const tempDirs: string[] = [];
  const cleanup = async () => {
    const dirs = tempDirs.splice(0);
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  };
  try {
    const items: ResolvedAttachment[] = [];
    for (const [index, attachment] of attachments.entries()) {
      const name = attachmentName(attachment, index);
      const { content } = attachment;
      if (typeof content === "string") {
        const bytes = Buffer.from(content, attachment.encoding === "base64" ? "base64" : "utf8");
        items.push({ source: attachment, name, size: bytes.length, bytes });
      } else if (content instanceof Uint8Array) {
        const bytes = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
        items.push({ source: attachment, name, size: bytes.length, bytes });
      } else if (content instanceof Readable) {
        const resolved = await resolveStream(content, index, tempDirs);
        items.push({ source: attachment, name, ...resolved });
      } else {
        let size: number;
        try {
          size = (await stat(content.path)).size;
        } catch (error) {
          throw new MailError({
            code: "INVALID_MESSAGE",
            message: `attachments[${index}]: cannot read ${content.path} (${(error as NodeJS.ErrnoException).code ?? "error"}).`,
            hint: "Check the attachment's path.",
            issues: [{ path: `attachments[${index}].content.path`, message: "cannot be read" }],
            cause: error,
          });
        }
        items.push({ source: attachment, name, size, path: content.path });
      }
    }
    return { items, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** The whole content of a (small) attachment. */
export async function readAttachment(attachment: ResolvedAttachment): Promise<Buffer> {
  if (attachment.bytes) return attachment.bytes;
  const bytes = await readFile(attachment.path!);
  // The request's size was decided on the size measured before (one request under 4 MB, or an
  // upload session): a file changed since would make a body over Graph's limit, or other bytes.
  if (bytes.length !== attachment.size) {
    throw new MailError({
      code: "INVALID_MESSAGE",
      message: `attachment ${attachment.name} changed size while it was sent (${bytes.length} bytes read, ${attachment.size} measured).`,
      hint: "Do not modify an attachment file while it is being sent.",
    });
  }
  return bytes;
}

/**
 * Yields the attachment in chunks of exactly `chunkBytes` (the last one shorter), reading files
 * through a stream into one reused buffer: a chunk is only valid until the next one is asked
 * for (the upload awaits each PUT before that), and at most one chunk is held in memory.
 */
export async function* readChunks(
  attachment: ResolvedAttachment,
  chunkBytes: number = UPLOAD_CHUNK_BYTES,
): AsyncGenerator<Buffer> {
  if (attachment.bytes) {
    for (let offset = 0; offset < attachment.bytes.length; offset += chunkBytes) {
      yield attachment.bytes.subarray(offset, offset + chunkBytes);
    }
    return;
  }
  const stream = createReadStream(attachment.path!, { highWaterMark: 256 * 1024 });
  const chunk = Buffer.allocUnsafe(chunkBytes);
  let filled = 0;
  try {
    for await (const piece of stream as AsyncIterable<Buffer>) {
      let offset = 0;
      while (offset < piece.length) {
        const copied = piece.copy(chunk, filled, offset, offset + (chunkBytes - filled));
        filled += copied;
        offset += copied;
        if (filled === chunkBytes) {
          yield chunk;
          filled = 0;
        }
      }
    }
    if (filled > 0) yield chunk.subarray(0, filled);
  } finally {
    stream.destroy();
  }
}
