// The SMTP dialogue at debug level, through core's Logger shape (fields, message): the commands
// and replies are there, the password and the message are not.
import { createMailer } from "@mailpath/core";
import { DEFAULT_SENDER, useEmulator } from "@mailpath/emulator";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createSmtpTransport } from "./index.js";
import { emulatorSmtpOptions } from "./test-support/emulator-harness.js";
import { loggerTo } from "./test-support/logger.js";

const PASSWORD = "Logger-Password-3b9e1f";
const BODY = "Body-Line-That-Stays-Out-Of-Logs-71c2";

const emulator = useEmulator({ beforeAll, afterAll });
beforeAll(async () => {
  emulator.configure({
    mailboxes: emulator.tenant.mailboxes.map((mailbox) =>
      mailbox.address === DEFAULT_SENDER ? { ...mailbox, password: PASSWORD } : mailbox,
    ),
  });
});

it("logs the SMTP dialogue at debug without the password or the message", async () => {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const logger = loggerTo((fields, message, level) => lines.push({ level, fields, message }));
  const mailer = createMailer({
    transport: createSmtpTransport(
      emulatorSmtpOptions(emulator, {
        auth: { user: DEFAULT_SENDER, pass: PASSWORD },
        logger,
      }),
    ),
    from: DEFAULT_SENDER,
  });
  try {
    await mailer.send({ to: "ada@contoso.com", subject: "Logged", text: BODY });
  } finally {
    await mailer.close();
  }
  const debug = lines.filter((line) => line.level === "debug").map((line) => line.message);
  expect(debug.some((line) => /MAIL FROM/i.test(line))).toBe(true);
  expect(debug.some((line) => /AUTH/i.test(line))).toBe(true);
  expect(lines.every((line) => line.fields.component === "smtp")).toBe(true);
  const everything = JSON.stringify(lines);
  expect(everything).not.toContain(PASSWORD);
  expect(everything).not.toContain(Buffer.from(PASSWORD).toString("base64"));
  expect(everything).not.toContain(BODY);
});
