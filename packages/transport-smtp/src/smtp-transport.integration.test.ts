import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createMailer,
  MailError,
  type MailMessage,
  type NormalizedMessage,
  normalizeMessage,
  type TokenProvider,
} from "@mailpath/core";
import { rejectedMailError } from "@mailpath/core/testing";
import { DEFAULT_SENDER } from "@mailpath/emulator";
import { describe, expect, it, vi } from "vitest";
import { createSmtpTransport, type SmtpTransport, type SmtpTransportOptions } from "./index.js";
import {
  emulatorSmtpOptions,
  useSmtpEmulator,
  watchHold,
} from "./test-support/emulator-harness.js";

const { emulator, track } = useSmtpEmulator();

function transport(overrides: Partial<SmtpTransportOptions> = {}): SmtpTransport {
  return track(createSmtpTransport(emulatorSmtpOptions(emulator, overrides)));
}

function message(overrides: Partial<MailMessage> = {}): NormalizedMessage {
  return normalizeMessage(
    { to: "ada@contoso.com", subject: "Integration", text: "Hello Ada", ...overrides },
    { from: DEFAULT_SENDER },
  );
}

const send = (target: SmtpTransport, normalized: NormalizedMessage, signal?: AbortSignal) =>
  target.send(normalized, { signal: signal ?? new AbortController().signal });

/** A provider that counts its calls and hands out the given tokens in turn. */
function scriptedProvider(next: (options: { forceRefresh?: boolean }) => Promise<string>) {
  const calls: { forceRefresh: boolean }[] = [];
  const provider: TokenProvider = {
    getToken: async (options = {}) => {
      calls.push({ forceRefresh: options.forceRefresh === true });
      return next(options);
    },
  };
  return { provider, calls };
}

describe("SMTP AUTH submission against the emulator", () => {
  it("submits over STARTTLS with Basic auth and reports the server's 250 reply", async () => {
    const smtp = transport();
    const receipt = await send(smtp, message());
    expect(receipt.accepted).toEqual(["ada@contoso.com"]);
    expect(receipt.rejected).toEqual([]);
    expect(receipt.response).toMatch(/^250 2\.0\.0 OK </);
    const [delivered] = await emulator.waitForMessages(1);
    expect(delivered?.submittedBy).toBe(DEFAULT_SENDER);
    expect(delivered?.savedToSentItems).toBe(true);
  });

  it("refuses a server certificate from a CA it was not given, with TLS_ERROR", async () => {
    const untrusting = transport({ tls: {} });
    const error = await rejectedMailError(send(untrusting, message()));
    expect(error.code).toBe("TLS_ERROR");
    expect(error.retryable).toBe(false);
    expect(emulator.messages()).toEqual([]);
  });

  it("answers 535 5.7.139 as AUTH_DISABLED when SMTP AUTH is disabled for the mailbox", async () => {
    emulator.configure({
      mailboxes: emulator.tenant.mailboxes.map((mailbox) =>
        mailbox.address === DEFAULT_SENDER ? { ...mailbox, smtpAuthEnabled: false } : mailbox,
      ),
    });
    const error = await rejectedMailError(send(transport(), message()));
    expect(error.code).toBe("AUTH_DISABLED");
    expect(error.smtp).toMatchObject({ replyCode: 535, enhancedCode: "5.7.139" });
    expect(error.hint).toMatch(/Set-CASMailbox/);
    expect(emulator.messages()).toEqual([]);
  });

  it("never opens more than 3 connections for 12 concurrent sends", async () => {
    const smtp = transport();
    const receipts = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        send(smtp, message({ subject: `Concurrent ${index}` })),
      ),
    );
    expect(receipts).toHaveLength(12);
    await emulator.waitForMessages(12);
    const stats = emulator.stats();
    expect(stats.maxConcurrency.smtp).toBeLessThanOrEqual(3);
    expect(stats.throttled.smtp).toBe(0);
  });

  it("verify() connects, starts TLS and authenticates, and fails with AUTH_FAILED on a wrong password", async () => {
    await expect(transport().verify()).resolves.toBeUndefined();
    const error = await rejectedMailError(
      transport({ auth: { user: DEFAULT_SENDER, pass: "wrong-password" } }).verify(),
    );
    expect(error.code).toBe("AUTH_FAILED");
    expect(error.smtp).toMatchObject({ replyCode: 535, enhancedCode: "5.7.3" });
    expect(emulator.messages()).toEqual([]);
  });

  it("aborts an in-flight send with ABORTED without waiting for the server, and keeps the pool usable", async () => {
    const smtp = transport();
    // The emulator (in this process) holds its answer to MAIL FROM on a timer. Watching that
    // timer tells when the answer is held and whether it was released: the abort must settle
    // the send while the answer is still held. The order of events is checked, not a duration.
    const HOLD_MS = 5_000;
    const hold = watchHold(HOLD_MS);
    emulator.failNext({ endpoint: "smtp", kind: "latency", ms: HOLD_MS, stage: "mail" });
    const controller = new AbortController();
    const sending = send(smtp, message({ subject: "Aborted" }), controller.signal);
    let settled = false;
    void sending.then(
      () => (settled = true),
      () => (settled = true),
    );
    await vi.waitFor(() =>
      expect(hold.held(), "the server holds its answer to MAIL FROM").toBe(true),
    );
    expect(settled).toBe(false);
    controller.abort();
    const error = await rejectedMailError(sending);
    expect(error.code).toBe("ABORTED");
    expect(error.ambiguous).toBeUndefined();
    expect(hold.released(), "the send settled before the server answered").toBe(false);
    expect(emulator.messages()).toEqual([]);
    const receipt = await send(smtp, message({ subject: "After the abort" }));
    expect(receipt.accepted).toEqual(["ada@contoso.com"]);
    const delivered = await emulator.waitForMessages(1);
    expect(delivered.map((entry) => entry.subject)).toEqual(["After the abort"]);
  });

  it("marks a connection dropped after the whole message was written as ambiguous", async () => {
    // The emulator stores the message, then drops the connection before the 250.
    emulator.failNext({ endpoint: "smtp", kind: "drop", stage: "after-data" });
    const error = await rejectedMailError(
      send(transport(), message({ subject: "Maybe delivered" })),
    );
    expect(error.code).toBe("CONNECTION_FAILED");
    expect(error.retryable).toBe(true);
    expect(error.ambiguous).toBe(true);
    expect(emulator.messages().map((entry) => entry.subject)).toEqual(["Maybe delivered"]);
  });

  it("does not mark a connection dropped before DATA as ambiguous", async () => {
    emulator.failNext({ endpoint: "smtp", kind: "drop", stage: "rcpt" });
    const error = await rejectedMailError(send(transport(), message()));
    expect(error.code).toBe("CONNECTION_FAILED");
    expect(error.ambiguous).toBeUndefined();
    expect(emulator.messages()).toEqual([]);
  });

  it("rejects a send after close() with ABORTED, and close() is idempotent", async () => {
    const smtp = transport();
    await smtp.close();
    await smtp.close();
    const error = await rejectedMailError(send(smtp, message()));
    expect(error.code).toBe("ABORTED");
  });

  it("classifies 432 4.3.2 as THROTTLED and the mailer retries it after the server's back-off", async () => {
    emulator.failNext({
      endpoint: "smtp",
      kind: "reply",
      stage: "mail",
      reply: "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded",
    });
    const waits: number[] = [];
    const mailer = createMailer({
      transport: transport(),
      from: DEFAULT_SENDER,
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
      circuitBreaker: false,
      // The back-off is asserted through the injected sleep, not waited for.
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    const retries: { code: string; delayMs: number; error: MailError }[] = [];
    const throttles: { code: string; delayMs: number }[] = [];
    mailer.on("retry", (event) => retries.push(event));
    mailer.on("throttled", (event) => throttles.push(event));
    try {
      const result = await mailer.send({ to: "ada@contoso.com", subject: "Throttled", text: "x" });
      expect(result.attempts).toBe(2);
      expect(retries).toHaveLength(1);
      const [retry] = retries;
      expect(retry?.code).toBe("THROTTLED");
      expect(retry?.error.smtp).toMatchObject({ replyCode: 432, enhancedCode: "4.3.2" });
      expect(retry?.error.retryAfterMs).toBeGreaterThan(0);
      // Backed off for at least what the classifier asked for, not the 1 ms base delay.
      expect(retry?.delayMs).toBeGreaterThanOrEqual(retry?.error.retryAfterMs ?? Infinity);
      expect(waits).toEqual([retry?.delayMs]);
      expect(throttles.map((event) => event.code)).toEqual(["THROTTLED"]);
      const delivered = await emulator.waitForMessages(1);
      expect(delivered).toHaveLength(1);
    } finally {
      await mailer.close();
    }
  });

  it("streams a 20 MB attachment from a file byte for byte", async () => {
    const directory = await mkdtemp(join(tmpdir(), "mailpath-smtp-"));
    try {
      const path = join(directory, "large.bin");
      const bytes = randomBytes(20 * 1024 * 1024);
      await writeFile(path, bytes);
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      const receipt = await send(
        transport(),
        message({
          subject: "Large attachment",
          attachments: [{ filename: "large.bin", content: { path } }],
        }),
      );
      expect(receipt.accepted).toEqual(["ada@contoso.com"]);
      const [delivered] = await emulator.waitForMessages(1, { timeoutMs: 15_000 });
      expect(delivered?.attachments).toEqual([
        expect.objectContaining({ filename: "large.bin", size: bytes.length, sha256 }),
      ]);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe("XOAUTH2", () => {
  it("authenticates with a token for https://outlook.office365.com and sends", async () => {
    const token = await emulator.issueAccessToken();
    const smtp = transport({ auth: { user: DEFAULT_SENDER, accessToken: token } });
    const receipt = await send(smtp, message());
    expect(receipt.accepted).toEqual(["ada@contoso.com"]);
    await smtp.verify();
  });

  it("refreshes a token refused with 535 5.7.3 once, then sends", async () => {
    const stale = await emulator.issueAccessToken({ audience: "https://graph.microsoft.com" });
    const fresh = await emulator.issueAccessToken();
    // Like a real provider, a forced refresh replaces the cached token.
    let cached = stale;
    const { provider, calls } = scriptedProvider(async (options) => {
      if (options.forceRefresh) cached = fresh;
      return cached;
    });
    const smtp = transport({ auth: { user: DEFAULT_SENDER, tokenProvider: provider } });
    const receipt = await send(smtp, message({ subject: "Refreshed" }));
    expect(receipt.accepted).toEqual(["ada@contoso.com"]);
    expect(calls).toEqual([
      { forceRefresh: false },
      { forceRefresh: true },
      { forceRefresh: false },
    ]);
    expect((await emulator.waitForMessages(1)).map((entry) => entry.subject)).toEqual([
      "Refreshed",
    ]);
  });

  it("verify() also refreshes a refused token once", async () => {
    const stale = await emulator.issueAccessToken({ lifetimeSeconds: -60 });
    const fresh = await emulator.issueAccessToken();
    let cached = stale;
    const { provider, calls } = scriptedProvider(async (options) => {
      if (options.forceRefresh) cached = fresh;
      return cached;
    });
    await transport({ auth: { user: DEFAULT_SENDER, tokenProvider: provider } }).verify();
    expect(calls.filter((call) => call.forceRefresh)).toHaveLength(1);
  });

  it("fails with AUTH_FAILED when the refreshed token is refused too, after one refresh", async () => {
    const wrongAudience = await emulator.issueAccessToken({
      audience: "https://graph.microsoft.com",
    });
    const { provider, calls } = scriptedProvider(async () => wrongAudience);
    const error = await rejectedMailError(
      send(transport({ auth: { user: DEFAULT_SENDER, tokenProvider: provider } }), message()),
    );
    expect(error.code).toBe("AUTH_FAILED");
    expect(error.smtp).toMatchObject({ replyCode: 535, enhancedCode: "5.7.3" });
    expect(calls.filter((call) => call.forceRefresh)).toHaveLength(1);
    expect(emulator.messages()).toEqual([]);
  });

  it("passes the token provider's own MailError through", async () => {
    const failure = new MailError({
      code: "AUTH_FAILED",
      message: "AADSTS7000215: Invalid client secret provided.",
      hint: "Rotate the client secret.",
    });
    const provider: TokenProvider = {
      getToken: async () => {
        throw failure;
      },
    };
    const error = await rejectedMailError(
      send(transport({ auth: { user: DEFAULT_SENDER, tokenProvider: provider } }), message()),
    );
    expect(error.code).toBe("AUTH_FAILED");
    expect(error.message).toMatch(/AADSTS7000215/);
    expect(error.hint).toBe("Rotate the client secret.");
    expect(error.transport).toBe("smtp");
  });
});
