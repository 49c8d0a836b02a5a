// The Microsoft Graph endpoint: sendMail (JSON and MIME), drafts, attachments and send, behind
// bearer validation, mailbox scope and Outlook's per app + mailbox limits. Routing and
// authorization are in graph-routes.ts, upload sessions in graph-upload.ts.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorContext } from "../context.js";
import {
  type MailboxPolicy,
  maxSendBytesOf,
  maySendAs,
  recipientLimitOf,
  type TenantPolicy,
} from "../tenant.js";
import { guidFrom, type TokenAuthority } from "../tokens.js";
import { delay, dropConnection, header, readBody, sendEmpty, sendJson } from "./common.js";
import {
  defaultErrorFor,
  GraphError,
  graphErrorBody,
  graphErrors,
  type RequestIds,
} from "./graph-errors.js";
import {
  actionParameters,
  appendMimeAttachments,
  decodeMimeBase64,
  exchangeMessageId,
  type GraphMessage,
  type GraphRecipient,
  graphItemId,
  isValidAddress,
  parseFileAttachment,
  parseGraphMessage,
  prepareMime,
  readMimeDraft,
  renderGraphMessage,
  type StoredAttachment,
  summarizeMime,
} from "./graph-message.js";
import {
  createGraphAuth,
  matchRoute,
  permissionFor,
  type Reply,
  type Route,
} from "./graph-routes.js";
import { GraphThrottle } from "./graph-throttle.js";
import { answerAfter, createUploadSessions } from "./graph-upload.js";

export { GRAPH_AUDIENCE, mailboxObjectId } from "./graph-routes.js";

/** Largest JSON body of a createUploadSession / send request (no content in them). */
const SMALL_BODY_BYTES = 64 * 1024;

/** The `x-ms-ags-diagnostic` header every Graph reply carries (the same on each request). */
const AGS_DIAGNOSTIC = JSON.stringify({
  ServerInfo: {
    DataCenter: "Emulator",
    Slice: "E",
    Ring: "5",
    ScaleUnit: "000",
    RoleInstance: "EMULATOR",
  },
});

interface Draft {
  readonly id: string;
  readonly mailbox: string;
  readonly appId: string;
  readonly message: GraphMessage;
  readonly attachments: StoredAttachment[];
  readonly internetMessageId: string;
  readonly createdMs: number;
  /**
   * A draft created from MIME: the message as posted (its Message-ID added when it had none).
   * `attachments` then holds only the ones added afterwards, appended as parts at send time.
   */
  readonly mime?: Buffer;
  /** Whether the MIME itself carries an attachment that is not inline. */
  readonly mimeHasAttachments?: boolean;
}

/** The Graph endpoint's request handler and its state (drafts, sessions, budgets). */
export interface GraphHandler {
  handle(request: IncomingMessage, response: ServerResponse): Promise<void>;
  /** Forgets drafts, upload sessions and throttle budgets. */
  clear(): void;
}

/** Builds the Graph endpoint over an emulator context. */
export function createGraphHandler(
  context: EmulatorContext & { readonly tokens: TokenAuthority },
  baseUrl: () => string,
): GraphHandler {
  const throttle = new GraphThrottle(context.stats, () => context.now());
  const drafts = new Map<string, Draft>();
  const auth = createGraphAuth(context);
  const uploads = createUploadSessions(context, throttle, baseUrl, (id) => drafts.get(id));

  /** Exchange's submission checks: recipients, Send As, size. */
  function checkSubmission(
    policy: TenantPolicy,
    mailbox: MailboxPolicy,
    from: string,
    recipients: readonly string[],
  ): void {
    if (recipients.length === 0) throw graphErrors.noRecipients();
    const domains = new Set(policy.domains.map((domain) => domain.toLowerCase()));
    const known = new Set(policy.mailboxes.map((candidate) => candidate.address.toLowerCase()));
    for (const recipient of recipients) {
      if (!isValidAddress(recipient)) throw graphErrors.invalidRecipient(recipient);
      const lower = recipient.toLowerCase();
      const domain = lower.slice(lower.lastIndexOf("@") + 1);
      if (policy.rejectUnknownInternalRecipients && domains.has(domain) && !known.has(lower)) {
        throw graphErrors.invalidRecipient(recipient);
      }
    }
    const limit = recipientLimitOf(mailbox);
    if (recipients.length > limit) throw graphErrors.tooManyRecipients(limit);
    if (!maySendAs(mailbox, from)) throw graphErrors.sendAsDenied();
  }

  function checkInlineAttachments(
    policy: TenantPolicy,
    attachments: readonly StoredAttachment[],
  ): void {
    const limit = policy.limits.graphMaxInlineAttachmentBytes;
    if (attachments.some((attachment) => attachment.content.length >= limit)) {
      throw graphErrors.attachmentTooLargeForPost(limit);
    }
  }

  async function deliverGraphMessage(
    policy: TenantPolicy,
    mailbox: MailboxPolicy,
    appId: string,
    message: GraphMessage,
    attachments: readonly StoredAttachment[],
    messageId: string,
    savedToSentItems: boolean,
  ): Promise<void> {
    const recipients = [
      ...message.toRecipients,
      ...message.ccRecipients,
      ...message.bccRecipients,
    ].map((entry: GraphRecipient) => entry.emailAddress.address);
    checkSubmission(
      policy,
      mailbox,
      message.from?.emailAddress.address ?? mailbox.address,
      recipients,
    );
    const { raw, envelope } = await renderGraphMessage(
      { ...message, attachments },
      { mailbox, messageId, date: new Date(context.now()) },
    );
    if (raw.length > maxSendBytesOf(mailbox)) throw graphErrors.messageTooLarge();
    await context.store.deliver({
      path: "graph",
      envelope,
      raw,
      submittedBy: appId,
      savedToSentItems,
    });
  }

  /**
   * Submits a MIME message as Exchange does: as sent (its headers, Message-ID, every part),
   * the recipients read from To/Cc/Bcc, Bcc removed before delivery. Used by sendMail (MIME)
   * and by the send of a draft created from MIME.
   */
  async function deliverMime(
    policy: TenantPolicy,
    mailbox: MailboxPolicy,
    appId: string,
    raw: Buffer,
  ): Promise<void> {
    const summary = summarizeMime(raw);
    checkSubmission(policy, mailbox, summary.from ?? mailbox.address, summary.recipients);
    if (raw.length > maxSendBytesOf(mailbox)) throw graphErrors.messageTooLarge();
    const prepared = prepareMime(raw, {
      ...(summary.from ? {} : { from: formatMailbox(mailbox) }),
      ...(summary.hasMessageId ? {} : { messageId: exchangeMessageId() }),
      ...(summary.hasDate ? {} : { date: new Date(context.now()) }),
    });
    await context.store.deliver({
      path: "graph",
      envelope: { from: summary.from ?? mailbox.address, to: [...summary.recipients] },
      raw: prepared,
      submittedBy: appId,
      savedToSentItems: true,
    });
  }

  /** A draft from a base64 MIME body; its resource fields are read from the MIME. */
  async function createMimeDraft(
    body: Buffer,
    mailbox: MailboxPolicy,
    appId: string,
  ): Promise<Draft> {
    const decoded = decodeMimeBase64(body);
    const summary = summarizeMime(decoded);
    const internetMessageId = summary.messageId ?? exchangeMessageId();
    const raw = summary.hasMessageId
      ? decoded
      : prepareMime(decoded, { messageId: internetMessageId, keepBcc: true });
    const parsed = await readMimeDraft(raw);
    return {
      id: graphItemId(),
      mailbox: mailbox.address.toLowerCase(),
      appId,
      message: parsed.message,
      attachments: [],
      internetMessageId,
      createdMs: context.now(),
      mime: raw,
      mimeHasAttachments: parsed.hasAttachments,
    };
  }

  function parseJson(body: Buffer): unknown {
    try {
      return JSON.parse(body.toString("utf8"));
    } catch {
      throw graphErrors.unreadableBody();
    }
  }

  async function sendMail(
    request: IncomingMessage,
    body: Buffer,
    policy: TenantPolicy,
    mailbox: MailboxPolicy,
    appId: string,
  ): Promise<Reply> {
    if (isMimeBody(request)) {
      await deliverMime(policy, mailbox, appId, decodeMimeBase64(body));
      return { status: 202 };
    }
    const parameters = actionParameters(parseJson(body));
    const messageParameter = parameters.get("message");
    if (messageParameter === undefined || messageParameter === null) {
      throw graphErrors.invalidRequest("The value of the parameter 'Message' is empty.");
    }
    const message = parseGraphMessage(messageParameter);
    checkInlineAttachments(policy, message.attachments);
    const saveParameter = parameters.get("savetosentitems");
    const saveToSentItems =
      saveParameter !== false && String(saveParameter).toLowerCase() !== "false";
    await deliverGraphMessage(
      policy,
      mailbox,
      appId,
      message,
      message.attachments,
      message.internetMessageId ?? exchangeMessageId(),
      saveToSentItems,
    );
    return { status: 202 };
  }

  function draftFor(mailbox: MailboxPolicy, messageId: string): Draft {
    const draft = drafts.get(messageId);
    if (!draft || draft.mailbox !== mailbox.address.toLowerCase()) throw graphErrors.itemNotFound();
    return draft;
  }

  function messageResource(draft: Draft): object {
    const { message } = draft;
    const created = new Date(draft.createdMs).toISOString().replace(/\.\d+Z$/, "Z");
    const from = message.from ?? null;
    return {
      "@odata.context": `${baseUrl()}/v1.0/$metadata#users('${draft.mailbox}')/messages/$entity`,
      "@odata.etag": `W/"${draft.id.slice(-16)}"`,
      id: draft.id,
      createdDateTime: created,
      lastModifiedDateTime: created,
      changeKey: draft.id.slice(-16),
      categories: [],
      receivedDateTime: created,
      sentDateTime: created,
      hasAttachments:
        draft.mimeHasAttachments === true ||
        draft.attachments.some((attachment) => !attachment.isInline),
      internetMessageId: draft.internetMessageId,
      subject: message.subject ?? "",
      bodyPreview: (message.body?.content ?? "").replace(/<[^>]*>/g, "").slice(0, 255),
      importance: message.importance ?? "normal",
      parentFolderId: "AAMkADrafts",
      conversationId: guidFrom(`conversation:${draft.id}`),
      isDeliveryReceiptRequested: false,
      isReadReceiptRequested: false,
      isRead: true,
      isDraft: true,
      webLink: `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(draft.id)}&exvsurl=1&viewmodel=ReadMessageItem`,
      inferenceClassification: "focused",
      body: message.body ?? { contentType: "text", content: "" },
      sender: from,
      from,
      toRecipients: message.toRecipients,
      ccRecipients: message.ccRecipients,
      bccRecipients: message.bccRecipients,
      replyTo: message.replyTo,
      internetMessageHeaders: message.internetMessageHeaders,
      flag: { flagStatus: "notFlagged" },
    };
  }

  function attachmentResource(draft: Draft, attachment: StoredAttachment): object {
    return {
      "@odata.context": `${baseUrl()}/v1.0/$metadata#users('${draft.mailbox}')/messages('${draft.id}')/attachments/$entity`,
      "@odata.type": "#microsoft.graph.fileAttachment",
      "@odata.mediaContentType": attachment.contentType,
      id: attachment.id,
      lastModifiedDateTime: new Date(context.now()).toISOString().replace(/\.\d+Z$/, "Z"),
      name: attachment.name,
      contentType: attachment.contentType,
      size: attachment.content.length,
      isInline: attachment.isInline,
      contentId: attachment.contentId ?? null,
      contentLocation: null,
    };
  }

  async function dispatch(
    request: IncomingMessage,
    route: Route,
    body: Buffer,
    policy: TenantPolicy,
    mailbox: MailboxPolicy,
    appId: string,
  ): Promise<Reply> {
    switch (route.kind) {
      case "sendMail":
        return sendMail(request, body, policy, mailbox, appId);
      case "createDraft": {
        if (isMimeBody(request)) {
          const draft = await createMimeDraft(body, mailbox, appId);
          drafts.set(draft.id, draft);
          return { status: 201, body: messageResource(draft) };
        }
        const message = parseGraphMessage(parseJson(body));
        checkInlineAttachments(policy, message.attachments);
        const draft: Draft = {
          id: graphItemId(),
          mailbox: mailbox.address.toLowerCase(),
          appId,
          message,
          attachments: [...message.attachments],
          internetMessageId: message.internetMessageId ?? exchangeMessageId(),
          createdMs: context.now(),
        };
        drafts.set(draft.id, draft);
        return { status: 201, body: messageResource(draft) };
      }
      case "draft": {
        const draft = draftFor(mailbox, route.messageId);
        if (request.method === "GET") return { status: 200, body: messageResource(draft) };
        drafts.delete(draft.id);
        uploads.forgetDraft(draft.id);
        return { status: 204 };
      }
      case "attachments": {
        const draft = draftFor(mailbox, route.messageId);
        const attachment = parseFileAttachment(parseJson(body));
        checkInlineAttachments(policy, [attachment]);
        draft.attachments.push(attachment);
        return { status: 201, body: attachmentResource(draft, attachment) };
      }
      case "createUploadSession":
        return uploads.create(draftFor(mailbox, route.messageId), appId, parseJson(body), policy);
      case "send": {
        const draft = draftFor(mailbox, route.messageId);
        if (draft.mime) {
          // Attachments added to a MIME draft become parts of the MIME, which is sent as is.
          const raw = await appendMimeAttachments(draft.mime, draft.attachments);
          await deliverMime(policy, mailbox, appId, raw);
          drafts.delete(draft.id);
          return { status: 202 };
        }
        await deliverGraphMessage(
          policy,
          mailbox,
          appId,
          draft.message,
          draft.attachments,
          draft.internetMessageId,
          true,
        );
        drafts.delete(draft.id);
        return { status: 202 };
      }
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    context.stats.requests.graph += 1;
    const requestId = randomUUID();
    const ids: RequestIds = {
      requestId,
      clientRequestId: header(request, "client-request-id") ?? requestId,
    };
    const baseHeaders: Record<string, string> = {
      "request-id": ids.requestId,
      "client-request-id": ids.clientRequestId,
      "x-ms-ags-diagnostic": AGS_DIAGNOSTIC,
      "Strict-Transport-Security": "max-age=31536000",
      "Cache-Control": "no-cache",
    };
    const reply = (result: Reply) => {
      const headers = { ...baseHeaders, ...result.headers };
      if (result.body === undefined) sendEmpty(response, result.status, headers);
      else sendJson(response, result.status, result.body, headers);
    };
    const fail = (error: GraphError) =>
      sendJson(response, error.status, graphErrorBody(error, ids, context.now()), {
        ...baseHeaders,
        ...error.headers,
      });
    let release: (() => void) | undefined;
    // Injected latency stands for Graph's own service time, counted from the request's
    // arrival: the emulator's processing happens within it, not on top of it.
    let floor: Promise<void> = Promise.resolve();
    try {
      const url = new URL(request.url ?? "/", baseUrl());
      const path = url.pathname;
      const method = request.method ?? "GET";
      const fault = context.faults.take("graph", "request", path);
      if (fault?.kind === "drop") {
        dropConnection(request, response);
        return;
      }
      if (fault?.kind === "throttle") {
        context.stats.throttled.graph += 1;
        const retryAfter = fault.retryAfterSeconds ?? context.tenant().limits.retryAfterSeconds;
        throw new GraphError(
          429,
          "ApplicationThrottled",
          "Application is over its MailboxConcurrency limit.",
          {
            "Retry-After": String(retryAfter),
          },
        );
      }
      if (fault?.kind === "reply") {
        const status = fault.status ?? 503;
        const fallback = defaultErrorFor(status);
        if (status === 429) context.stats.throttled.graph += 1;
        throw new GraphError(
          status,
          fault.errorCode ?? fallback.code,
          fault.errorMessage ?? fallback.message,
          fault.retryAfterSeconds === undefined
            ? {}
            : { "Retry-After": String(fault.retryAfterSeconds) },
        );
      }
      if (fault?.kind === "latency") floor = delay(fault.ms);

      if (method === "PUT" && /\/AttachmentSessions\(/i.test(path)) {
        reply(await uploads.upload(request, url, ids, floor));
        return;
      }
      const { user, route } = matchRoute(path, method);
      const claims = await auth.authorize(request, permissionFor(route));
      const policy = context.tenant();
      const mailbox = auth.resolveMailbox(policy, user);
      auth.checkScope(policy, claims.appid, mailbox);
      release = throttle.acquire(claims.appid, mailbox.address, policy.limits);
      const result = await answerAfter(floor, async () => {
        const limit = route.kind === "send" ? SMALL_BODY_BYTES : policy.limits.graphMaxRequestBytes;
        const { body, tooLarge } = await readBody(request, limit);
        if (tooLarge) throw graphErrors.requestTooLarge(policy.limits.graphMaxRequestBytes);
        return dispatch(request, route, body, policy, mailbox, claims.appid);
      });
      // A drop after the body was read: the request took effect but its answer is lost.
      const after = context.faults.take("graph", "after-data", path);
      if (after?.kind === "drop") {
        dropConnection(request, response);
        return;
      }
      reply(result);
    } catch (error) {
      await floor;
      if (response.headersSent || response.destroyed) return;
      if (error instanceof GraphError) {
        fail(error);
        return;
      }
      fail(
        new GraphError(
          500,
          "InternalServerError",
          error instanceof Error ? error.message : "Internal error.",
        ),
      );
    } finally {
      release?.();
    }
  }

  return {
    handle,
    clear() {
      drafts.clear();
      uploads.clear();
      throttle.clear();
    },
  };
}

/** Graph takes a MIME message as base64 with `Content-Type: text/plain`. */
function isMimeBody(request: IncomingMessage): boolean {
  return /^text\/plain/i.test(header(request, "content-type") ?? "");
}

function formatMailbox(mailbox: MailboxPolicy): string {
  // A raw header carries ASCII only; a non-ASCII name would need an encoded word.
  if (!mailbox.displayName || /[^\x20-\x7e]/.test(mailbox.displayName)) return mailbox.address;
  return `"${mailbox.displayName.replace(/["\\]/g, "\\$&")}" <${mailbox.address}>`;
}
