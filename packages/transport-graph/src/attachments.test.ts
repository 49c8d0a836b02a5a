import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { NormalizedAttachment } from "@mailpath/core";
import { describe, expect, it } from "vitest";
import { LARGE_ATTACHMENT_BYTES, readChunks, resolveAttachments } from "./attachments.js";

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
    });
  });

  it("reports a missing file as INVALID_MESSAGE", async () => {
    await expect(
      resolveAttachments([attachment({ path: join(dir, "missing") })]),
    ).rejects.toMatchObject({
      code: "INVALID_MESSAGE",
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
});
