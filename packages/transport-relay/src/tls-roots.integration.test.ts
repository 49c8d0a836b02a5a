// tls.ca adds trust: with a private CA set, a server whose certificate chains to a CA the
// process already trusts (here one named by NODE_EXTRA_CA_CERTS, standing for the public
// root Exchange Online's MX endpoint is signed by) still verifies.
import { rootCertificates } from "node:tls";
import { normalizeMessage } from "@mailpath/core";
import { DEFAULT_SENDER, useEmulator } from "@mailpath/emulator";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createRelayTransport } from "./index.js";
import { resolveRelayOptions } from "./options.js";
import { emulatorRelayOptions } from "./test-support/emulator-harness.js";

// Two emulators: two unrelated CAs.
const privateCa = useEmulator({ beforeAll, afterAll });
const defaultCa = useEmulator({ beforeAll, afterAll });

describe("tls.ca adds to the default roots", () => {
  it("resolves to every default root plus the private CA", () => {
    const resolved = resolveRelayOptions({ host: "mx.contoso.com", tls: { ca: privateCa.ca } });
    expect(resolved.tls.ca).toEqual(expect.arrayContaining([...rootCertificates, privateCa.ca]));
  });

  it("relays to a server signed by a default CA while a private CA is set", async () => {
    vi.stubEnv("NODE_EXTRA_CA_CERTS", defaultCa.caFile);
    const transport = createRelayTransport(
      emulatorRelayOptions(defaultCa, { tls: { ca: privateCa.ca } }),
    );
    try {
      const message = normalizeMessage(
        { to: "partner@fabrikam.com", subject: "Default roots", text: "x" },
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
