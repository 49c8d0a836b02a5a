// Issue 9: the property of engine/message-bytes.property.test.ts on a smaller sample sent for
// real: the SMTP transport over loopback TLS to the emulator, whose store keeps the bytes that
// arrived. Either INVALID_MESSAGE before the transport is called, or the delivered bytes carry
// exactly the validated fields (and no Bcc field: the SMTP transport strips it).
import { domainToASCII } from "node:url";
import { MailError } from "@mailpath/core";
import { DEFAULT_SENDER, useEmulator } from "@mailpath/emulator";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSmtpTransport, type SmtpTransport } from "./index.js";
import { emulatorSmtpOptions } from "./test-support/emulator-harness.js";
import {
  expectExactly,
  messageInput,
  propertyRuns,
  useAttachmentFile,
  validatedOrRefused,
} from "./test-support/message-arbitraries.js";

const RUNS = Number(process.env.MAILPATH_FC_WIRE_RUNS ?? 200);
useAttachmentFile();
// The sample sends a few hundred messages from one mailbox: lift Exchange's 30 per minute.
const emulator = useEmulator(
  { beforeAll, afterAll },
  { tenant: { limits: { smtpMessagesPerWindow: 1_000_000 } } },
);
let transport: SmtpTransport;
beforeAll(() => {
  transport = createSmtpTransport(emulatorSmtpOptions(emulator));
});
afterAll(async () => {
  await transport?.close();
});

describe("validation and the bytes on the wire, over SMTP to the emulator (property sample)", () => {
  it(`either refuses with INVALID_MESSAGE or delivers exactly the validated fields (${RUNS} cases)`, async () => {
    let delivered = 0;
    await fc.assert(
      fc.asyncProperty(messageInput, async (input) => {
        // The mailbox the transport authenticates as sends; everything else is generated.
        const message = validatedOrRefused({ ...input, from: DEFAULT_SENDER });
        if (!message) return;
        emulator.reset();
        const signal = new AbortController().signal;
        let accepted: readonly string[];
        try {
          ({ accepted } = await transport.send(message, { signal }));
        } catch (error) {
          // The emulator's tenant refuses recipients it does not know: a server's refusal of
          // every recipient, not something validation should have caught.
          expect(MailError.isInstance(error) && error.code, String(error)).toBe(
            "RECIPIENT_REJECTED",
          );
          return;
        }
        const [stored] = emulator.messages();
        expect(stored?.raw, "the emulator kept the delivered bytes").toBeDefined();
        // nodemailer reports an IDN domain as it wrote it (punycode for an ASCII local part).
        const punycode = (address: string) => {
          const at = address.lastIndexOf("@");
          return `${address.slice(0, at)}@${domainToASCII(address.slice(at + 1))}`.toLowerCase();
        };
        const took = new Set(accepted.map((address) => address.toLowerCase()));
        expectExactly(message, Buffer.from(stored!.raw!, "utf8"), stored!.envelope, {
          bccKept: false,
          accepted: message.recipients.filter(
            (address) => took.has(address.toLowerCase()) || took.has(punycode(address)),
          ),
        });
        delivered++;
      }),
      propertyRuns(RUNS),
    );
    expect(delivered).toBeGreaterThan(RUNS / 50);
  }, 300_000);
});
