import {
  MailError,
  type NormalizedMessage,
  redactSecrets,
  type TokenProvider,
  type Transport,
  type TransportLimits,
  type TransportReceipt,
  type TransportSendOptions,
} from "@mailpath/core";
import { type AccessTokenClaims, decodeTokenClaims } from "@mailpath/entra";
import {
  LARGE_ATTACHMENT_BYTES,
  MAX_REQUEST_BYTES,
  type ResolvedAttachment,
  readAttachment,
  readChunks,
  resolveAttachments,
} from "./attachments.js";
import { failureToMailError, type GraphStep, responseToMailError } from "./errors.js";
import { GraphHttp, type GraphRequestSpec, type HttpResult, RequestFailure } from "./http.js";
import { chooseMode, estimateJsonBytes, fileAttachment, toGraphMessage } from "./json-message.js";
import { buildMime } from "./mime-message.js";
import { type GraphTransportOptions, resolveGraphOptions } from "./options.js";
import { createTokenProvider } from "./token.js";

/**
 * The Graph transport: a `Transport` plus what it resolved from its options.
 * @since 0.1.0
 */
export interface GraphTransport extends Transport {
  readonly name: string;
  readonly limits: TransportLimits;
  /** The Graph root requests go to (without the version). */
  readonly baseUrl: string;
  /** The mode a message would be sent in (`auto` resolved for this message). */
  modeFor(message: NormalizedMessage): "json" | "mime";
  /** Gets a token and checks it carries the `Mail.Send` role. */
  verify(): Promise<void>;
  /** Closes the connection pool. Idempotent. */
  close(): Promise<void>;
}

// Several sends that need a token at once share one request for it.
function singleFlight(provider: TokenProvider): TokenProvider {
  let pending: Promise<string> | undefined;
  return {
    getToken(options) {
      if (options?.forceRefresh) return provider.getToken(options);
      pending ??= provider.getToken(options).finally(() => {
        pending = undefined;
      });
      return pending;
    },
  };
}

/** A 2xx answer: the only kind a request succeeds with. */
function succeeded(result: HttpResult): boolean {
  return result.status >= 200 && result.status < 300;
}

/** The application permissions a token carries; undefined when it is no JWT (nothing to check). */
function tokenRoles(token: string): string[] | undefined {
  let claims: AccessTokenClaims;
  try {
    claims = decodeTokenClaims(token);
  } catch {
    return undefined;
  }
  return Array.isArray(claims.roles) ? claims.roles.map(String) : [];
}

/**
 * Creates a transport that sends through Microsoft Graph `POST /users/{sender}/sendMail`, as
 * JSON or as MIME, and through a draft plus upload sessions when a message is too large for
 * one request. It never retries on its own: the mailer does, with the same Message-ID.
 *
 * @throws MailError `INVALID_CONFIG` naming the wrong option.
 * @example
 * const transport = createGraphTransport({
 *   tenantId: process.env.TENANT_ID,
 *   clientId: process.env.CLIENT_ID,
 *   clientSecret: process.env.CLIENT_SECRET,
 * });
 * const mailer = createMailer({ transport, from: "notifications@contoso.com" });
 * await mailer.send({ to: "ada@contoso.com", subject: "Hello", text: "Hi Ada" });
 * @since 0.1.0
 */
export function createGraphTransport(options: GraphTransportOptions): GraphTransport {
  const resolved = resolveGraphOptions(options);
  const name = resolved.name;
  // Tokens seen so far, so errors can be redacted of them; the configured secrets are always
  // redacted. A known token (the usual case: a cached one) costs one lookup per request.
  const tokens = new Set<string>();
  const rememberToken = (token: string) => {
    if (tokens.has(token)) return;
    if (tokens.size >= 64) tokens.clear();
    tokens.add(token);
  };
  // Built only when an error is made: a successful request never needs the list.
  const secretList = () => [...resolved.secrets, ...tokens];

  const tokenProvider = singleFlight(createTokenProvider(resolved));
  const logger = resolved.logger;
  const http = new GraphHttp({
    baseUrl: resolved.baseUrl,
    tokenProvider,
    ...(resolved.ca !== undefined && { ca: resolved.ca }),
    ...(resolved.fetch && { fetch: resolved.fetch }),
    requestTimeoutMs: resolved.requestTimeoutMs,
    onToken: rememberToken,
    ...(resolved.proxy !== undefined && { proxy: resolved.proxy }),
    ...(logger?.debug !== undefined && {
      onRequest: (trace) =>
        logger.debug?.(
          { component: "graph", transport: name, ...trace },
          `${name} ${trace.method} ${trace.target} ${trace.status ?? trace.error}`,
        ),
    }),
  });
  let closed = false;

  /** One Graph request; a 401 gets one more try with a fresh token, then it is AUTH_FAILED. */
  async function call(
    spec: Omit<GraphRequestSpec, "signal">,
    step: GraphStep,
    signal: AbortSignal,
    messageId?: string,
  ): Promise<HttpResult> {
    // Built on failure only, with every token learned during the request.
    const context = () => ({
      transport: name,
      secrets: secretList(),
      step,
      ...(messageId && { messageId }),
    });
    let result: HttpResult;
    try {
      result = await http.request({ ...spec, signal });
      if (result.status === 401) {
        result = await http.request({ ...spec, signal, forceRefresh: true });
      }
    } catch (error) {
      throw failureToMailError(error, context());
    }
    // Anything but a 2xx is an error: a 3xx too (redirects are not followed, see http.ts).
    if (!succeeded(result)) {
      throw responseToMailError(result, { ...context(), url: requestUrl(spec.path) });
    }
    return result;
  }

  function requestUrl(path: string): string {
    return /^https?:\/\//i.test(path) ? path : `${resolved.baseUrl}/v1.0${path}`;
  }

  function userPath(message: NormalizedMessage): string {
    return `/users/${encodeURIComponent(resolved.mailbox ?? message.from.address)}`;
  }

  async function sendSmall(
    message: NormalizedMessage,
    mode: "json" | "mime",
    items: readonly ResolvedAttachment[],
    signal: AbortSignal,
  ): Promise<HttpResult | undefined> {
    const path = `${userPath(message)}/sendMail`;
    // base64 MIME and JSON with base64 attachments are about the same size: too large for one
    // request either way, so the draft path is taken before anything is built in memory.
    if (estimateJsonBytes(message, items) > MAX_REQUEST_BYTES) return undefined;
    if (mode === "json") {
      const attachments = [];
      for (const item of items) attachments.push(fileAttachment(item, await readAttachment(item)));
      const body = {
        message: toGraphMessage(message, attachments),
        saveToSentItems: resolved.saveToSentItems,
      };
      return call(
        { method: "POST", path, body, contentType: "application/json" },
        "send",
        signal,
        message.messageId,
      );
    }
    const mime = await buildMime(message, items);
    const base64 = mime.toString("base64");
    if (base64.length > MAX_REQUEST_BYTES) return undefined;
    // Graph takes a MIME message as base64 text; it reads the recipients from its headers.
    return call(
      { method: "POST", path, body: base64, contentType: "text/plain" },
      "send",
      signal,
      message.messageId,
    );
  }

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
    let offset = 0;
    // Sequential PUTs: Graph wants the ranges in order, one at a time.
    for await (const chunk of readChunks(item)) {
      const end = offset + chunk.length - 1;
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
        throw failureToMailError(error, context);
      }
      if (!succeeded(result)) throw responseToMailError(result, context);
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

  return {
    specificationVersion: "v1",
    name,
    limits: resolved.limits,
    baseUrl: resolved.baseUrl,
    modeFor: (message) => chooseMode(message, resolved.mode),

    async send(
      message: NormalizedMessage,
      sendOptions: TransportSendOptions,
    ): Promise<TransportReceipt> {
      const signal = sendOptions?.signal ?? new AbortController().signal;
      if (closed) {
        throw new MailError({
          code: "ABORTED",
          message: `${name}: the transport is closed.`,
          transport: name,
          hint: "Create a new transport after close().",
          messageId: message.messageId,
        });
      }
      if (signal.aborted) {
        throw failureToMailError(new RequestFailure("aborted", signal.reason, false), {
          transport: name,
          secrets: secretList(),
          step: "draft",
          messageId: message.messageId,
        });
      }
      const mode = chooseMode(message, resolved.mode);
      const attachments = await resolveAttachments(message.attachments);
      try {
        const large = attachments.items.some((item) => item.size >= LARGE_ATTACHMENT_BYTES);
        const result =
          (!large && (await sendSmall(message, mode, attachments.items, signal))) ||
          (await sendLarge(message, mode, attachments.items, signal));
        const requestId = result.headers.get("request-id");
        return {
          accepted: [...message.recipients],
          rejected: [],
          response: `${result.status} Accepted${requestId ? ` (request-id ${requestId})` : ""}`,
        };
      } finally {
        await attachments.cleanup();
      }
    },

    async verify(): Promise<void> {
      let token: string;
      try {
        token = await tokenProvider.getToken();
        rememberToken(token);
      } catch (error) {
        throw failureToMailError(error, { transport: name, secrets: secretList(), step: "verify" });
      }
      const roles = tokenRoles(token);
      if (roles && !roles.includes("Mail.Send")) {
        throw new MailError({
          code: "PERMISSION_DENIED",
          message: `${name}: the access token has no Mail.Send application permission (roles: ${roles.join(", ") || "none"}).`,
          transport: name,
          hint: "Add the Mail.Send application permission (not delegated) to the app registration and grant admin consent.",
        });
      }
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await http.close();
    },
  };
}
