// The `mailpath` command spawned as a user runs it (node dist/cli.js; turbo builds the package
// before its tests), against the emulator and a local DNS server. Every output is checked for
// secrets at the end.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_PASSWORD,
  type Emulator,
  startEmulator,
} from "@mailpath/emulator";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  startDnsServer,
  type TestDnsServer,
} from "../../../inspect/src/test-support/dns-server.js";
import { grantDefaultApp } from "../../../inspect/src/test-support/emulator-apps.js";
import { EXCHANGE_ONLINE_PASS_SPAM } from "../../../inspect/src/test-support/header-fixtures.js";

const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const FIXTURES = fileURLToPath(new URL("../../../inspect/test/fixtures/", import.meta.url));
const WRONG_PASSWORD = "wrong-password-7f3a";
const WRONG_SECRET = "wrong-secret-91c2";

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const outputs: string[] = [];

function run(
  args: readonly string[],
  env: Record<string, string>,
  options: { readonly stdin?: string; readonly cwd?: string } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      // Only what a user's shell would have, plus the configuration under test.
      env: { PATH: process.env.PATH ?? "", ...env },
      cwd: options.cwd ?? process.cwd(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      outputs.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? "");
  });
}

let emulator: Emulator;
let dns: TestDnsServer;
let directory: string;

beforeAll(async () => {
  [emulator, dns, directory] = await Promise.all([
    startEmulator(),
    startDnsServer({
      "contoso.com": {
        TXT: ["v=spf1 include:spf.protection.outlook.com -all"],
        MX: [{ exchange: "contoso-com.mail.protection.outlook.com", priority: 0 }],
      },
      "spf.protection.outlook.com": { TXT: ["v=spf1 ip4:40.107.0.0/16 -all"] },
      "selector1._domainkey.contoso.com": {
        CNAME: "selector1-contoso-com._domainkey.contoso.onmicrosoft.com",
      },
      "selector2._domainkey.contoso.com": {
        CNAME: "selector2-contoso-com._domainkey.contoso.onmicrosoft.com",
      },
      "selector2-contoso-com._domainkey.contoso.onmicrosoft.com": {
        TXT: ["v=DKIM1; k=rsa; p=MIIBIjANBgkq"],
      },
      "_dmarc.contoso.com": { TXT: ["v=DMARC1; p=quarantine; rua=mailto:dmarc@contoso.com"] },
      // The public key of test/fixtures/dkim-signed.eml's signature, behind Microsoft's CNAME.
      "selector1-contoso-com._domainkey.contoso.onmicrosoft.com": {
        TXT: [readFileSync(join(FIXTURES, "dkim-signed.selector1.txt"), "utf8").trim()],
      },
      "fabrikam.com": { TXT: ["v=spf1 include:_spf.google.com ~all"] },
      "_spf.google.com": { TXT: ["v=spf1 ip4:74.125.0.0/16 ~all"] },
    }),
    mkdtemp(join(tmpdir(), "mailpath-cli-")),
  ]);
});
afterAll(async () => {
  await Promise.all([
    emulator?.stop(),
    dns?.close(),
    rm(directory, { recursive: true, force: true }),
  ]);
  // No secret, password or access token ever reaches stdout or stderr.
  const everything = outputs.join("\n");
  for (const secret of [DEFAULT_PASSWORD, DEFAULT_CLIENT_SECRET, WRONG_PASSWORD, WRONG_SECRET])
    expect(everything).not.toContain(secret);
  expect(everything).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\./);
});
beforeEach(() => emulator.reset({ tenant: true }));

const all = (overrides: Record<string, string> = {}) =>
  emulator.env({ MAILPATH_TRANSPORT: "smtp,relay,graph", ...overrides });

/** The output of `mailpath doctor --no-dns --paths <path> …args` over all(overrides), which fails. */
async function failingDoctor(
  path: string,
  overrides: Record<string, string> = {},
  args: readonly string[] = [],
): Promise<string> {
  const result = await run(["doctor", "--no-dns", "--paths", path, ...args], all(overrides));
  expect(result.code).toBe(1);
  return result.stdout;
}

describe("mailpath doctor", { timeout: 60_000 }, () => {
  it("prints a passing report for smtp, relay and graph and exits 0", async () => {
    const result = await run(["doctor", "--no-dns", "--to", "ada@contoso.com"], all());
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("SMTP AUTH (smtp)");
    expect(result.stdout).toMatch(
      / {2}✓ AUTH LOGIN +\d+ ms {2}authenticated as notifications@contoso\.com: 235 2\.7\.0/,
    );
    expect(result.stdout).toMatch(/✓ RCPT TO external address .*postmaster@example\.com accepted/);
    expect(result.stdout).toMatch(/✓ Token claims .*roles \[Mail\.Send, Mail\.ReadWrite\]/);
    expect(result.stdout.trim().split("\n").at(-1)).toBe(
      "✓ doctor: smtp pass, relay pass, graph pass",
    );
    expect(emulator.messages()).toHaveLength(0);
  });

  it("gives --json a stable shape: verdict, paths with their steps, and the DNS report", async () => {
    const result = await run(
      ["doctor", "--json", "--dns-server", dns.address, "--paths", "smtp"],
      all(),
    );
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      command: "doctor",
      verdict: "pass",
      from: "notifications@contoso.com",
      paths: [{ path: "smtp", status: "pass", target: expect.any(String) }],
      dns: { domain: "contoso.com", verdict: "pass" },
    });
    for (const step of report.paths[0].steps)
      expect(Object.keys(step).sort()).toEqual(
        expect.arrayContaining(["detail", "durationMs", "id", "status", "title"]),
      );
    expect(report.dns.checks.map((check: { name: string }) => check.name)).toEqual([
      "spf",
      "dkim",
      "dmarc",
      "mx",
    ]);
  });

  it("fails with Exchange's 535 5.7.3 and a fix for a wrong password, exit 1", async () => {
    const result = await run(
      ["doctor", "--no-dns"],
      all({ MAILPATH_TRANSPORT: "smtp", MAILPATH_SMTP_PASSWORD: WRONG_PASSWORD }),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /✗ AUTH LOGIN .*refused\n {6}reply: 535 5\.7\.3 Authentication unsuccessful/,
    );
    expect(result.stdout).toMatch(/ {6}fix: {3}\S/);
    expect(result.stdout).toContain("- MAIL FROM");
  });

  it("fails AUTH with 5.7.139 when SMTP AUTH is disabled", async () => {
    emulator.configure({ smtpAuthEnabled: false });
    const result = await run(["doctor", "--no-dns", "--json"], all({ MAILPATH_TRANSPORT: "smtp" }));
    expect(result.code).toBe(1);
    const step = JSON.parse(result.stdout).paths[0].steps.find(
      (entry: { id: string }) => entry.id === "smtp.auth",
    );
    expect(step).toMatchObject({ status: "fail", reply: expect.stringMatching(/^535 5\.7\.139 /) });
  });

  it("fails Send As with Exchange's words when --send goes out as an address the mailbox may not use", async () => {
    const result = await run(
      ["doctor", "--no-dns", "--from", "reports@contoso.com", "--to", "ada@contoso.com", "--send"],
      all({ MAILPATH_TRANSPORT: "smtp" }),
    );
    expect(result.code).toBe(1);
    // At MAIL FROM (550 5.7.60) or after DATA (554 5.2.0 SendAsDenied), as Exchange does.
    expect(result.stdout).toMatch(
      /✗ (MAIL FROM .*\n {6}reply: 550 5\.7\.60 |DATA .*\n {6}reply: 554 5\.2\.0 STOREDRV\.Submission\.Exception:SendAsDeniedException)/,
    );
    expect(result.stdout).toMatch(/fix: {3}.*Send As/);
    // Refused after DATA too: the server took the bytes but must not have stored a message.
    expect(emulator.messages()).toEqual([]);
  });

  it("fails TLS without the emulator's CA and never reaches AUTH", async () => {
    const env = all({ MAILPATH_TRANSPORT: "smtp" });
    delete env.MAILPATH_TLS_CA_FILE;
    const result = await run(["doctor", "--no-dns"], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ TLS .*the certificate is not trusted/);
    expect(result.stdout).toContain("fix:   Set MAILPATH_TLS_CA_FILE");
    expect(result.stdout).toMatch(/- AUTH LOGIN +not run/);
  });

  it("explains AADSTS90002 for an unknown tenant", async () => {
    const stdout = await failingDoctor("graph", {
      MAILPATH_TENANT_ID: "11111111-2222-3333-4444-555555555555",
    });
    expect(stdout).toMatch(
      /✗ Access token .*Entra refused the token request \(HTTP 400\)\n {6}reply: invalid_request: AADSTS90002: Tenant '11111111-2222-3333-4444-555555555555' not found/,
    );
    expect(stdout).toContain("fix:   The tenant was not found: check MAILPATH_TENANT_ID");
  });

  it("explains a wrong client secret without printing it", async () => {
    const stdout = await failingDoctor("graph", { MAILPATH_CLIENT_SECRET: WRONG_SECRET });
    expect(stdout).toContain("AADSTS7000215");
  });

  it("fails the claims of an app without Mail.Send, and --send shows the 403 with the scoping fix", async () => {
    grantDefaultApp(emulator, ["SMTP.SendAsApp"]);
    const stdout = await failingDoctor("graph", {}, ["--to", "ada@contoso.com", "--send"]);
    expect(stdout).toMatch(/✗ Token claims .*roles does not contain Mail\.Send/);
    expect(stdout).toMatch(/reply: 403 ErrorAccessDenied/);
    expect(stdout).toContain("Application Access Policy or RBAC for Applications");
  });

  it("explains 5.7.1 Unable to relay from an address no connector lists", async () => {
    const stdout = await failingDoctor("relay", { MAILPATH_RELAY_LOCAL_ADDRESS: "127.0.0.1" });
    expect(stdout).toMatch(/✗ RCPT TO external address .*\n {6}reply: 550 5\.7\.1 Unable to relay/);
    expect(stdout).toContain("add 127.0.0.1 to the connector's SenderIPAddresses");
  });

  it("flags the sender domain's DNS problems with what to publish", async () => {
    const result = await run(
      [
        "doctor",
        "--paths",
        "smtp",
        "--from",
        "notifications@fabrikam.com",
        "--dns-server",
        dns.address,
      ],
      all({ MAILPATH_TRANSPORT: "smtp" }),
    );
    expect(result.stdout).toContain("Sender domain DNS (fabrikam.com)");
    expect(result.stdout).toMatch(/✗ SPF .*does not include spf\.protection\.outlook\.com/);
    expect(result.stdout).toMatch(/✗ DMARC .*\n {6}fix: {3}Publish TXT at _dmarc\.fabrikam\.com/);
    expect(result.code).toBe(1);
  });

  it("checks SMTP XOAUTH2 with a certificate credential, reading the token's claims", async () => {
    const { cert, key } = await emulator.issueClientCertificate("mailpath-app");
    const file = join(directory, "app.pem");
    await writeFile(file, `${cert}\n${key}`);
    emulator.configure({
      apps: [
        {
          clientId: DEFAULT_CLIENT_ID,
          certificates: [cert],
          permissions: ["Mail.Send", "SMTP.SendAsApp"],
        },
      ],
    });
    const env = all({
      MAILPATH_TRANSPORT: "smtp",
      MAILPATH_SMTP_AUTH: "oauth",
      MAILPATH_CLIENT_CERTIFICATE_PATH: file,
    });
    delete env.MAILPATH_CLIENT_SECRET;
    delete env.MAILPATH_SMTP_PASSWORD;
    const result = await run(["doctor", "--no-dns"], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /✓ Access token \(XOAUTH2\) .*aud https:\/\/outlook\.office365\.com, roles \[SMTP\.SendAsApp\]/,
    );
    expect(result.stdout).toMatch(/✓ AUTH XOAUTH2 .*235 2\.7\.0 Authentication successful/);
    expect(result.stdout).not.toContain("PRIVATE KEY");
  });

  it("exits 2 with the variable named for a configuration error", async () => {
    const env = all({ MAILPATH_TRANSPORT: "smtp" });
    delete env.MAILPATH_SMTP_PASSWORD;
    delete env.MAILPATH_CLIENT_ID;
    const result = await run(["doctor", "--no-dns"], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("MAILPATH_SMTP_");
  });

  it("reads --env-file", async () => {
    const file = join(directory, "tenant.env");
    await writeFile(
      file,
      Object.entries(all({ MAILPATH_TRANSPORT: "smtp" }))
        .map(([name, value]) => `${name}=${value}`)
        .join("\n"),
    );
    const result = await run(["doctor", "--no-dns", "--env-file", file, "--json"], {});
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).paths.map((path: { path: string }) => path.path)).toEqual([
      "smtp",
    ]);
  });
});

/** `mailpath send --to ada@contoso.com …args` over all(overrides). */
const sendToAda = (args: readonly string[], overrides: Record<string, string> = {}) =>
  run(["send", "--to", "ada@contoso.com", ...args], all(overrides));

/** What `mailpath send --to ada@contoso.com …args --json` prints, once it exited with `code`. */
async function sendJson(code: number, args: readonly string[], overrides = {}): Promise<unknown> {
  const result = await sendToAda([...args, "--json"], overrides);
  expect(result.code).toBe(code);
  return JSON.parse(result.stdout);
}

describe("mailpath send", { timeout: 60_000 }, () => {
  it("sends through the configured path and prints the receipt", async () => {
    const result = await sendToAda(["--subject", "CLI receipt"], { MAILPATH_TRANSPORT: "smtp" });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^✓ sent through smtp in \d+ ms \(1 attempt\)\n {2}Message-ID: <.+>\n {2}accepted: {3}ada@contoso\.com\n {2}server: {5}250 2\.0\.0 OK/,
    );
    expect(emulator.messages({ subject: "CLI receipt" })).toHaveLength(1);
  });

  it("prints the receipt as JSON and picks the path with --transport", async () => {
    expect(await sendJson(0, ["--transport", "graph"])).toEqual({
      command: "send",
      ok: true,
      receipt: {
        path: "graph",
        messageId: expect.stringMatching(/^<.+>$/),
        accepted: ["ada@contoso.com"],
        rejected: [],
        response: expect.stringMatching(/^202/),
        attempts: 1,
        durationMs: expect.any(Number),
      },
    });
  });

  it("shows progress for attachments over 3 MB and sends them", async () => {
    const file = join(directory, "report.bin");
    await writeFile(file, Buffer.alloc(3.5 * 1024 * 1024, 7));
    const result = await sendToAda(["--attach", file, "--transport", "graph"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^sending 3\.5 MB of attachments through graph…\n✓ sent through graph/,
    );
  });

  it("exits 1 with the error's code, server reply and fix", async () => {
    const printed = await sendJson(1, [], {
      MAILPATH_TRANSPORT: "smtp",
      MAILPATH_SMTP_PASSWORD: WRONG_PASSWORD,
    });
    expect(printed).toMatchObject({
      command: "send",
      ok: false,
      error: {
        code: "AUTH_FAILED",
        retryable: false,
        smtp: { replyCode: 535 },
        hint: expect.any(String),
      },
    });
  });

  it("exits 2 for a missing --to", async () => {
    const result = await run(["send", "--json"], all());
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: "USAGE" } });
  });
});

describe("mailpath headers", { timeout: 60_000 }, () => {
  it("exits 1 for DMARC fail with quarantine and explains it", async () => {
    const result = await run(
      ["headers", join(FIXTURES, "exchange-online-dmarc-quarantine.eml")],
      {},
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^✗ verdict: fail/);
    expect(result.stdout).toContain("  dmarc     fail       fabrikam.com  action=quarantine");
    expect(result.stdout).toContain(
      "✗ DMARC failed: SPF softfail for 198.51.100.7 (fabrikam.com) and no DKIM signature; the From domain's policy is quarantine",
    );
  });

  it("reads a header block from stdin with -, and --json has the documented shape", async () => {
    const { readFile } = await import("node:fs/promises");
    const block = await readFile(join(FIXTURES, "exchange-online-pass.eml"), "utf8");
    const result = await run(["headers", "-", "--json"], {}, { stdin: block });
    expect(result.code).toBe(0);
    const analysis = JSON.parse(result.stdout);
    expect(Object.keys(analysis)).toEqual([
      "command",
      "authentication",
      "spam",
      "hops",
      "verdict",
      "findings",
      "message",
    ]);
    expect(analysis.authentication).toMatchObject({
      spf: { result: "pass" },
      dkim: [{ result: "pass" }],
      dmarc: { result: "pass" },
      compauth: { result: "pass", reason: "100" },
    });
    expect(analysis.spam).toMatchObject(EXCHANGE_ONLINE_PASS_SPAM);
    expect(analysis.hops[0]).toEqual(
      expect.objectContaining({
        from: expect.any(String),
        by: expect.any(String),
        at: expect.any(String),
        delayMs: null,
      }),
    );
    expect(analysis.verdict).toBe("pass");
  });

  it("verifies a DKIM signature with --verify against the DNS server given", async () => {
    const file = join(FIXTURES, "dkim-signed.eml");
    const result = await run(
      ["headers", file, "--verify", "--dns-server", dns.address, "--json"],
      {},
    );
    const analysis = JSON.parse(result.stdout);
    expect(analysis.authentication.dkim).toEqual([
      expect.objectContaining({
        domain: "contoso.com",
        selector: "selector1",
        verification: expect.objectContaining({ result: "pass" }),
      }),
    ]);
    const text = await run(["headers", file, "--verify", "--dns-server", dns.address], {});
    expect(text.stdout).toMatch(/dkim +none +d=contoso\.com {2}s=selector1 {2}verified here: pass/);
  });

  it("exits 2 for a file that does not exist", async () => {
    const result = await run(["headers", "missing.eml"], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("missing.eml cannot be read (ENOENT)");
  });
});

describe("mailpath dns", { timeout: 60_000 }, () => {
  it("passes a domain set up for Microsoft 365 and lists the records", async () => {
    const result = await run(["dns", "contoso.com", "--dns-server", dns.address], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /✓ SPF .*includes spf\.protection\.outlook\.com, 1\/10 lookups, -all/,
    );
    expect(result.stdout).toContain("record: v=spf1 include:spf.protection.outlook.com -all");
    expect(result.stdout.trim().split("\n").at(-1)).toBe("✓ dns: pass");
  });

  it("fails a domain that is not, with --json", async () => {
    const result = await run(["dns", "fabrikam.com", "--dns-server", dns.address, "--json"], {});
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ command: "dns", domain: "fabrikam.com", verdict: "fail" });
    expect(
      report.checks.every(
        (check: { fix?: string; status: string }) => check.status === "pass" || check.fix,
      ),
    ).toBe(true);
  });

  it("exits 2 for something that is not a domain", async () => {
    const result = await run(["dns", "not a domain"], {});
    expect(result.code).toBe(2);
  });
});
