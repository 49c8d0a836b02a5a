// Real clients for the HTTPS endpoint tests: msal-node with a network client that trusts the
// emulator's CA, the Graph client with a chain without RetryHandler, and fetch through an
// undici Agent that trusts the CA.
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import {
  ConfidentialClientApplication,
  type Configuration,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from "@azure/msal-node";
import {
  AuthenticationHandler,
  Client,
  HTTPMessageHandler,
  TelemetryHandler,
} from "@microsoft/microsoft-graph-client";
import { Agent, fetch } from "undici";
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from "../../tenant.js";

/** An https response read to its end. */
export interface ReadResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/** Reads an https response to its end: status, headers and the body as UTF-8 text. */
export function readResponse(response: IncomingMessage): Promise<ReadResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on("data", (chunk: Buffer) => chunks.push(chunk));
    response.on("error", reject);
    response.on("end", () =>
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        text: Buffer.concat(chunks).toString("utf8"),
      }),
    );
  });
}

/** An msal network module on node:https that trusts `ca` (hermetic: no NODE_EXTRA_CA_CERTS). */
export function caNetworkClient(ca: string): INetworkModule {
  const send = <T>(method: "GET" | "POST", url: string, options: NetworkRequestOptions = {}) =>
    new Promise<NetworkResponse<T>>((resolve, reject) => {
      const request = httpsRequest(
        url,
        { method, ca, headers: options.headers ?? {} },
        (response) => {
          readResponse(response)
            .then(({ status, headers, text }) => {
              const flat: Record<string, string> = {};
              for (const [name, value] of Object.entries(headers)) {
                if (value !== undefined)
                  flat[name] = Array.isArray(value) ? value.join(", ") : value;
              }
              resolve({ headers: flat, body: (text ? JSON.parse(text) : {}) as T, status });
            })
            .catch(reject);
        },
      );
      request.on("error", reject);
      request.end(options.body);
    });
  return {
    sendGetRequestAsync: (url, options) => send("GET", url, options),
    sendPostRequestAsync: (url, options) => send("POST", url, options),
  };
}

/** The openid-configuration msal would otherwise fetch, for `authorityMetadata`. */
export function authorityMetadata(authorityHost: string, tenantId: string): string {
  const base = `${authorityHost}/${tenantId}`;
  return JSON.stringify({
    token_endpoint: `${base}/oauth2/v2.0/token`,
    jwks_uri: `${base}/discovery/v2.0/keys`,
    issuer: `${base}/v2.0`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
  });
}

/** Instance discovery metadata naming the emulator's host, for `cloudDiscoveryMetadata`. */
export function cloudDiscoveryMetadata(authorityHost: string): string {
  const host = new URL(authorityHost).host;
  return JSON.stringify({
    tenant_discovery_endpoint: `${authorityHost}/{tenant}/v2.0/.well-known/openid-configuration`,
    "api-version": "1.1",
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  });
}

/** A confidential client pointed at the emulator's token endpoint. */
export function confidentialClient(options: {
  readonly authorityHost: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly ca: string;
  readonly clientSecret?: string;
  readonly clientCertificate?: { readonly thumbprintSha256: string; readonly privateKey: string };
  /** Skip the metadata options so msal fetches openid-configuration itself. */
  readonly discover?: boolean;
}): ConfidentialClientApplication {
  const host = new URL(options.authorityHost).host;
  const configuration: Configuration = {
    auth: {
      clientId: options.clientId,
      authority: `${options.authorityHost}/${options.tenantId}`,
      knownAuthorities: [host],
      ...(options.discover
        ? {}
        : {
            authorityMetadata: authorityMetadata(options.authorityHost, options.tenantId),
            cloudDiscoveryMetadata: cloudDiscoveryMetadata(options.authorityHost),
          }),
      ...(options.clientSecret !== undefined ? { clientSecret: options.clientSecret } : {}),
      ...(options.clientCertificate ? { clientCertificate: { ...options.clientCertificate } } : {}),
    },
    system: { networkClient: caNetworkClient(options.ca) },
  };
  return new ConfidentialClientApplication(configuration);
}

/**
 * The form of a client-credentials grant as the default app with its secret.
 * @param fields form fields to add (`scope`, `resource`) or to replace
 */
export function clientCredentials(fields: Record<string, string>): Record<string, string> {
  return {
    grant_type: "client_credentials",
    client_id: DEFAULT_CLIENT_ID,
    client_secret: DEFAULT_CLIENT_SECRET,
    ...fields,
  };
}

/**
 * Posts a form to a token endpoint as a plain HTTP client would.
 * @param url the token endpoint
 * @param form the form fields
 * @param dispatcher a dispatcher trusting the emulator's CA
 * @param headers more request headers
 */
export function postForm(
  url: string,
  form: Record<string, string>,
  dispatcher: Agent,
  headers: Record<string, string> = {},
) {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form).toString(),
    dispatcher,
  });
}

/** An undici dispatcher trusting the emulator's CA, for `fetch` and the Graph client. */
export function caDispatcher(ca: string): Agent {
  return new Agent({ connect: { ca } });
}

/** A Graph client with no RetryHandler, sending its token to the emulator's host. */
export function graphClient(options: {
  readonly baseUrl: string;
  readonly dispatcher: Agent;
  readonly token: () => Promise<string>;
}): Client {
  const authentication = new AuthenticationHandler({ getAccessToken: options.token });
  const telemetry = new TelemetryHandler();
  const http = new HTTPMessageHandler();
  authentication.setNext(telemetry);
  telemetry.setNext(http);
  return Client.initWithMiddleware({
    baseUrl: options.baseUrl,
    middleware: authentication,
    customHosts: new Set([new URL(options.baseUrl).hostname]),
    fetchOptions: { dispatcher: options.dispatcher } as unknown as RequestInit,
  });
}
