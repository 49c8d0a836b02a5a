// Guarantees that small, plausible bugs once slipped past every test (issue 17, mutation
// testing), against the emulator's Entra token endpoint. Each test fails on the named mutation.
import { MailError } from "@mailpath/core";
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  type Emulator,
  startEmulator,
} from "@mailpath/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClientCredentialsProvider } from "./client-credentials.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});

describe("a token endpoint that echoes the client secret", () => {
  // Mutation: the client secret left out of the secrets the provider redacts.
  it("never shows the secret in the error or its events", async () => {
    const events: unknown[] = [];
    const tokens = createClientCredentialsProvider({
      tenantId: emulator.entra.tenantId,
      clientId: DEFAULT_CLIENT_ID,
      clientSecret: DEFAULT_CLIENT_SECRET,
      authorityHost: emulator.entra.authorityHost,
      tls: { ca: emulator.ca },
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
