import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorCredentials, useEmulator } from "./suite.js";
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from "./tenant.js";

describe("useEmulator", () => {
  const emulator = useEmulator(
    { beforeAll, afterAll },
    { tenant: { limits: { smtpMessagesPerWindow: 7 } } },
  );

  it("hands the tests the emulator its beforeAll started, with the given options", async () => {
    expect(emulator.smtp.port).toBeGreaterThan(0);
    expect(emulator.tenant.limits.smtpMessagesPerWindow).toBe(7);
    const token = await emulator.issueAccessToken();
    expect(token.split(".")).toHaveLength(3);
    expect(emulator.stats().tokensIssued).toBe(0);
  });

  it("gives the default app's credentials and the CA to trust", () => {
    expect(emulatorCredentials(emulator)).toEqual({
      tenantId: emulator.entra.tenantId,
      clientId: DEFAULT_CLIENT_ID,
      clientSecret: DEFAULT_CLIENT_SECRET,
      authorityHost: emulator.entra.authorityHost,
      tls: { ca: emulator.ca },
    });
  });
});

describe("useEmulator outside its suite", () => {
  it("throws when read before its beforeAll ran and stops the emulator in afterAll", async () => {
    const hooks: Array<() => Promise<void>> = [];
    const emulator = useEmulator({
      beforeAll: (hook) => hooks.push(hook),
      afterAll: (hook) => hooks.push(hook),
    });
    expect(() => emulator.smtp).toThrow(/only inside its suite/);
    const [start, stop] = hooks;
    await start?.();
    const port = emulator.smtp.port;
    expect(port).toBeGreaterThan(0);
    await stop?.();
    expect(() => emulator.smtp).toThrow(/only inside its suite/);
  });
});
