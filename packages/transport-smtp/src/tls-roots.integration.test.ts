// tls.ca adds trust: with a private CA set, a server whose certificate chains to a CA the
// process already trusts (here one named by NODE_EXTRA_CA_CERTS, standing for the public
// root Exchange Online is signed by) still verifies.
import { rootCertificates } from "node:tls";
import { normalizeMessage } from "@mailpath/core";
import { DEFAULT_PASSWORD, DEFAULT_SENDER, useEmulator } from "@mailpath/emulator";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createSmtpTransport } from "./index.js";
import { resolveSmtpOptions } from "./options.js";

// Two emulators: two unrelated CAs.
const privateCa = useEmulator({ beforeAll, afterAll });
const defaultCa = useEmulator({ beforeAll, afterAll });

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
    const transport = createSmtpTransport({
      host: defaultCa.smtp.host,
      port: defaultCa.smtp.port,
      tls: { ca: privateCa.ca },
      auth: { user: DEFAULT_SENDER, pass: DEFAULT_PASSWORD },
    });
    try {
      const message = normalizeMessage(
        { to: "ada@contoso.com", subject: "Default roots", text: "x" },
        { from: DEFAULT_SENDER },
      );
      await transport.send(message, { signal: new AbortController().signal });
      expect(defaultCa.messages({ subject: "Default roots" })).toHaveLength(1);
    } finally {
      vi.unstubAllEnvs();
      await transport.close();
    }
  });
});
