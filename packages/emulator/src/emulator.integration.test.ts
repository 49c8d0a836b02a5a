import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "./emulator.js";
import { useEmulator } from "./suite.js";
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_SENDER,
  DEFAULT_TENANT_ID,
} from "./tenant.js";

const emulator = useEmulator({ beforeAll, afterAll });

function sendFromEnv(env: Record<string, string>, subject: string, to = "ada@contoso.com") {
  const transport = nodemailer.createTransport({
    host: env.MAILPATH_SMTP_HOST,
    port: Number(env.MAILPATH_SMTP_PORT),
    secure: false,
    requireTLS: true,
    tls: { ca: readFileSync(env.MAILPATH_TLS_CA_FILE ?? "", "utf8"), minVersion: "TLSv1.2" },
    auth: { user: env.MAILPATH_SMTP_USER ?? "", pass: env.MAILPATH_SMTP_PASSWORD ?? "" },
  });
  return transport
    .sendMail({ from: env.MAILPATH_FROM, to, subject, text: "hello" })
    .finally(() => transport.close());
}

describe("startEmulator", () => {
  it("binds every endpoint to loopback on ephemeral ports", () => {
    expect(emulator.smtp.host).toBe("127.0.0.1");
    expect(emulator.smtp.port).toBeGreaterThan(0);
    expect(emulator.relay.port).toBeGreaterThan(0);
    expect(emulator.relay.port).not.toBe(emulator.smtp.port);
    expect(emulator.graph.baseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(emulator.entra.authorityHost).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(emulator.entra.tenantId).toBe(DEFAULT_TENANT_ID);
  });

  it("writes its CA to caFile", () => {
    expect(emulator.ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(readFileSync(emulator.caFile, "utf8")).toBe(emulator.ca);
  });

  it("gives the MAILPATH_* variables of the SMTP path, with overrides", () => {
    const env = emulator.env({ MAILPATH_TRANSPORT: "graph", MAILPATH_SMTP_PASSWORD: undefined });
    expect(env).toMatchObject({
      MAILPATH_TRANSPORT: "graph",
      MAILPATH_FROM: DEFAULT_SENDER,
      MAILPATH_TENANT_ID: DEFAULT_TENANT_ID,
      MAILPATH_CLIENT_ID: DEFAULT_CLIENT_ID,
      MAILPATH_CLIENT_SECRET: DEFAULT_CLIENT_SECRET,
      MAILPATH_AUTHORITY_HOST: emulator.entra.authorityHost,
      MAILPATH_GRAPH_BASE_URL: emulator.graph.baseUrl,
      MAILPATH_SMTP_HOST: "127.0.0.1",
      MAILPATH_SMTP_PORT: String(emulator.smtp.port),
      MAILPATH_SMTP_USER: DEFAULT_SENDER,
      MAILPATH_SMTP_AUTH: "password",
      MAILPATH_RELAY_HOST: "127.0.0.1",
      MAILPATH_RELAY_PORT: String(emulator.relay.port),
      MAILPATH_TLS_CA_FILE: emulator.caFile,
    });
    expect(env).not.toHaveProperty("MAILPATH_SMTP_PASSWORD");
    expect(emulator.env().MAILPATH_TRANSPORT).toBe("smtp");
  });

  it("delivers a message sent with env() alone, and filters messages", async () => {
    emulator.reset();
    const env = emulator.env();
    await sendFromEnv(env, "first");
    await sendFromEnv(env, "second", "grace@contoso.com");
    const delivered = await emulator.waitForMessages(2, { timeoutMs: 5_000 });
    expect(delivered.map((message) => message.subject)).toEqual(["first", "second"]);
    expect(
      emulator.messages({ to: "GRACE@contoso.com" }).map((message) => message.subject),
    ).toEqual(["second"]);
    expect(emulator.messages({ subject: /^fir/ })).toHaveLength(1);
    expect(emulator.messages({ path: "graph" })).toHaveLength(0);
    expect(emulator.messages((message) => message.envelope.from === DEFAULT_SENDER)).toHaveLength(
      2,
    );
    expect(emulator.stats().requests.smtp).toBe(2);
    emulator.reset();
    expect(emulator.messages()).toHaveLength(0);
    expect(emulator.stats().requests.smtp).toBe(0);
  });

  it("merges configure() over the live policy and restores the start policy with reset({ tenant: true })", () => {
    emulator.configure({ limits: { smtpMessagesPerWindow: 5 } });
    emulator.configure({ basicAuth: "disabled" });
    expect(emulator.tenant.limits.smtpMessagesPerWindow).toBe(5);
    expect(emulator.tenant.basicAuth).toBe("disabled");
    expect(emulator.tenant.limits.smtpConnectionsPerMailbox).toBe(3);
    emulator.reset({ tenant: true });
    expect(emulator.tenant.limits.smtpMessagesPerWindow).toBe(30);
    expect(emulator.tenant.basicAuth).toBe("enabled");
  });

  it("uses a given tenant and fixed ports", async () => {
    const probe = await startEmulator({
      tenant: { tenantId: "11111111-2222-4333-8444-555555555555" },
    });
    const { port } = probe.smtp;
    const { port: relayPort } = probe.relay;
    await probe.stop();
    const fixed = await startEmulator({
      ports: { smtp: port, relay: relayPort },
      tenant: { tenantId: "11111111-2222-4333-8444-555555555555" },
    });
    try {
      expect(fixed.smtp.port).toBe(port);
      expect(fixed.relay.port).toBe(relayPort);
      expect(fixed.entra.tenantId).toBe("11111111-2222-4333-8444-555555555555");
    } finally {
      await fixed.stop();
    }
  });

  it("stops every endpoint and removes caFile; stop() twice is fine", async () => {
    const other = await startEmulator();
    const { port } = other.smtp;
    await other.stop();
    await other.stop();
    expect(existsSync(other.caFile)).toBe(false);
    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve("connected");
      });
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
  });
});
