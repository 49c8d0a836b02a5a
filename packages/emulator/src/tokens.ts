// Signs and verifies the emulator's Entra access tokens: RS256 JWTs shaped like the v1
// app-only tokens Entra issues for the client-credentials grant (`iss` = sts.windows.net,
// `appid`, `roles`, `tid`, `idtyp: "app"`). One RSA key per emulator run.
import { createHash, randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify, SignJWT } from "jose";
import type { AccessTokenClaims, TokenVerifier } from "./context.js";

/** Claims the token endpoint puts into an access token. */
export interface IssueClaims {
  readonly tid: string;
  readonly appid: string;
  readonly aud: string;
  readonly roles: readonly string[];
  /** Seconds from now until `exp`. @default 3599 (Entra's `expires_in` for app tokens) */
  readonly lifetimeSeconds?: number;
  /** `appidacr`: `"1"` client secret, `"2"` certificate. @default "1" */
  readonly appidacr?: "1" | "2";
}

/** Issues and verifies access tokens with one RSA key per emulator run. */
export interface TokenAuthority extends TokenVerifier {
  /** Signs an access token for these claims. */
  issue(claims: IssueClaims): Promise<string>;
  /** The public signing key as a JWKS document (served at `/{tenant}/discovery/v2.0/keys`). */
  readonly jwks: { readonly keys: readonly JWK[] };
  /** `https://sts.windows.net/<tid>/`, the `iss` of Entra v1 app-only tokens. */
  readonly issuerFor: (tenantId: string) => string;
  /** The private signing key as a JWK (kept by `dataDir`, never served). */
  exportSigningKey(): Promise<JWK>;
}

/** Entra backdates `iat`/`nbf` by five minutes to absorb clock skew. */
const BACKDATE_SECONDS = 300;
/** `expires_in` Entra returns for client-credentials tokens. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3599;

/**
 * Creates the signing authority of one emulator run.
 * @param options.now clock in ms since epoch (tests inject one to expire tokens without waiting)
 * @returns an authority whose `verify()` checks signature, issuer, audience and expiry
 * @example
 * const tokens = await createTokenAuthority();
 * const jwt = await tokens.issue({ tid, appid, aud: "https://graph.microsoft.com", roles: ["Mail.Send"] });
 * const claims = await tokens.verify(jwt, "https://graph.microsoft.com");
 */
export async function createTokenAuthority(
  options: {
    readonly now?: () => number;
    /** A private RS256 key (JWK) to sign with instead of a new one (kept by `dataDir`). */
    readonly signingKey?: JWK;
  } = {},
): Promise<TokenAuthority> {
  const now = options.now ?? Date.now;
  const { privateKey, publicKey } = options.signingKey
    ? {
        privateKey: (await importJWK(options.signingKey, "RS256", { extractable: true })) as Key,
        publicKey: (await importJWK(publicPart(options.signingKey), "RS256")) as Key,
      }
    : await generateKeyPair("RS256", { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  // Entra's `kid` and `x5t` are the base64url SHA-1 of the signing certificate; ours hash the key.
  const kid = createHash("sha1")
    .update(publicJwk.n ?? "")
    .digest("base64url");
  const jwks = { keys: [{ ...publicJwk, kty: "RSA", use: "sig", kid, x5t: kid }] };
  const issuerFor = (tenantId: string) => `https://sts.windows.net/${tenantId}/`;

  return {
    jwks,
    issuerFor,
    exportSigningKey: () => exportJWK(privateKey),
    async issue(claims) {
      const seconds = Math.floor(now() / 1000);
      const lifetime = claims.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
      const servicePrincipalId = guidFrom(`${claims.tid}/${claims.appid}`);
      return new SignJWT({
        aud: claims.aud,
        iss: issuerFor(claims.tid),
        iat: seconds - BACKDATE_SECONDS,
        nbf: seconds - BACKDATE_SECONDS,
        exp: seconds + lifetime,
        aio: randomUUID(),
        appid: claims.appid,
        appidacr: claims.appidacr ?? "1",
        idp: issuerFor(claims.tid),
        idtyp: "app",
        oid: servicePrincipalId,
        roles: [...claims.roles],
        sub: servicePrincipalId,
        tid: claims.tid,
        uti: randomUUID().replaceAll("-", "").slice(0, 22),
        ver: "1.0",
      })
        .setProtectedHeader({ typ: "JWT", alg: "RS256", kid, x5t: kid })
        .sign(privateKey);
    },
    async verify(token, expectedAudience) {
      const { payload } = await jwtVerify(token, publicKey, {
        algorithms: ["RS256"],
        audience: expectedAudience,
        currentDate: new Date(now()),
        requiredClaims: ["exp", "iat", "tid", "appid"],
      });
      const tid = typeof payload.tid === "string" ? payload.tid : "";
      if (payload.iss !== issuerFor(tid)) throw new Error("token issuer does not match its tenant");
      const roles = Array.isArray(payload.roles)
        ? payload.roles.filter((role): role is string => typeof role === "string")
        : [];
      const claims: AccessTokenClaims = {
        aud: expectedAudience,
        tid,
        appid: String(payload.appid),
        roles,
        exp: payload.exp ?? 0,
        iat: payload.iat ?? 0,
      };
      return claims;
    },
  };
}

/** A key object jose signs and verifies with. */
type Key = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

/** The public members of an RSA JWK. */
function publicPart(key: JWK): JWK {
  const { kty, n, e } = key;
  return {
    ...(kty !== undefined && { kty }),
    ...(n !== undefined && { n }),
    ...(e !== undefined && { e }),
  };
}

/** A stable GUID-shaped id derived from a name (object ids of service principals, mailboxes). */
export function guidFrom(name: string): string {
  const hex = createHash("sha256").update(name).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
