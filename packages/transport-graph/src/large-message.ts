import { MailError, type NormalizedMessage, redactSecrets, startRequestSpan } from "@mailpath/core";
import {
  LARGE_ATTACHMENT_BYTES,
  MAX_REQUEST_BYTES,
  type ResolvedAttachment,
  readAttachment,
  readChunks,
} from "./attachments.js";
import { failureToMailError, type GraphStep, responseToMailError } from "./errors.js";
import type { GraphHttp, GraphRequestSpec, HttpResult } from "./http.js";
import { attachmentPostBytes, fileAttachment, toGraphMessage } from "./json-message.js";
import { buildMime } from "./mime-message.js";

/** A 2xx answer: the only kind a request succeeds with. */
export function succeeded(result: HttpResult): boolean {
  return result.status >= 200 && result.status < 300;
}

/** What the draft/upload path uses of the transport it belongs to. */
export interface LargeMessageContext {
  /** The transport's name, for errors. */
  readonly name: string;
  /** The transport's HTTP client (upload PUTs and the draft clean-up go through it directly). */
  readonly http: GraphHttp;
  /** One Graph request with the transport's 401 retry and error mapping. */
  readonly call: (
    spec: Omit<GraphRequestSpec, "signal">,
    step: GraphStep,
    signal: AbortSignal,
    messageId?: string,
  ) => Promise<HttpResult>;
  /** The secrets and tokens known so far, to redact errors of. */
  readonly secretList: () => string[];
  /** `/users/{mailbox}` for a message. */
  readonly userPath: (message: NormalizedMessage) => string;
}

/**
 * The path for messages too large for one request: a draft, its attachments (upload sessions
 * for those of 3 MB and more), then the draft is sent; the draft is deleted when a step fails.
 */
export function createLargeMessageSender({
  name,
  http,
  call,
  secretList,
  userPath,
}: LargeMessageContext): (
  message: NormalizedMessage,
  mode: "json" | "mime",
  items: readonly ResolvedAttachment[],
  signal: AbortSignal,
) => Promise<HttpResult> {
  async function uploadLarge(
    base: string,
    item: ResolvedAttachment,
    signal: AbortSignal,
    messageId: string,
  ): Promise<void> {
    const session = await call(
      {
        method: "POST",
        path: `${base}/attachments/createUploadSession`,
        contentType: "application/json",
        body: {
          AttachmentItem: {
            attachmentType: "file",
            name: item.name,
            size: item.size,
            contentType: item.source.contentType,
            isInline: item.source.inline,
            ...(item.source.contentId !== undefined && { contentId: item.source.contentId }),
          },
        },
      },
      "draft",
      signal,
      messageId,
    );
    const uploadUrl = (session.body as { uploadUrl?: unknown } | undefined)?.uploadUrl;
    if (typeof uploadUrl !== "string") {
      throw new MailError({
        code: "SERVER_ERROR",
        message: `${name}: createUploadSession answered without an uploadUrl.`,
        retryable: true,
        transport: name,
        hint: "Graph returned an unexpected answer: retry later.",
        messageId,
      });
    }
    // The URL is pre-authenticated (its credential is in the query) and gets the attachment's
    // bytes: only over TLS, and it is never quoted whole in an error.
    let scheme: string;
    let uploadHost = "";
    try {
      const parsed = new URL(uploadUrl);
      scheme = parsed.protocol;
      uploadHost = parsed.host;
    } catch {
      scheme = "not a URL";
    }
    if (scheme !== "https:") {
      throw new MailError({
        code: "SERVER_ERROR",
        retryable: false,
        message: redactSecrets(
          `${name}: createUploadSession answered with an upload URL that is not https:// (${scheme}${uploadHost ? `//${uploadHost}` : ""}); the attachment was not uploaded.`,
          secretList(),
        ),
        transport: name,
        hint: "Graph's upload sessions are always https://: the answer did not come from Graph (check baseUrl and any proxy in between).",
        messageId,
      });
    }
    const context = {
      transport: name,
      secrets: secretList(),
      step: "draft" as const,
      messageId,
      upload: true,
      url: uploadUrl,
    };
    // Each PUT is a span under the attempt when the send is traced: host, range and status,
    // never the URL (its query is a credential).
    const target = new URL(uploadUrl);
    const where = {
      "server.address": target.hostname,
      "server.port": Number(target.port || 443),
      "mailpath.graph.upload.size": item.size,
    };
    let offset = 0;
    // Sequential PUTs: Graph wants the ranges in order, one at a time.
    for await (const chunk of readChunks(item)) {
      const end = offset + chunk.length - 1;
      const span = startRequestSpan("mailpath.graph.upload_chunk", {
        ...where,
        "mailpath.graph.upload.offset": offset,
        "mailpath.graph.upload.bytes": chunk.length,
      });
      let result: HttpResult;
      try {
        result = await http.upload(
          uploadUrl,
          {
            method: "PUT",
            headers: {
              "Content-Type": "application/octet-stream",
              "Content-Length": String(chunk.length),
              "Content-Range": `bytes ${offset}-${end}/${item.size}`,
            },
            body: chunk,
          },
          signal,
        );
      } catch (error) {
        const mapped = failureToMailError(error, context);
        span?.end({ error: mapped });
        throw mapped;
      }
      const requestId = result.headers.get("request-id") ?? undefined;
      if (!succeeded(result)) {
        const mapped = responseToMailError(result, context);
        span?.end({ status: result.status, error: mapped });
        throw mapped;
      }
      span?.end({ status: result.status, attributes: { "mailpath.graph.request_id": requestId } });
      offset = end + 1;
    }
    if (offset !== item.size) {
      throw new MailError({
        code: "INVALID_MESSAGE",
        message: `${name}: attachment ${item.name} changed size while it was uploaded (${offset} of ${item.size} bytes).`,
        transport: name,
        hint: "Do not modify an attachment file while it is being sent.",
        messageId,
      });
    }
  }

  async function deleteDraft(base: string): Promise<void> {
    try {
      await http.request({ method: "DELETE", path: base, signal: AbortSignal.timeout(15_000) });
    } catch {
      // Best effort: the draft stays in Drafts, the original error matters more.
    }
  }

  /**
   * The base64 MIME a draft is created from, and the attachments left to add to the draft
   * afterwards. Attachments under 3 MB ride inside the MIME when it still fits one request;
   * larger ones (and small ones that do not fit) are added after, through upload sessions or
   * attachment POSTs, and Graph appends them to the MIME it sends.
   */
  async function mimeDraft(
    message: NormalizedMessage,
    items: readonly ResolvedAttachment[],
  ): Promise<{ body: string; rest: readonly ResolvedAttachment[] }> {
    const small = items.filter((item) => item.size < LARGE_ATTACHMENT_BYTES);
    const large = items.filter((item) => item.size >= LARGE_ATTACHMENT_BYTES);
    // base64 in MIME, then base64 again for the request: each byte costs about 1.8 bytes.
    const smallBytes = small.reduce((sum, item) => sum + Math.ceil((item.size * 4 * 4) / 9), 0);
    if (small.length > 0 && smallBytes < MAX_REQUEST_BYTES) {
      const body = (await buildMime(message, small)).toString("base64");
      if (body.length <= MAX_REQUEST_BYTES) return { body, rest: large };
    }
    return { body: (await buildMime(message, [])).toString("base64"), rest: items };
  }

  /**
   * Draft → attachments (upload sessions for large ones) → send. Needs Mail.ReadWrite. In
   * MIME mode the draft is created from the MIME message, so it keeps what only MIME carries.
   */
  async function sendLarge(
    message: NormalizedMessage,
    mode: "json" | "mime",
    items: readonly ResolvedAttachment[],
    signal: AbortSignal,
  ): Promise<HttpResult> {
    // Under 3 MB an attachment can only be POSTed (Graph refuses an upload session for it),
    // and its base64 in JSON must fit one 4 MB request: in the last ~100 bytes below 3 MB it
    // does not, and no request can carry it. Refused before a draft is created.
    const unsendable = items.find(
      (item) => item.size < LARGE_ATTACHMENT_BYTES && attachmentPostBytes(item) > MAX_REQUEST_BYTES,
    );
    if (unsendable) {
      throw new MailError({
        code: "MESSAGE_TOO_LARGE",
        message: `${name}: attachment ${unsendable.name} (${unsendable.size} bytes) is just under Graph's 3 MB upload-session minimum, and its base64 in a JSON attachment request (${attachmentPostBytes(unsendable)} bytes) is over the 4 MB request limit.`,
        transport: name,
        hint: "Graph can carry an attachment of this size in neither way: make it a few hundred bytes smaller or at least 3 MB (3,145,728 bytes), or send the message over SMTP.",
        messageId: message.messageId,
      });
    }
    const messages = `${userPath(message)}/messages`;
    const mime = mode === "mime" ? await mimeDraft(message, items) : undefined;
    const draft = mime
      ? await call(
          { method: "POST", path: messages, body: mime.body, contentType: "text/plain" },
          "draft",
          signal,
          message.messageId,
        )
      : await call(
          {
            method: "POST",
            path: messages,
            body: toGraphMessage(message),
            contentType: "application/json",
          },
          "draft",
          signal,
          message.messageId,
        );
    const id = (draft.body as { id?: unknown } | undefined)?.id;
    if (typeof id !== "string") {
      throw new MailError({
        code: "SERVER_ERROR",
        message: `${name}: creating the draft answered without an id.`,
        retryable: true,
        transport: name,
        hint: "Graph returned an unexpected answer: retry later.",
        messageId: message.messageId,
      });
    }
    const base = `${messages}/${encodeURIComponent(id)}`;
    try {
      for (const item of mime?.rest ?? items) {
        if (item.size >= LARGE_ATTACHMENT_BYTES) {
          await uploadLarge(base, item, signal, message.messageId);
        } else {
          await call(
            {
              method: "POST",
              path: `${base}/attachments`,
              body: fileAttachment(item, await readAttachment(item)),
              contentType: "application/json",
            },
            "draft",
            signal,
            message.messageId,
          );
        }
      }
      return await call(
        { method: "POST", path: `${base}/send`, body: "", contentType: "application/json" },
        "send",
        signal,
        message.messageId,
      );
    } catch (error) {
      await deleteDraft(base);
      throw error;
    }
  }

  return sendLarge;
}
