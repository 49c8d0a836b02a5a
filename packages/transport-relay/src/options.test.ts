import { thrownMailError } from "@mailpath/core/testing";
import { describe, expect, it } from "vitest";
import { createRelayTransport } from "./relay-transport.js";

describe("createRelayTransport options", () => {
  it("derives the MX host from an accepted domain, per cloud", async () => {
    const cases = [
      ["global", "contoso-com.mail.protection.outlook.com"],
      ["usgov", "contoso-com.mail.protection.office365.us"],
      ["china", "contoso-com.mail.protection.partner.outlook.cn"],
    ] as const;
    for (const [cloud, host] of cases) {
      const transport = createRelayTransport({ domain: "contoso.com", cloud });
      expect(transport.host).toBe(host);
      expect(transport.name).toBe("relay");
      await transport.close();
    }
  });

  it("needs exactly one of host and domain", () => {
    const neither = thrownMailError(() => createRelayTransport({}));
    expect(neither.code).toBe("INVALID_CONFIG");
    expect(neither.issues).toEqual([{ path: "host", message: "give host or domain" }]);
    const both = thrownMailError(() =>
      createRelayTransport({ host: "relay.contoso.com", domain: "contoso.com" }),
    );
    expect(both.issues).toEqual([{ path: "domain", message: "host and domain are both set" }]);
    expect(both.hint).toMatch(/exactly one/);
  });

  it("refuses a client certificate without its key, or without TLS", () => {
    const noKey = thrownMailError(() =>
      createRelayTransport({ domain: "contoso.com", tls: { cert: "-----BEGIN CERTIFICATE-----" } }),
    );
    expect(noKey.issues).toEqual([expect.objectContaining({ path: "tls.key" })]);
    const noTls = thrownMailError(() =>
      createRelayTransport({
        domain: "contoso.com",
        tls: { cert: "cert", key: "key", requireTLS: false },
      }),
    );
    expect(noTls.issues).toEqual([expect.objectContaining({ path: "tls.requireTLS" })]);
  });

  it("refuses requireTLS: false, so mail never goes in the clear", () => {
    const error = thrownMailError(() =>
      createRelayTransport({ domain: "contoso.com", tls: { requireTLS: false } }),
    );
    expect(error.issues).toEqual([
      expect.objectContaining({
        path: "tls.requireTLS",
        message: expect.stringMatching(/in the clear/),
      }),
    ]);
  });

  it("refuses TLS material that is not PEM text before connecting", () => {
    const error = thrownMailError(() =>
      createRelayTransport({
        domain: "contoso.com",
        tls: { ca: 5, cert: { path: "cert.pem" }, key: 5 } as never,
      }),
    );
    expect(error.issues?.map((issue) => issue.path)).toEqual(["tls.cert", "tls.key", "tls.ca"]);
  });

  it("refuses TLS below 1.2 and turning certificate checks off", () => {
    const error = thrownMailError(() =>
      createRelayTransport({
        domain: "contoso.com",
        tls: { minVersion: "TLSv1" as never, rejectUnauthorized: false } as never,
      }),
    );
    expect(error.issues?.map((issue) => issue.path)).toEqual([
      "tls.minVersion",
      "tls.rejectUnauthorized",
    ]);
  });

  it("refuses direct send without accepted domains", () => {
    const error = thrownMailError(() =>
      createRelayTransport({ domain: "contoso.com", directSend: { acceptedDomains: [] } }),
    );
    expect(error.issues).toEqual([expect.objectContaining({ path: "directSend.acceptedDomains" })]);
  });

  it("refuses a domain that is not a domain name", () => {
    const error = thrownMailError(() => createRelayTransport({ domain: "not a domain" }));
    expect(error.issues).toEqual([expect.objectContaining({ path: "domain" })]);
  });
});
