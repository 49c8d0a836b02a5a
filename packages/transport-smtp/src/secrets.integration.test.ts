import {
  createMailer,
  MAILER_EVENTS,
  MailError,
  type MailerEvent,
  type TokenProvider,
} from "@mailpath/core";
import { DEFAULT_SENDER, useEmulator } from "@mailpath/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSmtpTransport, type SmtpTransportOptions } from "./index.js";
import { emulatorSmtpOptions } from "./test-support/emulator-harness.js";
import { loggerTo } from "./test-support/logger.js";

const PASSWORD = "Correct-Horse-Battery-5taple";
const WRONG_PASSWORD = "Wrong-Horse-Battery-5taple";
const PROVIDER_SECRET = "Provider-Secret-Value-9f8e7d";
const EVENTS: readonly MailerEvent[] = MAILER_EVENTS;

const emulator = useEmulator({ beforeAll, afterAll });
beforeAll(async () => {
  emulator.configure({
    mailboxes: emulator.tenant.mailboxes.map((mailbox) =>
      mailbox.address === DEFAULT_SENDER ? { ...mailbox, password: PASSWORD } : mailbox,
    ),
  });
});

/** Everything a user could see or log: errors with their causes, events, log lines. */
function collector() {
  const seen: string[] = [];
  const logger = loggerTo((fields, line) => seen.push(line, JSON.stringify(fields)));
  const record = (value: unknown, depth = 0): void => {
    if (depth > 4 || value === undefined || value === null) return;
    if (value instanceof Error) {
      seen.push(value.message, String(value.stack));
      if (MailError.isInstance(value)) seen.push(JSON.stringify(value), value.hint ?? "");
      record(value.cause, depth + 1);
      return;
    }
    seen.push(typeof value === "string" ? value : JSON.stringify(value));
  };
  return { seen, logger, record };
}

async function run(
  options: Partial<SmtpTransportOptions>,
  collected: ReturnType<typeof collector>,
): Promise<void> {
  const mailer = createMailer({
    transport: createSmtpTransport(
      emulatorSmtpOptions(emulator, { ...options, logger: collected.logger }),
    ),
    from: DEFAULT_SENDER,
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    rateLimit: false,
  });
  for (const event of EVENTS) {
    mailer.on(event, (...payload: unknown[]) => {
      for (const item of payload) collected.record(item);
    });
  }
  try {
    await mailer.verify().catch((error: unknown) => collected.record(error));
    await mailer
      .send({ to: "ada@contoso.com", subject: "Secret sweep", text: "x" })
      .then((result) => collected.record(result))
      .catch((error: unknown) => collected.record(error));
  } finally {
    await mailer.close();
  }
}

describe("secrets never reach errors, events or logs", () => {
  it("keeps passwords, tokens and provider secrets out of every error, event and log line", async () => {
    const collected = collector();
    const goodToken = await emulator.issueAccessToken();
    const refusedToken = await emulator.issueAccessToken({
      audience: "https://graph.microsoft.com",
    });
    const failingProvider: TokenProvider = {
      getToken: async () => {
        throw new Error(`token request failed: client_secret=${PROVIDER_SECRET}`);
      },
    };

    await run({ auth: { user: DEFAULT_SENDER, pass: PASSWORD } }, collected);
    await run({ auth: { user: DEFAULT_SENDER, pass: WRONG_PASSWORD } }, collected);
    await run({ auth: { user: DEFAULT_SENDER, accessToken: goodToken } }, collected);
    await run({ auth: { user: DEFAULT_SENDER, accessToken: refusedToken } }, collected);
    await run(
      {
        auth: {
          user: DEFAULT_SENDER,
          tokenProvider: { getToken: async () => refusedToken },
        },
      },
      collected,
    );
    await run({ auth: { user: DEFAULT_SENDER, tokenProvider: failingProvider } }, collected);

    // The sweep saw the failures it is meant to check, not an empty list.
    const text = collected.seen.join("\n");
    expect(text).toMatch(/535 5\.7\.3/);
    expect(text).toMatch(/AUTH_FAILED/);
    expect(text).toMatch(/authenticated/i);
    for (const secret of [
      PASSWORD,
      WRONG_PASSWORD,
      goodToken,
      refusedToken,
      PROVIDER_SECRET,
      // The SASL XOAUTH2 string always starts with base64("user=").
      "dXNlcj1",
      Buffer.from(`\u0001auth=Bearer ${refusedToken}`).toString("base64").slice(4, 40),
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});
