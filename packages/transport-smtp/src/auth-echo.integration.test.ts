// A server that echoes the AUTH payload back in its refusal (seen on some smart hosts and
// appliances: "535 5.7.8 Error: authentication failed: <base64>") must not leak the base64
// password or token into an error, its smtp.response, an event or a log line.
import { createMailer, MailError, type MailerEvent } from "@mailpath/core";
import { DEFAULT_SENDER, useEmulator } from "@mailpath/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSmtpTransport, type SmtpTransportOptions } from "./index.js";
import { emulatorSmtpOptions } from "./test-support/emulator-harness.js";
import { loggerTo } from "./test-support/logger.js";

const PASSWORD = "Echoed-Horse-Battery-7staple";
const EVENTS: readonly MailerEvent[] = ["attempt", "retry", "sent", "failed"];
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

const emulator = useEmulator({ beforeAll, afterAll });

/** Sends once with `auth`, the server echoing `echo` to AUTH; returns all a user could see. */
async function sendWithEcho(auth: SmtpTransportOptions["auth"], echo: string) {
  const seen: string[] = [];
  const logger = loggerTo((_fields, line) => seen.push(line));
  emulator.failNext({
    endpoint: "smtp",
    kind: "reply",
    stage: "auth",
    reply: `535 5.7.8 Error: authentication failed: ${echo}`,
  });
  const mailer = createMailer({
    transport: createSmtpTransport(emulatorSmtpOptions(emulator, { auth, logger })),
    from: DEFAULT_SENDER,
    retry: false,
    rateLimit: false,
  });
  for (const event of EVENTS) {
    mailer.on(event, (...payload: unknown[]) => {
      for (const item of payload) seen.push(JSON.stringify(item));
    });
  }
  let failure: MailError | undefined;
  try {
    await mailer.send({ to: "ada@contoso.com", subject: "Echo", text: "x" });
  } catch (error) {
    if (!MailError.isInstance(error)) throw error;
    failure = error;
    seen.push(error.message, String(error.stack), JSON.stringify(error), error.hint ?? "");
  } finally {
    await mailer.close();
  }
  return { failure, text: seen.join("\n") };
}

describe("a server that echoes the AUTH payload", () => {
  it("does not leak an AUTH PLAIN payload (\\0user\\0password) of any alignment", async () => {
    const payloads = ["", "x", "xy"].map((pad) =>
      b64(`\u0000${pad}${DEFAULT_SENDER}\u0000${PASSWORD}`),
    );
    const { failure, text } = await sendWithEcho(
      { user: DEFAULT_SENDER, pass: PASSWORD },
      payloads.join(" "),
    );
    expect(failure?.code).toBe("AUTH_FAILED");
    expect(failure?.smtp?.response).toMatch(
      /^535 5\.7\.8 Error: authentication failed: \[redacted\]/,
    );
    for (const payload of payloads) expect(text).not.toContain(payload.slice(8, 32));
    expect(text).not.toContain(PASSWORD);
  });

  it("does not leak the AUTH LOGIN password in base64", async () => {
    const echoed = `${b64(DEFAULT_SENDER)} ${b64(PASSWORD)}`;
    const { failure, text } = await sendWithEcho({ user: DEFAULT_SENDER, pass: PASSWORD }, echoed);
    expect(failure?.smtp?.response).toContain("[redacted]");
    expect(text).toMatch(/535 5\.7\.8/);
    expect(text).not.toContain(b64(PASSWORD).slice(0, 24));
  });

  it("does not leak an XOAUTH2 payload or a part of it", async () => {
    const token = await emulator.issueAccessToken();
    const payload = b64(`user=${DEFAULT_SENDER}\u0001auth=Bearer ${token}\u0001\u0001`);
    // Whole, and cut so that it no longer starts with base64("user=").
    const { failure, text } = await sendWithEcho(
      { user: DEFAULT_SENDER, accessToken: token },
      `${payload} ${payload.slice(20)}`,
    );
    expect(failure?.smtp?.response).toMatch(/\[redacted\] \[redacted\]$/);
    expect(text).not.toContain(payload.slice(30, 60));
    expect(text).not.toContain(token);
  });
});
