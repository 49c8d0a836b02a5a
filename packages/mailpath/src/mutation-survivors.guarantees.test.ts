// Guarantees that small, plausible bugs once slipped past every test (issue 17, mutation
// testing). Each test below fails on the named mutation.
import { rejectedMailError } from "@mailpath/core/testing";
import { describe, expect, it } from "vitest";
import { createMailerFromConfig, planDelivery } from "./index.js";

describe("the relay client certificate and its key", () => {
  // Mutation: the cert/key pairing check dropped (or reduced to one direction).
  // Refused by the configuration itself, before any transport is built (the relay
  // transport's own check would say "needs both cert and key" instead).
  it.each([
    [
      "a certificate without its key",
      { clientCert: "-----BEGIN CERTIFICATE-----\nx\n" },
      "relay.clientKeyPath",
      /^is required with a relay client certificate/,
    ],
    [
      "a key without its certificate",
      { clientKey: "-----BEGIN PRIVATE KEY-----\nx\n" },
      "relay.clientCertPath",
      /^is required with a relay client key/,
    ],
  ])("refuses %s, and shows no key", async (_case, material, path, message) => {
    const error = await rejectedMailError(
      createMailerFromConfig({ transport: "relay", relay: { domain: "contoso.com", ...material } }),
    );
    expect(error.code).toBe("INVALID_CONFIG");
    expect(error.issues).toEqual([{ path, message: expect.stringMatching(message) }]);
    expect(JSON.stringify(error)).not.toContain("BEGIN PRIVATE KEY");
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
