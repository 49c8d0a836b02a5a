// Points the conformance suite (and the transport's own integration tests) at the emulator:
// real nodemailer over loopback TLS, trusting only the emulator's CA.
import type { ConformanceHarness } from "@mailpath/conformance";
import { type MailMessage, normalizeMessage, type Transport } from "@mailpath/core";
import {
  closedPort,
  DEFAULT_PASSWORD,
  DEFAULT_SENDER,
  type Emulator,
  emulatorHarness,
  useEmulator,
} from "@mailpath/emulator";
import { afterAll, afterEach, beforeAll, beforeEach, vi } from "vitest";
import { createSmtpTransport, type SmtpTransport, type SmtpTransportOptions } from "../index.js";

/**
 * Watches the in-process emulator's fault timer of `holdMs` (a latency fault holding an
 * answer): `held()` once it is set, `released()` once it fired. Tells the order of events
 * without timing anything.
 */
export function watchHold(holdMs: number): { held(): boolean; released(): boolean } {
  const realSetTimeout = globalThis.setTimeout;
  let held = false;
  let released = false;
  vi.spyOn(globalThis, "setTimeout").mockImplementation(((
    callback: (...args: unknown[]) => void,
    ms?: number,
    ...args: unknown[]
  ) => {
    if (ms !== holdMs) return realSetTimeout(callback, ms, ...args);
    held = true;
    return realSetTimeout(() => {
      released = true;
      callback(...args);
    }, ms);
  }) as unknown as typeof setTimeout);
  return { held: () => held, released: () => released };
}

/**
 * Starts the emulator once for the test file, resets its tenant before each test and closes
 * after each test the transports given to `track`.
 */
export function useSmtpEmulator(): {
  readonly emulator: Emulator;
  readonly track: (transport: SmtpTransport) => SmtpTransport;
} {
  const emulator = useEmulator({ beforeAll, afterAll });
  const open: SmtpTransport[] = [];
  beforeEach(() => {
    emulator.reset({ tenant: true });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((transport) => transport.close()));
  });
  return {
    emulator,
    track: (transport) => {
      open.push(transport);
      return transport;
    },
  };
}

/** {@link useSmtpEmulator} for a file that keeps the emulator in its own variable (`onStart`). */
export function emulatorForFile(
  onStart: (emulator: Emulator) => void,
): (transport: SmtpTransport) => SmtpTransport {
  const { emulator, track } = useSmtpEmulator();
  onStart(emulator);
  return track;
}

/** Options for a transport against the emulator's submission endpoint, with the default mailbox. */
export function emulatorSmtpOptions(
  emulator: Emulator,
  overrides: Partial<SmtpTransportOptions> = {},
): SmtpTransportOptions {
  return {
    host: emulator.smtp.host,
    port: emulator.smtp.port,
    tls: { ca: emulator.ca },
    auth: { user: DEFAULT_SENDER, pass: DEFAULT_PASSWORD },
    ...overrides,
  };
}

/** Sends `fields` from the default mailbox through `transport`, with a signal never aborted. */
export function sendFromDefault(transport: Transport, fields: MailMessage) {
  return transport.send(normalizeMessage(fields, { from: DEFAULT_SENDER }), {
    signal: new AbortController().signal,
  });
}

/** The conformance harness of the SMTP AUTH transport over the emulator. */
export function createEmulatorHarness(): ConformanceHarness & { emulator(): Emulator } {
  const transport = (emulator: Emulator, overrides: Partial<SmtpTransportOptions> = {}) =>
    createSmtpTransport(emulatorSmtpOptions(emulator, overrides));

  return emulatorHarness({
    createTransport: (emulator) => transport(emulator),
    scenarios: {
      // 535 5.7.3 Authentication unsuccessful
      wrongCredentials: async (emulator) => ({
        transport: transport(emulator, {
          auth: { user: DEFAULT_SENDER, pass: "not-the-password" },
        }),
      }),
      // Set-TransportConfig -SmtpClientAuthenticationDisabled $true → 535 5.7.139
      authDisabled: async (emulator) => {
        emulator.configure({ smtpAuthEnabled: false });
        return { transport: transport(emulator) };
      },
      // The default mailbox has no Send As on ada@contoso.com → 554 5.2.0 SendAsDenied
      sendAsDenied: async (emulator) => ({
        transport: transport(emulator),
        message: { from: "ada@contoso.com" },
      }),
      // MaxSendSize 2 KB → 552 5.3.4 at the end of DATA
      tooLarge: async (emulator) => {
        emulator.configure({
          mailboxes: emulator.tenant.mailboxes.map((mailbox) =>
            mailbox.address === DEFAULT_SENDER ? { ...mailbox, maxSendBytes: 2048 } : mailbox,
          ),
        });
        return {
          transport: transport(emulator),
          message: {
            attachments: [{ filename: "big.bin", content: new Uint8Array(8192).fill(7) }],
          },
        };
      },
      // The submission endpoint's throttle at MAIL FROM → 451 4.7.500 Server busy
      throttled: async (emulator) => {
        emulator.failNext({ endpoint: "smtp", kind: "throttle", stage: "mail" });
        return { transport: transport(emulator) };
      },
      connectionRefused: async (emulator) => ({
        transport: transport(emulator, { port: await closedPort() }),
      }),
      verifyFails: async (emulator) => ({
        transport: transport(emulator, {
          auth: { user: DEFAULT_SENDER, pass: "not-the-password" },
        }),
      }),
      // 451 4.3.0 once, then normal service
      transientFault: async (emulator) => {
        emulator.failNext({ endpoint: "smtp", kind: "reply", stage: "mail" });
        return { transport: transport(emulator) };
      },
      outage: async (emulator) => ({
        transport: transport(emulator, { port: await closedPort() }),
      }),
    },
  });
}
