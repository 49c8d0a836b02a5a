import nodemailer, { type SendMailOptions } from "nodemailer";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createEmulatorTls } from "../certs.js";
import { useEmulator } from "../suite.js";
import { RawSmtpSession } from "../test-support/raw-smtp.js";
import { expectRefused } from "../test-support/smtp-refusal.js";
import { RELAY_HOSTNAME } from "./relay.js";

let clock = Date.UTC(2026, 10, 23, 12, 0, 0);

const emulator = useEmulator({ beforeAll, afterAll }, { now: () => clock });
beforeEach(() => {
  emulator.reset({ tenant: true });
});

interface RelayClientOptions {
  /** Source address; 127.0.0.2 is the default tenant's connector IP. */
  readonly localAddress?: string;
  readonly cert?: string;
  readonly key?: string;
}

function send(client: RelayClientOptions, message: Partial<SendMailOptions> = {}) {
  const transport = nodemailer.createTransport({
    host: emulator.relay.host,
    port: emulator.relay.port,
    secure: false,
    requireTLS: true,
    ...(client.localAddress ? { localAddress: client.localAddress } : {}),
    tls: {
      ca: emulator.ca,
      minVersion: "TLSv1.2",
      ...(client.cert ? { cert: client.cert, key: client.key } : {}),
    },
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 5_000,
  });
  return transport
    .sendMail({
      from: "scanner@contoso.com",
      to: "customer@fabrikam.com",
      subject: "Scan",
      text: "Scanned document attached.",
      ...message,
    })
    .finally(() => transport.close());
}

describe("relay endpoint", () => {
  it("offers STARTTLS and no AUTH, and answers 504 5.7.4 to AUTH", async () => {
    const { session, greeting } = await RawSmtpSession.open(emulator.relay.port);
    try {
      expect(greeting).toMatch(new RegExp(`^220 ${RELAY_HOSTNAME} Microsoft ESMTP MAIL Service`));
      const ehlo = await session.command("EHLO scanner.contoso.com");
      expect(ehlo).toContain("250-STARTTLS");
      expect(ehlo).not.toContain("AUTH");
      expect(await session.command("AUTH LOGIN")).toBe(
        `504 5.7.4 Unrecognized authentication type [${RELAY_HOSTNAME}]`,
      );
    } finally {
      session.close();
    }
  });

  it("relays to an external recipient from a connector's IP (127.0.0.2)", async () => {
    const info = await send({ localAddress: "127.0.0.2" });
    expect(info.response).toMatch(
      /^250 2\.6\.0 <[^>]+> \[InternalId=\d+, Hostname=.+\] Queued mail for delivery$/,
    );
    const [message] = emulator.messages();
    expect(message).toMatchObject({
      path: "relay",
      submittedBy: "On-premises relay",
      envelope: { from: "scanner@contoso.com", to: ["customer@fabrikam.com"] },
      savedToSentItems: false,
    });
  });

  it("relays to an external recipient for a client certificate matching a connector's name", async () => {
    emulator.configure({
      connectors: [{ name: "Scanner by certificate", tlsCertificateName: "*.contoso.com" }],
    });
    const certificate = await emulator.issueClientCertificate("relay.contoso.com");
    await send({ ...certificate });
    expect(emulator.messages()[0]?.submittedBy).toBe("Scanner by certificate");
  });

  it("answers 550 5.7.64 to an external recipient when the certificate matches no connector", async () => {
    emulator.configure({
      connectors: [{ name: "Scanner by certificate", tlsCertificateName: "relay.contoso.com" }],
    });
    const certificate = await emulator.issueClientCertificate("printer.contoso.com");
    await expectRefused(
      send({ ...certificate }),
      "550 5.7.64 TenantAttribution; Relay Access Denied",
    );
  });

  it("answers 550 5.7.64 when a matching name comes from a CA the tenant does not trust", async () => {
    emulator.configure({
      connectors: [{ name: "Scanner by certificate", tlsCertificateName: "relay.contoso.com" }],
    });
    const foreign = await createEmulatorTls();
    const certificate = await foreign.issueClientCertificate("relay.contoso.com");
    await expectRefused(
      send({ ...certificate }),
      "550 5.7.64 TenantAttribution; Relay Access Denied",
    );
  });

  it("delivers direct send (no connector) to the tenant's own mailboxes", async () => {
    await send({}, { to: "ada@contoso.com" });
    expect(emulator.messages()[0]).toMatchObject({ path: "relay", submittedBy: "direct-send" });
  });

  it("answers 550 5.7.1 Unable to relay to an external recipient of anonymous direct send", async () => {
    await expectRefused(send({}), "550 5.7.1 Unable to relay");
  });

  it("answers 550 5.7.68 to direct send from an accepted domain when RejectDirectSend is on", async () => {
    emulator.configure({ rejectDirectSend: true });
    await expectRefused(
      send({}, { to: "ada@contoso.com" }),
      "550 5.7.68 TenantInboundAttribution; Direct Send not allowed for this organization from unauthorized sources",
    );
  });

  it("still relays through a connector when RejectDirectSend is on", async () => {
    emulator.configure({ rejectDirectSend: true });
    await expect(send({ localAddress: "127.0.0.2" })).resolves.toMatchObject({
      accepted: ["customer@fabrikam.com"],
    });
  });

  it.each<[string, Partial<SendMailOptions>, string]>([
    [
      "5.7.750 when a connector sends from a domain that is not accepted",
      { from: "scanner@not-ours.example" },
      "550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains.",
    ],
    [
      "5.1.10 to an unknown recipient in an accepted domain",
      { to: "nobody@contoso.com" },
      "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
    ],
  ])("answers 550 %s", async (_case, mail, response) => {
    await expectRefused(send({ localAddress: "127.0.0.2" }, mail), response);
  });

  it("answers 451 4.7.500 (AS761) past the per-IP message limit until the window rolls", async () => {
    emulator.configure({ limits: { relayMessagesPerWindow: 1, relayWindowMs: 60_000 } });
    await send({ localAddress: "127.0.0.2" });
    await expectRefused(
      send({ localAddress: "127.0.0.2" }),
      "451 4.7.500 Server busy. Please try again later from [127.0.0.2]. (AS761)",
    );
    expect(emulator.stats().throttled.relay).toBe(1);
    clock += 60_001;
    await expect(send({ localAddress: "127.0.0.2" })).resolves.toBeDefined();
  });

  it("refuses a message over the org's maximum receive size with 552 5.3.4 at the end of DATA and stores nothing", async () => {
    emulator.configure({ limits: { relayMaxMessageBytes: 4096 } });
    const { session } = await RawSmtpSession.open(emulator.relay.port, "127.0.0.1", "127.0.0.2");
    try {
      const ehlo = await session.startTls(emulator.ca);
      // Like submission, the MX endpoint advertises Exchange's 150 MiB; the org limit applies after.
      expect(ehlo).toContain("250-SIZE 157286400");
      expect(await session.command("MAIL FROM:<scanner@contoso.com>")).toMatch(/^250 /);
      expect(await session.command("RCPT TO:<customer@fabrikam.com>")).toMatch(/^250 /);
      expect(await session.command("DATA")).toMatch(/^354 /);
      const body = "x".repeat(76);
      const lines = Array.from({ length: 60 }, () => body).join("\r\n");
      const reply = await session.command(
        `From: scanner@contoso.com\r\nTo: customer@fabrikam.com\r\nSubject: Big\r\n\r\n${lines}\r\n.`,
      );
      expect(reply).toBe("552 5.3.4 Message size exceeds fixed maximum message size");
      // The session goes on: a message within the limit is accepted after it.
      expect(await session.command("MAIL FROM:<scanner@contoso.com>")).toMatch(/^250 /);
    } finally {
      session.close();
    }
    expect(emulator.messages()).toEqual([]);
  });

  it("refuses a MAIL FROM whose SIZE= is over the maximum receive size with 552 5.3.4", async () => {
    emulator.configure({ limits: { relayMaxMessageBytes: 4096 } });
    const { session } = await RawSmtpSession.open(emulator.relay.port, "127.0.0.1", "127.0.0.2");
    try {
      await session.startTls(emulator.ca);
      expect(await session.command("MAIL FROM:<scanner@contoso.com> SIZE=4097")).toBe(
        "552 5.3.4 Message size exceeds fixed maximum message size",
      );
      expect(await session.command("MAIL FROM:<scanner@contoso.com> SIZE=4096")).toMatch(/^250 /);
    } finally {
      session.close();
    }
  });

  it("relays a message up to the maximum receive size, 36 MB by default", async () => {
    expect(emulator.tenant.limits.relayMaxMessageBytes).toBe(37_748_736);
    emulator.configure({ limits: { relayMaxMessageBytes: 64 * 1024 } });
    await expect(
      send(
        { localAddress: "127.0.0.2" },
        { attachments: [{ filename: "scan.pdf", content: Buffer.alloc(40 * 1024, 1) }] },
      ),
    ).resolves.toBeDefined();
    await expectRefused(
      send(
        { localAddress: "127.0.0.2" },
        { attachments: [{ filename: "scan.pdf", content: Buffer.alloc(64 * 1024, 1) }] },
      ),
      "552 5.3.4 Message size exceeds fixed maximum message size",
    );
    expect(emulator.messages()).toHaveLength(1);
  });

  it("throttles with an injected relay throttle fault", async () => {
    emulator.failNext({ endpoint: "relay", kind: "throttle" });
    await expectRefused(
      send({ localAddress: "127.0.0.2" }),
      "451 4.7.500 Server busy. Please try again later from [127.0.0.2]. (AS761)",
    );
  });

  it("drops the connection at connect with a connect-stage drop", async () => {
    emulator.failNext({ endpoint: "relay", kind: "drop", stage: "connect" });
    await expect(send({ localAddress: "127.0.0.2" })).rejects.toMatchObject({
      code: expect.stringMatching(/^E(CONNECTION|SOCKET|PROTOCOL)$/),
    });
    await expect(send({ localAddress: "127.0.0.2" })).resolves.toBeDefined();
  });

  it("answers an injected reply at the DATA command and stores nothing", async () => {
    emulator.failNext({
      endpoint: "relay",
      kind: "reply",
      stage: "before-data",
      reply: "451 4.4.4 Temporary routing failure",
    });
    await expectRefused(send({ localAddress: "127.0.0.2" }), "451 4.4.4 Temporary routing failure");
    expect(emulator.messages()).toHaveLength(0);
  });

  it("stores the message but drops the connection before the reply with an after-data drop", async () => {
    emulator.failNext({ endpoint: "relay", kind: "drop", stage: "after-data" });
    await expect(send({ localAddress: "127.0.0.2" })).rejects.toMatchObject({
      code: expect.stringMatching(/^E(CONNECTION|SOCKET|PROTOCOL)$/),
    });
    expect(emulator.messages()).toHaveLength(1);
    expect(emulator.stats().requests.relay).toBe(1);
  });
});
