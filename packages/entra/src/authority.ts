import type { NodeAuthOptions } from "@azure/msal-node";

// Entra's own hosts: msal knows their instance metadata and discovers the rest.
const MICROSOFT_AUTHORITY_HOSTS = new Set([
  "login.microsoftonline.com",
  "login.microsoft.com",
  "login.windows.net",
  "sts.windows.net",
  "login.microsoftonline.us",
  "login.usgovcloudapi.net",
  "login.chinacloudapi.cn",
  "login.partner.microsoftonline.cn",
]);

/** Whether msal may discover this host's metadata from Microsoft. */
export function isMicrosoftAuthorityHost(authorityHost: string): boolean {
  return MICROSOFT_AUTHORITY_HOSTS.has(new URL(authorityHost).hostname.toLowerCase());
}

/**
 * The msal `auth` fields for an authority. For a host that is not Entra's (a private cloud,
 * the emulator) msal is told the host is trusted and given its metadata, so the only
 * request it makes is the token POST to `<host>/<tenant>/oauth2/v2.0/token`.
 */
export function authorityConfig(
  authorityHost: string,
  tenantId: string,
): Pick<NodeAuthOptions, "knownAuthorities" | "authorityMetadata" | "cloudDiscoveryMetadata"> & {
  authority: string;
} {
  const authority = `${authorityHost}/${tenantId}`;
  if (isMicrosoftAuthorityHost(authorityHost)) return { authority };
  const host = new URL(authorityHost).host;
  return {
    authority,
    knownAuthorities: [host],
    authorityMetadata: JSON.stringify({
      token_endpoint: `${authority}/oauth2/v2.0/token`,
      authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
      end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
      issuer: `${authority}/v2.0`,
      jwks_uri: `${authority}/discovery/v2.0/keys`,
    }),
    cloudDiscoveryMetadata: JSON.stringify({
      tenant_discovery_endpoint: `${authority}/v2.0/.well-known/openid-configuration`,
      "api-version": "1.1",
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    }),
  };
}
