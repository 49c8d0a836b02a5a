// A non-ASCII local part that appears only in Reply-To (no envelope address needs SMTPUTF8):
// nodemailer writes the header as raw UTF-8, so the transaction must declare 8-bit content or
// Exchange refuses the data with 554 5.6.0.
import { describe, expect, it } from "vitest";
import { createSmtpTransport } from "./smtp-transport.js";
import {
  emulatorSmtpOptions,
  sendFromDefault,
  useSmtpEmulator,
} from "./test-support/emulator-harness.js";

const { emulator, track } = useSmtpEmulator();

describe("a non-ASCII local part only in Reply-To", () => {
  it("is delivered with the address intact in the Reply-To header", async () => {
    const smtp = track(createSmtpTransport(emulatorSmtpOptions(emulator)));
    const receipt = await sendFromDefault(smtp, {
      to: "ada@contoso.com",
      replyTo: "jörg@contoso.com",
      subject: "Reply to Jörg",
      text: "Hello",
    });
    expect(receipt.accepted).toEqual(["ada@contoso.com"]);
    const [stored] = emulator.messages();
    expect(stored?.raw).toMatch(/^Reply-To: jörg@contoso\.com\r$/m);
  });
});
