import {
  classifyNetworkError,
  httpErrorToMailError,
  MailError,
  redactSecrets,
} from "@mailpath/core";
import { type HttpResult, networkCode, RequestFailure } from "./http.js";

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

/** A Graph error response as a `MailError` (status, `error.code`, `request-id`, `Retry-After`). */
export function responseToMailError(result: HttpResult, context: GraphErrorContext): MailError {
  const body = (typeof result.body === "object" ? result.body : undefined) as
    | GraphErrorBody
    | undefined;
  const inner = body?.error?.innerError;
  const requestId =
    result.headers.get("request-id") ??
    (typeof inner?.["request-id"] === "string" ? (inner["request-id"] as string) : undefined);
  const text =
    body?.error?.message ?? (typeof result.body === "string" ? result.body.slice(0, 500) : "");
  const error = httpErrorToMailError(
    {
      status: result.status,
      ...(body?.error?.code !== undefined && { code: body.error.code }),
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
