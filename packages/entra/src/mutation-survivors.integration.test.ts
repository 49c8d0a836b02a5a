// Guarantees that small, plausible bugs once slipped past every test (issue 17, mutation
// testing), against the emulator's Entra token endpoint. Each test fails on the named mutation.
import { MailError } from "@mailpath/core";
import { DEFAULT_CLIENT_SECRET, emulatorCredentials, useEmulator } from "@mailpath/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClientCredentialsProvider } from "./client-credentials.js";

const emulator = useEmulator({ beforeAll, afterAll });

describe("a token endpoint that echoes the client secret", () => {
  // Mutation: the client secret left out of the secrets the provider redacts.
  it("never shows the secret in the error or its events", async () => {
    const events: unknown[] = [];
    const tokens = createClientCredentialsProvider({
      ...emulatorCredentials(emulator),
      onEvent: (event) => events.push(event),
    });
    emulator.failNext({
      endpoint: "token",
      kind: "reply",
      status: 400,
      errorCode: "invalid_request",
      errorMessage: `AADSTS900144: Invalid secret '${DEFAULT_CLIENT_SECRET}' for the app.`,
    });
    const error = await tokens.getToken().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    if (!MailError.isInstance(error)) throw new Error(`expected a MailError, got ${String(error)}`);
    expect(error.http?.status).toBe(400);
    const everything = JSON.stringify({ ...error.toJSON(), stack: error.stack, events });
    expect(everything).toContain("for the app");
    expect(everything).not.toContain(DEFAULT_CLIENT_SECRET);
  });
});
