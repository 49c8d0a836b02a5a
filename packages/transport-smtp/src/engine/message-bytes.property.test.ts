// Issue 9: for any input, either INVALID_MESSAGE before any transport call, or the bytes the
// message compiles to carry exactly the validated fields: no injected header line, no NUL, no
// line over 998 octets. Compiled by nodemailer, the MIME builder the SMTP transport uses, with
// the same mapping (toNodemailerMessage) it sends.
import type { NormalizedMessage } from "@mailpath/core";
import fc from "fast-check";
import nodemailer from "nodemailer";
import { describe, expect, it } from "vitest";
import {
  expectExactly,
  messageInput,
  propertyRuns,
  useAttachmentFile,
  validatedOrRefused,
} from "../test-support/message-arbitraries.js";
import { toNodemailerMessage } from "./nodemailer-message.js";

/** Runs per property; MAILPATH_FC_RUNS raises it for a longer hunt. */
const RUNS = Number(process.env.MAILPATH_FC_RUNS ?? 10_000);

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

useAttachmentFile();

describe("validation and the bytes on the wire (property)", () => {
  it(`either refuses with INVALID_MESSAGE or compiles to exactly the validated fields (${RUNS} cases)`, async () => {
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(messageInput, async (input) => {
        const message = validatedOrRefused(input);
        if (!message) {
          refused++;
          return;
        }
        accepted++;
        const { raw, envelope } = await compile(message);
        expectExactly(message, raw, envelope, { bccKept: true });
      }),
      propertyRuns(RUNS),
    );
    // Both branches were exercised, not only refusals.
    expect(accepted).toBeGreaterThan(RUNS / 50);
    expect(refused).toBeGreaterThan(RUNS / 50);
  }, 300_000);
});
