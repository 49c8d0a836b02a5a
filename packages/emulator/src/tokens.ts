// Signs and verifies the emulator's Entra access tokens (RS256 JWTs shaped like Entra v1
// app-only tokens). Filled in below; the signature is the seam emulator.ts calls.
import type { TokenVerifier } from "./context.js";

/** Claims the token endpoint puts into an access token. */
export interface IssueClaims {
  readonly tid: string;
  readonly appid: string;
  readonly aud: string;
  readonly roles: readonly string[];
  /** Token lifetime. @default a value in 3600..5000 s, like Entra */
  readonly lifetimeSeconds?: number;
}

/** Issues and verifies access tokens with one RSA key per emulator run. */
export interface TokenAuthority extends TokenVerifier {
  issue(claims: IssueClaims): Promise<string>;
  /** The public signing key as a JWKS document (`/discovery/v2.0/keys`). */
  readonly jwks: object;
  /** `https://sts.windows.net/<tid>/`, the `iss` of Entra v1 app-only tokens. */
  readonly issuerFor: (tenantId: string) => string;
}

export async function createTokenAuthority(
  _options: { readonly now?: () => number } = {},
): Promise<TokenAuthority> {
  throw new Error("not implemented yet");
}
