// msal's `system.networkClient`, always used so that every request takes one code path: it
// trusts an extra CA (private clouds, the emulator), enforces TLS >= 1.2, bounds each request
// with a timeout, and records the raw token-endpoint answer (status, Retry-After, trace_id)
// that msal's ServerError drops.
import { request } from "node:https";
import type { Socket } from "node:net";
import * as tls from "node:tls";
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";
import { withDefaultRoots } from "@mailpath/core";
import { openTunnel, type ResolvedProxy, usesProxy } from "./proxy.js";

/** The last answer (or failure) of the token endpoint, for error mapping. */
export interface TokenEndpointRecord {
  status?: number;
  headers?: Record<string, string>;
  body?: Record<string, unknown>;
  /** A transport failure (no HTTP answer). */
  error?: NodeJS.ErrnoException;
  /** A 3xx answer: where it pointed (scheme, host and path only). Never followed. */
  redirect?: string;
}

export interface NetworkClientOptions {
  /** Extra trusted CA certificates (PEM); the public roots stay trusted. */
  readonly ca?: readonly (string | Buffer)[];
  readonly timeoutMs: number;
  /** The HTTPS proxy requests go through (a CONNECT tunnel), unless NO_PROXY names the host. */
  readonly proxy?: ResolvedProxy;
  /** Called with each request's outcome (method, host, path, status, duration), no body or header. */
  readonly onRequest?: (trace: RequestTrace) => void;
  /** Called with every token POST outcome, and with failed metadata GETs. */
  readonly onTokenEndpoint: (record: TokenEndpointRecord) => void;
}

/** One request to Entra as a log line may show it: never a header, a query or a body. */
export interface RequestTrace {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly status?: number;
  readonly error?: string;
  readonly durationMs: number;
  readonly proxied: boolean;
}

// A token response is a few kB; anything far larger is not Entra.
const MAX_RESPONSE_BYTES = 1024 * 1024;
/** Most of an error answer that is read; the rest is discarded and the connection closed. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Where a redirect pointed, without user info, query or fragment. */
function redirectTarget(location: string | undefined, base: string): string {
  if (location === undefined || location.trim() === "") return "no Location header";
  try {
    const url = new URL(location, base);
    const target = `${url.protocol}//${url.host}${url.pathname}`;
    return target.length > 200 ? `${target.slice(0, 200)}…` : target;
  } catch {
    return "an unreadable Location header";
  }
}

export function createNetworkClient(options: NetworkClientOptions): INetworkModule {
  // One TLS context for every request: a `ca` option would parse the ~140 default roots
  // again on each (tens of ms of CPU).
  const secureContext =
    options.ca && options.ca.length > 0
      ? tls.createSecureContext({ ca: withDefaultRoots(options.ca), minVersion: "TLSv1.2" })
      : undefined;

  const send = <T>(
    method: "GET" | "POST",
    url: string,
    requestOptions: NetworkRequestOptions | undefined,
    timeoutMs: number,
  ): Promise<NetworkResponse<T>> =>
    new Promise((resolve, reject) => {
      let settled = false;
      const started = performance.now();
      const target = new URL(url);
      const proxied = options.proxy !== undefined && usesProxy(options.proxy, target);
      const trace = (outcome: { status?: number; error?: string }) =>
        options.onRequest?.({
          method,
          host: target.host,
          path: target.pathname,
          ...outcome,
          durationMs: Math.round(performance.now() - started),
          proxied,
        });
      const fail = (error: NodeJS.ErrnoException) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        cancelTunnel?.();
        trace({ error: error.code ?? "error" });
        options.onTokenEndpoint({ error });
        reject(error);
      };
      let cancelTunnel: (() => void) | undefined;
      const tlsOptions: tls.ConnectionOptions = {
        minVersion: "TLSv1.2",
        // Explicit, so NODE_TLS_REJECT_UNAUTHORIZED=0 cannot send the secret to an unverified host.
        rejectUnauthorized: true,
        ...(secureContext && { secureContext }),
      };
      const body = requestOptions?.body ?? "";
      const headers: Record<string, string | number> = { ...requestOptions?.headers };
      if (method === "POST") headers["Content-Length"] = Buffer.byteLength(body);
      const outgoing = request(
        url,
        {
          method,
          headers,
          ...tlsOptions,
          ...(proxied
            ? {
                // The tunnel's TLS socket is the request's connection (no agent, no pooling).
                createConnection: (
                  _options: unknown,
                  callback: (error: Error | null, socket: Socket) => void,
                ) => {
                  cancelTunnel = openTunnel(
                    options.proxy!,
                    target.hostname,
                    Number(target.port || 443),
                    tlsOptions,
                    (error, socket) => callback(error, socket as Socket),
                  );
                  return undefined;
                },
              }
            : { agent: false }),
        },
        (response) => {
          const status = response.statusCode ?? 0;
          const responseHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined)
              responseHeaders[name] = Array.isArray(value) ? value.join(", ") : value;
          }
          if (status >= 300 && status < 400) {
            // Never followed: Entra does not redirect token or metadata requests, so a 3xx is
            // a proxy or a wrong authorityHost, and following it would post the client
            // secret or assertion to another origin.
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            trace({ status });
            options.onTokenEndpoint({
              status,
              headers: responseHeaders,
              redirect: redirectTarget(response.headers.location, url),
            });
            const error: NodeJS.ErrnoException = new Error(
              `${new URL(url).host} answered HTTP ${status} (a redirect, not followed)`,
            );
            error.code = "EREDIRECT";
            reject(error);
            response.destroy();
            outgoing.destroy();
            return;
          }
          const success = status >= 200 && status < 300;
          const chunks: Buffer[] = [];
          let received = 0;
          let truncated = false;
          response.on("data", (chunk: Buffer) => {
            if (settled) return;
            if (received + chunk.length > (success ? MAX_RESPONSE_BYTES : MAX_ERROR_BODY_BYTES)) {
              if (success) {
                const error: NodeJS.ErrnoException = new Error(
                  `The answer from ${new URL(url).host} is larger than ${MAX_RESPONSE_BYTES} bytes`,
                );
                error.code = "ERESPONSETOOLARGE";
                fail(error);
                outgoing.destroy();
                return;
              }
              // An error answer this long is not Entra's: what was read is enough to report it.
              chunks.push(chunk.subarray(0, MAX_ERROR_BODY_BYTES - received));
              truncated = true;
              finish();
              response.destroy();
              outgoing.destroy();
              return;
            }
            received += chunk.length;
            chunks.push(chunk);
          });
          response.on("error", fail);
          response.on("end", finish);
          function finish() {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            trace({ status });
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: Record<string, unknown>;
            try {
              parsed = text.length > 0 ? JSON.parse(text) : {};
            } catch {
              parsed = {};
            }
            if ((status < 200 || status >= 300) && typeof parsed.error !== "string") {
              // A proxy or gateway answered (HTML 502/503): give msal an OAuth error body so
              // it raises an error instead of trying to read a token out of nothing.
              parsed = { ...parsed, error: status >= 500 ? "server_error" : "http_error" };
              parsed.error_description = `HTTP ${status} from the token endpoint${
                truncated ? ` (answer cut after ${MAX_ERROR_BODY_BYTES / 1024} kB)` : ""
              }`;
            }
            // Metadata GETs are recorded only when they fail (an unknown tenant answers the
            // openid-configuration GET with AADSTS90002): msal then reports them vaguely.
            if (method === "POST" || status >= 400)
              options.onTokenEndpoint({ status, headers: responseHeaders, body: parsed });
            resolve({ status, headers: responseHeaders, body: parsed as T });
          }
        },
      );
      // The whole exchange, not only socket idleness, is bounded.
      const timer = setTimeout(() => {
        const error: NodeJS.ErrnoException = new Error(
          `No answer from ${new URL(url).host} within ${timeoutMs} ms`,
        );
        // The socket's own code for a timeout, so the core classifier maps it to TIMEOUT.
        error.code = "ETIMEDOUT";
        fail(error);
        outgoing.destroy();
      }, timeoutMs);
      timer.unref();
      outgoing.on("error", fail);
      outgoing.end(method === "POST" ? body : undefined);
    });

  return {
    sendGetRequestAsync: (url, requestOptions, timeout) =>
      send("GET", url, requestOptions, timeout ?? options.timeoutMs),
    sendPostRequestAsync: (url, requestOptions) =>
      send("POST", url, requestOptions, options.timeoutMs),
  };
}
