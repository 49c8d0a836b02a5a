// Graph requests carry the bearer token: they go only to a host whose certificate verifies
// (TLS 1.2 or later), whatever the process-wide TLS settings say.
import { MailError, normalizeMessage } from "@mailpath/core";
import { emulatorCredentials, useEmulator } from "@mailpath/emulator";
import { createClientCredentialsProvider } from "@mailpath/entra";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createGraphTransport } from "./index.js";
import { DEFAULT_SENDER } from "./test-support/emulator.js";

const emulator = useEmulator({ beforeAll, afterAll });

describe("certificate verification of Graph", () => {
  it("refuses the emulator's certificate without its CA even with NODE_TLS_REJECT_UNAUTHORIZED=0", async () => {
    // The token itself comes from a provider that trusts the emulator's CA.
    const tokenProvider = createClientCredentialsProvider({
      ...emulatorCredentials(emulator),
      target: "graph",
    });
    vi.stubEnv("NODE_TLS_REJECT_UNAUTHORIZED", "0");
    const transport = createGraphTransport({ tokenProvider, baseUrl: emulator.graph.baseUrl });
    try {
      const message = normalizeMessage({
        from: DEFAULT_SENDER,
        to: "ada@contoso.com",
        subject: "Must not be sent",
        text: "x",
      });
      const error = await transport.send(message, { signal: new AbortController().signal }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(MailError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: "TLS_ERROR" });
      expect(emulator.stats().requests.graph).toBe(0);
      expect(emulator.messages()).toHaveLength(0);
    } finally {
      vi.unstubAllEnvs();
      await transport.close();
    }
  });
});
