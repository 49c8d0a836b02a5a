import { describeTransportConformance } from "@mailpath/conformance";
import { emulatorHarness } from "@mailpath/emulator";
import { closedPort, DEFAULT_SENDER, emulatorTransport } from "./test-support/emulator.js";

describeTransportConformance(
  "graph (emulator)",
  emulatorHarness({
    createTransport: (emulator) => emulatorTransport(emulator),
    // External recipients are accepted; unknown ones in the tenant's own domain are refused.
    recipients: Array.from({ length: 10 }, (_, index) => `reader${index + 1}@fabrikam.com`),
    scenarios: {
      // Entra answers 401 invalid_client AADSTS7000215 to a wrong client secret.
      wrongCredentials: async (emulator) => ({
        transport: emulatorTransport(emulator, { clientSecret: "not-the-secret" }),
      }),
      // Sending through notifications@ with From ada@, on which it has no Send As.
      sendAsDenied: async (emulator) => ({
        transport: emulatorTransport(emulator, { mailbox: DEFAULT_SENDER }),
        message: { from: "ada@contoso.com" },
      }),
      // The sender's MaxSendSize is 1 MB; the message carries 2 MB.
      tooLarge: async (emulator) => {
        emulator.configure({
          mailboxes: emulator.tenant.mailboxes.map((mailbox) => ({
            ...mailbox,
            maxSendBytes: 1024 * 1024,
          })),
        });
        return {
          transport: emulatorTransport(emulator),
          message: {
            attachments: [{ filename: "big.bin", content: new Uint8Array(2 * 1024 * 1024) }],
          },
        };
      },
      throttled: async (emulator) => {
        emulator.failNext({ endpoint: "graph", kind: "throttle", retryAfterSeconds: 2 });
        return { transport: emulatorTransport(emulator) };
      },
      connectionRefused: async (emulator) => ({
        transport: emulatorTransport(emulator, {
          baseUrl: `https://127.0.0.1:${await closedPort()}`,
        }),
      }),
      verifyFails: async (emulator) => ({
        transport: emulatorTransport(emulator, { clientSecret: "not-the-secret" }),
      }),
      transientFault: async (emulator) => {
        emulator.failNext({
          endpoint: "graph",
          kind: "reply",
          status: 503,
          pathIncludes: "/sendMail",
        });
        return { transport: emulatorTransport(emulator) };
      },
      outage: async (emulator) => {
        emulator.inject({ endpoint: "graph", kind: "reply", status: 503, rate: 1 });
        return { transport: emulatorTransport(emulator) };
      },
    },
  }),
  {
    skip: {
      "errors.auth-disabled":
        "Graph has no switch that turns app-only OAuth off for a tenant or mailbox (SMTP's 535 5.7.139); an app without Mail.Send gets PERMISSION_DENIED, tested in transport.integration.test.ts",
      "errors.partial-rejection":
        "Graph accepts or refuses a message as a whole (400 ErrorInvalidRecipients); recipients that fail later come back as non-delivery reports, never in the sendMail answer",
    },
  },
);
