import * as tls from "node:tls";
import { MailError, type TokenProvider, withDefaultRoots } from "@mailpath/core";
import { type ResolvedProxy, usesProxy } from "@mailpath/entra";
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
import { Agent, type Dispatcher, ProxyAgent, fetch as undiciFetch } from "undici";

/** Most of an error answer that is read: enough for any Graph error, bounded for a hostile one. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;
/**
 * Most of a success answer that is read. Graph's largest is a draft echoed back (its body is at
 * most the 4 MB request); nothing sent needs more than its `id` or `uploadUrl`.
 */
export const MAX_SUCCESS_BODY_BYTES = 16 * 1024 * 1024;

/** An error thrown inside the middleware chain, carried out of the Graph client unchanged. */
class CarriedError extends GraphClientError {
  constructor(readonly original: unknown) {
    super("carried");
    Object.setPrototypeOf(this, CarriedError.prototype);
  }
}

/**
 * A token provider's failure as a MailError: a provider's own MailError as it is, anything
 * else (a custom provider may throw anything) as AUTH_FAILED — without a token nothing can be
 * sent, like a refused login on the SMTP path. send() and verify() both read it so.
 */
export function tokenProviderFailure(error: unknown): MailError {
  if (MailError.isInstance(error)) return error;
  return new MailError({
    code: "AUTH_FAILED",
    message: `The token provider failed: ${error instanceof Error ? error.message : String(error)}`,
    hint: "The tokenProvider passed to createGraphTransport threw: check its credentials and logs.",
    cause: error,
  });
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

/**
 * A response read through undici's dispatcher API: the status, the headers and the body as a
 * Node stream, without a WHATWG Request, Response, Headers or web stream per request (a
 * third of the client CPU of a sendMail through fetch, by the profiles of bench/peers).
 */
class DispatchedResponse {
  constructor(
    readonly status: number,
    readonly headers: ResponseHeaders,
    readonly body: AsyncIterable<Buffer> & {
      destroy(error?: Error): unknown;
      on(event: "error", listener: (error: Error) => void): unknown;
    },
  ) {}
}

/** Response headers as undici's dispatcher gives them (lower-case names). */
class RawHeaders implements ResponseHeaders {
  constructor(private readonly fields: Record<string, string | string[] | undefined>) {}

  get(name: string): string | null {
    const value = this.fields[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(", ") : value;
  }
}

/** Request headers of the middleware chain as one plain object for the dispatcher. */
function plainHeaders(headers: RequestInit["headers"]): Record<string, string> {
  if (headers === undefined || headers === null) return {};
  if (headers instanceof Headers || Array.isArray(headers)) {
    return Object.fromEntries(headers instanceof Headers ? headers.entries() : headers);
  }
  return headers as Record<string, string>;
}

// The last handler of the chain: HTTPMessageHandler calls the global fetch. This one sends
// through undici's dispatcher (or an injected fetch) and carries a network error out with its
// `cause` intact (the Graph client would flatten it into a GraphError without the errno code).
class FetchHandler extends HTTPMessageHandler {
  constructor(
    private readonly fetchImpl: FetchFunction | undefined,
    private readonly dispatcher: Dispatcher,
  ) {
    super();
  }

  override async execute(context: Context): Promise<void> {
    const options = context.options as RequestInit;
    try {
      if (this.fetchImpl) {
        context.response = await this.fetchImpl(context.request, options);
        return;
      }
      const url = new URL(
        typeof context.request === "string" ? context.request : context.request.url,
      );
      // No redirect is followed (the dispatcher API never does: `redirect: "manual"`).
      const answer = await this.dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: (options.method ?? "GET") as Dispatcher.HttpMethod,
        headers: plainHeaders(options.headers),
        body: (options.body ?? null) as string | Uint8Array | null,
        signal: options.signal ?? null,
      });
      context.response = new DispatchedResponse(
        answer.statusCode,
        new RawHeaders(answer.headers),
        answer.body,
      ) as unknown as Response;
    } catch (error) {
      // The dispatcher's errors are wrapped like fetch wraps them, so both read the same.
      throw new CarriedError(
        this.fetchImpl ? error : new TypeError("fetch failed", { cause: error }),
      );
    }
  }
}

/** Response header fields, by name (case-insensitive); WHATWG `Headers` is one. */
export interface ResponseHeaders {
  get(name: string): string | null;
}

/** What an HTTP response said. */
export interface HttpResult {
  readonly status: number;
  readonly headers: ResponseHeaders;
  /**
   * Parsed JSON, or the text when the body is not JSON, or undefined when empty or not read
   * (a redirect). At most MAX_ERROR_BODY_BYTES of an error, MAX_SUCCESS_BODY_BYTES of a success.
   */
  readonly body: unknown;
  /** Whether the body was longer than what was read (the rest was discarded unread). */
  readonly truncated?: boolean;
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
  /** The HTTPS proxy (CONNECT tunnel) for every host NO_PROXY does not name. */
  readonly proxy?: ResolvedProxy;
  /** Called after each request with what a log line may show: never a header, query or body. */
  readonly onRequest?: (trace: GraphRequestTrace) => void;
}

/** One request as the protocol trace shows it. */
export interface GraphRequestTrace {
  readonly method: string;
  /** The path under the version root, or only the host of an upload URL (its query is a credential). */
  readonly target: string;
  readonly status?: number;
  readonly requestId?: string;
  readonly error?: string;
  readonly durationMs: number;
  readonly bytes?: number;
  readonly proxied: boolean;
}

/** Whether a response status is a redirect (status 0: a WHATWG fetch's opaque redirect). */
export function isRedirect(status: number): boolean {
  return status === 0 || (status >= 300 && status < 400);
}

/**
 * Reads a response as an `HttpResult`, at most `MAX_ERROR_BODY_BYTES` of an error and
 * `MAX_SUCCESS_BODY_BYTES` of a success. The rest is never read: the body is cancelled, which
 * closes the connection (a server streaming an endless answer cannot fill the memory). A
 * redirect's body is not read at all.
 */
export async function readResult(response: Response): Promise<HttpResult> {
  if (response instanceof DispatchedResponse) return readDispatched(response);
  const result = { status: response.status, headers: response.headers };
  const stream = response.body;
  if (!stream) return { ...result, body: undefined };
  if (isRedirect(response.status)) {
    await stream.cancel().catch(() => {});
    return { ...result, body: undefined };
  }
  const limit =
    response.status >= 200 && response.status < 300 ? MAX_SUCCESS_BODY_BYTES : MAX_ERROR_BODY_BYTES;
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.byteLength > limit) {
        chunks.push(value.subarray(0, limit - size));
        truncated = true;
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    if (truncated) await reader.cancel().catch(() => {});
    else reader.releaseLock();
  }
  return toResult(result, chunks, truncated);
}

/** `readResult` for a response of the dispatcher: the same limits, read from a Node stream. */
async function readDispatched(response: DispatchedResponse): Promise<HttpResult> {
  const result = { status: response.status, headers: response.headers };
  const stream = response.body;
  if (isRedirect(response.status)) {
    discard(stream);
    return { ...result, body: undefined };
  }
  const limit =
    response.status >= 200 && response.status < 300 ? MAX_SUCCESS_BODY_BYTES : MAX_ERROR_BODY_BYTES;
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  try {
    for await (const value of stream) {
      if (size + value.byteLength > limit) {
        chunks.push(value.subarray(0, limit - size));
        truncated = true;
        // The rest is never read: destroying the body closes the connection.
        discard(stream);
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } catch (error) {
    // A body cut off reads like fetch's ("terminated", the socket error as the cause).
    throw new TypeError("terminated", { cause: error });
  }
  return toResult(result, chunks, truncated);
}

/** Drops a body unread; undici's abort error of an unfinished body goes nowhere. */
function discard(stream: DispatchedResponse["body"]): void {
  stream.on("error", () => {});
  stream.destroy();
}

function toResult(
  result: { status: number; headers: ResponseHeaders },
  chunks: readonly Uint8Array[],
  truncated: boolean,
): HttpResult {
  if (chunks.length === 0) return { ...result, body: undefined };
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.length === 0) return { ...result, body: undefined };
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (or cut short): the text.
  }
  return { ...result, body, ...(truncated && { truncated }) };
}

/**
 * Graph over `@microsoft/microsoft-graph-client` with a chain of AuthenticationHandler →
 * TelemetryHandler → undici's dispatcher (or an injected fetch) and no RetryHandler: retries belong to the mailer, which knows
 * that `sendMail` is not idempotent.
 */
export class GraphHttp {
  private readonly client: Client;
  /** An injected fetch; without one, requests go through undici's dispatcher API. */
  private readonly fetchImpl: FetchFunction | undefined;
  private readonly dispatcher: Agent;
  private proxyDispatcher: ProxyAgent | undefined;
  private readonly graphDispatcher: Dispatcher;
  private readonly connectTls: Record<string, unknown>;
  private readonly forceRefreshProvider: AuthenticationProvider;

  constructor(private readonly options: GraphHttpOptions) {
    const getToken = async (forceRefresh: boolean) => {
      try {
        const token = await options.tokenProvider.getToken(forceRefresh ? { forceRefresh } : {});
        options.onToken?.(token);
        return token;
      } catch (error) {
        throw new CarriedError(tokenProviderFailure(error));
      }
    };
    this.forceRefreshProvider = { getAccessToken: () => getToken(true) };
    const ca = options.ca;
    // Our own dispatcher always: global fetch ignores a `ca` option, and the TLS rules (1.2 or
    // later, certificates verified) must not depend on the process's defaults — a
    // NODE_TLS_REJECT_UNAUTHORIZED=0 set for something else must not send the bearer token
    // to a server whose certificate does not verify.
    this.connectTls = {
      minVersion: "TLSv1.2",
      rejectUnauthorized: true,
      // Built once: a `ca` option would parse the ~140 default roots again for every
      // connection (tens of ms of CPU each).
      ...(ca !== undefined && {
        secureContext: tls.createSecureContext({
          ca: withDefaultRoots(ca),
          minVersion: "TLSv1.2",
        }),
      }),
    };
    this.dispatcher = new Agent({ connect: this.connectTls });
    this.graphDispatcher = this.dispatcherFor(options.baseUrl);
    this.fetchImpl = options.fetch;
    const host = new URL(options.baseUrl).hostname;
    this.client = Client.initWithMiddleware({
      baseUrl: options.baseUrl,
      defaultVersion: "v1.0",
      // Without this the client sends no Authorization header to a host it does not know.
      customHosts: new Set([host]),
      // Graph never redirects an API call: a 3xx comes from a proxy or a wrong baseUrl, and
      // following it would turn a POST into a GET that "succeeds" (301/302, message lost) or
      // re-post the message and the token to another origin (307/308). The 3xx is returned
      // as it is and becomes an error.
      fetchOptions: {
        dispatcher: this.graphDispatcher,
        redirect: "manual",
      } as unknown as RequestInit,
      middleware: [
        new AuthenticationHandler({ getAccessToken: () => getToken(false) }),
        new TelemetryHandler(),
        new FetchHandler(this.fetchImpl, this.graphDispatcher),
      ],
    });
  }

  /**
   * The dispatcher for a URL: through the proxy (a CONNECT tunnel; TLS to the target with the
   * same verification rules and the same TLS context) unless NO_PROXY names its host, else
   * direct. One of each per transport, so connections are pooled.
   */
  private dispatcherFor(url: string): Dispatcher {
    const proxy = this.options.proxy;
    if (!proxy || !usesProxy(proxy, new URL(url))) return this.dispatcher;
    this.proxyDispatcher ??= new ProxyAgent({
      uri: proxy.url.href,
      requestTls: this.connectTls,
      proxyTls: { minVersion: "TLSv1.2", rejectUnauthorized: true },
    });
    return this.proxyDispatcher;
  }

  private trace(
    method: string,
    target: string,
    started: number,
    dispatcher: Dispatcher,
    outcome: { result?: HttpResult; error?: unknown; bytes?: number },
  ): void {
    const onRequest = this.options.onRequest;
    if (!onRequest) return;
    const requestId = outcome.result?.headers.get("request-id") ?? undefined;
    try {
      onRequest({
        method,
        target,
        ...(outcome.result && { status: outcome.result.status }),
        ...(requestId && { requestId }),
        ...(outcome.error !== undefined && {
          error:
            outcome.error instanceof RequestFailure
              ? (networkCode(outcome.error.original).code ?? outcome.error.reason)
              : MailError.isInstance(outcome.error)
                ? outcome.error.code
                : "error",
        }),
        ...(outcome.bytes !== undefined && { bytes: outcome.bytes }),
        durationMs: Math.round(performance.now() - started),
        proxied: dispatcher !== this.dispatcher,
      });
    } catch {
      // A logger's failure must not fail the send.
    }
  }

  /**
   * Sends one request and reads its whole response, whatever the status.
   * @throws RequestFailure when no response arrived; the token provider's own error when no
   *   token could be had.
   */
  async request(spec: GraphRequestSpec): Promise<HttpResult> {
    const started = performance.now();
    const target = /^https?:\/\//i.test(spec.path) ? new URL(spec.path).host : spec.path;
    try {
      const result = await this.send(spec);
      this.trace(spec.method, target, started, this.graphDispatcher, { result });
      return result;
    } catch (error) {
      this.trace(spec.method, target, started, this.graphDispatcher, { error });
      throw error;
    }
  }

  private async send(spec: GraphRequestSpec): Promise<HttpResult> {
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
      return readResult(response);
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
    const started = performance.now();
    const dispatcher = this.dispatcherFor(url);
    // Only the host: the upload URL's query is its credential.
    const target = new URL(url).host;
    const bytes = init.body.byteLength;
    try {
      const result = await this.sendUpload(url, init, parent, dispatcher);
      this.trace(init.method, target, started, dispatcher, { result, bytes });
      return result;
    } catch (error) {
      this.trace(init.method, target, started, dispatcher, { error, bytes });
      throw error;
    }
  }

  private async sendUpload(
    url: string,
    init: { method: "PUT"; headers: Record<string, string>; body: Uint8Array },
    parent: AbortSignal,
    dispatcher: Dispatcher,
  ): Promise<HttpResult> {
    return this.withTimeout(parent, async (signal) => {
      const response = await (this.fetchImpl ?? (undiciFetch as unknown as FetchFunction))(url, {
        ...init,
        signal,
        dispatcher,
        // An upload URL is pre-authenticated: its bytes go to that URL or nowhere.
        redirect: "manual",
      } as unknown as RequestInit);
      return readResult(response);
    });
  }

  private async withTimeout<T>(
    parent: AbortSignal,
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    if (parent.aborted) throw new RequestFailure("aborted", parent.reason, false);
    // One controller per request, aborted by the parent or the timer (AbortSignal.any keeps a
    // registry of weak references per call, which costs more than the two listeners here).
    const controller = new AbortController();
    let timedOut = false;
    const onAbort = () => controller.abort(parent.reason);
    parent.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error("request timed out"));
    }, this.options.requestTimeoutMs);
    try {
      return await run(controller.signal);
    } catch (error) {
      if (parent.aborted) throw new RequestFailure("aborted", parent.reason);
      if (timedOut) throw new RequestFailure("timeout", error);
      if (error instanceof RequestFailure || MailError.isInstance(error)) throw error;
      if (isFetchFailure(error)) throw new RequestFailure("network", error);
      throw error;
    } finally {
      clearTimeout(timer);
      parent.removeEventListener("abort", onAbort);
    }
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await Promise.all([this.dispatcher.close(), this.proxyDispatcher?.close()]);
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
