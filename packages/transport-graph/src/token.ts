import type { TokenProvider } from "@mailpath/core";
import { createClientCredentialsProvider } from "@mailpath/entra";
import type { ResolvedGraphOptions } from "./options.js";

/**
 * The token provider the options describe: the given one, or Entra client credentials for
 * the cloud's Graph scope. Entra validates its own options here (INVALID_CONFIG at creation).
 */
export function createTokenProvider(options: ResolvedGraphOptions): TokenProvider {
  const credential = options.credential;
  if (credential.kind === "provider") return credential.tokenProvider;
  const ca = options.ca;
  return createClientCredentialsProvider({
    tenantId: credential.tenantId,
    clientId: credential.clientId,
    ...(credential.clientSecret !== undefined
      ? { clientSecret: credential.clientSecret }
      : { clientCertificate: credential.clientCertificate! }),
    target: "graph",
    cloud: options.endpoints.cloud,
    authorityHost: options.authorityHost,
    ...(ca !== undefined && { tls: { ca } }),
    // The same option, resolved against the same environment: Entra goes the way Graph goes.
    ...(options.proxyOption !== undefined && { proxy: options.proxyOption }),
    ...(options.logger !== undefined && { logger: options.logger }),
  });
}
