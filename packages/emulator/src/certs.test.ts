import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { certificateNameMatches, certificateNames, createEmulatorTls } from "./certs.js";

describe("createEmulatorTls", () => {
  it("makes a CA and a server certificate for localhost, 127.0.0.1 and ::1 signed by it", async () => {
    const tls = await createEmulatorTls();
    const ca = new X509Certificate(tls.ca);
    const server = new X509Certificate(tls.cert);
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(server.checkIP("::1")).toBeDefined();
    expect(server.checkHost("localhost")).toBe("localhost");
    expect(server.checkHost("example.com")).toBeUndefined();
  });

  it("issues client certificates with the name as CN and DNS SAN, signed by the same CA", async () => {
    const tls = await createEmulatorTls();
    const client = await tls.issueClientCertificate("relay.contoso.com");
    const certificate = new X509Certificate(client.cert);
    expect(certificate.verify(new X509Certificate(tls.ca).publicKey)).toBe(true);
    expect(certificateNames(client.cert)).toEqual(["relay.contoso.com"]);
    expect(client.key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it("refuses to issue client certificates for given material without the CA key", async () => {
    const generated = await createEmulatorTls();
    const given = await createEmulatorTls({
      ca: generated.ca,
      cert: generated.cert,
      key: generated.key,
    });
    expect(given.ca).toBe(generated.ca);
    await expect(given.issueClientCertificate("relay.contoso.com")).rejects.toThrow(/caKey/);
  });
});

describe("certificateNameMatches", () => {
  it("matches exact names case-insensitively and one label under a *. wildcard", () => {
    expect(certificateNameMatches("relay.contoso.com", "RELAY.contoso.com")).toBe(true);
    expect(certificateNameMatches("relay.contoso.com", "mail.contoso.com")).toBe(false);
    expect(certificateNameMatches("*.contoso.com", "relay.contoso.com")).toBe(true);
    expect(certificateNameMatches("*.contoso.com", "a.relay.contoso.com")).toBe(false);
    expect(certificateNameMatches("*.contoso.com", "contoso.com")).toBe(false);
  });
});
