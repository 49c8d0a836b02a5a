import nodemailer, { type SendMailOptions } from "nodemailer";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { useEmulator } from "../suite.js";
import { DEFAULT_PASSWORD, DEFAULT_SENDER, defaultTenant } from "../tenant.js";
import { RawSmtpSession } from "../test-support/raw-smtp.js";
import { expectRefused } from "../test-support/smtp-refusal.js";
import { senderMailboxWith } from "../test-support/tenant.js";
import { SUBMISSION_HOSTNAME } from "./submission.js";

const HOST = SUBMISSION_HOSTNAME;
let clock = Date.UTC(2026, 10, 23, 12, 0, 0);

const emulator = useEmulator({ beforeAll, afterAll }, { now: () => clock });
beforeEach(() => {
  emulator.reset({ tenant: true });
});

type Auth = { user: string; pass: string } | { type: "OAuth2"; user: string; accessToken: string };

function transport(
  auth: Auth = { user: DEFAULT_SENDER, pass: DEFAULT_PASSWORD },
  tls: Record<string, unknown> = {},
) {
  return nodemailer.createTransport({
    host: emulator.smtp.host,
    port: emulator.smtp.port,
    secure: false,
    requireTLS: true,
    tls: { ca: emulator.ca, minVersion: "TLSv1.2", ...tls },
    auth,
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 5_000,
  });
}

function send(message: Partial<SendMailOptions> = {}, auth?: Auth) {
  const client = transport(auth);
  return client
    .sendMail({
      from: DEFAULT_SENDER,
      to: "ada@contoso.com",
      subject: "Quarterly report",
      text: "Numbers inside.",
      ...message,
    })
    .finally(() => client.close());
}

async function secureSession() {
  const { session } = await RawSmtpSession.open(emulator.smtp.port);
  await session.command("EHLO client.example");
  await session.startTls(emulator.ca);
  return session;
}

describe("SMTP submission endpoint: the session", () => {
  it("greets and answers EHLO like smtp.office365.com: STARTTLS before TLS, AUTH LOGIN XOAUTH2 after", async () => {
    const { session, greeting } = await RawSmtpSession.open(emulator.smtp.port);
    try {
      expect(greeting).toMatch(new RegExp(`^220 ${HOST} Microsoft ESMTP MAIL Service ready at `));
      const clear = await session.command("EHLO client.example");
      expect(clear).toContain("250-SIZE 157286400");
      expect(clear).toContain("250-STARTTLS");
      expect(clear).not.toContain("AUTH");
      const secure = await session.startTls(emulator.ca);
      expect(secure).toContain("250-SIZE 157286400");
      expect(secure).toContain("AUTH LOGIN XOAUTH2");
      expect(secure).not.toContain("STARTTLS");
    } finally {
      session.close();
    }
  });

  it("answers 504 5.7.4 to AUTH before STARTTLS", async () => {
    const { session } = await RawSmtpSession.open(emulator.smtp.port);
    try {
      await session.command("EHLO client.example");
      expect(await session.command("AUTH LOGIN")).toBe(
        `504 5.7.4 Unrecognized authentication type [${HOST}]`,
      );
    } finally {
      session.close();
    }
  });

  it.each([
    [
      "before STARTTLS and AUTH",
      async () => {
        const { session } = await RawSmtpSession.open(emulator.smtp.port);
        await session.command("EHLO client.example");
        return session;
      },
    ],
    ["after STARTTLS without AUTH", secureSession],
  ])("answers 530 5.7.57 to MAIL FROM %s", async (_when, open) => {
    const session = await open();
    try {
      expect(await session.command(`MAIL FROM:<${DEFAULT_SENDER}>`)).toBe(
        `530 5.7.57 Client was not authenticated to send anonymous mail during MAIL FROM [${HOST}]`,
      );
    } finally {
      session.close();
    }
  });

  it("answers out-of-sequence commands with Exchange's words", async () => {
    const session = await secureSession();
    try {
      expect(await session.command("AUTH PLAIN AGFkYQBwYXNz")).toBe(
        `504 5.7.4 Unrecognized authentication type [${HOST}]`,
      );
      expect(await session.login(DEFAULT_SENDER, DEFAULT_PASSWORD)).toBe(
        "235 2.7.0 Authentication successful",
      );
      expect(await session.command("RCPT TO:<ada@contoso.com>")).toBe(
        "503 5.5.2 Need mail command",
      );
      expect(await session.command(`MAIL FROM:<${DEFAULT_SENDER}>`)).toBe("250 2.1.0 Sender OK");
      expect(await session.command(`MAIL FROM:<${DEFAULT_SENDER}>`)).toBe(
        "503 5.5.2 Sender already specified",
      );
      expect(await session.command("DATA")).toBe("503 5.5.2 Need rcpt command");
      expect(await session.command("RCPT TO:<ada@contoso.com>")).toBe("250 2.1.5 Recipient OK");
      expect(await session.command("FROB")).toBe("500 5.3.3 Unrecognized command 'FROB'");
      expect(await session.command("QUIT")).toBe("221 2.0.0 Service closing transmission channel");
    } finally {
      session.close();
    }
  });

  // Reference §2: smtp.office365.com completes a TLS 1.0/1.1 handshake, then answers 421 4.7.66.
  it.each(["TLSv1", "TLSv1.1"] as const)(
    "completes a %s handshake, then answers 421 4.7.66 in Exchange's words and closes",
    async (version) => {
      const { session } = await RawSmtpSession.open(emulator.smtp.port);
      try {
        await session.command("EHLO client.example");
        // Node's OpenSSL only offers TLS 1.0/1.1 at security level 0.
        const reply = await session.startTls(emulator.ca, {
          minVersion: version,
          maxVersion: version,
          ciphers: "DEFAULT:@SECLEVEL=0",
          ehlo: false,
        });
        expect(reply).toBe(
          "421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls",
        );
        await expect(session.read(2_000)).rejects.toThrow(/connection closed/);
      } finally {
        session.close();
      }
    },
  );

  it("answers nodemailer's TLS 1.1 session with the 421 4.7.66 reply", async () => {
    const client = transport(undefined, {
      minVersion: "TLSv1.1",
      maxVersion: "TLSv1.1",
      ciphers: "DEFAULT:@SECLEVEL=0",
    });
    await expect(client.verify()).rejects.toMatchObject({ responseCode: 421 });
    client.close();
  });

  it("accepts a TLS 1.2 client with the same settings otherwise", async () => {
    const client = transport(undefined, { maxVersion: "TLSv1.2", ciphers: "DEFAULT@SECLEVEL=0" });
    await expect(client.verify()).resolves.toBe(true);
    client.close();
  });
});

describe("SMTP submission endpoint: Basic auth and tenant policy", () => {
  it("accepts a message with 250 2.0.0 OK <message-id> [Hostname=…] and stores it", async () => {
    const info = await send({ messageId: "<report-1@contoso.com>" });
    expect(info.response).toBe(`250 2.0.0 OK <report-1@contoso.com> [Hostname=${HOST}]`);
    const [message] = emulator.messages();
    expect(message).toMatchObject({
      path: "smtp",
      submittedBy: DEFAULT_SENDER,
      messageId: "<report-1@contoso.com>",
      subject: "Quarterly report",
      envelope: { from: DEFAULT_SENDER, to: ["ada@contoso.com"] },
    });
    expect(emulator.stats().requests.smtp).toBe(1);
  });

  it("answers 535 5.7.3 to a wrong password", async () => {
    await expectRefused(
      send({}, { user: DEFAULT_SENDER, pass: "wrong" }),
      `535 5.7.3 Authentication unsuccessful [${HOST}]`,
      { code: "EAUTH" },
    );
  });

  it("answers 535 5.7.3 to an unknown mailbox", async () => {
    await expectRefused(
      send({}, { user: "nobody@contoso.com", pass: "x" }),
      `535 5.7.3 Authentication unsuccessful [${HOST}]`,
    );
  });

  it("answers 535 5.7.139 when SMTP AUTH is disabled for the tenant", async () => {
    emulator.configure({ smtpAuthEnabled: false });
    await expectRefused(
      send(),
      "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
    );
  });

  it("answers 535 5.7.139 (Mailbox) when SMTP AUTH is disabled for the mailbox", async () => {
    emulator.configure({ mailboxes: senderMailboxWith({ smtpAuthEnabled: false }) });
    await expectRefused(
      send(),
      "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.",
    );
  });

  it("lets a mailbox with SMTP AUTH enabled send when the tenant switch is off", async () => {
    emulator.configure({
      smtpAuthEnabled: false,
      mailboxes: senderMailboxWith({ smtpAuthEnabled: true }),
    });
    await expect(send()).resolves.toMatchObject({ accepted: ["ada@contoso.com"] });
  });

  it("answers 535 5.7.139 when basic authentication is disabled", async () => {
    emulator.configure({ basicAuth: "disabled" });
    await expectRefused(
      send(),
      "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.",
    );
  });

  it("answers 550 5.7.30 when basic authentication is retired", async () => {
    emulator.configure({ basicAuth: "retired" });
    await expectRefused(
      send(),
      "550 5.7.30 Basic authentication is not supported for Client Submission.",
    );
  });

  it("answers 554 5.2.0 SendAsDenied when the From header is another address without Send As", async () => {
    const error = await send({
      from: "grace@contoso.com",
      envelope: { from: DEFAULT_SENDER, to: ["ada@contoso.com"] },
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "EMESSAGE", responseCode: 554 });
    expect((error as { response: string }).response).toMatch(
      /^554 5\.2\.0 STOREDRV\.Submission\.Exception:SendAsDeniedException\.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message \[/,
    );
    expect(emulator.messages()).toHaveLength(0);
  });

  it("checks Send As on the address, not the display name, of a non-ASCII From", async () => {
    await send({ from: { name: "Zoë Ærøskøbing — 東京", address: DEFAULT_SENDER } });
    expect(emulator.messages()[0]?.from).toEqual({
      address: DEFAULT_SENDER,
      name: "Zoë Ærøskøbing — 東京",
    });
  });

  it("accepts another From address the mailbox has Send As on", async () => {
    emulator.configure({ mailboxes: senderMailboxWith({ sendAs: ["reports@contoso.com"] }) });
    await send({ from: "reports@contoso.com" });
    expect(emulator.messages()[0]?.from?.address).toBe("reports@contoso.com");
  });

  it("answers 550 5.1.10 to an unknown recipient in an accepted domain", async () => {
    await expectRefused(
      send({ to: "nobody@contoso.com" }),
      "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
      { code: "EENVELOPE" },
    );
  });

  it("accepts unknown internal recipients when rejectUnknownInternalRecipients is off", async () => {
    emulator.configure({ rejectUnknownInternalRecipients: false });
    await expect(send({ to: "nobody@contoso.com" })).resolves.toMatchObject({
      accepted: ["nobody@contoso.com"],
    });
  });

  it("reports a partial rejection in rejected and delivers to the rest", async () => {
    const info = await send({
      to: ["ada@contoso.com", "nobody@contoso.com", "someone@fabrikam.com"],
    });
    expect(info.accepted).toEqual(["ada@contoso.com", "someone@fabrikam.com"]);
    expect(info.rejected).toEqual(["nobody@contoso.com"]);
    expect(emulator.messages()[0]?.envelope.to).toEqual([
      "ada@contoso.com",
      "someone@fabrikam.com",
    ]);
  });

  it("answers 550 5.5.3 when a message has more recipients than the mailbox's RecipientLimits", async () => {
    emulator.configure({ mailboxes: senderMailboxWith({ recipientLimit: 2 }) });
    await expectRefused(
      send({ to: ["ada@contoso.com", "grace@contoso.com", "alan@contoso.com"] }),
      "550 5.5.3 RESOLVER.ADR.RecipLimit; too many recipients (the limit is 2 per message)",
    );
  });

  it("answers 552 5.3.4 when the message is larger than the mailbox's MaxSendSize", async () => {
    emulator.configure({ mailboxes: senderMailboxWith({ maxSendBytes: 2_000 }) });
    await expectRefused(
      send({ attachments: [{ filename: "big.bin", content: Buffer.alloc(4_000, 7) }] }),
      "552 5.3.4 Message size exceeds fixed maximum message size",
    );
  });
});

describe("SMTP submission endpoint: limits", () => {
  it("answers 432 4.3.2 to the 4th concurrent session of one mailbox", async () => {
    const held = await Promise.all([secureSession(), secureSession(), secureSession()]);
    try {
      for (const session of held) {
        expect(await session.login(DEFAULT_SENDER, DEFAULT_PASSWORD)).toBe(
          "235 2.7.0 Authentication successful",
        );
      }
      await expectRefused(send(), "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded");
      expect(emulator.stats().maxConcurrency.smtp).toBe(4);
      expect(emulator.stats().throttled.smtp).toBe(1);
      held.pop()?.close();
      await expect
        .poll(() =>
          send().then(
            () => "sent",
            () => "refused",
          ),
        )
        .toBe("sent");
    } finally {
      for (const session of held) session.close();
    }
  });

  it("uses the newer concurrent-connections wording when the tenant asks for it", async () => {
    emulator.configure({
      concurrencyReply: "concurrent-connections",
      limits: { smtpConnectionsPerMailbox: 1 },
    });
    const held = await secureSession();
    try {
      await held.login(DEFAULT_SENDER, DEFAULT_PASSWORD);
      await expectRefused(
        send(),
        "432 4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending for more information.",
      );
    } finally {
      held.close();
    }
  });

  it("answers 451 4.7.500 past the messages-per-window limit in refuse mode and accepts again once the window rolls", async () => {
    emulator.configure({
      messageRateExcess: "refuse",
      limits: { smtpMessagesPerWindow: 2, smtpMessageWindowMs: 60_000 },
    });
    await send();
    await send();
    await expectRefused(send(), "451 4.7.500 Server busy. Please try again later");
    expect(emulator.stats().throttled.smtp).toBe(1);
    clock += 60_001;
    await expect(send()).resolves.toMatchObject({ accepted: ["ada@contoso.com"] });
  });

  it("answers 554 5.2.0 SubmissionQuotaExceeded past the recipients-per-window quota", async () => {
    emulator.configure({ limits: { recipientsPerWindow: 3 } });
    await send({ to: ["ada@contoso.com", "grace@contoso.com"] });
    const error = await send({ to: ["alan@contoso.com", "reports@contoso.com"] }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ responseCode: 554 });
    expect((error as { response: string }).response).toMatch(
      /^554 5\.2\.0 STOREDRV\.Submission\.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message \[/,
    );
    expect(emulator.stats().throttled.smtp).toBe(1);
  });
});

describe("SMTP submission endpoint: XOAUTH2", () => {
  it("accepts an emulator-issued token with SMTP.SendAsApp for a granted mailbox", async () => {
    const accessToken = await emulator.issueAccessToken();
    await send({}, { type: "OAuth2", user: DEFAULT_SENDER, accessToken });
    expect(emulator.messages()[0]?.submittedBy).toBe(DEFAULT_SENDER);
  });

  it("answers 535 5.7.3 to a token for another audience", async () => {
    const accessToken = await emulator.issueAccessToken({
      audience: "https://graph.microsoft.com",
    });
    await expectRefused(
      send({}, { type: "OAuth2", user: DEFAULT_SENDER, accessToken }),
      `535 5.7.3 Authentication unsuccessful [${HOST}]`,
    );
  });

  it("answers 535 5.7.3 to a token without the SMTP.SendAsApp role", async () => {
    const accessToken = await emulator.issueAccessToken({ roles: ["Mail.Send"] });
    await expect(
      send({}, { type: "OAuth2", user: DEFAULT_SENDER, accessToken }),
    ).rejects.toMatchObject({ responseCode: 535 });
  });

  it("answers 535 5.7.3 when the app has no access to the mailbox", async () => {
    const [app] = defaultTenant().apps;
    emulator.configure({ apps: [{ ...app!, mailboxes: ["reports@contoso.com"] }] });
    const accessToken = await emulator.issueAccessToken();
    await expect(
      send({}, { type: "OAuth2", user: DEFAULT_SENDER, accessToken }),
    ).rejects.toMatchObject({ responseCode: 535 });
  });

  it("answers 535 5.7.3 to an expired token", async () => {
    const accessToken = await emulator.issueAccessToken({ lifetimeSeconds: 600 });
    clock += 3_600_000;
    await expect(
      send({}, { type: "OAuth2", user: DEFAULT_SENDER, accessToken }),
    ).rejects.toMatchObject({ responseCode: 535 });
  });

  it("answers 535 5.7.139 to a valid token when SMTP AUTH is disabled for the tenant", async () => {
    emulator.configure({ smtpAuthEnabled: false });
    const accessToken = await emulator.issueAccessToken();
    await expect(
      send({}, { type: "OAuth2", user: DEFAULT_SENDER, accessToken }),
    ).rejects.toMatchObject({
      responseCode: 535,
      response: expect.stringContaining("SmtpClientAuthentication is disabled for the Tenant"),
    });
  });
});

describe("SMTP submission endpoint: faults", () => {
  it("answers a transient reply injected at RCPT once, then accepts", async () => {
    emulator.failNext({
      endpoint: "smtp",
      kind: "reply",
      stage: "rcpt",
      reply: "451 4.3.0 Mail server temporarily rejected message",
    });
    await expectRefused(send(), "451 4.3.0 Mail server temporarily rejected message");
    await expect(send()).resolves.toMatchObject({ accepted: ["ada@contoso.com"] });
  });

  it("stores the message but drops the connection before the 250 with an after-data drop", async () => {
    emulator.failNext({ endpoint: "smtp", kind: "drop", stage: "after-data" });
    await expect(send()).rejects.toMatchObject({
      code: expect.stringMatching(/^E(CONNECTION|SOCKET|PROTOCOL)$/),
    });
    expect(emulator.messages()).toHaveLength(1);
  });

  it("stores nothing when the connection drops at DATA", async () => {
    emulator.failNext({ endpoint: "smtp", kind: "drop", stage: "before-data" });
    await expect(send()).rejects.toMatchObject({
      code: expect.stringMatching(/^E(CONNECTION|SOCKET|PROTOCOL)$/),
    });
    expect(emulator.messages()).toHaveLength(0);
  });

  it("answers an injected 5xx at the DATA command", async () => {
    emulator.failNext({
      endpoint: "smtp",
      kind: "reply",
      stage: "before-data",
      reply: "554 5.6.0 Message rejected",
    });
    await expectRefused(send(), "554 5.6.0 Message rejected");
  });

  it("answers 454 4.7.0 by default to a reply fault at AUTH", async () => {
    emulator.failNext({ endpoint: "smtp", kind: "reply", stage: "auth" });
    await expectRefused(send(), "454 4.7.0 Temporary authentication failure", { code: "EAUTH" });
    await expect(send()).resolves.toBeDefined();
  });

  it("refuses the session at connect with an injected 421", async () => {
    emulator.failNext({ endpoint: "smtp", kind: "reply", stage: "connect" });
    await expectRefused(send(), "421 4.3.2 Service not available, closing transmission channel");
  });

  it("throttles at MAIL FROM with 432 4.3.2 from a throttle fault and counts it", async () => {
    emulator.failNext({ endpoint: "smtp", kind: "throttle" });
    await expectRefused(send(), "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded");
    expect(emulator.stats().throttled.smtp).toBe(1);
  });

  it("strikes every send with a rate-1 fault until reset", async () => {
    emulator.inject({
      endpoint: "smtp",
      kind: "reply",
      rate: 1,
      reply: "452 4.3.1 Insufficient system resources",
    });
    await expect(send()).rejects.toMatchObject({ responseCode: 452 });
    await expect(send()).rejects.toMatchObject({ responseCode: 452 });
    emulator.reset();
    await expect(send()).resolves.toMatchObject({ accepted: ["ada@contoso.com"] });
  });

  it("delays a stage with a latency fault", async () => {
    emulator.failNext({ endpoint: "smtp", kind: "latency", ms: 150, stage: "mail" });
    const started = performance.now();
    await send();
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });
});
