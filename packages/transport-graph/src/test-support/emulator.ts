// Test support: an emulator plus Graph transports pointed at it, and a fetch that records what
// went over the wire (method, URL, status, whether an Authorization header was sent).
import {
  closedPort,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_SENDER,
  type Emulator,
  emulatorCredentials,
  type StartEmulatorOptions,
  startEmulator,
} from "@mailpath/emulator";
import { fetch as undiciFetch } from "undici";
import type { GraphTransportOptions } from "../options.js";
import { createGraphTransport, type GraphTransport } from "../transport.js";

export { closedPort, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_SENDER };

/** One request as the recording fetch saw it. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly status?: number;
  /** The bearer token sent, if any. */
  readonly token?: string;
  readonly contentType?: string;
  readonly bodyBytes?: number;
}

/** A fetch that records every request and forwards it to undici's fetch. */
export function recordingFetch(): { fetch: typeof globalThis.fetch; requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    const authorization = headers.get("authorization");
    const body = init?.body;
    const entry: {
      method: string;
      url: string;
      status?: number;
      token?: string;
      contentType?: string;
      bodyBytes?: number;
    } = {
      method: init?.method ?? "GET",
      url: String(input),
      ...(authorization && { token: authorization.replace(/^Bearer\s+/i, "") }),
      ...(headers.get("content-type") && { contentType: headers.get("content-type")! }),
      ...(typeof body === "string" && { bodyBytes: Buffer.byteLength(body) }),
      ...(body instanceof Uint8Array && { bodyBytes: body.byteLength }),
    };
    requests.push(entry);
    const response = await (undiciFetch as unknown as typeof globalThis.fetch)(input, init);
    entry.status = response.status;
    return response;
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

/** Options that point a Graph transport at the emulator with the default app's secret. */
export function emulatorOptions(emulator: Emulator): GraphTransportOptions {
  return { ...emulatorCredentials(emulator), baseUrl: emulator.graph.baseUrl };
}

/** A Graph transport pointed at the emulator. */
export function emulatorTransport(
  emulator: Emulator,
  // An undefined option takes the emulator's default out (its secret, its CA).
  overrides: { [K in keyof GraphTransportOptions]?: GraphTransportOptions[K] | undefined } = {},
): GraphTransport {
  const options = { ...emulatorOptions(emulator), ...overrides } as GraphTransportOptions;
  return createGraphTransport(options);
}

/** Starts an emulator for one test file. */
export function startGraphEmulator(options: StartEmulatorOptions = {}): Promise<Emulator> {
  return startEmulator(options);
}

/** Raises every mailbox's MaxSendSize (Exchange allows up to 150 MB). */
export function allowLargeMessages(emulator: Emulator, maxSendBytes = 150 * 1024 * 1024): void {
  emulator.configure({
    mailboxes: emulator.tenant.mailboxes.map((mailbox) => ({ ...mailbox, maxSendBytes })),
  });
}
