// Issue 9: for any input, either INVALID_MESSAGE before any transport call, or the bytes the
// message compiles to carry exactly the validated fields: no injected header line, no NUL, no
// line over 998 octets. Compiled by nodemailer, the MIME builder the SMTP transport uses, with
// the same mapping (toNodemailerMessage) it sends.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  MailError,
  type MailMessage,
  type NormalizedMessage,
  normalizeMessage,
} from "@mailpath/core";
import fc from "fast-check";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectExactly,
  messageInput,
  setAttachmentFile,
} from "../test-support/message-arbitraries.js";
import { toNodemailerMessage } from "./nodemailer-message.js";

/** Runs per property; MAILPATH_FC_RUNS raises it for a longer hunt. */
const RUNS = Number(process.env.MAILPATH_FC_RUNS ?? 10_000);
/** A fixed seed reproduces a failure; fast-check prints the seed and path of any counterexample. */
const SEED =
  process.env.MAILPATH_FC_SEED === undefined ? undefined : Number(process.env.MAILPATH_FC_SEED);

const compiler = nodemailer.createTransport({
  streamTransport: true,
  buffer: true,
  newline: "windows",
});

async function compile(
  message: NormalizedMessage,
): Promise<{ raw: Buffer; envelope: { from: string; to: string[] } }> {
  const info = (await compiler.sendMail(toNodemailerMessage(message))) as unknown as {
    message: Buffer;
    envelope: { from: string; to: string[] };
  };
  return { raw: info.message, envelope: info.envelope };
}

let fileDir = "";
beforeAll(async () => {
  fileDir = await mkdtemp(join(tmpdir(), "mailpath-property-"));
  const filePath = join(fileDir, "attachment.bin");
  await writeFile(filePath, "file content\r\n");
  setAttachmentFile(filePath);
});
afterAll(async () => {
  if (fileDir) await rm(fileDir, { recursive: true, force: true });
});

describe("validation and the bytes on the wire (property)", () => {
  it(`either refuses with INVALID_MESSAGE or compiles to exactly the validated fields (${RUNS} cases)`, async () => {
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(messageInput, async (input) => {
        let message: NormalizedMessage;
        try {
          message = normalizeMessage(input as MailMessage);
        } catch (error) {
          expect(MailError.isInstance(error) && error.code, String(error)).toBe("INVALID_MESSAGE");
          refused++;
          return;
        }
        accepted++;
        const { raw, envelope } = await compile(message);
        expectExactly(message, raw, envelope, { bccKept: true });
      }),
      { numRuns: RUNS, ...(SEED !== undefined && { seed: SEED }) },
    );
    // Both branches were exercised, not only refusals.
    expect(accepted).toBeGreaterThan(RUNS / 50);
    expect(refused).toBeGreaterThan(RUNS / 50);
  }, 300_000);
});
