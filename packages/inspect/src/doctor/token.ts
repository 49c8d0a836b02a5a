// Access tokens as the doctor sees them: the client-credentials request made by hand so that
// Entra's AADSTS code reaches the report word for word, and the claims read (never verified:
// the server that receives the token decides).
import { request } from "node:https";
import { rootCertificates } from "node:tls";
import { type DnsOptions, lookupFor } from "../dns/resolver.js";

/** Claims the doctor reads from an access token. */
export interface TokenClaims {
  readonly aud?: string;
  readonly tid?: string;
  readonly appid?: string;
  readonly azp?: string;
  readonly roles?: readonly string[];
  readonly exp?: number;
}

/** The payload of a JWT, or undefined when it is not one. */
export function decodeClaims(token: string): TokenClaims | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    return typeof claims === "object" && claims !== null ? (claims as TokenClaims) : undefined;
  } catch {
    return undefined;
  }
}

/** What Entra's AADSTS codes mean and what to do (the ones a client-credentials app meets). */
export const AADSTS_FIXES: Readonly<Record<string, string>> = {
  "90002":
    "The tenant was not found: check MAILPATH_TENANT_ID (the Directory (tenant) ID) and MAILPATH_CLOUD.",
  "900023": "The tenant id is malformed: use the Directory (tenant) ID GUID or a verified domain.",
  "700016":
    "The application was not found in this tenant: check MAILPATH_CLIENT_ID and that the app is registered (or consented) in this tenant.",
  "7000215":
    "The client secret is wrong: use the secret's Value (not its Secret ID) in MAILPATH_CLIENT_SECRET.",
  "7000222": "The client secret expired: create a new one under Certificates & secrets.",
  "700027":
    "The certificate assertion was refused: upload this certificate to the app registration, or fix its thumbprint.",
  "700024": "The client assertion is outside its validity window: check the machine's clock.",
  "500011":
    "The resource (Exchange Online or Graph) has no service principal in the tenant: check the cloud, or that Exchange Online is licensed.",
  "1002012": "The scope is invalid: app-only tokens use <resource>/.default.",
  "7000112": "The application is disabled in this tenant: enable its enterprise application.",
  "50079": "Multi-factor authentication is required: app-only sending cannot use this account.",
  "53003": "A Conditional Access policy blocked the token: exclude the app or its location.",
  "900144": "A required parameter was missing from the token request.",
};

/** The AADSTS number in an Entra error description. */
export function aadstsCode(text: string): string | undefined {
  return /AADSTS(\d+)/.exec(text)?.[1];
}

export interface HttpsResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** One HTTPS request with an extra trusted CA. */
export function httpsRequest(
  url: string,
  options: {
    readonly method: string;
    readonly headers?: Record<string, string>;
    readonly body?: string;
    readonly ca?: string;
    readonly timeoutMs: number;
    readonly dns?: DnsOptions;
  },
): Promise<HttpsResult> {
  const lookup = options.dns ? lookupFor(options.dns) : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method,
        headers: {
          ...options.headers,
          ...(options.body !== undefined && {
            "content-length": String(Buffer.byteLength(options.body)),
          }),
        },
        ...(options.ca && { ca: [...rootCertificates, options.ca] }),
        ...(lookup && { lookup }),
        timeout: options.timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        response.on("error", reject);
      },
    );
    req.on("timeout", () =>
      req.destroy(
        Object.assign(new Error(`no answer within ${options.timeoutMs} ms`), {
          code: "ETIMEDOUT",
        }),
      ),
    );
    req.on("error", reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** How the doctor gets a token: a client-credentials request it makes, or a provider's. */
export type TokenSource =
  | {
      readonly kind: "secret";
      readonly authorityHost: string;
      readonly tenantId: string;
      readonly clientId: string;
      readonly clientSecret: string;
    }
  | {
      /** Any other credential (a certificate): a function that returns a token. */
      readonly kind: "provider";
      readonly getToken: (scope: string) => Promise<string>;
    };

export class TokenError extends Error {
  constructor(
    message: string,
    readonly reply: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = "TokenError";
  }
}

/** Gets an app-only token for `scope`; Entra's refusal becomes a TokenError with the AADSTS code explained. */
export async function acquireToken(
  source: TokenSource,
  scope: string,
  options: { readonly ca?: string; readonly timeoutMs: number; readonly dns?: DnsOptions },
): Promise<string> {
  if (source.kind === "provider") return source.getToken(scope);
  const url = `${source.authorityHost.replace(/\/$/, "")}/${encodeURIComponent(source.tenantId)}/oauth2/v2.0/token`;
  const body = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: source.clientId,
    client_secret: source.clientSecret,
    scope,
  }).toString();
  const response = await httpsRequest(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
    ...(options.ca && { ca: options.ca }),
    timeoutMs: options.timeoutMs,
    ...(options.dns && { dns: options.dns }),
  });
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(response.body) as Record<string, unknown>;
  } catch {
    // Not JSON: reported below with the status.
  }
  if (response.status === 200 && typeof json.access_token === "string") return json.access_token;
  const description =
    typeof json.error_description === "string"
      ? json.error_description.split(/\r?\n| Trace ID:/)[0]!.trim()
      : `HTTP ${response.status}`;
  const code = aadstsCode(description);
  const error = typeof json.error === "string" ? `${json.error}: ` : "";
  throw new TokenError(
    `Entra refused the token request (HTTP ${response.status})`,
    `${error}${description}`,
    (code && AADSTS_FIXES[code]) ??
      "Check the tenant id, client id and credential in the MAILPATH_* variables.",
  );
}
