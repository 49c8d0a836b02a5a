// Public API of @mailpath/entra. Explicit named re-exports only.

export type { ClientCertificateOptions } from "./certificate.js";
export { type AccessTokenClaims, decodeTokenClaims } from "./claims.js";
export { createClientCredentialsProvider, type EntraTokenProvider } from "./client-credentials.js";
export type { EntraEvent, EntraEventListener, EntraEventMap } from "./events.js";
export type { ClientCredentialsOptions } from "./options.js";
export {
  describeProxy,
  type ProxyOption,
  type ResolvedProxy,
  resolveProxy,
  usesProxy,
} from "./proxy.js";
export { scopeFor, type TokenTarget } from "./scope.js";
