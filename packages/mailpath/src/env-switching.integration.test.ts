import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closedPort, useEmulator } from "@mailpath/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createMailerFromEnv } from "./index.js";
import { CONNECTOR_IP } from "./test-support/ports.js";

const emulator = useEmulator({ beforeAll, afterAll });
const mailers: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(mailers.splice(0).map((mailer) => mailer.close()));
  emulator.reset({ tenant: true });
});

async function mailerFor(overrides: Record<string, string>) {
  const mailer = await createMailerFromEnv(
    emulator.env({ MAILPATH_RELAY_LOCAL_ADDRESS: CONNECTOR_IP, ...overrides }),
  );
  mailers.push(mailer);
  return mailer;
}

describe("switching paths by MAILPATH_TRANSPORT alone", () => {
  it.each(["smtp", "relay", "graph"] as const)(
    "delivers through %s over loopback TLS trusting MAILPATH_TLS_CA_FILE",
    async (path) => {
      const mailer = await mailerFor({ MAILPATH_TRANSPORT: path });
      expect(mailer.routing).toBe(path);
      const result = await mailer.send({
        to: "ada@contoso.com",
        subject: `Hello through ${path}`,
        text: "Same code, another path.",
      });
      expect(result.transport).toBe(path);
      expect(result.accepted).toEqual(["ada@contoso.com"]);
      const [delivered] = await emulator.waitForMessages(1);
      expect(delivered).toMatchObject({
        path,
        subject: `Hello through ${path}`,
        from: { address: "notifications@contoso.com" },
        to: [{ address: "ada@contoso.com" }],
      });
      expect(emulator.messages()).toHaveLength(1);
    },
  );

  it("authenticates SMTP with XOAUTH2 and an app-only token when MAILPATH_SMTP_AUTH=oauth", async () => {
    const mailer = await mailerFor({
      MAILPATH_TRANSPORT: "smtp",
      MAILPATH_SMTP_AUTH: "oauth",
      MAILPATH_SMTP_PASSWORD: "",
    });
    await mailer.send({ to: "ada@contoso.com", subject: "OAuth", text: "XOAUTH2" });
    const [delivered] = await emulator.waitForMessages(1);
    expect(delivered?.path).toBe("smtp");
    expect(emulator.stats().tokensIssued).toBe(1);
  });

  it("fails over graph,smtp to SMTP when Graph is unreachable", async () => {
    const port = await closedPort();
    const mailer = await mailerFor({
      MAILPATH_TRANSPORT: "graph,smtp",
      MAILPATH_GRAPH_BASE_URL: `https://127.0.0.1:${port}`,
    });
    expect(mailer.routing).toBe("graph,smtp");
    const result = await mailer.send({ to: "ada@contoso.com", subject: "Failover", text: "x" });
    expect(result).toMatchObject({ transport: "smtp", attempts: 1 });
    await emulator.waitForMessages(1);
    expect(emulator.messages({ path: "smtp" })).toHaveLength(1);
    expect(emulator.messages({ path: "graph" })).toHaveLength(0);
  });

  it("sends through graph first when graph,smtp can reach Graph", async () => {
    const mailer = await mailerFor({ MAILPATH_TRANSPORT: "graph,smtp" });
    const result = await mailer.send({ to: "ada@contoso.com", subject: "Primary", text: "x" });
    expect(result.transport).toBe("graph");
    await emulator.waitForMessages(1);
    expect(emulator.messages({ path: "graph" })).toHaveLength(1);
  });

  it("splits a weighted graph:30,smtp:70 and each message arrives by the path its result names", async () => {
    emulator.configure({ limits: { smtpMessagesPerWindow: 10_000 } });
    let seed = 7;
    const random = () => {
      seed = (seed * 16_807) % 2_147_483_647;
      return (seed - 1) / 2_147_483_646;
    };
    const mailer = await createMailerFromEnv(
      emulator.env({ MAILPATH_TRANSPORT: "graph:30,smtp:70" }),
      // SMTP AUTH's own pacing (30/min per mailbox) would make 100 sends take minutes.
      { rateLimit: false },
      { random },
    );
    mailers.push(mailer);
    const used: Record<string, number> = { graph: 0, smtp: 0 };
    for (let index = 0; index < 100; index++) {
      const result = await mailer.send({ to: "ada@contoso.com", subject: `#${index}`, text: "x" });
      used[result.transport] = (used[result.transport] ?? 0) + 1;
    }
    await emulator.waitForMessages(100, { timeoutMs: 10_000 });
    expect(emulator.messages({ path: "graph" })).toHaveLength(used.graph!);
    expect(emulator.messages({ path: "smtp" })).toHaveLength(used.smtp!);
    expect(used.graph).toBeGreaterThan(15);
    expect(used.graph).toBeLessThan(45);
  });
});

describe("credentials from files", () => {
  it("authenticates Graph with MAILPATH_CLIENT_CERTIFICATE_PATH holding certificate and key", async () => {
    const { cert, key } = await emulator.issueClientCertificate("mailpath-app");
    const app = emulator.tenant.apps[0]!;
    emulator.configure({ apps: [{ ...app, secrets: [], certificates: [cert] }] });
    const directory = await mkdtemp(join(tmpdir(), "mailpath-cert-"));
    const file = join(directory, "app.pem");
    await writeFile(file, `${cert}\n${key}`, { mode: 0o600 });
    const mailer = await mailerFor({
      MAILPATH_TRANSPORT: "graph",
      MAILPATH_CLIENT_SECRET: "",
      MAILPATH_CLIENT_CERTIFICATE_PATH: file,
    });
    await mailer.send({ to: "ada@contoso.com", subject: "Certificate", text: "x" });
    const [delivered] = await emulator.waitForMessages(1);
    expect(delivered).toMatchObject({ path: "graph", subject: "Certificate" });
  });

  it("matches a certificate connector with MAILPATH_RELAY_CLIENT_CERT_PATH and _KEY_PATH", async () => {
    const { cert, key } = await emulator.issueClientCertificate("relay.contoso.com");
    emulator.configure({
      connectors: [{ name: "By certificate", tlsCertificateName: "relay.contoso.com" }],
    });
    const directory = await mkdtemp(join(tmpdir(), "mailpath-relay-"));
    await writeFile(join(directory, "relay.pem"), cert);
    await writeFile(join(directory, "relay.key"), key, { mode: 0o600 });
    const mailer = await createMailerFromEnv(
      emulator.env({
        MAILPATH_TRANSPORT: "relay",
        MAILPATH_RELAY_CLIENT_CERT_PATH: join(directory, "relay.pem"),
        MAILPATH_RELAY_CLIENT_KEY_PATH: join(directory, "relay.key"),
      }),
    );
    mailers.push(mailer);
    // An external recipient: only a matched connector may relay to it.
    await mailer.send({ to: "partner@fabrikam.com", subject: "Connector", text: "x" });
    const [delivered] = await emulator.waitForMessages(1);
    expect(delivered).toMatchObject({ path: "relay", envelope: { to: ["partner@fabrikam.com"] } });
  });

  it("is refused by the relay for an external recipient without the certificate", async () => {
    emulator.configure({
      connectors: [{ name: "By certificate", tlsCertificateName: "relay.contoso.com" }],
    });
    const mailer = await mailerFor({
      MAILPATH_TRANSPORT: "relay",
      MAILPATH_RELAY_LOCAL_ADDRESS: "",
    });
    await expect(
      mailer.send({ to: "partner@fabrikam.com", subject: "No connector", text: "x" }),
    ).rejects.toMatchObject({ code: "RELAY_DENIED" });
  });
});
