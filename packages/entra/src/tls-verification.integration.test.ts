// The token request carries the client secret or a signed assertion: it goes only to a host
// whose certificate verifies, whatever the process-wide TLS settings say.
import { MailError } from "@mailpath/core";
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, useEmulator } from "@mailpath/emulator";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createClientCredentialsProvider } from "./client-credentials.js";

const emulator = useEmulator({ beforeAll, afterAll });

describe("certificate verification of the token endpoint", () => {
  it("refuses the emulator's certificate without its CA even with NODE_TLS_REJECT_UNAUTHORIZED=0", async () => {
    vi.stubEnv("NODE_TLS_REJECT_UNAUTHORIZED", "0");
    try {
      const provider = createClientCredentialsProvider({
        tenantId: emulator.entra.tenantId,
        clientId: DEFAULT_CLIENT_ID,
        clientSecret: DEFAULT_CLIENT_SECRET,
        authorityHost: emulator.entra.authorityHost,
        target: "graph",
      });
      const error = await provider.getToken().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(MailError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: "TLS_ERROR" });
      expect(emulator.stats().requests.token).toBe(0);
      expect(emulator.stats().tokensIssued).toBe(0);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
