// The emulator's HTTPS endpoints: the Entra token endpoint and Microsoft Graph, each on its
// own `node:https` server (TLS 1.2+, the run's server certificate) on the loopback host.
import { createServer, type Server } from "node:https";
import type { EmulatorContext } from "../context.js";
import type { TokenAuthority } from "../tokens.js";
import { listen, urlHost } from "./common.js";
import { createEntraHandler } from "./entra.js";
import { createGraphHandler } from "./graph.js";

export { RESOURCES } from "./entra.js";
export { GRAPH_AUDIENCE, mailboxObjectId } from "./graph.js";

/** The running HTTPS endpoints. */
export interface HttpEndpoints {
  /** Graph base URL without a version (routes live under `/v1.0`), e.g. `https://127.0.0.1:4433`. */
  readonly graphBaseUrl: string;
  /** Entra authority host: authorities are `${authorityHost}/${tenantId}`. */
  readonly authorityHost: string;
  /** Forgets Graph drafts, upload sessions and throttle budgets (emulator reset). */
  reset(): void;
  /** Stops both servers and closes their open connections. */
  close(): Promise<void>;
}

/** Ports to bind; 0 or absent: ephemeral. */
export interface HttpEndpointOptions {
  readonly graphPort?: number;
  readonly entraPort?: number;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Starts the Entra token endpoint and the Graph endpoint.
 * @param context the emulator's shared context; `tokens` must be able to issue as well as verify
 * @param options fixed ports, else ephemeral ones
 * @returns the base URLs to point msal-node and the Graph client at, and `close()`
 * @throws when a port cannot be bound
 */
export async function startHttpEndpoints(
  context: EmulatorContext & { readonly tokens: TokenAuthority },
  options: HttpEndpointOptions = {},
): Promise<HttpEndpoints> {
  const tlsOptions = {
    key: context.tls.key,
    cert: context.tls.cert,
    minVersion: "TLSv1.2" as const,
  };
  let graphBaseUrl = "";
  let authorityHost = "";
  const graph = createGraphHandler(context, () => graphBaseUrl);
  const entra = createEntraHandler(context, () => authorityHost);
  const graphServer = createServer(tlsOptions, (request, response) => {
    void graph.handle(request, response);
  });
  const entraServer = createServer(tlsOptions, (request, response) => {
    void entra(request, response);
  });
  // A client that resets mid-request (or a dropped connection) must not crash the emulator.
  for (const server of [graphServer, entraServer]) {
    server.on("clientError", (_error, socket) => socket.destroy());
  }
  try {
    const graphPort = await listen(graphServer, context.host, options.graphPort ?? 0);
    graphBaseUrl = `https://${urlHost(context.host, graphPort)}`;
    const entraPort = await listen(entraServer, context.host, options.entraPort ?? 0);
    authorityHost = `https://${urlHost(context.host, entraPort)}`;
  } catch (error) {
    await Promise.all([closeServer(graphServer), closeServer(entraServer)]);
    throw error;
  }
  return {
    graphBaseUrl,
    authorityHost,
    reset: () => graph.clear(),
    close: async () => {
      graph.clear();
      await Promise.all([closeServer(graphServer), closeServer(entraServer)]);
    },
  };
}
