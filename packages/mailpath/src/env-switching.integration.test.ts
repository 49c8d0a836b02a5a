import { type Emulator, startEmulator } from "@mailpath/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createMailerFromEnv } from "./index.js";
import { CONNECTOR_IP, closedPort } from "./test-support/ports.js";

let emulator: Emulator;
const mailers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  emulator = await startEmulator();
});
afterEach(async () => {
  await Promise.all(mailers.splice(0).map((mailer) => mailer.close()));
  emulator.reset({ tenant: true });
});
afterAll(async () => {
  await emulator?.stop();
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
