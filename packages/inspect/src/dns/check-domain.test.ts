import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDnsServer, type TestDnsServer } from "../test-support/dns-server.js";
import { checkDomain } from "./check-domain.js";

const KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtestkey";
const microsoftSpf = { TXT: ["v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 -all"] };

describe("checkDomain against a local DNS server", () => {
  let dns: TestDnsServer;
  beforeAll(async () => {
    dns = await startDnsServer({
      // contoso.com: everything as Microsoft 365 wants it.
      "contoso.com": {
        TXT: ["MS=ms12345678", "v=spf1 include:spf.protection.outlook.com -all"],
        MX: [{ exchange: "contoso-com.mail.protection.outlook.com", priority: 0 }],
      },
      "spf.protection.outlook.com": microsoftSpf,
      "selector1._domainkey.contoso.com": {
        CNAME: "selector1-contoso-com._domainkey.contoso.onmicrosoft.com",
      },
      "selector2._domainkey.contoso.com": {
        CNAME: "selector2-contoso-com._domainkey.contoso.onmicrosoft.com",
      },
      "selector1-contoso-com._domainkey.contoso.onmicrosoft.com": {
        TXT: [`v=DKIM1; k=rsa; p=${KEY}`],
      },
      "selector2-contoso-com._domainkey.contoso.onmicrosoft.com": {
        TXT: [`v=DKIM1; k=rsa; p=${KEY}`],
      },
      "_dmarc.contoso.com": { TXT: ["v=DMARC1; p=reject; rua=mailto:dmarc@contoso.com"] },

      // fabrikam.com: nothing for Microsoft 365.
      "fabrikam.com": {
        TXT: ["v=spf1 include:_spf.google.com ~all"],
        MX: [{ exchange: "aspmx.l.google.com", priority: 1 }],
      },
      "_spf.google.com": { TXT: ["v=spf1 ip4:74.125.0.0/16 ~all"] },

      // northwind.example: SPF over the 10-lookup limit, one DKIM selector, p=none.
      "northwind.example": {
        TXT: [
          `v=spf1 include:spf.protection.outlook.com ${Array.from({ length: 10 }, (_, index) => `include:s${index}.northwind.example`).join(" ")} -all`,
        ],
        MX: [{ exchange: "northwind-example.mail.protection.outlook.com", priority: 0 }],
      },
      ...Object.fromEntries(
        Array.from({ length: 10 }, (_, index) => [
          `s${index}.northwind.example`,
          { TXT: [`v=spf1 ip4:192.0.2.${index} -all`] },
        ]),
      ),
      "selector1._domainkey.northwind.example": {
        CNAME: "selector1-northwind-example._domainkey.northwind.onmicrosoft.com",
      },
      "selector1-northwind-example._domainkey.northwind.onmicrosoft.com": {
        TXT: [`v=DKIM1; k=rsa; p=${KEY}`],
      },
      "_dmarc.northwind.example": { TXT: ["v=DMARC1; p=none"] },

      // two SPF records
      "tailspin.example": {
        TXT: ["v=spf1 include:spf.protection.outlook.com -all", "v=spf1 -all"],
      },
    });
  });
  afterAll(() => dns.close());

  it("passes a domain set up for Microsoft 365", async () => {
    const report = await checkDomain("contoso.com", {
      dnsServer: dns.address,
      tenantDomain: "contoso.onmicrosoft.com",
    });
    expect(report.checks.map((check) => [check.name, check.status])).toEqual([
      ["spf", "pass"],
      ["dkim", "pass"],
      ["dmarc", "pass"],
      ["mx", "pass"],
    ]);
    expect(report.checks[0]?.summary).toBe(
      "includes spf.protection.outlook.com, 1/10 lookups, -all",
    );
    expect(report.checks[2]?.summary).toBe("policy p=reject, reports to mailto:dmarc@contoso.com");
    expect(report.verdict).toBe("pass");
  });

  it("says what to publish when SPF, DKIM, DMARC and MX are not Microsoft 365's", async () => {
    const report = await checkDomain("fabrikam.com", { dnsServer: dns.address });
    const byName = Object.fromEntries(report.checks.map((check) => [check.name, check]));
    expect(byName.spf).toMatchObject({
      status: "fail",
      summary: "the SPF record does not include spf.protection.outlook.com",
      fix: 'Add include:spf.protection.outlook.com to the record: "v=spf1 include:_spf.google.com include:spf.protection.outlook.com ~all".',
    });
    expect(byName.dkim?.status).toBe("fail");
    expect(byName.dkim?.fix).toContain(
      "CNAME selector1._domainkey.fabrikam.com → selector1-fabrikam-com._domainkey.<tenant>.onmicrosoft.com",
    );
    expect(byName.dmarc).toMatchObject({
      status: "fail",
      summary: "no DMARC record at _dmarc.fabrikam.com",
    });
    expect(byName.dmarc?.fix).toContain(
      'Publish TXT at _dmarc.fabrikam.com: "v=DMARC1; p=quarantine',
    );
    expect(byName.mx).toMatchObject({ status: "warn" });
    expect(byName.mx?.fix).toContain("fabrikam-com.mail.protection.outlook.com");
    expect(report.verdict).toBe("fail");
  });

  it("counts SPF lookups through includes and fails over the limit of 10", async () => {
    const report = await checkDomain("northwind.example", { dnsServer: dns.address });
    const spf = report.checks.find((check) => check.name === "spf");
    expect(spf).toMatchObject({
      status: "fail",
      summary: "11 DNS lookups (the limit is 10): receivers answer permerror",
    });
    const dkim = report.checks.find((check) => check.name === "dkim");
    expect(dkim).toMatchObject({
      status: "fail",
      summary: "missing selector2._domainkey.northwind.example",
    });
    expect(report.checks.find((check) => check.name === "dmarc")).toMatchObject({ status: "warn" });
  });

  it("fails two SPF records and a domain with no records at all", async () => {
    const two = await checkDomain("tailspin.example", { dnsServer: dns.address });
    expect(two.checks[0]).toMatchObject({
      status: "fail",
      summary: "2 SPF records at tailspin.example (permerror: receivers treat SPF as broken)",
    });
    const none = await checkDomain("nothing.example", { dnsServer: dns.address });
    expect(none.checks.map((check) => check.status)).toEqual(["fail", "fail", "fail", "fail"]);
    expect(none.checks[3]?.fix).toBe(
      "Publish MX at nothing.example: priority 0, nothing-example.mail.protection.outlook.com.",
    );
  });

  it("asks only the server it is pointed at", async () => {
    const before = dns.queries.length;
    await checkDomain("contoso.com", { dnsServer: dns.address });
    expect(dns.queries.slice(before)).toEqual(
      expect.arrayContaining([
        "TXT contoso.com",
        "TXT spf.protection.outlook.com",
        "CNAME selector1._domainkey.contoso.com",
        "TXT _dmarc.contoso.com",
        "MX contoso.com",
      ]),
    );
  });
});
