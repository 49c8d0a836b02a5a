import {
  MailError,
  type NormalizedMessage,
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
  resolveAttachments,
} from "./attachments.js";
import { failureToMailError, type GraphStep, responseToMailError } from "./errors.js";
import {
  GraphHttp,
  type GraphRequestSpec,
  type HttpResult,
  RequestFailure,
  tokenProviderFailure,
} from "./http.js";
import { chooseMode, estimateJsonBytes, fileAttachment, toGraphMessage } from "./json-message.js";
import { createLargeMessageSender, succeeded } from "./large-message.js";
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

  const sendLarge = createLargeMessageSender({ name, http, call, secretList, userPath });

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
        throw failureToMailError(tokenProviderFailure(error), {
          transport: name,
          secrets: secretList(),
          step: "verify",
        });
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
