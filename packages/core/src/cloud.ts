// Hosts per Microsoft cloud. Sources: docs/reference/exchange-online.md §1. Values Microsoft
// does not confirm in its docs (US Gov SMTP host, SMTP scopes outside worldwide) are the ones in
// common use; `authorityHost`, `baseUrl` and `host` options override any of them.
import { MailError } from "./errors/mail-error.js";

/**
 * The Microsoft clouds mailpath knows. `global` includes GCC (Moderate).
 * @since 0.1.0
 */
export const CLOUDS = ["global", "usgov", "usgovdod", "china"] as const;
/**
 * @see CLOUDS
 * @since 0.1.0
 */
export type Cloud = (typeof CLOUDS)[number];

/**
 * The endpoints of one cloud for the three paths and Entra.
 * @since 0.1.0
 */
export interface CloudEndpoints {
  readonly cloud: Cloud;
  /** SMTP AUTH client submission host (port 587, STARTTLS). */
  readonly smtpHost: string;
  /** Suffix of the MX / relay host: `<domain-key>` + suffix. */
  readonly mxSuffix: string;
  /** Graph root, without the version segment. */
  readonly graphBaseUrl: string;
  /** Entra authority host. */
  readonly authorityHost: string;
  /** App-only scope for Graph. */
  readonly graphScope: string;
  /** App-only scope for SMTP XOAUTH2 (audience of the token Exchange expects). */
  readonly smtpScope: string;
}

const ENDPOINTS: Record<Cloud, CloudEndpoints> = {
  global: {
    cloud: "global",
    smtpHost: "smtp.office365.com",
    mxSuffix: ".mail.protection.outlook.com",
    graphBaseUrl: "https://graph.microsoft.com",
    authorityHost: "https://login.microsoftonline.com",
    graphScope: "https://graph.microsoft.com/.default",
    smtpScope: "https://outlook.office365.com/.default",
  },
  usgov: {
    cloud: "usgov",
    smtpHost: "smtp.office365.us",
    mxSuffix: ".mail.protection.office365.us",
    graphBaseUrl: "https://graph.microsoft.us",
    authorityHost: "https://login.microsoftonline.us",
    graphScope: "https://graph.microsoft.us/.default",
    smtpScope: "https://outlook.office365.us/.default",
  },
  usgovdod: {
    cloud: "usgovdod",
    smtpHost: "outlook-dod.office365.us",
    mxSuffix: ".mail.protection.office365.us",
    graphBaseUrl: "https://dod-graph.microsoft.us",
    authorityHost: "https://login.microsoftonline.us",
    graphScope: "https://dod-graph.microsoft.us/.default",
    smtpScope: "https://outlook-dod.office365.us/.default",
  },
  china: {
    cloud: "china",
    smtpHost: "smtp.partner.outlook.cn",
    mxSuffix: ".mail.protection.partner.outlook.cn",
    graphBaseUrl: "https://microsoftgraph.chinacloudapi.cn",
    authorityHost: "https://login.chinacloudapi.cn",
    graphScope: "https://microsoftgraph.chinacloudapi.cn/.default",
    smtpScope: "https://partner.outlook.cn/.default",
  },
};

/**
 * The endpoints of a cloud.
 * @param cloud @default "global"
 * @returns the hosts and scopes of that cloud
 * @throws MailError `INVALID_CONFIG` for an unknown cloud name.
 * @since 0.1.0
 */
export function resolveCloud(cloud: Cloud | (string & {}) = "global"): CloudEndpoints {
  const endpoints = ENDPOINTS[cloud as Cloud];
  if (!endpoints) {
    throw new MailError({
      code: "INVALID_CONFIG",
      message: `Unknown cloud "${cloud}".`,
      hint: `Use one of: ${CLOUDS.join(", ")} ("global" includes GCC).`,
      issues: [{ path: "cloud", message: `must be one of ${CLOUDS.join(", ")}` }],
    });
  }
  return endpoints;
}

/**
 * The MX host of an accepted domain: `contoso.com` → `contoso-com.mail.protection.outlook.com`
 * (dots become dashes; existing dashes are kept).
 * @param domain an accepted domain of the tenant
 * @param cloud the tenant's cloud @default "global"
 * @returns the MX (relay) host name
 * @since 0.1.0
 */
export function mxHostForDomain(domain: string, cloud: Cloud = "global"): string {
  const key = domain.trim().toLowerCase().replace(/\.$/, "").replace(/\./g, "-");
  return `${key}${resolveCloud(cloud).mxSuffix}`;
}
