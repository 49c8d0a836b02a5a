// The Entra (Azure AD) token endpoint: OpenID configuration, instance discovery, signing keys
// and `POST /{tenant}/oauth2/v2.0/token` for the client-credentials grant with a client secret
// or a certificate assertion. Errors are Entra's JSON with its AADSTS codes and texts.
import { createHash, randomUUID, X509Certificate } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { decodeProtectedHeader, importX509, errors as joseErrors, jwtVerify } from "jose";
import type { EmulatorContext } from "../context.js";
import type { AppPermission, AppRegistration, TenantPolicy } from "../tenant.js";
import type { TokenAuthority } from "../tokens.js";
import { DEFAULT_TOKEN_LIFETIME_SECONDS } from "../tokens.js";
import { delay, dropConnection, header, pathSegments, readBody, sendJson } from "./common.js";

/** Resources the emulator issues tokens for, and the permissions each token can carry. */
export const RESOURCES: Readonly<Record<string, readonly AppPermission[]>> = {
  "https://graph.microsoft.com": ["Mail.Send", "Mail.ReadWrite"],
  "https://outlook.office365.com": ["SMTP.SendAsApp"],
};

const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** Largest form body accepted (Entra refuses huge requests long before this). */
const MAX_FORM_BYTES = 64 * 1024;
/** Entra tolerates five minutes of clock skew on client assertions. */
const ASSERTION_SKEW_SECONDS = 300;

class EntraError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly aadsts: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** `2026-11-23 15:04:05Z`, Entra's timestamp format. */
function entraTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")}Z`;
}

function tenantNotFound(tenant: string): EntraError {
  return new EntraError(
    400,
    "invalid_request",
    90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  );
}

/** Authority segments that name no tenant: their metadata keeps the segment. */
const MULTI_TENANT = new Set(["common", "organizations", "consumers"]);

// What the v1 and v2 OpenID configurations carry alike: the client authentication methods,
// the claims, and the public cloud this Entra belongs to.
const TOKEN_AUTH_METHODS = ["client_secret_post", "private_key_jwt", "client_secret_basic"];
const CLAIMS_SUPPORTED = ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "ver"];
const OPENID_CLOUD = {
  tenant_region_scope: "EU",
  cloud_instance_name: "microsoftonline.com",
  cloud_graph_host_name: "graph.windows.net",
  msgraph_host: "graph.microsoft.com",
  rbac_url: "https://pas.windows.net",
} as const;

function missingParameter(name: string): EntraError {
  return new EntraError(
    400,
    "invalid_request",
    900144,
    `The request body must contain the following parameter: '${name}'.`,
  );
}

/** Finds the tenant a path segment names: its id or one of its domains. */
function matchTenant(policy: TenantPolicy, segment: string): boolean {
  const wanted = segment.toLowerCase();
  return (
    policy.tenantId.toLowerCase() === wanted ||
    policy.domains.some((domain) => domain.toLowerCase() === wanted)
  );
}

/** Base64url SHA-256 and SHA-1 thumbprints of a certificate, as `x5t#S256` / `x5t` carry them. */
function thumbprints(pem: string): { sha256: string; sha1: string; hex: string } {
  const der = new X509Certificate(pem).raw;
  return {
    sha256: createHash("sha256").update(der).digest("base64url"),
    sha1: createHash("sha1").update(der).digest("base64url"),
    hex: createHash("sha256").update(der).digest("hex").toUpperCase(),
  };
}

/** Builds the request handler of the token endpoint. */
export function createEntraHandler(
  context: EmulatorContext & { readonly tokens: TokenAuthority },
  authorityHost: () => string,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  /**
   * The OpenID configuration Entra serves for a tenant. A tenant named by one of its domains is
   * answered with its GUID in the issuer and every endpoint, as Entra does (so a library that
   * compares the token's `iss` with the metadata's issuer sees the same tenant); `common` and
   * `organizations` keep their name and carry the `{tenantid}` placeholder in the issuer.
   * The v1 path (`/{tenant}/.well-known/openid-configuration`) answers v1 endpoints and the
   * `sts.windows.net` issuer.
   */
  const openIdConfiguration = (tenant: string, version: "v1" | "v2") => {
    const shared = MULTI_TENANT.has(tenant.toLowerCase());
    const segment = shared ? tenant : context.tenant().tenantId;
    const base = `${authorityHost()}/${segment}`;
    const tenantId = shared ? "{tenantid}" : segment;
    if (version === "v1") {
      return {
        token_endpoint: `${base}/oauth2/token`,
        token_endpoint_auth_methods_supported: TOKEN_AUTH_METHODS,
        jwks_uri: `${base}/discovery/keys`,
        response_modes_supported: ["query", "fragment", "form_post"],
        subject_types_supported: ["pairwise"],
        id_token_signing_alg_values_supported: ["RS256"],
        response_types_supported: ["code", "id_token", "code id_token", "token id_token", "token"],
        scopes_supported: ["openid"],
        issuer: `https://sts.windows.net/${tenantId}/`,
        microsoft_multi_refresh_token: true,
        authorization_endpoint: `${base}/oauth2/authorize`,
        device_authorization_endpoint: `${base}/oauth2/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/oauth2/logout`,
        claims_supported: CLAIMS_SUPPORTED,
        check_session_iframe: `${base}/oauth2/checksession`,
        userinfo_endpoint: `${base}/openid/userinfo`,
        kerberos_endpoint: `${base}/kerberos`,
        ...OPENID_CLOUD,
      };
    }
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: TOKEN_AUTH_METHODS,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: `${authorityHost()}/${tenantId}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: "https://graph.microsoft.com/oidc/userinfo",
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: CLAIMS_SUPPORTED,
      kerberos_endpoint: `${base}/kerberos`,
      ...OPENID_CLOUD,
    };
  };

  async function authenticate(
    app: AppRegistration,
    form: URLSearchParams,
    request: IncomingMessage,
    tenantSegment: string,
  ): Promise<"1" | "2"> {
    const basic = header(request, "authorization")?.match(/^Basic\s+(.+)$/i)?.[1];
    const basicSecret = basic
      ? Buffer.from(basic, "base64").toString("utf8").split(":").slice(1).join(":")
      : undefined;
    const secret =
      form.get("client_secret") ?? (basicSecret ? decodeURIComponent(basicSecret) : null);
    const assertion = form.get("client_assertion");
    if (secret !== null) {
      const match = app.secrets?.find((candidate) => candidate.value === secret);
      if (!match) {
        throw new EntraError(
          401,
          "invalid_client",
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
        );
      }
      if (match.expiresAt && match.expiresAt.getTime() <= context.now()) {
        throw new EntraError(
          401,
          "invalid_client",
          7000222,
          `The provided client secret keys for app '${app.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
        );
      }
      return "1";
    }
    if (assertion !== null) {
      if (form.get("client_assertion_type") !== JWT_BEARER) {
        throw new EntraError(
          400,
          "invalid_request",
          50027,
          "JWT token is invalid or malformed. The client_assertion_type must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.",
        );
      }
      await verifyAssertion(app, assertion, tenantSegment);
      return "2";
    }
    throw new EntraError(
      401,
      "invalid_client",
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }

  async function verifyAssertion(app: AppRegistration, assertion: string, tenantSegment: string) {
    let protectedHeader: ReturnType<typeof decodeProtectedHeader>;
    try {
      protectedHeader = decodeProtectedHeader(assertion);
    } catch {
      throw new EntraError(401, "invalid_client", 50027, "JWT token is invalid or malformed.");
    }
    const sha256 = protectedHeader["x5t#S256"];
    const sha1 = protectedHeader.x5t;
    const certificate = (app.certificates ?? []).find((pem) => {
      const prints = thumbprints(pem);
      return (
        (typeof sha256 === "string" && sha256 === prints.sha256) ||
        (typeof sha1 === "string" && sha1 === prints.sha1)
      );
    });
    if (!certificate) {
      const presented =
        typeof sha256 === "string"
          ? Buffer.from(sha256, "base64url").toString("hex").toUpperCase()
          : String(sha1 ?? "");
      throw new EntraError(
        401,
        "invalid_client",
        700027,
        `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${presented}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.clientId}'.]`,
      );
    }
    const algorithm = protectedHeader.alg === "PS256" ? "PS256" : "RS256";
    let payload: Awaited<ReturnType<typeof jwtVerify>>["payload"];
    try {
      const key = await importX509(certificate, algorithm);
      ({ payload } = await jwtVerify(assertion, key, {
        algorithms: ["RS256", "PS256"],
        currentDate: new Date(context.now()),
        clockTolerance: ASSERTION_SKEW_SECONDS,
        requiredClaims: ["exp", "aud", "iss", "sub"],
      }));
    } catch (error) {
      if (
        error instanceof joseErrors.JWTExpired ||
        (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === "nbf")
      ) {
        throw new EntraError(
          401,
          "invalid_client",
          700024,
          "Client assertion is not within its valid time range.",
        );
      }
      if (error instanceof joseErrors.JWTClaimValidationFailed) {
        throw new EntraError(
          401,
          "invalid_client",
          50027,
          `JWT token is invalid or malformed. Missing claim '${error.claim}'.`,
        );
      }
      throw new EntraError(
        401,
        "invalid_client",
        700027,
        "Client assertion failed signature validation.",
      );
    }
    if (payload.iss !== app.clientId || payload.sub !== app.clientId) {
      throw new EntraError(
        401,
        "invalid_client",
        700021,
        "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials .",
      );
    }
    // Entra accepts its token endpoint (v1 or v2) or the v2 issuer as the audience.
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    const valid = audiences.some((aud) => {
      if (typeof aud !== "string") return false;
      let path: string;
      try {
        path = new URL(aud).pathname.toLowerCase().replace(/\/$/, "");
      } catch {
        return false;
      }
      const tenant = tenantSegment.toLowerCase();
      return [
        `/${tenant}/oauth2/v2.0/token`,
        `/${tenant}/oauth2/token`,
        `/${tenant}/v2.0`,
      ].includes(path);
    });
    if (!valid) {
      throw new EntraError(
        401,
        "invalid_client",
        700212,
        `The audience '${String(payload.aud)}' of the client assertion is not this tenant's token endpoint.`,
      );
    }
  }

  async function token(
    tenantSegment: string,
    request: IncomingMessage,
    version: "v1" | "v2",
  ): Promise<object> {
    const { body } = await readBody(request, MAX_FORM_BYTES);
    const policy = context.tenant();
    if (!matchTenant(policy, tenantSegment)) throw tenantNotFound(tenantSegment);
    const form = new URLSearchParams(body.toString("utf8"));
    const grantType = form.get("grant_type");
    if (!grantType) throw missingParameter("grant_type");
    if (grantType !== "client_credentials") {
      throw new EntraError(
        400,
        "unsupported_grant_type",
        70003,
        `The app requested an unsupported grant type '${grantType}'.`,
      );
    }
    const clientId = form.get("client_id");
    if (!clientId) throw missingParameter("client_id");
    const app = policy.apps.find(
      (candidate) => candidate.clientId.toLowerCase() === clientId.toLowerCase(),
    );
    if (!app) {
      throw new EntraError(
        400,
        "unauthorized_client",
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${policy.domains[0] ?? policy.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    const appidacr = await authenticate(app, form, request, tenantSegment);
    // The v1 endpoint names the resource itself (`resource=https://graph.microsoft.com`) and
    // ignores `scope`; without `resource` it answers AADSTS900144 naming it.
    const resourceParameter = form.get("resource");
    if (version === "v1" && !resourceParameter) throw missingParameter("resource");
    const scope =
      version === "v1" ? `${resourceParameter?.replace(/\/+$/, "")}/.default` : form.get("scope");
    if (!scope) throw missingParameter("scope");
    const scopes = scope.split(/\s+/).filter(Boolean);
    const requested = scopes.length === 1 ? scopes[0] : undefined;
    if (!requested?.endsWith("/.default")) {
      throw new EntraError(
        400,
        "invalid_scope",
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    const resource = requested.slice(0, -"/.default".length);
    const resourcePermissions = RESOURCES[resource.toLowerCase()];
    if (!resourcePermissions) {
      throw new EntraError(
        400,
        "invalid_resource",
        500011,
        `The resource principal named ${resource} was not found in the tenant named ${policy.domains[0] ?? policy.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
      );
    }
    const accessToken = await context.tokens.issue({
      tid: policy.tenantId,
      appid: app.clientId,
      aud: resource.toLowerCase(),
      roles: app.permissions.filter((permission) => resourcePermissions.includes(permission)),
      lifetimeSeconds: DEFAULT_TOKEN_LIFETIME_SECONDS,
      appidacr,
    });
    context.stats.tokensIssued += 1;
    if (version === "v1") {
      // The v1 reply writes its numbers as strings and names the resource and the times.
      const nowSeconds = Math.floor(context.now() / 1000);
      return {
        token_type: "Bearer",
        expires_in: String(DEFAULT_TOKEN_LIFETIME_SECONDS),
        ext_expires_in: String(DEFAULT_TOKEN_LIFETIME_SECONDS),
        expires_on: String(nowSeconds + DEFAULT_TOKEN_LIFETIME_SECONDS),
        not_before: String(nowSeconds),
        resource: resourceParameter,
        access_token: accessToken,
      };
    }
    return {
      token_type: "Bearer",
      expires_in: DEFAULT_TOKEN_LIFETIME_SECONDS,
      ext_expires_in: DEFAULT_TOKEN_LIFETIME_SECONDS,
      access_token: accessToken,
    };
  }

  return async (request, response) => {
    context.stats.requests.token += 1;
    const traceId = randomUUID();
    const url = new URL(request.url ?? "/", "https://emulator.invalid");
    const correlationId =
      header(request, "client-request-id") ??
      url.searchParams.get("client-request-id") ??
      randomUUID();
    const headers = {
      "Cache-Control": "no-store, no-cache",
      Pragma: "no-cache",
      "x-ms-request-id": traceId,
      "client-request-id": correlationId,
    };
    const fail = (error: EntraError) => {
      const timestamp = entraTimestamp(context.now());
      sendJson(
        response,
        error.status,
        {
          error: error.error,
          error_description: `AADSTS${error.aadsts}: ${error.message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
          error_codes: [error.aadsts],
          timestamp,
          trace_id: traceId,
          correlation_id: correlationId,
          error_uri: `${authorityHost()}/error?code=${error.aadsts}`,
        },
        { ...headers, ...error.headers },
      );
    };

    try {
      const path = url.pathname;
      const fault = context.faults.take("token", "request", path);
      if (fault?.kind === "drop") {
        dropConnection(request, response);
        return;
      }
      if (fault?.kind === "latency") await delay(fault.ms);
      if (fault?.kind === "reply" || fault?.kind === "throttle") {
        const status = fault.kind === "throttle" ? 429 : (fault.status ?? 503);
        const retryAfter =
          fault.retryAfterSeconds ??
          (fault.kind === "throttle" ? context.tenant().limits.retryAfterSeconds : undefined);
        if (status === 429) context.stats.throttled.token += 1;
        const code =
          fault.kind === "reply" && fault.errorCode ? fault.errorCode : "temporarily_unavailable";
        const message =
          fault.kind === "reply" && fault.errorMessage
            ? fault.errorMessage
            : status === 429
              ? "Request was throttled. Retry after the time given in the Retry-After header."
              : "A transient error has occurred. Please try again.";
        fail(
          new EntraError(
            status,
            code,
            status === 429 ? 90055 : 90033,
            message,
            retryAfter === undefined ? {} : { "Retry-After": String(retryAfter) },
          ),
        );
        return;
      }

      const segments = pathSegments(path);
      const [tenant, ...rest] = segments;
      const route = rest.join("/").toLowerCase();
      if (
        request.method === "GET" &&
        tenant &&
        (route === "v2.0/.well-known/openid-configuration" ||
          route === ".well-known/openid-configuration")
      ) {
        if (!MULTI_TENANT.has(tenant.toLowerCase()) && !matchTenant(context.tenant(), tenant)) {
          throw tenantNotFound(tenant);
        }
        const version = route.startsWith("v2.0/") ? "v2" : "v1";
        sendJson(response, 200, openIdConfiguration(tenant, version), headers);
        return;
      }
      if (request.method === "GET" && tenant === "common" && route === "discovery/instance") {
        const host = new URL(authorityHost()).host;
        sendJson(
          response,
          200,
          {
            tenant_discovery_endpoint: `${authorityHost()}/{tenant}/v2.0/.well-known/openid-configuration`,
            "api-version": "1.1",
            metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
          },
          headers,
        );
        return;
      }
      if (
        request.method === "GET" &&
        tenant &&
        (route === "discovery/v2.0/keys" || route === "discovery/keys")
      ) {
        sendJson(response, 200, context.tokens.jwks, headers);
        return;
      }
      if (tenant && (route === "oauth2/v2.0/token" || route === "oauth2/token")) {
        if (request.method !== "POST") {
          throw new EntraError(
            400,
            "invalid_request",
            900561,
            "The endpoint only accepts POST requests. Received a GET request.",
          );
        }
        const version = route === "oauth2/token" ? "v1" : "v2";
        sendJson(response, 200, await token(tenant, request, version), headers);
        return;
      }
      sendJson(
        response,
        404,
        { error: "not_found", error_description: `No route for ${request.method} ${path}.` },
        headers,
      );
    } catch (error) {
      if (error instanceof EntraError) {
        fail(error);
        return;
      }
      fail(
        new EntraError(
          500,
          "server_error",
          50000,
          "There was an error issuing a token or an authorization code.",
        ),
      );
    }
  };
}
