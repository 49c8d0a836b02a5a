import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { dkimSign } from "mailauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDnsServer, type TestDnsServer } from "../test-support/dns-server.js";
import { EXCHANGE_ONLINE_PASS_SPAM } from "../test-support/header-fixtures.js";
import { analyzeHeaders } from "./analyze-headers.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../../test/fixtures/${name}.eml`, import.meta.url));

describe("analyzeHeaders", () => {
  it("reads Exchange Online's Authentication-Results without an authserv-id, folded over lines", async () => {
    const analysis = await analyzeHeaders(fixture("exchange-online-pass"));
    expect(analysis.authentication.authservId).toBeUndefined();
    expect(analysis.authentication.spf).toMatchObject({
      result: "pass",
      domain: "contoso.com",
      ip: "40.107.244.101",
    });
    expect(analysis.authentication.dkim).toEqual([
      expect.objectContaining({
        result: "pass",
        domain: "contoso.com",
        comment: "signature was verified",
      }),
    ]);
    expect(analysis.authentication.dmarc).toMatchObject({
      result: "pass",
      action: "none",
      domain: "contoso.com",
    });
    expect(analysis.authentication.compauth).toMatchObject({ result: "pass", reason: "100" });
    expect(analysis.authentication.receivedSpf?.properties["client-ip"]).toBe("40.107.244.101");
    expect(analysis.spam).toMatchObject({
      ...EXCHANGE_ONLINE_PASS_SPAM,
      ipv: "NLI",
      dir: "INB",
      authAs: "Anonymous",
      directionality: "Incoming",
    });
    expect(analysis.verdict).toBe("pass");
  });

  it("lists the Received chain oldest first, with TLS and the delay of each hop", async () => {
    const { hops } = await analyzeHeaders(fixture("exchange-online-pass"));
    expect(hops.map((hop) => hop.by)).toEqual([
      "BN2PEPF000044A6.mail.protection.outlook.com",
      "DM6PR11MB4001.namprd11.prod.outlook.com",
      "SA1PR11MB8712.namprd11.prod.outlook.com",
    ]);
    expect(hops[0]).toMatchObject({
      ip: "40.107.244.101",
      tls: "version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      at: "2026-03-03T10:15:02.000Z",
      delayMs: null,
    });
    expect(hops.map((hop) => hop.delayMs)).toEqual([null, 1000, 1000]);
  });

  it("explains a DMARC fail with quarantine after an SPF softfail and no DKIM signature", async () => {
    const analysis = await analyzeHeaders(fixture("exchange-online-dmarc-quarantine"));
    expect(analysis.authentication.spf).toMatchObject({ result: "softfail", ip: "198.51.100.7" });
    expect(analysis.authentication.dmarc).toMatchObject({ result: "fail", action: "quarantine" });
    expect(analysis.authentication.compauth).toMatchObject({ result: "fail", reason: "000" });
    expect(analysis.verdict).toBe("fail");
    const messages = analysis.findings.map((finding) => finding.message);
    expect(messages[0]).toMatch(
      /^DMARC failed: SPF softfail for 198\.51\.100\.7 \(fabrikam\.com\) and no DKIM signature; the From domain's policy is quarantine/,
    );
    expect(messages).toContain("Classified as spam: SCL 5 (5 or more goes to Junk Email).");
    expect(messages).toContain("Spam filtering verdict SPM: classified as spam by spam filtering.");
    expect(messages).toContain("Protection category SPOOF: spoofing.");
  });

  it("keeps every DKIM signature of a Gmail result, the DMARC policy from its comment, and the ARC chain", async () => {
    const analysis = await analyzeHeaders(fixture("gmail-multiple-dkim"));
    expect(analysis.authentication.authservId).toBe("mx.google.com");
    expect(
      analysis.authentication.dkim.map((entry) => [entry.result, entry.domain, entry.selector]),
    ).toEqual([
      ["pass", "contoso.com", "selector1"],
      ["pass", "sendgrid.net", "smtpapi"],
    ]);
    expect(analysis.authentication.spf).toMatchObject({
      result: "pass",
      domain: "em1234.contoso.com",
      ip: "149.72.123.45",
    });
    expect(analysis.authentication.dmarc).toMatchObject({ result: "pass", policy: "reject" });
    expect(analysis.authentication.arc).toMatchObject({ result: "none", instances: 1 });
    expect(analysis.hops.find((hop) => hop.by === "mx.google.com")).toMatchObject({
      with: "ESMTPS",
      tls: "version=TLS1_3 cipher=TLS_AES_128_GCM_SHA256 bits=128/128",
      at: "2026-03-05T12:21:08.000Z",
    });
    expect(analysis.verdict).toBe("pass");
  });

  it("reads a Postfix/rspamd verdict: DKIM fail with a quoted reason, softfail, DMARC policy and the spam action", async () => {
    const analysis = await analyzeHeaders(fixture("postfix-rspamd-spam"));
    expect(analysis.authentication.dkim[0]).toMatchObject({
      result: "fail",
      domain: "deals.example.net",
      selector: "mail",
      properties: expect.objectContaining({ reason: "signature verification failed" }),
    });
    expect(analysis.authentication.dmarc).toMatchObject({ result: "fail", policy: "quarantine" });
    expect(analysis.spam).toMatchObject({ score: 9.4, action: "add header" });
    expect(analysis.hops[0]?.tls).toMatch(/^using TLSv1\.3 with cipher TLS_AES_256_GCM_SHA384/);
    expect(analysis.verdict).toBe("fail");
  });

  it("takes a pasted header block with LF line ends and commented values", async () => {
    const block = [
      "Authentication-Results: spf=fail (sender IP is 192.0.2.10; no match)",
      "   smtp.mailfrom=northwind.example; dkim=none (message not signed)",
      "   header.d=none;dmarc=fail action=oreject header.from=northwind.example;compauth=fail",
      "   reason=001",
      "X-Microsoft-Antispam: BCL:8;",
      "",
    ].join("\n");
    const analysis = await analyzeHeaders(block);
    expect(analysis.authentication.spf).toMatchObject({ result: "fail", ip: "192.0.2.10" });
    expect(analysis.authentication.dmarc).toMatchObject({ action: "oreject" });
    expect(analysis.authentication.compauth?.reason).toBe("001");
    expect(analysis.spam.bcl).toBe(8);
    expect(analysis.findings.map((finding) => finding.message)).toContain(
      "Bulk complaint level 8: likely filtered as bulk (the default threshold is 7).",
    );
  });

  it("warns when there is nothing to analyze", async () => {
    const analysis = await analyzeHeaders("From: a@contoso.com\nSubject: hi\n\nbody");
    expect(analysis.verdict).toBe("warn");
    expect(analysis.findings[0]?.message).toMatch(/^No Authentication-Results/);
  });
});

describe("analyzeHeaders with verify", () => {
  let dns: TestDnsServer;
  let signed: Buffer;
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const publicDer = publicKey.export({ type: "spki", format: "der" }).toString("base64");
  const message = [
    "From: Contoso Notifications <notifications@contoso.com>",
    "To: ada@fabrikam.com",
    "Subject: Signed in the test",
    "Date: Tue, 3 Mar 2026 10:15:01 +0000",
    "Message-ID: <signed-1@contoso.com>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "This body is covered by the signature.",
    "",
  ].join("\r\n");

  beforeAll(async () => {
    dns = await startDnsServer({
      "selector1._domainkey.contoso.com": {
        CNAME: "selector1-contoso-com._domainkey.contoso.onmicrosoft.com",
      },
      "selector1-contoso-com._domainkey.contoso.onmicrosoft.com": {
        TXT: [`v=DKIM1; k=rsa; p=${publicDer}`],
      },
    });
    const key = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const signer = { signingDomain: "contoso.com", selector: "selector1", privateKey: key };
    // mailauth signs with the entries of `signatureData` (its typings mark the top level).
    // A fixed signTime: without one, mailauth 4.13 reads the clock twice (for the header it
    // signs and for the header it writes), and a signature that straddles a half second
    // carries a t= it did not sign: "bad signature" in ~1 of 200 runs, seen once in CI.
    const signature = await dkimSign(message, {
      ...signer,
      signTime: new Date("2026-03-03T10:15:01Z"),
      signatureData: [signer],
    });
    signed = Buffer.from(signature.signatures + message);
  });
  afterAll(() => dns.close());

  it("verifies a DKIM signature with the public key served by the DNS server it is pointed at", async () => {
    const analysis = await analyzeHeaders(signed, { verify: true, dnsServer: dns.address });
    expect(analysis.authentication.dkim).toEqual([
      expect.objectContaining({
        domain: "contoso.com",
        selector: "selector1",
        verification: expect.objectContaining({ result: "pass" }),
      }),
    ]);
    expect(dns.queries).toContain("TXT selector1._domainkey.contoso.com");
  });

  it("fails the verification when the body was changed after signing", async () => {
    const tampered = Buffer.from(signed.toString().replace("covered", "changed"));
    const analysis = await analyzeHeaders(tampered, { verify: true, dnsServer: dns.address });
    expect(analysis.authentication.dkim[0]?.verification?.result).toBe("neutral");
    expect(analysis.verdict).toBe("warn");
    expect(analysis.findings.map((finding) => finding.message).join("\n")).toMatch(
      /DKIM verification here: contoso\.com s=selector1 neutral \(body hash did not verify\)/,
    );
  });
});
