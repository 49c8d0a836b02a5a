// tls.ca adds trust: with a private CA set, a server whose certificate chains to a CA the
// process already trusts (here one named by NODE_EXTRA_CA_CERTS, standing for a public root
// Graph is signed by) still verifies.
import { rootCertificates } from "node:tls";
import { normalizeMessage, withDefaultRoots } from "@mailpath/core";
import { useEmulator } from "@mailpath/emulator";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createGraphTransport } from "./index.js";
import { DEFAULT_SENDER } from "./test-support/emulator.js";
import { startLoopback } from "./test-support/loopback.js";

// Two emulators: two unrelated CAs.
const privateCa = useEmulator({ beforeAll, afterAll });
const defaultCa = useEmulator({ beforeAll, afterAll });

describe("tls.ca adds to the default roots", () => {
  it("keeps every default root next to the private CA", () => {
    const list = withDefaultRoots(privateCa.ca);
    expect(list).toEqual(expect.arrayContaining([...rootCertificates, privateCa.ca]));
    expect(withDefaultRoots([privateCa.ca, defaultCa.ca]).slice(-2)).toEqual([
      privateCa.ca,
      defaultCa.ca,
    ]);
  });

  it("sends to a server signed by a default CA while a private CA is set", async () => {
    const server = await startLoopback(defaultCa, (request, response) => {
      request.resume();
      response.writeHead(202).end();
    });
    vi.stubEnv("NODE_EXTRA_CA_CERTS", defaultCa.caFile);
    const transport = createGraphTransport({
      tokenProvider: { getToken: async () => "token" },
      baseUrl: server.url,
      tls: { ca: privateCa.ca },
    });
    try {
      const message = normalizeMessage(
        { to: "ada@contoso.com", subject: "Default roots", text: "x" },
        { from: DEFAULT_SENDER },
      );
      const receipt = await transport.send(message, { signal: new AbortController().signal });
      expect(receipt.response).toMatch(/^202/);
      expect(server.requests).toHaveLength(1);
    } finally {
      vi.unstubAllEnvs();
      await transport.close();
      await server.close();
    }
  });
});
