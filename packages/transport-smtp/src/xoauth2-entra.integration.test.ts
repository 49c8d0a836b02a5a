// XOAUTH2 with app-only tokens from @mailpath/entra, fetched from the emulator's Entra token
// endpoint over loopback TLS: the whole OAuth path a production app takes.
import { MailError, type NormalizedMessage, normalizeMessage } from "@mailpath/core";
import { DEFAULT_CLIENT_SECRET, DEFAULT_SENDER, emulatorCredentials } from "@mailpath/emulator";
import { createClientCredentialsProvider } from "@mailpath/entra";
import { describe, expect, it } from "vitest";
import { createSmtpTransport, type SmtpTransport } from "./index.js";
import { emulatorSmtpOptions, useSmtpEmulator } from "./test-support/emulator-harness.js";

const { emulator, track } = useSmtpEmulator();

function entraProvider(clientSecret = DEFAULT_CLIENT_SECRET) {
  return createClientCredentialsProvider({
    ...emulatorCredentials(emulator),
    clientSecret,
    target: "smtp",
  });
}

function oauthTransport(
  tokenProvider: ReturnType<typeof entraProvider> = entraProvider(),
): SmtpTransport {
  return track(
    createSmtpTransport(
      emulatorSmtpOptions(emulator, { auth: { user: DEFAULT_SENDER, tokenProvider } }),
    ),
  );
}

function message(subject: string): NormalizedMessage {
  return normalizeMessage(
    { to: "ada@contoso.com", subject, text: "Sent with an app-only token" },
    { from: DEFAULT_SENDER },
  );
}

const send = (transport: SmtpTransport, normalized: NormalizedMessage) =>
  transport.send(normalized, { signal: new AbortController().signal });

describe("XOAUTH2 with @mailpath/entra", () => {
  it("sends with a client-credentials token for SMTP.SendAsApp from the token endpoint", async () => {
    const transport = oauthTransport();
    const receipt = await send(transport, message("App-only"));
    expect(receipt.accepted).toEqual(["ada@contoso.com"]);
    const [delivered] = await emulator.waitForMessages(1);
    expect(delivered?.submittedBy).toBe(DEFAULT_SENDER);
    expect(emulator.stats().tokensIssued).toBe(1);
    await transport.verify();
    expect(emulator.stats().tokensIssued).toBe(1);
  });

  it("makes one token request for 100 sends", async () => {
    emulator.configure({ limits: { smtpMessagesPerWindow: 1_000 } });
    const transport = oauthTransport();
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          send(transport, message(`Batch ${batch} message ${index}`)),
        ),
      );
    }
    await emulator.waitForMessages(100);
    expect(emulator.stats().tokensIssued).toBe(1);
    expect(emulator.stats().maxConcurrency.smtp).toBeLessThanOrEqual(3);
  });

  it("makes one token request for 10 concurrent first sends", async () => {
    const transport = oauthTransport();
    await Promise.all(
      Array.from({ length: 10 }, (_, index) => send(transport, message(`First ${index}`))),
    );
    await emulator.waitForMessages(10);
    expect(emulator.stats().tokensIssued).toBe(1);
  });

  it("fetches a fresh token after 535 5.7.3 and retries the send once", async () => {
    const tokens = entraProvider();
    const first = oauthTransport(tokens);
    await send(first, message("Before"));
    // A new connection with the cached token is refused once, as Exchange refuses a token it
    // no longer accepts.
    emulator.failNext({
      endpoint: "smtp",
      kind: "reply",
      stage: "auth",
      reply: "535 5.7.3 Authentication unsuccessful [EMU0PR01CA0001.outlook.emulator.mailpath.dev]",
    });
    const second = oauthTransport(tokens);
    const receipt = await send(second, message("After refresh"));
    expect(receipt.accepted).toEqual(["ada@contoso.com"]);
    const delivered = await emulator.waitForMessages(2);
    expect(delivered.map((entry) => entry.subject)).toEqual(["Before", "After refresh"]);
    // The first token, then exactly one forced refresh.
    expect(emulator.stats().tokensIssued).toBe(2);
  });

  it("fails with AUTH_FAILED and a hint when the client secret is wrong, without the secret", async () => {
    const wrongSecret = "wrong-client-secret-4b2d9e";
    let caught: unknown;
    try {
      await send(oauthTransport(entraProvider(wrongSecret)), message("Never sent"));
    } catch (error) {
      caught = error;
    }
    expect(MailError.isInstance(caught)).toBe(true);
    const error = caught as MailError;
    expect(error.code).toBe("AUTH_FAILED");
    expect(error.transport).toBe("smtp");
    expect(error.hint).toMatch(/secret/i);
    const text = [JSON.stringify(error), error.message, String(error.stack)].join("\n");
    expect(text).not.toContain(wrongSecret);
    expect(text).not.toContain(DEFAULT_CLIENT_SECRET);
    expect(emulator.messages()).toEqual([]);
  });
});
