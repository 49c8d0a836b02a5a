// Shared by the Graph benchmarks: a mailpath transport whose busy time is measured, the Graph
// client's default middleware chain pointed at the emulator, and the sendMail body peers post.
import { createClientCredentialsProvider } from "@mailpath/entra";
import {
  AuthenticationHandler,
  Client,
  HTTPMessageHandler,
  RedirectHandler,
  RetryHandler,
  TelemetryHandler,
} from "@microsoft/microsoft-graph-client";
import { Agent, setGlobalDispatcher } from "undici";

/**
 * Wraps a transport to add up how long its sends hold one of the mailer's slots: the time
 * inside transport.send (client and server time). Read and reset `busyMs` around a run.
 * @returns {{ transport: object, busyMs: number }} `transport` goes to createMailer
 */
export function withBusyTime(transport) {
  const timed = {
    busyMs: 0,
    transport: {
      specificationVersion: "v1",
      name: transport.name,
      limits: transport.limits,
      async send(message, options) {
        const started = performance.now();
        try {
          return await transport.send(message, options);
        } finally {
          timed.busyMs += performance.now() - started;
        }
      },
      verify: () => transport.verify(),
      close: () => transport.close(),
    },
  };
  return timed;
}

/**
 * The Graph client with the chain HTTPClientFactory builds by default (Auth → Retry → Redirect
 * → Telemetry → fetch), with the RetryHandler's defaults: 3 retries of 429/503/504 honouring
 * Retry-After. Its token comes from mailpath's provider for the emulator's app, fetched once
 * here. Node's global fetch ignores `ca`, and the chain's HTTPMessageHandler calls the global
 * fetch, so the emulator's CA goes into the global dispatcher (returned, for other peers too).
 * @param {{ graphApp: object, ca: string }} emulator from forkEmulator()
 */
export async function graphClientDefaultChain(emulator) {
  const dispatcher = new Agent({ connect: { ca: emulator.ca } });
  setGlobalDispatcher(dispatcher);
  const { baseUrl, ...credentials } = emulator.graphApp;
  const tokens = createClientCredentialsProvider(credentials);
  await tokens.getToken();
  const client = Client.initWithMiddleware({
    baseUrl,
    customHosts: new Set([new URL(baseUrl).hostname]),
    middleware: [
      new AuthenticationHandler({ getAccessToken: () => tokens.getToken() }),
      new RetryHandler(),
      new RedirectHandler(),
      new TelemetryHandler(),
      new HTTPMessageHandler(),
    ],
  });
  return { client, tokens, dispatcher };
}

/** The body of a Graph sendMail request: subject `<name> <index>`, text `Message <index>`. */
export const sendMailBody = (name, index, recipient) => ({
  message: {
    subject: `${name} ${index}`,
    body: { contentType: "Text", content: `Message ${index}` },
    toRecipients: [{ emailAddress: { address: recipient } }],
  },
});
