// A small fetch wrapper for the Graph endpoint tests: bearer token, JSON or raw bodies, and
// the reply's status, headers and parsed body.
import { type Agent, fetch } from "undici";
import { expect } from "vitest";

/** What a Graph call answered. */
export interface GraphReply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed JSON body, or undefined for an empty one. */
  readonly json: unknown;
  /** `error` of a Graph error body. */
  readonly error?: {
    readonly code: string;
    readonly message: string;
    readonly innerError?: Record<string, string>;
  };
}

/** A Graph call: method, path (or absolute URL) and options; see {@link graphFetcher}. */
export type GraphFetch = ReturnType<typeof graphFetcher>;

/** Calls the emulator's Graph endpoint like a plain fetch client would. */
export function graphFetcher(
  baseUrl: string,
  dispatcher: Agent,
  defaultToken: () => Promise<string>,
) {
  return async (
    method: string,
    path: string,
    options: {
      readonly json?: unknown;
      readonly body?: string | Buffer;
      readonly contentType?: string;
      /** `null`: no Authorization header. */
      readonly token?: string | null;
      readonly headers?: Record<string, string>;
    } = {},
  ): Promise<GraphReply> => {
    const token = options.token === undefined ? await defaultToken() : options.token;
    const headers: Record<string, string> = { ...options.headers };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | Buffer | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["content-type"] = "application/json";
    }
    if (options.contentType) headers["content-type"] = options.contentType;
    const url = path.startsWith("https://") ? path : `${baseUrl}${path}`;
    const response = await fetch(url, {
      method,
      headers,
      ...(body !== undefined && { body }),
      dispatcher,
    });
    const text = await response.text();
    const json = text ? (JSON.parse(text) as unknown) : undefined;
    const error = (json as { error?: GraphReply["error"] } | undefined)?.error;
    return {
      status: response.status,
      headers: response.headers as unknown as Headers,
      text,
      json,
      ...(error ? { error } : {}),
    };
  };
}

/**
 * Asserts that a Graph call answered an error: its HTTP status and the fields of its `error`
 * body (`code`, and `message` whole or as an asymmetric matcher such as
 * `expect.stringContaining`).
 * @param reply what the call answered
 * @param status the HTTP status expected
 * @param error the `error` fields expected
 */
export function expectGraphError(
  reply: GraphReply,
  status: number,
  error: { readonly code: string; readonly message?: unknown },
): void {
  expect(reply.status).toBe(status);
  expect(reply.error).toMatchObject(error);
}
