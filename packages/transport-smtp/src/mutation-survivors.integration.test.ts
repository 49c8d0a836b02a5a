// Guarantees that small, plausible bugs once slipped past every test (issue 17, mutation
// testing), against the emulator's SMTP AUTH endpoint. Each test fails on the named mutation.
import { MailError, normalizeMessage } from "@mailpath/core";
import { DEFAULT_SENDER, type Emulator } from "@mailpath/emulator";
import { describe, expect, it, vi } from "vitest";
import { createSmtpTransport } from "./smtp-transport.js";
import { emulatorForFile, emulatorSmtpOptions } from "./test-support/emulator-harness.js";

let emulator: Emulator;
const track = emulatorForFile((started) => {
  emulator = started;
});

/** Records when the in-process emulator sets its fault timer of `holdMs`. */
function watchHold(holdMs: number): { held: () => boolean } {
  const realSetTimeout = globalThis.setTimeout;
  let held = false;
  vi.spyOn(globalThis, "setTimeout").mockImplementation(((
    callback: (...args: unknown[]) => void,
    ms?: number,
    ...args: unknown[]
  ) => {
    if (ms === holdMs) held = true;
    return realSetTimeout(callback, ms, ...args);
  }) as unknown as typeof setTimeout);
  return { held: () => held };
}

describe("an abort after the whole message was written", () => {
  // Mutation: the abort error loses `ambiguous` (the server may have taken the message, so
  // a retry could deliver it twice; the mailer must be told).
  it("is ABORTED and ambiguous while the server holds its answer to the data", async () => {
    const smtp = track(createSmtpTransport(emulatorSmtpOptions(emulator)));
    const hold = watchHold(5_000);
    emulator.failNext({ endpoint: "smtp", kind: "latency", ms: 5_000, stage: "after-data" });
    const controller = new AbortController();
    const sending = smtp.send(
      normalizeMessage(
        { to: "ada@contoso.com", subject: "Written, then aborted", text: "Hello" },
        { from: DEFAULT_SENDER },
      ),
      { signal: controller.signal },
    );
    await vi.waitFor(() => expect(hold.held(), "the server holds its answer").toBe(true));
    controller.abort();
    const error = await sending.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(MailError.isInstance(error) && error.code).toBe("ABORTED");
    expect((error as MailError).ambiguous).toBe(true);
  });

  it("is not ambiguous when aborted before the data (MAIL FROM held)", async () => {
    const smtp = track(createSmtpTransport(emulatorSmtpOptions(emulator)));
    const hold = watchHold(5_001);
    emulator.failNext({ endpoint: "smtp", kind: "latency", ms: 5_001, stage: "mail" });
    const controller = new AbortController();
    const sending = smtp.send(
      normalizeMessage(
        { to: "ada@contoso.com", subject: "Aborted early", text: "Hello" },
        { from: DEFAULT_SENDER },
      ),
      { signal: controller.signal },
    );
    await vi.waitFor(() => expect(hold.held()).toBe(true));
    controller.abort();
    const error = await sending.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(MailError.isInstance(error) && error.code).toBe("ABORTED");
    expect((error as MailError).ambiguous).toBeUndefined();
  });
});
