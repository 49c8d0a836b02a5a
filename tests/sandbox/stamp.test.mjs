// Mail in the sandbox carries what Exchange Online would stamp, computed by mailauth against
// the DNS records the tenant declares: read back through `mailpath headers --json`.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendOver, startSandbox } from "./support.mjs";

const require = createRequire(import.meta.url);
const CLI = require.resolve("mailpath/package.json").replace(/package\.json$/, "dist/cli.js");
const run = promisify(execFile);

describe("Exchange stamps on sandbox mail, read by mailpath headers --json", () => {
  let emulator;
  let directory;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "mailpath-stamp-"));
    emulator = await startSandbox();
  });
  afterAll(async () => {
    await emulator?.stop();
    await rm(directory, { recursive: true, force: true });
  });

  async function headersJson(message) {
    const file = join(directory, `${message.id}.eml`);
    await writeFile(file, message.raw);
    const { stdout } = await run(process.execPath, [CLI, "headers", "--json", file], {
      env: { ...process.env, CI: "1" },
    }).catch((error) => error); // exit 1 when the verdict is fail: the JSON is still printed
    return JSON.parse(stdout);
  }

  it("passes SPF, DKIM (signed by the tenant's selector key), DMARC and compauth by default", async () => {
    emulator.configure({ senderDns: {} });
    await sendOver(emulator, "smtp", { subject: "Aligned", text: "ok" });
    const message = emulator.messages({ subject: "Aligned" })[0];
    expect(message.headers["dkim-signature"]).toMatch(/d=contoso\.com;.* s=selector1;/);
    expect(message.headers["x-ms-exchange-organization-authas"]).toBe("Internal");
    expect(message.headers["x-ms-exchange-organization-messagedirectionality"]).toBe("Originating");
    const report = await headersJson(message);
    const { authentication, spam } = report;
    expect(authentication.spf.result).toBe("pass");
    expect(authentication.dkim.map((entry) => entry.result)).toEqual(["pass"]);
    expect(authentication.dmarc.result).toBe("pass");
    expect(authentication.compauth.result).toBe("pass");
    expect(spam.scl).toBe(-1);
    expect(report.verdict).toBe("pass");
  });

  it("a sender domain with a bad SPF record and no DKIM yields spf=fail and the DMARC policy's verdict", async () => {
    emulator.configure({
      senderDns: { "contoso.com": { spf: "v=spf1 ip4:192.0.2.1 -all", dkim: false } },
    });
    await sendOver(emulator, "graph", { subject: "Bad SPF, reject", text: "no" });
    const report = await headersJson(emulator.messages({ subject: "Bad SPF, reject" })[0]);
    expect(report.authentication.spf.result).toBe("fail");
    expect(report.authentication.dkim.map((entry) => entry.result)).toEqual(["none"]);
    expect(report.authentication.dmarc.result).toBe("fail");
    expect(report.authentication.dmarc.action).toBe("oreject");
    expect(report.authentication.compauth.result).toBe("fail");
    expect(report.verdict).toBe("fail");

    emulator.configure({
      senderDns: {
        "contoso.com": { spf: "v=spf1 -all", dkim: false, dmarc: "v=DMARC1; p=quarantine" },
      },
    });
    await sendOver(emulator, "smtp", { subject: "Bad SPF, quarantine", text: "no" });
    const quarantined = await headersJson(emulator.messages({ subject: "Bad SPF, quarantine" })[0]);
    expect(quarantined.authentication.spf.result).toBe("fail");
    expect(quarantined.authentication.dmarc.result).toBe("fail");
    expect(quarantined.authentication.dmarc.action).toBe("quarantine");

    emulator.configure({
      senderDns: { "contoso.com": { spf: "v=spf1 -all", dkim: true, dmarc: "v=DMARC1; p=reject" } },
    });
    await sendOver(emulator, "smtp", { subject: "Bad SPF, DKIM saves it", text: "ok" });
    const saved = await headersJson(emulator.messages({ subject: "Bad SPF, DKIM saves it" })[0]);
    expect(saved.authentication.spf.result).toBe("fail");
    expect(saved.authentication.dkim.map((entry) => entry.result)).toEqual(["pass"]);
    expect(saved.authentication.dmarc.result).toBe("pass");
  });

  it("stamps relay mail as anonymous and incoming", async () => {
    emulator.configure({ senderDns: {} });
    await sendOver(emulator, "relay", { subject: "Over the relay", text: "r" });
    const message = emulator.messages({ subject: "Over the relay" })[0];
    expect(message.headers["x-ms-exchange-organization-authas"]).toBe("Anonymous");
    expect(message.headers["x-ms-exchange-organization-messagedirectionality"]).toBe("Incoming");
    expect(String(message.headers.received)).toMatch(/with Microsoft SMTP Server/);
  });
});
