import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { appendFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { Readable } from "node:stream";
import type { NormalizedAttachment } from "@mailpath/core";
import { describe, expect, it } from "vitest";
import {
  LARGE_ATTACHMENT_BYTES,
  readAttachment,
  readChunks,
  resolveAttachments,
} from "./attachments.js";

const dir = mkdtempSync(join(tmpdir(), "graph-attachments-test-"));

function attachment(
  content: NormalizedAttachment["content"],
  filename = "a.bin",
): NormalizedAttachment {
  return { filename, content, contentType: "application/octet-stream", inline: false };
}

function bytes(size: number, seed = 7): Buffer {
  const buffer = Buffer.alloc(size);
  for (let index = 0; index < size; index++) buffer[index] = (index * seed + (index >> 8)) & 0xff;
  return buffer;
}

async function collect(iterable: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of iterable) chunks.push(Buffer.from(chunk));
  return chunks;
}

describe("resolveAttachments", () => {
  it("sizes bytes, base64 strings and files without reading files", async () => {
    const path = join(dir, "file.bin");
    await writeFile(path, bytes(1000));
    const resolved = await resolveAttachments([
      attachment(new Uint8Array([1, 2, 3])),
      { ...attachment("AQID"), encoding: "base64" },
      attachment({ path }),
    ]);
    expect(resolved.items.map((item) => item.size)).toEqual([3, 3, 1000]);
    expect(resolved.items[2]?.bytes).toBeUndefined();
    expect(resolved.items[2]?.path).toBe(path);
  });

  it("keeps a short stream in memory and spools a long one to a temporary file it removes", async () => {
    const long = bytes(LARGE_ATTACHMENT_BYTES + 12345);
    const resolved = await resolveAttachments([
      attachment(Readable.from([bytes(10)])),
      attachment(Readable.from([long.subarray(0, 1_000_000), long.subarray(1_000_000)])),
    ]);
    expect(resolved.items[0]?.bytes?.length).toBe(10);
    const spooled = resolved.items[1]!;
    expect(spooled.size).toBe(long.length);
    expect(spooled.path).toBeDefined();
    // In a mailpath-graph-* directory of its own, directly in the temporary directory (an
    // empty mkdtemp prefix would create it next to tmpdir, in its parent).
    const spooledDir = dirname(spooled.path ?? "");
    expect(dirname(spooledDir)).toBe(tmpdir());
    expect(basename(spooledDir)).toMatch(/^mailpath-graph-.{6}$/);
    const chunks = await collect(readChunks(spooled));
    expect(createHash("sha256").update(Buffer.concat(chunks)).digest("hex")).toBe(
      createHash("sha256").update(long).digest("hex"),
    );
    await resolved.cleanup();
    await expect(writeFile(spooled.path!, "x")).rejects.toThrow();
  });

  it("refuses a stream a previous attempt already consumed", async () => {
    const stream = Readable.from([Buffer.from("x")]);
    await collect(stream);
    await expect(resolveAttachments([attachment(stream)])).rejects.toMatchObject({
      code: "INVALID_MESSAGE",
      message: expect.stringContaining("attachments[0] is a stream that was already read"),
      hint: expect.stringContaining("{ path } or bytes"),
      issues: [{ path: "attachments[0].content", message: "stream already consumed" }],
    });
  });

  // Mutant (attachments.ts:66): a stream that is only destroyed, or only ended, is consumed too.
  it("refuses a stream that is only destroyed or only ended", async () => {
    const destroyed = Readable.from([Buffer.from("x")]);
    destroyed.destroy();
    expect([destroyed.destroyed, destroyed.readableEnded]).toEqual([true, false]);
    const ended = new Readable({ read() {}, autoDestroy: false });
    ended.push("x");
    ended.push(null);
    ended.resume();
    await once(ended, "end");
    expect([ended.destroyed, ended.readableEnded]).toEqual([false, true]);
    for (const stream of [destroyed, ended]) {
      await expect(
        resolveAttachments([attachment(Buffer.from("first")), attachment(stream)]),
      ).rejects.toMatchObject({
        code: "INVALID_MESSAGE",
        issues: [{ path: "attachments[1].content", message: "stream already consumed" }],
      });
    }
  });

  // Mutant (attachments.ts:106): rm without force rejects once the directory is gone, and the
  // transport awaits cleanup() after Graph accepted the message.
  it("cleans up when a temporary directory is already gone", async () => {
    const resolved = await resolveAttachments([
      attachment(Readable.from([bytes(LARGE_ATTACHMENT_BYTES + 1)])),
    ]);
    const spooled = resolved.items[0]?.path;
    if (spooled === undefined) throw new Error("the stream was not spooled to a file");
    await rm(dirname(spooled), { recursive: true });
    await expect(resolved.cleanup()).resolves.toBeUndefined();
  });

  it("reports a missing file as INVALID_MESSAGE", async () => {
    const missing = join(dir, "missing");
    await expect(resolveAttachments([attachment({ path: missing })])).rejects.toMatchObject({
      code: "INVALID_MESSAGE",
      message: expect.stringContaining(`attachments[0]: cannot read ${missing} (ENOENT)`),
      hint: "Check the attachment's path.",
      issues: [{ path: "attachments[0].content.path", message: "cannot be read" }],
      cause: expect.objectContaining({ code: "ENOENT" }),
    });
  });
});

describe("readAttachment", () => {
  it("reads a file of the size measured, and refuses one that changed size since", async () => {
    const file = join(dir, "grows.bin");
    await writeFile(file, bytes(1000));
    const {
      items: [item],
    } = await resolveAttachments([attachment({ path: file }, "grows.bin")]);
    if (!item) throw new Error("no attachment resolved");
    expect(await readAttachment(item)).toEqual(bytes(1000));
    // The size decided one request or an upload session: a longer body could pass 4 MB.
    await appendFile(file, "x");
    await expect(readAttachment(item)).rejects.toMatchObject({
      code: "INVALID_MESSAGE",
      retryable: false,
      message:
        "attachment grows.bin changed size while it was sent (1001 bytes read, 1000 measured).",
      hint: "Do not modify an attachment file while it is being sent.",
    });
  });
});

describe("readChunks", () => {
  it("cuts a file into equal chunks and a shorter last one, in order", async () => {
    const data = bytes(10 * 1024 + 17);
    const path = join(dir, "chunks.bin");
    await writeFile(path, data);
    const chunks = await collect(
      readChunks({ source: attachment({ path }), name: "c", size: data.length, path }, 4096),
    );
    expect(chunks.map((chunk) => chunk.length)).toEqual([4096, 4096, 2065]);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });

  // Mutants (attachments.ts:161, 182): an extra empty chunk after an exact multiple of the
  // chunk size would be uploaded as a 0-byte PUT with an invalid Content-Range.
  it("yields no empty chunk for a size that is a multiple of the chunk size, or zero", async () => {
    for (const size of [8192, 0]) {
      const data = bytes(size);
      const path = join(dir, `multiple-${size}.bin`);
      await writeFile(path, data);
      const expected = size === 0 ? [] : [4096, 4096];
      for (const item of [
        { source: attachment(data), name: "m", size, bytes: data },
        { source: attachment({ path }), name: "m", size, path },
      ]) {
        const chunks = await collect(readChunks(item, 4096));
        expect(
          chunks.map((chunk) => chunk.length),
          `${size}, ${"path" in item}`,
        ).toEqual(expected);
      }
    }
  });
});
