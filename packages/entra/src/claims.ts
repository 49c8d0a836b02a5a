import { MailError } from "@mailpath/core";

/**
 * The claims of an Entra access token that explain most failures: who issued it (`tid`,
 * `iss`), for what (`aud`), to which app (`appid`/`azp`), with which application
 * permissions (`roles`) and until when (`exp`).
 * @since 0.1.0
 */
export interface AccessTokenClaims {
  /** Audience: `https://graph.microsoft.com` or `https://outlook.office365.com` (or a GUID). */
  readonly aud?: string;
  readonly iss?: string;
  /** Tenant id. */
  readonly tid?: string;
  /** Client id of the app (v1 tokens). */
  readonly appid?: string;
  /** Client id of the app (v2 tokens). */
  readonly azp?: string;
  /** Application permissions granted with admin consent (`Mail.Send`, `SMTP.SendAsApp`). */
  readonly roles?: readonly string[];
  /** Delegated scopes (absent in app-only tokens). */
  readonly scp?: string;
  /** Object id of the service principal. */
  readonly oid?: string;
  /** Expiry, seconds since epoch. */
  readonly exp?: number;
  readonly iat?: number;
  readonly nbf?: number;
  readonly [claim: string]: unknown;
}

/**
 * Reads the claims of a JWT access token WITHOUT verifying it: for diagnostics only
 * (wrong audience, missing `roles`, wrong tenant, expiry). Never trust the result for
 * authorization.
 *
 * @param token An access token as returned by `getToken()`.
 * @returns The payload claims.
 * @throws MailError `INVALID_CONFIG` when the value is not a JWT (the token is never echoed).
 * @example
 * const { aud, roles } = decodeTokenClaims(await provider.getToken());
 * if (!roles?.includes("Mail.Send")) console.warn("grant Mail.Send and admin consent");
 * @since 0.1.0
 */
export function decodeTokenClaims(token: string): AccessTokenClaims {
  const parts = typeof token === "string" ? token.split(".") : [];
  const payload = parts.length === 3 ? parts[1] : undefined;
  let claims: unknown;
  if (payload && /^[A-Za-z0-9_-]+$/.test(payload)) {
    try {
      claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    } catch {
      claims = undefined;
    }
  }
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
    throw new MailError({
      code: "INVALID_CONFIG",
      message: "The value is not a JWT access token (expected three base64url parts).",
      hint: "Pass the access token itself (the string getToken() returns), without a 'Bearer ' prefix.",
      issues: [{ path: "token", message: "not a JWT" }],
    });
  }
  return claims as AccessTokenClaims;
}
