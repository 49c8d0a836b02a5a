// Guarantees that small, plausible bugs once slipped past every test (issue 17, mutation
// testing), against the emulator's SMTP AUTH endpoint. Each test fails on the named mutation.
import { normalizeMessage } from "@mailpath/core";
import { rejectedMailError } from "@mailpath/core/testing";
import { DEFAULT_SENDER, type Emulator } from "@mailpath/emulator";
import { describe, expect, it, vi } from "vitest";
import { createSmtpTransport } from "./smtp-transport.js";
import {
  emulatorForFile,
  emulatorSmtpOptions,
  watchHold,
} from "./test-support/emulator-harness.js";

let emulator: Emulator;
const track = emulatorForFile((started) => {
  emulator = started;
});

describe("an abort while the server holds its answer", () => {
  // Mutation: the abort error loses `ambiguous` (the server may have taken the message, so
  // a retry could deliver it twice; the mailer must be told). Before the data it must not be.
  it.each([
    ["after the whole message was written: ambiguous", "after-data", 5_000, true],
    ["before the data (MAIL FROM held): not ambiguous", "mail", 5_001, undefined],
  ] as const)("is ABORTED %s", async (_when, stage, holdMs, ambiguous) => {
    const smtp = track(createSmtpTransport(emulatorSmtpOptions(emulator)));
    const hold = watchHold(holdMs);
    emulator.failNext({ endpoint: "smtp", kind: "latency", ms: holdMs, stage });
    const controller = new AbortController();
    const sending = smtp.send(
      normalizeMessage(
        { to: "ada@contoso.com", subject: `Aborted, ${stage} held`, text: "Hello" },
        { from: DEFAULT_SENDER },
      ),
      { signal: controller.signal },
    );
    await vi.waitFor(() => expect(hold.held(), "the server holds its answer").toBe(true));
    controller.abort();
    const error = await rejectedMailError(sending);
    expect(error.code).toBe("ABORTED");
    expect(error.ambiguous).toBe(ambiguous);
  });
});
