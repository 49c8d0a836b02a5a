// Routing and authorization of the Graph endpoint: which route a path is, the bearer token it
// needs (audience, tenant, role) and the mailbox it may act on.
import type { IncomingMessage } from "node:http";
import { errors as joseErrors } from "jose";
import type { AccessTokenClaims, EmulatorContext } from "../context.js";
import {
  type AppPermission,
  appMayUseMailbox,
  type MailboxPolicy,
  type TenantPolicy,
} from "../tenant.js";
import { guidFrom, type TokenAuthority } from "../tokens.js";
import { header, pathSegments } from "./common.js";
import { graphErrors } from "./graph-errors.js";

/** The audience Graph accepts in access tokens. */
export const GRAPH_AUDIENCE = "https://graph.microsoft.com";
/**
 * The stable object id Graph accepts in place of a mailbox's UPN in `/users/{id}`.
 * @param address the mailbox's address (any case)
 * @returns a GUID-shaped id derived from the lower-cased address
 */
export function mailboxObjectId(address: string): string {
  return guidFrom(`mailbox:${address.toLowerCase()}`);
}

/** An answer of the Graph endpoint, before the common headers are added. */
export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** A Graph route the emulator serves. */
export type Route =
  | { kind: "sendMail" }
  | { kind: "createDraft" }
  | { kind: "draft"; messageId: string }
  | { kind: "attachments"; messageId: string }
  | { kind: "createUploadSession"; messageId: string }
  | { kind: "send"; messageId: string };

/** What the permission check of each route needs (Mail.ReadWrite for drafts, as Graph). */
export function permissionFor(route: Route): AppPermission {
  return route.kind === "sendMail" || route.kind === "send" ? "Mail.Send" : "Mail.ReadWrite";
}

/**
 * The route of a Graph request.
 * @throws GraphError `Request_BadRequest` / `405` as Graph answers an unknown path or method
 */
export function matchRoute(path: string, method: string): { user: string; route: Route } {
  const segments = pathSegments(path);
  const [version, collection, user, ...rest] = segments;
  if (version !== "v1.0") throw graphErrors.segmentNotFound(version ?? "");
  if (collection?.toLowerCase() !== "users" || !user)
    throw graphErrors.segmentNotFound(collection ?? "");
  const lower = rest.map((segment) => segment.toLowerCase());
  const allow = (route: Route, ...methods: string[]) => {
    if (!methods.includes(method)) throw graphErrors.methodNotAllowed();
    return { user, route };
  };
  const [first, messageId, third, fourth] = lower;
  const id = rest[1] ?? "";
  if (rest.length === 1 && first === "sendmail") return allow({ kind: "sendMail" }, "POST");
  if (rest.length === 1 && first === "messages") return allow({ kind: "createDraft" }, "POST");
  if (first === "messages" && messageId !== undefined) {
    if (rest.length === 2) return allow({ kind: "draft", messageId: id }, "GET", "DELETE");
    if (rest.length === 3 && third === "send")
      return allow({ kind: "send", messageId: id }, "POST");
    if (rest.length === 3 && third === "attachments")
      return allow({ kind: "attachments", messageId: id }, "POST");
    if (rest.length === 4 && third === "attachments" && fourth === "createuploadsession") {
      return allow({ kind: "createUploadSession", messageId: id }, "POST");
    }
  }
  throw graphErrors.segmentNotFound(rest.at(-1) ?? user);
}

/** Bearer validation and mailbox scope, over the emulator's token authority and tenant. */
export interface GraphAuth {
  authorize(request: IncomingMessage, permission: AppPermission): Promise<AccessTokenClaims>;
  resolveMailbox(policy: TenantPolicy, user: string): MailboxPolicy;
  checkScope(policy: TenantPolicy, appId: string, mailbox: MailboxPolicy): void;
}

/** Builds the Graph endpoint's authorization over an emulator context. */
export function createGraphAuth(
  context: EmulatorContext & { readonly tokens: TokenAuthority },
): GraphAuth {
  async function authorize(
    request: IncomingMessage,
    permission: AppPermission,
  ): Promise<AccessTokenClaims> {
    const token = header(request, "authorization")?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    if (!token) throw graphErrors.tokenMissing();
    if (token.split(".").length !== 3) throw graphErrors.tokenMalformed();
    let claims: AccessTokenClaims;
    try {
      claims = await context.tokens.verify(token, GRAPH_AUDIENCE);
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw graphErrors.tokenExpired();
      if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === "aud") {
        throw graphErrors.tokenInvalid("Invalid audience.");
      }
      if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
        throw graphErrors.tokenInvalid("Invalid signature.");
      }
      if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) {
        throw graphErrors.tokenMalformed();
      }
      throw graphErrors.tokenInvalid("Invalid token.");
    }
    if (claims.tid.toLowerCase() !== context.tenant().tenantId.toLowerCase()) {
      throw graphErrors.tokenInvalid("Invalid issuer.");
    }
    if (!claims.roles.includes(permission)) throw graphErrors.accessDenied();
    return claims;
  }

  function resolveMailbox(policy: TenantPolicy, user: string): MailboxPolicy {
    const wanted = user.replace(/^'(.*)'$/, "$1").toLowerCase();
    // By address first: an address (it has an @) never equals an object id, and this way the
    // common case hashes nothing.
    const mailbox =
      policy.mailboxes.find((candidate) => candidate.address.toLowerCase() === wanted) ??
      policy.mailboxes.find((candidate) => mailboxObjectId(candidate.address) === wanted);
    if (!mailbox) throw graphErrors.invalidUser(user);
    if (mailbox.licensed === false) throw graphErrors.mailboxNotEnabled();
    return mailbox;
  }

  function checkScope(policy: TenantPolicy, appId: string, mailbox: MailboxPolicy): void {
    const app = policy.apps.find(
      (candidate) => candidate.clientId.toLowerCase() === appId.toLowerCase(),
    );
    if (!app || !appMayUseMailbox(app, mailbox)) throw graphErrors.accessDenied();
  }

  return { authorize, resolveMailbox, checkScope };
}
