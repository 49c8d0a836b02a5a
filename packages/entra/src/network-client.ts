// msal's `system.networkClient`, always used so that every request takes one code path: it
// trusts an extra CA (private clouds, the emulator), enforces TLS >= 1.2, bounds each request
// with a timeout, and records the raw token-endpoint answer (status, Retry-After, trace_id)
// that msal's ServerError drops.
import { request } from "node:https";
import { rootCertificates } from "node:tls";
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";

/** The last answer (or failure) of the token endpoint, for error mapping. */
export interface TokenEndpointRecord {
  status?: number;
  headers?: Record<string, string>;
  body?: Record<string, unknown>;
  /** A transport failure (no HTTP answer). */
  error?: NodeJS.ErrnoException;
}

export interface NetworkClientOptions {
  /** Extra trusted CA certificates (PEM); the public roots stay trusted. */
  readonly ca?: readonly (string | Buffer)[];
  readonly timeoutMs: number;
  /** Called with every token POST outcome, and with failed metadata GETs. */
  readonly onTokenEndpoint: (record: TokenEndpointRecord) => void;
}

// A token response is a few kB; anything far larger is not Entra.
const MAX_RESPONSE_BYTES = 1024 * 1024;

export function createNetworkClient(options: NetworkClientOptions): INetworkModule {
  const ca = options.ca && options.ca.length > 0 ? [...rootCertificates, ...options.ca] : undefined;

  const send = <T>(
    method: "GET" | "POST",
    url: string,
    requestOptions: NetworkRequestOptions | undefined,
    timeoutMs: number,
  ): Promise<NetworkResponse<T>> =>
    new Promise((resolve, reject) => {
      let settled = false;
      const fail = (error: NodeJS.ErrnoException) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.onTokenEndpoint({ error });
        reject(error);
      };
      const body = requestOptions?.body ?? "";
      const headers: Record<string, string | number> = { ...requestOptions?.headers };
      if (method === "POST") headers["Content-Length"] = Buffer.byteLength(body);
      const outgoing = request(
        url,
        {
          method,
          headers,
          agent: false,
          minVersion: "TLSv1.2",
          // Explicit, so NODE_TLS_REJECT_UNAUTHORIZED=0 cannot send the secret to an unverified host.
          rejectUnauthorized: true,
          ...(ca && { ca }),
        },
        (response) => {
          const chunks: Buffer[] = [];
          let received = 0;
          response.on("data", (chunk: Buffer) => {
            received += chunk.length;
            if (received > MAX_RESPONSE_BYTES) {
              const error: NodeJS.ErrnoException = new Error(
                `The answer from ${new URL(url).host} is larger than ${MAX_RESPONSE_BYTES} bytes`,
              );
              error.code = "ERESPONSETOOLARGE";
              fail(error);
              outgoing.destroy();
              return;
            }
            chunks.push(chunk);
          });
          response.on("error", fail);
          response.on("end", () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            const status = response.statusCode ?? 0;
            const responseHeaders: Record<string, string> = {};
            for (const [name, value] of Object.entries(response.headers)) {
              if (value !== undefined)
                responseHeaders[name] = Array.isArray(value) ? value.join(", ") : value;
            }
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
              parsed.error_description = `HTTP ${status} from the token endpoint`;
            }
            // Metadata GETs are recorded only when they fail (an unknown tenant answers the
            // openid-configuration GET with AADSTS90002): msal then reports them vaguely.
            if (method === "POST" || status >= 400)
              options.onTokenEndpoint({ status, headers: responseHeaders, body: parsed });
            resolve({ status, headers: responseHeaders, body: parsed as T });
          });
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
