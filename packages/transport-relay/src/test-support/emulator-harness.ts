// Points the conformance suite (and the transport's own integration tests) at the emulator's
// relay (MX) endpoint: real nodemailer over loopback TLS, trusting only the emulator's CA.
import type { ConformanceHarness } from "@mailpath/conformance";
import { closedPort, type Emulator, emulatorHarness } from "@mailpath/emulator";
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

/** The conformance harness of the relay transport over the emulator. */
export function createEmulatorHarness(): ConformanceHarness & { emulator(): Emulator } {
  const transport = (emulator: Emulator, overrides: Partial<RelayTransportOptions> = {}) =>
    createRelayTransport(emulatorRelayOptions(emulator, overrides));

  return emulatorHarness({
    createTransport: (emulator) => transport(emulator),
    scenarios: {
      // The org's maximum receive size at 4 KB → 552 5.3.4 Message size exceeds fixed maximum
      // message size at the end of DATA
      tooLarge: async (emulator) => {
        emulator.configure({ limits: { relayMaxMessageBytes: 4096 } });
        return {
          transport: transport(emulator),
          message: {
            attachments: [{ filename: "big.bin", content: new Uint8Array(8192).fill(7) }],
          },
        };
      },
      // The relay's IP throttle at MAIL FROM → 451 4.7.500 Server busy … (AS761)
      throttled: async (emulator) => {
        emulator.failNext({ endpoint: "relay", kind: "throttle", stage: "mail" });
        return { transport: transport(emulator) };
      },
      connectionRefused: async (emulator) => ({
        transport: transport(emulator, { port: await closedPort() }),
      }),
      // No credentials to get wrong: verify() fails when the server's certificate is not
      // trusted (no CA given, so only the system's CAs are trusted).
      verifyFails: async (emulator) => ({
        transport: createRelayTransport({
          host: emulator.relay.host,
          port: emulator.relay.port,
          localAddress: CONNECTOR_IP,
        }),
      }),
      // 451 4.3.0 once, then normal service
      transientFault: async (emulator) => {
        emulator.failNext({ endpoint: "relay", kind: "reply", stage: "mail" });
        return { transport: transport(emulator) };
      },
      outage: async (emulator) => ({
        transport: transport(emulator, { port: await closedPort() }),
      }),
    },
  });
}
