// Points the conformance suite (and the transport's own integration tests) at the emulator's
// relay (MX) endpoint: real nodemailer over loopback TLS, trusting only the emulator's CA.
import type { ConformanceHarness } from "@mailpath/conformance";
import { closedPort, DEFAULT_SENDER, type Emulator, startEmulator } from "@mailpath/emulator";
import { createRelayTransport, type RelayTransportOptions } from "../index.js";

/** The address the emulator's default IP connector ("On-premises relay") matches. */
export const CONNECTOR_IP = "127.0.0.2";

/** Options for a transport against the emulator's relay endpoint, from the connector's IP. */
export function emulatorRelayOptions(
  emulator: Emulator,
  overrides: Partial<RelayTransportOptions> = {},
): RelayTransportOptions {
  return {
    host: emulator.relay.host,
    port: emulator.relay.port,
    localAddress: CONNECTOR_IP,
    ...overrides,
    tls: { ca: emulator.ca, ...overrides.tls },
  };
}

/** Addresses the relay accepts through a connector: the tenant's mailboxes and external ones. */
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

/** The conformance harness of the relay transport over the emulator. */
export function createEmulatorHarness(): ConformanceHarness & { emulator(): Emulator } {
  let running: Emulator | undefined;
  const emulator = () => {
    if (!running) throw new Error("the harness has not been set up");
    return running;
  };
  const transport = (overrides: Partial<RelayTransportOptions> = {}) =>
    createRelayTransport(emulatorRelayOptions(emulator(), overrides));

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
      // The org's maximum receive size at 4 KB → 552 5.3.4 Message size exceeds fixed maximum
      // message size at the end of DATA
      tooLarge: async () => {
        emulator().configure({ limits: { relayMaxMessageBytes: 4096 } });
        return {
          transport: transport(),
          message: {
            attachments: [{ filename: "big.bin", content: new Uint8Array(8192).fill(7) }],
          },
        };
      },
      // The relay's IP throttle at MAIL FROM → 451 4.7.500 Server busy … (AS761)
      throttled: async () => {
        emulator().failNext({ endpoint: "relay", kind: "throttle", stage: "mail" });
        return { transport: transport() };
      },
      connectionRefused: async () => ({ transport: transport({ port: await closedPort() }) }),
      // No credentials to get wrong: verify() fails when the server's certificate is not
      // trusted (no CA given, so only the system's CAs are trusted).
      verifyFails: async () => ({
        transport: createRelayTransport({
          host: emulator().relay.host,
          port: emulator().relay.port,
          localAddress: CONNECTOR_IP,
        }),
      }),
      // 451 4.3.0 once, then normal service
      transientFault: async () => {
        emulator().failNext({ endpoint: "relay", kind: "reply", stage: "mail" });
        return { transport: transport() };
      },
      outage: async () => ({ transport: transport({ port: await closedPort() }) }),
    },
  };
}
