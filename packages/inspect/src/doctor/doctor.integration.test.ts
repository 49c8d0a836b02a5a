import { createServer as createNetServer, type Server } from "node:net";
import { createSecureContext, TLSSocket } from "node:tls";
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_PASSWORD,
  DEFAULT_SENDER,
  DEFAULT_TENANT_ID,
  type Emulator,
  useEmulator,
} from "@mailpath/emulator";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startDnsServer } from "../test-support/dns-server.js";
import { grantDefaultApp } from "../test-support/emulator-apps.js";
import { checkGraph } from "./graph-check.js";
import { checkRelay, checkSmtp, type SmtpProbeOptions } from "./smtp-checks.js";
import type { PathReport } from "./steps.js";

const emulator = useEmulator({ beforeAll, afterAll });
beforeEach(() => emulator.reset({ tenant: true }));

/** checkRelay against the emulator's relay endpoint, trusting its CA, from the default sender. */
const relayCheck = (options: Omit<Parameters<typeof checkRelay>[0], "host" | "from">) =>
  checkRelay({
    host: emulator.relay.host,
    port: emulator.relay.port,
    ca: emulator.ca,
    from: DEFAULT_SENDER,
    ...options,
  });
const statuses = (report: PathReport) =>
  Object.fromEntries(report.steps.map((step) => [step.id, step.status]));
const failed = (report: PathReport) => report.steps.find((step) => step.status === "fail");

const smtp = (overrides: Partial<SmtpProbeOptions> = {}): SmtpProbeOptions => ({
  host: emulator.smtp.host,
  port: emulator.smtp.port,
  ca: emulator.ca,
  from: DEFAULT_SENDER,
  auth: { method: "password", user: DEFAULT_SENDER, password: DEFAULT_PASSWORD },
  ...overrides,
});

const secretToken = () =>
  ({
    kind: "secret",
    authorityHost: emulator.entra.authorityHost,
    tenantId: DEFAULT_TENANT_ID,
    clientId: DEFAULT_CLIENT_ID,
    clientSecret: DEFAULT_CLIENT_SECRET,
  }) as const;

describe("checkSmtp against the emulator", () => {
  it("passes every step with a password and stops before DATA", async () => {
    const report = await checkSmtp(smtp({ to: "ada@contoso.com" }));
    expect(report.status).toBe("pass");
    expect(statuses(report)).toEqual({
      "smtp.dns": "pass",
      "smtp.tcp": "pass",
      "smtp.banner": "pass",
      "smtp.ehlo": "pass",
      "smtp.starttls": "pass",
      "smtp.tls": "pass",
      "smtp.ehlo-tls": "pass",
      "smtp.auth": "pass",
      "smtp.mail-from": "pass",
      "smtp.rcpt": "pass",
      "smtp.send": "skip",
    });
    const tls = report.steps.find((step) => step.id === "smtp.tls");
    expect(tls?.detail).toMatch(/^TLSv1\.[23], .+, chain .+, expires \d{4}-\d\d-\d\d/);
    expect(report.steps.find((step) => step.id === "smtp.ehlo-tls")?.detail).toContain(
      "AUTH LOGIN XOAUTH2",
    );
    expect(emulator.messages()).toHaveLength(0);
  });

  it("sends one message with send and XOAUTH2, after reading the token's claims", async () => {
    const report = await checkSmtp(
      smtp({
        to: "ada@contoso.com",
        send: true,
        auth: {
          method: "oauth",
          user: DEFAULT_SENDER,
          token: secretToken(),
          tenantId: DEFAULT_TENANT_ID,
        },
      }),
    );
    expect(report.status).toBe("pass");
    expect(report.steps.find((step) => step.id === "smtp.token")?.detail).toMatch(
      /^aud https:\/\/outlook\.office365\.com, roles \[SMTP\.SendAsApp\], tenant 8a6e2f4c/,
    );
    expect(report.steps.find((step) => step.id === "smtp.send")?.detail).toMatch(
      /^sent <.+>: 250 2\.0\.0 OK/,
    );
    await emulator.waitForMessages(1);
  });

  it("fails AUTH with Exchange's 5.7.3 for a wrong password", async () => {
    const report = await checkSmtp(
      smtp({ auth: { method: "password", user: DEFAULT_SENDER, password: "not-the-password" } }),
    );
    const step = failed(report);
    expect(step).toMatchObject({
      id: "smtp.auth",
      reply: expect.stringMatching(/^535 5\.7\.3 Authentication unsuccessful/),
    });
    expect(step?.fix).toBeTruthy();
    expect(JSON.stringify(report)).not.toContain("not-the-password");
    expect(statuses(report)["smtp.mail-from"]).toBe("skip");
  });

  it("fails AUTH with 5.7.139 when SMTP AUTH is disabled for the tenant", async () => {
    emulator.configure({ smtpAuthEnabled: false });
    const step = failed(await checkSmtp(smtp()));
    expect(step?.id).toBe("smtp.auth");
    expect(step?.reply).toMatch(
      /^535 5\.7\.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant/,
    );
    expect(step?.fix).toMatch(/SMTP AUTH/i);
  });

  it("fails Send As with Exchange's words, at MAIL FROM (5.7.60) or after DATA (SendAsDenied)", async () => {
    const report = await checkSmtp(
      smtp({ from: "reports@contoso.com", to: "ada@contoso.com", send: true }),
    );
    const step = failed(report);
    // Exchange refuses either at MAIL FROM or once the message is submitted; both name Send As.
    expect(
      [
        ["smtp.mail-from", /^550 5\.7\.60 Client does not have permissions to send as this sender/],
        ["smtp.send", /^554 5\.2\.0 STOREDRV\.Submission\.Exception:SendAsDeniedException/],
      ].some(([id, reply]) => step?.id === id && (reply as RegExp).test(step?.reply ?? "")),
    ).toBe(true);
    expect(step?.fix).toMatch(/Send As/i);
    expect(emulator.messages()).toHaveLength(0);
  });

  it("fails TLS and sends no credentials when the server's CA is not trusted", async () => {
    const { ca: _trusted, ...untrusted } = smtp();
    const report = await checkSmtp(untrusted);
    const step = failed(report);
    expect(step?.id).toBe("smtp.tls");
    expect(step?.detail).toMatch(
      /the certificate is not trusted \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)/,
    );
    expect(step?.fix).toMatch(/MAILPATH_TLS_CA_FILE/);
    expect(statuses(report)["smtp.auth"]).toBe("skip");
  });

  it("fails the token step for an unknown tenant, with the AADSTS code explained", async () => {
    const report = await checkSmtp(
      smtp({
        auth: {
          method: "oauth",
          user: DEFAULT_SENDER,
          token: { ...secretToken(), tenantId: "00000000-0000-0000-0000-000000000000" },
        },
      }),
    );
    const step = failed(report);
    expect(step?.id).toBe("smtp.token");
    expect(step?.reply).toMatch(
      /^invalid_request: AADSTS90002: Tenant '00000000-0000-0000-0000-000000000000' not found/,
    );
    expect(step?.fix).toMatch(/MAILPATH_TENANT_ID/);
  });

  it("flags a token without SMTP.SendAsApp, then shows Exchange's AUTH refusal", async () => {
    grantDefaultApp(emulator, ["Mail.Send"]);
    const report = await checkSmtp(
      smtp({ auth: { method: "oauth", user: DEFAULT_SENDER, token: secretToken() } }),
    );
    const token = report.steps.find((step) => step.id === "smtp.token");
    expect(token).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/^roles does not contain SMTP\.SendAsApp/),
    });
    expect(token?.fix).toMatch(/SMTP\.SendAsApp/);
    expect(report.steps.find((step) => step.id === "smtp.auth")).toMatchObject({
      status: "fail",
      reply: expect.stringMatching(/^535 5\.7\.3/),
    });
  });

  it("fails TLS when the server offers nothing newer than TLS 1.1", async () => {
    const server = await oldTlsServer(emulator);
    try {
      const port = (server.address() as { port: number }).port;
      const report = await checkSmtp(smtp({ port }));
      const step = failed(report);
      expect(step?.id).toBe("smtp.tls");
      expect(step?.detail).toMatch(/TLS older than 1\.2|TLSv1\.1 is older than TLS 1\.2/);
      expect(step?.fix).toMatch(/TLS 1\.2/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("fails TLS when the certificate names another host", async () => {
    const server = await oldTlsServer(emulator, { name: "mail.fabrikam.com", modern: true });
    try {
      const port = (server.address() as { port: number }).port;
      const step = failed(await checkSmtp(smtp({ port })));
      expect(step?.id).toBe("smtp.tls");
      expect(step?.detail).toMatch(/^the certificate does not name 127\.0\.0\.1: TLSv1\.3/);
      expect(step?.fix).toMatch(/name on the certificate/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("warns when the server's certificate expires within 14 days, and fails once it has expired", async () => {
    const DAY = 86_400_000;
    // The emulator's certificate is valid for 30 days: move the doctor's clock instead of waiting.
    const soon = await checkSmtp(smtp({ now: () => Date.now() + 20 * DAY }));
    expect(soon.steps.find((step) => step.id === "smtp.tls")).toMatchObject({
      status: "warn",
      fix: "The server's certificate expires within 14 days.",
    });
    expect(soon.status).toBe("warn");
    const late = failed(await checkSmtp(smtp({ now: () => Date.now() + 40 * DAY })));
    expect(late?.id).toBe("smtp.tls");
    expect(late?.detail).toMatch(/^the certificate has expired/);
  });

  it("fails TCP with the fix when nothing listens", async () => {
    const { closedPort } = await import("@mailpath/emulator");
    const report = await checkSmtp(smtp({ port: await closedPort() }));
    expect(failed(report)).toMatchObject({
      id: "smtp.tcp",
      fix: expect.stringMatching(/Nothing listens/),
    });
  });
});

describe("checkRelay against the emulator", () => {
  it("passes from the connector's IP and lets RCPT to an external address through", async () => {
    const report = await relayCheck({
      localAddress: "127.0.0.2",
    });
    expect(report.status).toBe("pass");
    expect(statuses(report)).toMatchObject({
      "relay.tls": "pass",
      "relay.client-cert": "pass",
      "relay.mail-from": "pass",
      "relay.rcpt": "pass",
      "relay.send": "skip",
    });
  });

  it("checks the domain's MX through the DNS server given, and says what to publish when it is not the tenant's", async () => {
    const dns = await startDnsServer({
      "contoso.com": { MX: [{ exchange: "contoso-com.mail.protection.outlook.com", priority: 0 }] },
      "fabrikam.com": { MX: [{ exchange: "mx.fabrikam.com", priority: 10 }] },
    });
    try {
      const probe = (domain: string) =>
        relayCheck({
          domain,
          localAddress: "127.0.0.2",
          dnsServer: dns.address,
        });
      const good = await probe("contoso.com");
      expect(good.steps[0]).toMatchObject({
        id: "relay.mx",
        status: "pass",
        detail: "contoso.com MX contoso-com.mail.protection.outlook.com",
      });
      const other = await probe("fabrikam.com");
      expect(other.steps[0]).toMatchObject({
        id: "relay.mx",
        status: "warn",
        detail: "fabrikam.com MX mx.fabrikam.com, not fabrikam-com.mail.protection.outlook.com",
      });
      expect(other.steps[0]?.fix).toContain("fabrikam-com.mail.protection.outlook.com");
    } finally {
      await dns.close();
    }
  });

  it("explains 5.7.1 Unable to relay from an address no connector lists", async () => {
    const report = await relayCheck({
      localAddress: "127.0.0.1",
    });
    const step = failed(report);
    expect(step).toMatchObject({ id: "relay.rcpt", reply: "550 5.7.1 Unable to relay" });
    expect(step?.fix).toMatch(/add 127\.0\.0\.1 to the connector's SenderIPAddresses/);
  });

  it("passes with a client certificate a certificate connector matches", async () => {
    emulator.configure({ connectors: [{ name: "cert", tlsCertificateName: "relay.contoso.com" }] });
    const { cert, key } = await emulator.issueClientCertificate("relay.contoso.com");
    const report = await relayCheck({
      clientCert: cert,
      clientKey: key,
    });
    expect(report.status).toBe("pass");
    expect(report.steps.find((step) => step.id === "relay.client-cert")?.detail).toMatch(
      /^offered CN=relay\.contoso\.com/,
    );
  });
});

describe("checkRelay with a certificate no connector matches", () => {
  it("explains 5.7.64 TenantAttribution and points at TlsSenderCertificateName", async () => {
    emulator.configure({ connectors: [{ name: "cert", tlsCertificateName: "mail.contoso.com" }] });
    const { cert, key } = await emulator.issueClientCertificate("relay.contoso.com");
    const report = await relayCheck({
      clientCert: cert,
      clientKey: key,
    });
    const step = failed(report);
    expect(step).toMatchObject({
      id: "relay.rcpt",
      reply: "550 5.7.64 TenantAttribution; Relay Access Denied",
    });
    expect(step?.fix).toMatch(/TlsSenderCertificateName/);
  });
});

describe("checkGraph against the emulator", () => {
  const graph = (overrides = {}) => ({
    token: secretToken(),
    tenantId: DEFAULT_TENANT_ID,
    clientId: DEFAULT_CLIENT_ID,
    baseUrl: emulator.graph.baseUrl,
    ca: emulator.ca,
    from: DEFAULT_SENDER,
    ...overrides,
  });

  it("passes the token and claims, and sends one message with send", async () => {
    const report = await checkGraph(graph({ send: true, to: "ada@contoso.com" }));
    expect(report.status).toBe("pass");
    expect(statuses(report)).toEqual({
      "graph.token": "pass",
      "graph.claims": "pass",
      "graph.send": "pass",
    });
    expect(report.steps[1]?.detail).toMatch(/roles \[Mail\.Send, Mail\.ReadWrite\]/);
    await emulator.waitForMessages(1);
  });

  it("fails the claims for an app without Mail.Send and explains the 403 ErrorAccessDenied", async () => {
    grantDefaultApp(emulator, ["SMTP.SendAsApp"]);
    const report = await checkGraph(graph({ send: true, to: "ada@contoso.com" }));
    expect(report.steps.find((step) => step.id === "graph.claims")).toMatchObject({
      status: "fail",
      fix: expect.stringMatching(/Mail\.Send/),
    });
    const send = report.steps.find((step) => step.id === "graph.send");
    expect(send).toMatchObject({
      status: "fail",
      reply: expect.stringMatching(/^403 ErrorAccessDenied/),
    });
    expect(send?.fix).toMatch(/Application Access Policy or RBAC for Applications/);
  });

  it("resolves the Entra and Graph hosts through the DNS server it is pointed at", async () => {
    const dns = await startDnsServer({ localhost: { A: ["127.0.0.1"] } });
    try {
      const byName = (url: string) => url.replace("127.0.0.1", "localhost");
      const report = await checkGraph(
        graph({
          token: { ...secretToken(), authorityHost: byName(emulator.entra.authorityHost) },
          baseUrl: byName(emulator.graph.baseUrl),
          dnsServer: dns.address,
          send: true,
          to: "ada@contoso.com",
        }),
      );
      expect(report.status).toBe("pass");
      expect(dns.queries.filter((query) => query === "A localhost").length).toBeGreaterThanOrEqual(
        2,
      );
    } finally {
      await dns.close();
    }
  });

  it("fails the token for an unknown tenant with AADSTS90002 explained", async () => {
    const report = await checkGraph(
      graph({ token: { ...secretToken(), tenantId: "fabrikam.onmicrosoft.com" } }),
    );
    expect(failed(report)).toMatchObject({
      id: "graph.token",
      fix: expect.stringMatching(/tenant was not found/),
    });
  });

  it("fails the token for a wrong client secret without printing it", async () => {
    const report = await checkGraph(
      graph({ token: { ...secretToken(), clientSecret: "wrong-secret-value" } }),
    );
    const step = failed(report);
    expect(step?.id).toBe("graph.token");
    expect(step?.reply).toMatch(/^invalid_client: AADSTS7000215/);
    expect(JSON.stringify(report)).not.toContain("wrong-secret-value");
  });
});

/** A server that speaks SMTP up to STARTTLS, then TLS 1.1 at most (or any version with `modern`), with a certificate for `name` from the emulator's CA. */
async function oldTlsServer(
  emulatorInstance: Emulator,
  options: { readonly name?: string; readonly modern?: boolean } = {},
): Promise<Server> {
  const { cert, key } = await emulatorInstance.issueClientCertificate(options.name ?? "127.0.0.1");
  const context = createSecureContext(
    options.modern
      ? { cert, key }
      : { cert, key, minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" },
  );
  const sockets = new Set<import("node:net").Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.write("220 legacy.contoso.com ESMTP\r\n");
    socket.on("data", (data) => {
      const line = data.toString();
      if (/^EHLO/i.test(line)) socket.write("250-legacy.contoso.com\r\n250 STARTTLS\r\n");
      else if (/^STARTTLS/i.test(line)) {
        socket.removeAllListeners("data");
        socket.write("220 2.0.0 Ready\r\n");
        // Wrap at once: the client's hello may arrive before the write's callback.
        const secure = new TLSSocket(socket, { isServer: true, secureContext: context });
        secure.on("error", () => socket.destroy());
        // The client hangs up after its checks: close the raw socket too, so close() returns.
        secure.on("end", () => socket.destroy());
        secure.on("close", () => socket.destroy());
      }
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // close() waits for open connections: end them too.
  const close = server.close.bind(server);
  return Object.assign(server, {
    close: (callback?: (error?: Error) => void) => {
      for (const socket of sockets) socket.destroy();
      return close(callback);
    },
  });
}
