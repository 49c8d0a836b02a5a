// Which path a message takes to nodemailer's pool (smtp-engine.ts, issue 16), told by what
// nodemailer logs at debug: its Mail layer logs "Sending mail using …" for every sendMail, the
// pool "Assigned message <id>" for every message it takes. Bytes written in one pass with an
// envelope nodemailer would keep go straight to the pool, under their Message-ID; the rest
// through sendMail, and the envelope on the wire is nodemailer's.
import { createMailer, type MailMessage } from "@mailpath/core";
import { DEFAULT_SENDER, type Emulator } from "@mailpath/emulator";
import { describe, expect, it } from "vitest";
import { createSmtpTransport } from "./index.js";
import { emulatorForFile, emulatorSmtpOptions } from "./test-support/emulator-harness.js";
import { loggerTo } from "./test-support/logger.js";

let emulator!: Emulator;
const track = emulatorForFile((started) => {
  emulator = started;
});

/** Sends one message through a mailer with a debug logger; the debug lines and the result. */
async function sendLogged(message: MailMessage) {
  const debug: string[] = [];
  const transport = track(
    createSmtpTransport(
      emulatorSmtpOptions(emulator, {
        logger: loggerTo((_fields, line, level) => {
          if (level === "debug") debug.push(line);
        }),
      }),
    ),
  );
  const mailer = createMailer({ transport, from: DEFAULT_SENDER, retry: false });
  const result = await mailer.send(message);
  await mailer.close();
  return { debug, result };
}

const viaSendMail = (debug: string[]) => debug.some((line) => /Sending mail using/.test(line));

describe("the way to nodemailer's pool", () => {
  it("hands a one-pass message with a plain envelope to the pool itself, under its Message-ID", async () => {
    const { debug, result } = await sendLogged({
      to: "ada@contoso.com",
      cc: "Bob@Fabrikam.COM",
      subject: "Straight to the pool",
      text: "Hi",
    });
    expect(viaSendMail(debug)).toBe(false);
    const id = result.messageId.replace(/[<>]/g, "");
    expect(debug.some((line) => line.includes(`Assigned message <${id}>`))).toBe(true);
    const [stored] = emulator.messages();
    expect(stored?.envelope).toEqual({
      from: DEFAULT_SENDER,
      to: ["ada@contoso.com", "Bob@fabrikam.com"],
    });
    expect(stored?.messageId).toBe(result.messageId);
  });

  it("lets nodemailer make the envelope of a one-pass message with an IDN Bcc (punycode)", async () => {
    const { debug, result } = await sendLogged({
      to: "ada@contoso.com",
      bcc: "bob@jõgeva.ee",
      subject: "Envelope by nodemailer",
      text: "Hi",
    });
    expect(viaSendMail(debug)).toBe(true);
    // nodemailer's record of the RCPT TO commands the server accepted: the A-label form.
    expect(result.accepted).toEqual(["ada@contoso.com", "bob@xn--jgeva-dua.ee"]);
    // (The emulator stores domains in their Unicode form.)
    const [stored] = emulator.messages();
    expect(stored?.envelope).toEqual({
      from: DEFAULT_SENDER,
      to: ["ada@contoso.com", "bob@jõgeva.ee"],
    });
    // The bytes are still ours: no Bcc field, the Message-ID given.
    expect(stored?.raw).not.toMatch(/^bcc:/im);
    expect(stored?.messageId).toBe(result.messageId);
  });

  it("lets nodemailer compose what the one-pass writer does not take (a custom header)", async () => {
    const { debug } = await sendLogged({
      to: "ada@contoso.com",
      subject: "Composed by nodemailer",
      text: "Hi",
      headers: { "X-Campaign": "q4" },
    });
    expect(viaSendMail(debug)).toBe(true);
    expect(emulator.messages()[0]?.raw).toMatch(/^X-Campaign: q4\r$/m);
  });
});
