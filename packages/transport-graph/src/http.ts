import { MailError, type TokenProvider } from "@mailpath/core";
import {
  AuthenticationHandler,
  AuthenticationHandlerOptions,
  type AuthenticationProvider,
  Client,
  type Context,
  GraphClientError,
  HTTPMessageHandler,
  ResponseType,
  TelemetryHandler,
} from "@microsoft/microsoft-graph-client";
import { Agent, fetch as undiciFetch } from "undici";

/** An error thrown inside the middleware chain, carried out of the Graph client unchanged. */
class CarriedError extends GraphClientError {
  constructor(readonly original: unknown) {
    super("carried");
    Object.setPrototypeOf(this, CarriedError.prototype);
  }
}

/** A request that got no HTTP response. */
export class RequestFailure extends Error {
  constructor(
    readonly reason: "aborted" | "timeout" | "network",
    readonly original: unknown,
    /** Whether the request had started (it may have reached the server). */
    readonly started = true,
  ) {
    super(reason);
  }
}

type FetchFunction = typeof globalThis.fetch;

// The last handler of the chain: HTTPMessageHandler calls the global fetch; this one calls the
// injected (or undici's) fetch and carries a network error out with its `cause` intact (the
// Graph client would flatten it into a GraphError without the errno code).
class FetchHandler extends HTTPMessageHandler {
  constructor(private readonly fetchImpl: FetchFunction) {
    super();
  }

  override async execute(context: Context): Promise<void> {
    try {
      context.response = await this.fetchImpl(context.request, context.options as RequestInit);
    } catch (error) {
      throw new CarriedError(error);
    }
  }
}

/** What an HTTP response said. */
export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON, or the text when the body is not JSON, or undefined when empty. */
  readonly body: unknown;
}

/** One request to Graph. */
export interface GraphRequestSpec {
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path under the version root (`/users/a@b/sendMail`) or an absolute URL. */
  readonly path: string;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  /** Ask the token provider for a new token (after a 401). */
  readonly forceRefresh?: boolean;
  readonly signal: AbortSignal;
}

/** Settings of the HTTP layer. */
export interface GraphHttpOptions {
  readonly baseUrl: string;
  readonly tokenProvider: TokenProvider;
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  readonly fetch?: FetchFunction;
  readonly requestTimeoutMs: number;
  /** Called with every token the provider returns, so errors can be redacted of it. */
  readonly onToken?: (token: string) => void;
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Graph over `@microsoft/microsoft-graph-client` with a chain of AuthenticationHandler →
 * TelemetryHandler → fetch and no RetryHandler: retries belong to the mailer, which knows
 * that `sendMail` is not idempotent.
 */
export class GraphHttp {
  private readonly client: Client;
  private readonly fetchImpl: FetchFunction;
  private readonly dispatcher: Agent;
  private readonly forceRefreshProvider: AuthenticationProvider;

  constructor(private readonly options: GraphHttpOptions) {
    const getToken = async (forceRefresh: boolean) => {
      try {
        const token = await options.tokenProvider.getToken(forceRefresh ? { forceRefresh } : {});
        options.onToken?.(token);
        return token;
      } catch (error) {
        // A custom provider may throw anything: without a token nothing can be sent, so it
        // reads as an authentication failure, like on the SMTP path.
        throw new CarriedError(
          MailError.isInstance(error)
            ? error
            : new MailError({
                code: "AUTH_FAILED",
                message: `The token provider failed: ${error instanceof Error ? error.message : String(error)}`,
                hint: "The tokenProvider passed to createGraphTransport threw: check its credentials and logs.",
                cause: error,
              }),
        );
      }
    };
    this.forceRefreshProvider = { getAccessToken: () => getToken(true) };
    const ca = options.ca;
    // Our own dispatcher always: global fetch ignores a `ca` option, and the TLS rules (1.2 or
    // later, certificates verified) must not depend on the process's defaults — a
    // NODE_TLS_REJECT_UNAUTHORIZED=0 set for something else must not send the bearer token
    // to a server whose certificate does not verify.
    this.dispatcher = new Agent({
      connect: {
        minVersion: "TLSv1.2",
        rejectUnauthorized: true,
        ...(ca !== undefined && { ca: Array.isArray(ca) ? [...ca] : (ca as string | Buffer) }),
      },
    });
    this.fetchImpl = options.fetch ?? (undiciFetch as unknown as FetchFunction);
    const host = new URL(options.baseUrl).hostname;
    this.client = Client.initWithMiddleware({
      baseUrl: options.baseUrl,
      defaultVersion: "v1.0",
      // Without this the client sends no Authorization header to a host it does not know.
      customHosts: new Set([host]),
      fetchOptions: { dispatcher: this.dispatcher } as unknown as RequestInit,
      middleware: [
        new AuthenticationHandler({ getAccessToken: () => getToken(false) }),
        new TelemetryHandler(),
        new FetchHandler(this.fetchImpl),
      ],
    });
  }

  /**
   * Sends one request and reads its whole response, whatever the status.
   * @throws RequestFailure when no response arrived; the token provider's own error when no
   *   token could be had.
   */
  async request(spec: GraphRequestSpec): Promise<HttpResult> {
    return this.withTimeout(spec.signal, async (signal) => {
      let request = this.client
        .api(spec.path)
        .responseType(ResponseType.RAW)
        .option("signal", signal);
      if (spec.contentType) request = request.header("Content-Type", spec.contentType);
      for (const [name, value] of Object.entries(spec.headers ?? {})) {
        request = request.header(name, value);
      }
      if (spec.forceRefresh) {
        request = request.middlewareOptions([
          new AuthenticationHandlerOptions(this.forceRefreshProvider),
        ]);
      }
      let response: Response;
      try {
        switch (spec.method) {
          case "GET":
            response = await request.get();
            break;
          case "POST":
            response = await request.post(spec.body ?? "");
            break;
          case "PUT":
            response = await request.put(spec.body ?? "");
            break;
          case "DELETE":
            response = await request.delete();
            break;
        }
      } catch (error) {
        // A fetch failure carries the network error; a token failure its MailError.
        throw error instanceof CarriedError ? error.original : error;
      }
      return { status: response.status, headers: response.headers, body: await readBody(response) };
    });
  }

  /**
   * A request outside Graph's auth (an upload-session URL is pre-authenticated: sending the
   * token there would leak it to another host).
   */
  async upload(
    url: string,
    init: { method: "PUT"; headers: Record<string, string>; body: Uint8Array },
    parent: AbortSignal,
  ): Promise<HttpResult> {
    return this.withTimeout(parent, async (signal) => {
      const response = await this.fetchImpl(url, {
        ...init,
        signal,
        dispatcher: this.dispatcher,
      } as unknown as RequestInit);
      return { status: response.status, headers: response.headers, body: await readBody(response) };
    });
  }

  private async withTimeout<T>(
    parent: AbortSignal,
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    if (parent.aborted) throw new RequestFailure("aborted", parent.reason, false);
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new Error("request timed out")),
      this.options.requestTimeoutMs,
    );
    const signal = AbortSignal.any([parent, timeout.signal]);
    try {
      return await run(signal);
    } catch (error) {
      if (parent.aborted) throw new RequestFailure("aborted", parent.reason);
      if (timeout.signal.aborted) throw new RequestFailure("timeout", error);
      if (error instanceof RequestFailure || MailError.isInstance(error)) throw error;
      if (isFetchFailure(error)) throw new RequestFailure("network", error);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

function isFetchFailure(error: unknown): boolean {
  return error instanceof TypeError || (error instanceof Error && "cause" in error);
}

/** The errno-style code of a network error (`ECONNREFUSED`, `UND_ERR_SOCKET`, …). */
export function networkCode(error: unknown): { code?: string; message?: string } {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return { code, message: current.message };
    current = (current as { cause?: unknown }).cause;
  }
  return error instanceof Error ? { message: error.message } : {};
}
