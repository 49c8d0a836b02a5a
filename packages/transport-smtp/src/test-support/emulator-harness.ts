// Points the conformance suite (and the transport's own integration tests) at the emulator:
// real nodemailer over loopback TLS, trusting only the emulator's CA.
import type { ConformanceHarness } from "@mailpath/conformance";
import {
  closedPort,
  DEFAULT_PASSWORD,
  DEFAULT_SENDER,
  type Emulator,
  startEmulator,
} from "@mailpath/emulator";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { createSmtpTransport, type SmtpTransport, type SmtpTransportOptions } from "../index.js";

/**
 * Starts the emulator once for the test file (handing it to `onStart`), resets its tenant
 * before each test and closes after each test the transports given to the returned `track`.
 */
export function emulatorForFile(
  onStart: (emulator: Emulator) => void,
): (transport: SmtpTransport) => SmtpTransport {
  let running: Emulator | undefined;
  const open: SmtpTransport[] = [];
  beforeAll(async () => {
    running = await startEmulator();
    onStart(running);
  });
  afterAll(async () => {
    await running?.stop();
  });
  beforeEach(() => {
    running?.reset({ tenant: true });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((transport) => transport.close()));
  });
  return (transport) => {
    open.push(transport);
    return transport;
  };
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

/** Addresses the submission endpoint accepts: the tenant's mailboxes, then external ones. */
export const RECIPIENTS = [
  "ada@contoso.com",
  "grace@contoso.com",
  "alan@contoso.com",
  "reports@contoso.com",
  "partner1@fabrikam.com",
  "partner2@fabrikam.com",
  "partner3@fabrikam.com",
  "partner4@fabrikam.com",
  "partner5@fabrikam.com",
  "partner6@fabrikam.com",
] as const;

/** The conformance harness of the SMTP AUTH transport over the emulator. */
export function createEmulatorHarness(): ConformanceHarness & { emulator(): Emulator } {
  let running: Emulator | undefined;
  const emulator = () => {
    if (!running) throw new Error("the harness has not been set up");
    return running;
  };
  const transport = (overrides: Partial<SmtpTransportOptions> = {}) =>
    createSmtpTransport(emulatorSmtpOptions(emulator(), overrides));

  return {
    emulator,
    async setup() {
      running = await startEmulator();
    },
    async teardown() {
      await running?.stop();
    },
    createTransport: () => transport(),
    sender: DEFAULT_SENDER,
    recipients: RECIPIENTS,
    // An unknown address in an accepted domain: 550 5.1.10 RESOLVER.ADR.RecipientNotFound.
    rejectedRecipient: "nobody@contoso.com",
    messages: () => emulator().messages(),
    waitForMessages: (count, options) => emulator().waitForMessages(count, options),
    reset: () => emulator().reset({ tenant: true }),
    scenarios: {
      // 535 5.7.3 Authentication unsuccessful
      wrongCredentials: async () => ({
        transport: transport({ auth: { user: DEFAULT_SENDER, pass: "not-the-password" } }),
      }),
      // Set-TransportConfig -SmtpClientAuthenticationDisabled $true → 535 5.7.139
      authDisabled: async () => {
        emulator().configure({ smtpAuthEnabled: false });
        return { transport: transport() };
      },
      // The default mailbox has no Send As on ada@contoso.com → 554 5.2.0 SendAsDenied
      sendAsDenied: async () => ({ transport: transport(), message: { from: "ada@contoso.com" } }),
      // MaxSendSize 2 KB → 552 5.3.4 at the end of DATA
      tooLarge: async () => {
        const tenant = emulator().tenant;
        emulator().configure({
          mailboxes: tenant.mailboxes.map((mailbox) =>
            mailbox.address === DEFAULT_SENDER ? { ...mailbox, maxSendBytes: 2048 } : mailbox,
          ),
        });
        return {
          transport: transport(),
          message: {
            attachments: [{ filename: "big.bin", content: new Uint8Array(8192).fill(7) }],
          },
        };
      },
      // The submission endpoint's throttle at MAIL FROM → 451 4.7.500 Server busy
      throttled: async () => {
        emulator().failNext({ endpoint: "smtp", kind: "throttle", stage: "mail" });
        return { transport: transport() };
      },
      connectionRefused: async () => ({ transport: transport({ port: await closedPort() }) }),
      verifyFails: async () => ({
        transport: transport({ auth: { user: DEFAULT_SENDER, pass: "not-the-password" } }),
      }),
      // 451 4.3.0 once, then normal service
      transientFault: async () => {
        emulator().failNext({ endpoint: "smtp", kind: "reply", stage: "mail" });
        return { transport: transport() };
      },
      outage: async () => ({ transport: transport({ port: await closedPort() }) }),
    },
  };
}
