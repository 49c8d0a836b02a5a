// Guarantees that small, plausible bugs once slipped past every test (issue 17, mutation
// testing). Each test below fails on the named mutation.
import { describe, expect, it } from "vitest";
import { createMailerFromConfig, type MailError, planDelivery } from "./index.js";

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected INVALID_CONFIG");
    },
    (error: MailError) => error,
  );

describe("the relay client certificate and its key", () => {
  // Mutation: the cert/key pairing check dropped (or reduced to one direction).
  it("refuses a certificate without its key, and a key without its certificate", async () => {
    const noKey = await rejection(
      createMailerFromConfig({
        transport: "relay",
        relay: { domain: "contoso.com", clientCert: "-----BEGIN CERTIFICATE-----\nx\n" },
      }),
    );
    expect(noKey.code).toBe("INVALID_CONFIG");
    // Refused by the configuration itself, before any transport is built (the relay
    // transport's own check would say "needs both cert and key" instead).
    expect(noKey.issues).toEqual([
      {
        path: "relay.clientKeyPath",
        message: expect.stringMatching(/^is required with a relay client certificate/),
      },
    ]);
    const noCert = await rejection(
      createMailerFromConfig({
        transport: "relay",
        relay: { domain: "contoso.com", clientKey: "-----BEGIN PRIVATE KEY-----\nx\n" },
      }),
    );
    expect(noCert.code).toBe("INVALID_CONFIG");
    expect(noCert.issues).toEqual([
      {
        path: "relay.clientCertPath",
        message: expect.stringMatching(/^is required with a relay client key/),
      },
    ]);
    expect(JSON.stringify(noCert)).not.toContain("BEGIN PRIVATE KEY");
  });
});

describe("the per-message recipient limit", () => {
  const base = { from: "notifications@contoso.com", subject: "Hello", text: "Hi" };
  const recipients = (count: number) =>
    Array.from({ length: count }, (_, index) => `user${index}@contoso.com`);

  // Mutation: `recipients > max` becomes `>=` (exactly 500 refused).
  it("accepts exactly 500 recipients on every path and refuses 501", async () => {
    const atLimit = await planDelivery({ ...base, to: recipients(500) });
    for (const entry of atLimit.paths) {
      expect(entry.findings.map((finding) => finding.code)).not.toContain("TOO_MANY_RECIPIENTS");
    }
    const over = await planDelivery({ ...base, to: recipients(501) });
    for (const entry of over.paths) {
      expect(entry.findings.map((finding) => finding.code)).toContain("TOO_MANY_RECIPIENTS");
    }
  });
});
