// tls.ca adds trust: with a private CA set, a server whose certificate chains to a CA the
// process already trusts (here one named by NODE_EXTRA_CA_CERTS, standing for the public
// root Exchange Online is signed by) still verifies.
import { rootCertificates } from "node:tls";
import { DEFAULT_PASSWORD, DEFAULT_SENDER, useEmulator } from "@mailpath/emulator";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createSmtpTransport } from "./index.js";
import { resolveSmtpOptions } from "./options.js";
import {
  emulatorSmtpOptions,
  sendFromDefault,
  useSmtpEmulator,
} from "./test-support/emulator-harness.js";

// Two emulators: two unrelated CAs.
const privateCa = useEmulator({ beforeAll, afterAll });
const { emulator: defaultCa, track } = useSmtpEmulator();

describe("tls.ca adds to the default roots", () => {
  it("resolves to every default root plus the private CA", () => {
    const resolved = resolveSmtpOptions({
      auth: { user: DEFAULT_SENDER, pass: DEFAULT_PASSWORD },
      tls: { ca: privateCa.ca },
    });
    expect(resolved.tls.ca).toEqual(expect.arrayContaining([...rootCertificates, privateCa.ca]));
  });

  it("sends to a server signed by a default CA while a private CA is set", async () => {
    vi.stubEnv("NODE_EXTRA_CA_CERTS", defaultCa.caFile);
    try {
      const smtp = track(
        createSmtpTransport(emulatorSmtpOptions(defaultCa, { tls: { ca: privateCa.ca } })),
      );
      await sendFromDefault(smtp, { to: "ada@contoso.com", subject: "Default roots", text: "x" });
      expect(defaultCa.messages({ subject: "Default roots" })).toHaveLength(1);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
