import { createHash } from "node:crypto";

/** A valid 1×1 transparent PNG. */
export const PIXEL_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

/**
 * 4 KiB of deterministic bytes: every byte value, CR/LF and NUL runs, "From " at a line start
 * and a lone "." line, the things that break naive MIME or SMTP handling.
 */
export function binaryFixture(): Uint8Array {
  const bytes = new Uint8Array(4_096);
  for (let index = 0; index < 256; index++) bytes[index] = index;
  const tricky = Buffer.from("\r\n.\r\nFrom me\r\n\r\n\0\0\0\r\r\n\n");
  bytes.set(tricky, 256);
  // A small linear congruential generator: reproducible, no dependency.
  let state = 0x2545f491;
  for (let index = 256 + tricky.length; index < bytes.length; index++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    bytes[index] = state >>> 24;
  }
  return bytes;
}

export const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
