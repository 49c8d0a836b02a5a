// Graph upload sessions: createUploadSession on a draft, then the pre-authenticated PUTs of
// sequential byte ranges to the upload URL, which add the attachment to the draft when complete.
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { detectMimeType } from "nodemailer/lib/mime-funcs";
import type { EmulatorContext } from "../context.js";
import type { TenantPolicy } from "../tenant.js";
import { header, readBody } from "./common.js";
import { GraphError, graphErrorBody, graphErrors, type RequestIds } from "./graph-errors.js";
import { actionParameters, graphItemId, type StoredAttachment } from "./graph-message.js";
import type { Reply } from "./graph-routes.js";
import type { GraphThrottle } from "./graph-throttle.js";

/** How long an upload session stays open. */
const UPLOAD_SESSION_MS = 6 * 60 * 60 * 1000;
interface UploadSession {
  readonly id: string;
  readonly token: string;
  readonly draftId: string;
  readonly mailbox: string;
  readonly appId: string;
  readonly name: string;
  readonly size: number;
  readonly contentType: string;
  readonly isInline: boolean;
  readonly contentId?: string;
  readonly expiresMs: number;
  readonly chunks: Buffer[];
  received: number;
}

/** What an upload session needs of a draft. */
export interface UploadTarget {
  readonly id: string;
  readonly mailbox: string;
  readonly attachments: StoredAttachment[];
}

/** The upload sessions of the Graph endpoint. */
export interface UploadSessions {
  /** `POST …/attachments/createUploadSession` on `draft`. */
  create(draft: UploadTarget, appId: string, parameters: unknown, policy: TenantPolicy): Reply;
  /** `PUT <uploadUrl>`; `floor` is the injected latency the answer waits for. */
  upload(request: IncomingMessage, url: URL, ids: RequestIds, floor: Promise<void>): Promise<Reply>;
  /** Forgets the sessions of a deleted draft. */
  forgetDraft(draftId: string): void;
  clear(): void;
}

/**
 * Builds the upload sessions over an emulator context.
 * @param findDraft the draft a completed upload adds its attachment to
 */
export function createUploadSessions(
  context: EmulatorContext,
  throttle: GraphThrottle,
  baseUrl: () => string,
  findDraft: (id: string) => UploadTarget | undefined,
): UploadSessions {
  const sessions = new Map<string, UploadSession>();

  function create(
    draft: UploadTarget,
    appId: string,
    parameters: unknown,
    policy: TenantPolicy,
  ): Reply {
    const item = actionParameters(parameters).get("attachmentitem") as
      | Record<string, unknown>
      | null
      | undefined;
    if (!item || typeof item !== "object") {
      throw graphErrors.invalidRequest("The value of the parameter 'AttachmentItem' is empty.");
    }
    if (item.attachmentType !== undefined && String(item.attachmentType).toLowerCase() !== "file") {
      throw graphErrors.invalidRequest("Only attachmentType 'file' can be uploaded in a session.");
    }
    const name = typeof item.name === "string" ? item.name : "";
    const size = typeof item.size === "number" ? item.size : Number.NaN;
    if (!name || !Number.isInteger(size) || size < 0) {
      throw graphErrors.invalidRequest("AttachmentItem needs a name and an integer size.");
    }
    if (size < policy.limits.graphMaxInlineAttachmentBytes)
      throw graphErrors.attachmentTooSmallForSession();
    const session: UploadSession = {
      id: randomBytes(24).toString("base64url"),
      token: randomBytes(32).toString("base64url"),
      draftId: draft.id,
      mailbox: draft.mailbox,
      appId,
      name,
      size,
      contentType: typeof item.contentType === "string" ? item.contentType : detectMimeType(name),
      isInline: item.isInline === true,
      ...(typeof item.contentId === "string" ? { contentId: item.contentId } : {}),
      expiresMs: context.now() + UPLOAD_SESSION_MS,
      chunks: [],
      received: 0,
    };
    sessions.set(session.id, session);
    return {
      status: 201,
      body: {
        "@odata.context": `${baseUrl()}/v1.0/$metadata#microsoft.graph.uploadSession`,
        uploadUrl: `${uploadBaseUrl(baseUrl())}/api/v2.0/Users('${encodeURIComponent(draft.mailbox)}')/Messages('${draft.id}')/AttachmentSessions('${session.id}')?authtoken=${session.token}`,
        expirationDateTime: new Date(session.expiresMs).toISOString(),
        nextExpectedRanges: ["0-"],
      },
    };
  }

  /** `PUT <uploadUrl>`: pre-authenticated by the URL's token, sequential byte ranges. */
  async function upload(
    request: IncomingMessage,
    url: URL,
    ids: RequestIds,
    floor: Promise<void>,
  ): Promise<Reply> {
    const sessionId = url.pathname.match(/AttachmentSessions\('([^']+)'\)/i)?.[1] ?? "";
    const session = sessions.get(sessionId);
    if (
      !session ||
      url.searchParams.get("authtoken") !== session.token ||
      session.expiresMs <= context.now()
    ) {
      throw graphErrors.itemNotFound();
    }
    if (header(request, "authorization")) {
      // The upload URL carries its own credential; a bearer token sent to it would leak the
      // Graph token to the Outlook upload host, and Outlook refuses it.
      throw new GraphError(
        401,
        "InvalidAuthenticationToken",
        "The upload URL is pre-authenticated: send PUT requests to it without an Authorization header.",
      );
    }
    const policy = context.tenant();
    const release = throttle.acquire(session.appId, session.mailbox, policy.limits);
    try {
      return await answerAfter(floor, () => uploadChunk(request, session, ids, policy));
    } finally {
      release();
    }
  }

  async function uploadChunk(
    request: IncomingMessage,
    session: UploadSession,
    ids: RequestIds,
    policy: TenantPolicy,
  ): Promise<Reply> {
    const range = header(request, "content-range")?.match(/^bytes (\d+)-(\d+)\/(\d+)$/);
    const declared = Number(header(request, "content-length") ?? Number.NaN);
    if (!range) {
      throw graphErrors.invalidRequest(
        "The Content-Range header is missing or malformed; expected 'bytes start-end/total'.",
      );
    }
    const start = Number(range[1]);
    const end = Number(range[2]);
    const total = Number(range[3]);
    const length = end - start + 1;
    context.stats.maxUploadChunkBytes = Math.max(
      context.stats.maxUploadChunkBytes,
      length,
      Number.isFinite(declared) ? declared : 0,
    );
    const maxChunk = policy.limits.graphMaxChunkBytes;
    const { body, bytes, tooLarge } = await readBody(request, maxChunk);
    context.stats.maxUploadChunkBytes = Math.max(context.stats.maxUploadChunkBytes, bytes);
    if (tooLarge || length > maxChunk) {
      throw new GraphError(
        413,
        "RequestEntityTooLarge",
        `The chunk is larger than the ${maxChunk} bytes an upload session accepts per request.`,
      );
    }
    if (total !== session.size || end < start || end >= total) {
      throw graphErrors.invalidRequest(
        `The Content-Range '${range[0]}' does not fit the attachment of ${session.size} bytes.`,
      );
    }
    if (start !== session.received) {
      return {
        status: 416,
        body: {
          ...graphErrorBody(
            new GraphError(
              416,
              "ErrorInvalidRange",
              `The uploaded range starts at ${start}; the next expected byte is ${session.received}.`,
            ),
            ids,
            context.now(),
          ),
          nextExpectedRanges: [String(session.received)],
        },
      };
    }
    if (body.length !== length) {
      throw graphErrors.invalidRequest(
        `The request body has ${body.length} bytes but its Content-Range announces ${length}.`,
      );
    }
    session.chunks.push(body);
    session.received += body.length;
    if (session.received < session.size) {
      return {
        status: 200,
        body: {
          "@odata.context": `${baseUrl()}/v1.0/$metadata#microsoft.graph.uploadSession`,
          expirationDateTime: new Date(session.expiresMs).toISOString(),
          nextExpectedRanges: [String(session.received)],
        },
      };
    }
    sessions.delete(session.id);
    const draft = findDraft(session.draftId);
    if (!draft) throw graphErrors.itemNotFound();
    const attachment: StoredAttachment = {
      id: graphItemId(),
      name: session.name,
      contentType: session.contentType,
      isInline: session.isInline,
      ...(session.contentId ? { contentId: session.contentId } : {}),
      content: Buffer.concat(session.chunks),
    };
    session.chunks.length = 0;
    draft.attachments.push(attachment);
    return {
      status: 201,
      headers: {
        Location: `${uploadBaseUrl(baseUrl())}/api/v2.0/Users('${encodeURIComponent(draft.mailbox)}')/Messages('${draft.id}')/Attachments('${attachment.id}')`,
      },
    };
  }

  return {
    create,
    upload,
    forgetDraft(draftId) {
      for (const [id, session] of sessions) if (session.draftId === draftId) sessions.delete(id);
    },
    clear() {
      sessions.clear();
    },
  };
}

/**
 * The base of upload URLs. Outlook's upload host (outlook.office.com) is not the Graph host, so
 * a Graph client never sends its bearer token there; on loopback the emulator keeps that
 * property by naming the same server differently (127.0.0.1 <-> localhost).
 */
function uploadBaseUrl(graphBaseUrl: string): string {
  const url = new URL(graphBaseUrl);
  if (url.hostname === "127.0.0.1") url.hostname = "localhost";
  else if (url.hostname === "localhost") url.hostname = "127.0.0.1";
  return url.origin;
}

export /** Runs `work`, then waits for `floor` (the injected latency) whether it succeeded or not. */
async function answerAfter<T>(floor: Promise<void>, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    await floor;
  }
}
