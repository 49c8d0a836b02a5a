import {
  classifyNetworkError,
  httpErrorToMailError,
  MailError,
  redactSecrets,
} from "@mailpath/core";
import {
  type HttpResult,
  isRedirect,
  MAX_ERROR_BODY_BYTES,
  networkCode,
  RequestFailure,
} from "./http.js";

/** Which request failed: the hint and `ambiguous` depend on it. */
export type GraphStep =
  /** `sendMail` or `messages/{id}/send`: after it, the message may be on its way. */
  | "send"
  /** Draft, attachment, upload session, upload chunk: nothing is sent yet. */
  | "draft"
  | "verify";

/** What the mapping needs besides the failure. */
export interface GraphErrorContext {
  readonly transport: string;
  readonly secrets: readonly string[];
  readonly step: GraphStep;
  readonly messageId?: string;
  /** The request went to an upload-session URL, not to Graph's API. */
  readonly upload?: boolean;
}

interface GraphErrorBody {
  readonly error?: {
    readonly code?: string;
    readonly message?: string;
    readonly innerError?: Record<string, unknown>;
  };
}

// Errors that happen before a request leaves this machine: the server never saw it.
const NEVER_SENT = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
]);

const READ_WRITE_HINT =
  "Messages with attachments of 3 MB or more, or over 4 MB in all, are sent through a draft and an upload session, which needs the Mail.ReadWrite application permission (with admin consent) in addition to Mail.Send, for this mailbox. Grant it, or send smaller attachments.";

/** Most characters of a server's text put into an error message. */
export const MAX_ERROR_TEXT = 1000;

/** `text` cut to `max` characters, saying so. */
export function clip(text: string, max = MAX_ERROR_TEXT): string {
  return text.length <= max
    ? text
    : `${text.slice(0, max)}… (${text.length - max} more characters cut)`;
}

/**
 * Where a redirect pointed, without what could be secret in it: scheme, host and path only
 * (no user info, query or fragment; an upload URL carries its credential in the query).
 */
export function redirectTarget(location: string | null, requestUrl: string): string {
  if (location === null || location.trim() === "") return "no Location header";
  try {
    const url = new URL(location, requestUrl);
    return clip(`${url.protocol}//${url.host}${url.pathname}`, 200);
  } catch {
    return "an unreadable Location header";
  }
}

/**
 * A 3xx answer as a `MailError`. Redirects are never followed: Graph does not redirect API
 * calls, so a 3xx means something else answered (a proxy, a captive portal, a wrong
 * `baseUrl`), and the request was not processed by Graph: not ambiguous, not retryable.
 */
export function redirectToMailError(
  result: HttpResult,
  context: GraphErrorContext & { readonly url: string },
): MailError {
  const redact = (text: string) => redactSecrets(text, context.secrets);
  const status = result.status === 0 ? "a redirect" : `HTTP ${result.status}`;
  const target = redirectTarget(result.headers.get("location"), context.url);
  const where = context.upload ? "The upload URL" : "Graph";
  return new MailError({
    code: "CONNECTION_FAILED",
    retryable: false,
    message: redact(
      `${context.transport}: ${where} answered ${status} redirecting to ${target}; redirects are not followed, nothing was sent there.`,
    ),
    transport: context.transport,
    ...(result.status !== 0 && { http: { status: result.status } }),
    hint: redact(
      `Graph never redirects sendMail or any other API call: a proxy, a captive portal or a wrong baseUrl answered instead (${new URL(context.url).origin}). Point baseUrl at the Graph root of your cloud (https://graph.microsoft.com for the global one) and let HTTPS to it through without interception.`,
    ),
    ...(context.messageId !== undefined && { messageId: context.messageId }),
  });
}

/** A Graph error response as a `MailError` (status, `error.code`, `request-id`, `Retry-After`). */
export function responseToMailError(
  result: HttpResult,
  context: GraphErrorContext & { readonly url?: string },
): MailError {
  if (isRedirect(result.status) && context.url !== undefined) {
    return redirectToMailError(result, { ...context, url: context.url });
  }
  const body = (typeof result.body === "object" ? result.body : undefined) as
    | GraphErrorBody
    | undefined;
  const inner = body?.error?.innerError;
  const headerRequestId = result.headers.get("request-id");
  const requestId =
    (headerRequestId !== null ? clip(headerRequestId, 200) : undefined) ??
    (typeof inner?.["request-id"] === "string"
      ? clip(inner["request-id"] as string, 200)
      : undefined);
  // Texts from the server are cut before they are copied (and scrubbed) into the error.
  const rawText =
    typeof body?.error?.message === "string"
      ? body.error.message
      : typeof result.body === "string"
        ? result.body.slice(0, 500)
        : "";
  const text = result.truncated
    ? `${clip(rawText)} (answer cut after ${MAX_ERROR_BODY_BYTES / 1024} kB)`
    : clip(rawText);
  const graphCode = typeof body?.error?.code === "string" ? clip(body.error.code, 200) : undefined;
  const error = httpErrorToMailError(
    {
      status: result.status,
      ...(graphCode !== undefined && { code: graphCode }),
      ...(text !== "" && { message: text }),
      retryAfter: result.headers.get("retry-after"),
      ...(requestId !== undefined && { requestId }),
    },
    {
      transport: context.transport,
      secrets: context.secrets,
      // A 5xx on the send step: Exchange may have taken the message before failing.
      ambiguous: context.step === "send" && result.status >= 500,
    },
  );
  const changes: Record<string, unknown> = {};
  if (context.messageId !== undefined) changes.messageId = context.messageId;
  if (context.step === "draft" && result.status === 403) changes.hint = READ_WRITE_HINT;
  return Object.keys(changes).length > 0 ? error.with(changes) : error;
}

/** A request that got no response (aborted, timed out, connection failed) as a `MailError`. */
export function failureToMailError(failure: unknown, context: GraphErrorContext): MailError {
  const redact = (text: string) => redactSecrets(text, context.secrets);
  const messageId = context.messageId !== undefined ? { messageId: context.messageId } : {};
  if (MailError.isInstance(failure)) {
    return failure.transport === undefined
      ? failure.with({ transport: context.transport, ...messageId })
      : failure;
  }
  if (!(failure instanceof RequestFailure)) {
    return new MailError({
      code: "UNKNOWN",
      message: redact(`${context.transport}: ${String((failure as Error)?.message ?? failure)}`),
      transport: context.transport,
      hint: "An unexpected error: read its message.",
      ...messageId,
    });
  }
  if (failure.reason === "aborted") {
    return new MailError({
      code: "ABORTED",
      message: `${context.transport}: the send was aborted.`,
      transport: context.transport,
      hint: "The send was aborted by its AbortSignal or the mailer was closed.",
      // Aborting the send request after it left cannot un-send it.
      ...(context.step === "send" && failure.started && { ambiguous: true }),
      ...messageId,
    });
  }
  if (failure.reason === "timeout") {
    return new MailError({
      code: "TIMEOUT",
      message: `${context.transport}: Graph did not answer within requestTimeoutMs.`,
      retryable: true,
      transport: context.transport,
      hint: "Graph did not answer in time: the mailer retries; if it persists check the network path and proxies.",
      ...(context.step === "send" && { ambiguous: true }),
      ...messageId,
    });
  }
  const { code, message } = networkCode(failure.original);
  // undici's words when the proxy refuses the CONNECT: nothing reached Graph.
  const proxyStatus = /Proxy response \((\d+)\)/.exec(message ?? "")?.[1];
  if (proxyStatus !== undefined) {
    return new MailError({
      code: "CONNECTION_FAILED",
      message: `${context.transport}: the HTTPS proxy answered ${proxyStatus} to CONNECT; nothing was sent.`,
      retryable: Number(proxyStatus) >= 500,
      transport: context.transport,
      hint:
        proxyStatus === "407"
          ? "The proxy wants credentials: put them in the proxy URL (http://user:password@proxy:3128)."
          : "The proxy refused the tunnel to Graph: allow CONNECT to the Graph and Entra hosts on port 443, or list them in NO_PROXY.",
      ...messageId,
    });
  }
  const classification = classifyNetworkError({
    ...(code !== undefined && { code }),
    ...(message !== undefined && { message }),
  });
  const sent =
    context.step === "send" &&
    !(code !== undefined && NEVER_SENT.has(code)) &&
    classification.code !== "TLS_ERROR";
  return new MailError({
    code: classification.code === "UNKNOWN" ? "CONNECTION_FAILED" : classification.code,
    message: redact(
      `${context.transport}: ${message ?? "request failed"}${code ? ` (${code})` : ""}`,
    ),
    retryable: classification.code === "UNKNOWN" ? true : classification.retryable,
    transport: context.transport,
    hint: redact(classification.hint),
    ...(sent && { ambiguous: true }),
    ...messageId,
    cause: failure.original,
  });
}
