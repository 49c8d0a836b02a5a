import { createHash, X509Certificate } from "node:crypto";
import type { AuthenticationResult } from "@azure/msal-node";
import { createLocalJWKSet, decodeJwt, importPKCS8, jwtVerify, SignJWT } from "jose";
import { fetch } from "undici";
import { describe, expect, it } from "vitest";
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID } from "../tenant.js";
import { clientCredentials, confidentialClient, postForm } from "./test-support/clients.js";
import { useEmulatorSuite } from "./test-support/emulator-suite.js";

const GRAPH_SCOPE = "https://graph.microsoft.com/.default";
const OUTLOOK_SCOPE = "https://outlook.office365.com/.default";

const suite = useEmulatorSuite();

function client(
  overrides: {
    tenantId?: string;
    clientId?: string;
    clientSecret?: string;
    discover?: boolean;
  } = {},
) {
  return confidentialClient({
    authorityHost: suite.emulator.entra.authorityHost,
    tenantId: overrides.tenantId ?? DEFAULT_TENANT_ID,
    clientId: overrides.clientId ?? DEFAULT_CLIENT_ID,
    clientSecret: overrides.clientSecret ?? DEFAULT_CLIENT_SECRET,
    ca: suite.emulator.ca,
    ...(overrides.discover ? { discover: true } : {}),
  });
}

/**
 * msal's ServerError carries the endpoint's `error`, HTTP status and `error_description`
 * (inside its own "Error(s): … - Description: … - Correlation ID: …" message).
 */
async function msalFailure(promise: Promise<AuthenticationResult | null>) {
  const error = (await promise.then(
    () => {
      throw new Error("expected the token request to fail");
    },
    (failure: unknown) => failure,
  )) as { errorCode: string; errorMessage: string; status?: number };
  const description = error.errorMessage.match(/Description: (.*?) - Correlation ID: /s)?.[1] ?? "";
  return { errorCode: error.errorCode, status: error.status, errorMessage: description };
}

function postToken(
  form: Record<string, string>,
  tenant = DEFAULT_TENANT_ID,
  headers: Record<string, string> = {},
) {
  const url = `${suite.emulator.entra.authorityHost}/${tenant}/oauth2/v2.0/token`;
  return postForm(url, form, suite.dispatcher, headers);
}

describe("Entra token endpoint", () => {
  /**
   * Registers `registered` on the default app and returns an msal client that signs its
   * assertion with `signingKey` and names the certificate by `thumbprintOf`'s SHA-256 thumbprint.
   */
  function certificateClient(options: {
    registered: string;
    thumbprintOf: string;
    signingKey: string;
  }) {
    suite.emulator.configure({
      apps: [
        {
          clientId: DEFAULT_CLIENT_ID,
          certificates: [options.registered],
          permissions: ["Mail.Send"],
        },
      ],
    });
    const thumbprintSha256 = createHash("sha256")
      .update(new X509Certificate(options.thumbprintOf).raw)
      .digest("hex");
    return confidentialClient({
      authorityHost: suite.emulator.entra.authorityHost,
      tenantId: DEFAULT_TENANT_ID,
      clientId: DEFAULT_CLIENT_ID,
      ca: suite.emulator.ca,
      clientCertificate: { thumbprintSha256, privateKey: options.signingKey },
    });
  }

  it("issues a Graph token to msal-node for a client secret, with the app's Graph roles", async () => {
    const result = await client().acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] });
    expect(result?.tokenType).toBe("Bearer");
    const claims = decodeJwt(result?.accessToken ?? "");
    expect(claims).toMatchObject({
      aud: "https://graph.microsoft.com",
      iss: `https://sts.windows.net/${DEFAULT_TENANT_ID}/`,
      tid: DEFAULT_TENANT_ID,
      appid: DEFAULT_CLIENT_ID,
      roles: ["Mail.Send", "Mail.ReadWrite"],
      appidacr: "1",
    });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBeGreaterThanOrEqual(3600);
    const secondsLeft = ((result?.expiresOn?.getTime() ?? 0) - Date.now()) / 1000;
    expect(secondsLeft).toBeGreaterThan(3500);
    expect(suite.emulator.stats()).toMatchObject({ tokensIssued: 1, requests: { token: 1 } });
  });

  it("answers msal's second call from its cache without a second token request", async () => {
    const app = client();
    await app.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] });
    const again = await app.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] });
    expect(again?.fromCache).toBe(true);
    expect(suite.emulator.stats().tokensIssued).toBe(1);
  });

  it("issues an Outlook token carrying only SMTP.SendAsApp for the outlook.office365.com scope", async () => {
    const result = await client().acquireTokenByClientCredential({ scopes: [OUTLOOK_SCOPE] });
    expect(decodeJwt(result?.accessToken ?? "")).toMatchObject({
      aud: "https://outlook.office365.com",
      roles: ["SMTP.SendAsApp"],
    });
  });

  it("serves the tenant's openid-configuration so msal can discover the token endpoint", async () => {
    const result = await client({ discover: true }).acquireTokenByClientCredential({
      scopes: [GRAPH_SCOPE],
    });
    expect(result?.accessToken).toBeTruthy();
    const response = await fetch(
      `${suite.emulator.entra.authorityHost}/${DEFAULT_TENANT_ID}/v2.0/.well-known/openid-configuration`,
      { dispatcher: suite.dispatcher },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      token_endpoint: `${suite.emulator.entra.authorityHost}/${DEFAULT_TENANT_ID}/oauth2/v2.0/token`,
      issuer: `${suite.emulator.entra.authorityHost}/${DEFAULT_TENANT_ID}/v2.0`,
      jwks_uri: `${suite.emulator.entra.authorityHost}/${DEFAULT_TENANT_ID}/discovery/v2.0/keys`,
    });
  });

  it("accepts a certificate assertion signed with the app's registered certificate", async () => {
    const { cert, key } = await suite.emulator.issueClientCertificate("mailpath-app");
    const app = certificateClient({ registered: cert, thumbprintOf: cert, signingKey: key });
    const result = await app.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] });
    expect(decodeJwt(result?.accessToken ?? "")).toMatchObject({
      roles: ["Mail.Send"],
      appidacr: "2",
    });
  });

  it.each([
    [
      "signed with a certificate the app has not registered",
      "other",
      /^AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application\./,
    ],
    // The registered certificate's thumbprint, but signed with another key.
    [
      "whose signature does not match the registered certificate",
      "registered",
      /^AADSTS700027: Client assertion failed signature validation\./,
    ],
  ] as const)("refuses an assertion %s (AADSTS700027)", async (_case, thumbprintOf, message) => {
    const registered = await suite.emulator.issueClientCertificate("registered");
    const other = await suite.emulator.issueClientCertificate("someone-else");
    const app = certificateClient({
      registered: registered.cert,
      thumbprintOf: (thumbprintOf === "registered" ? registered : other).cert,
      signingKey: other.key,
    });
    const failure = await msalFailure(
      app.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] }),
    );
    expect(failure).toMatchObject({ errorCode: "invalid_client", status: 401 });
    expect(failure.errorMessage).toMatch(message);
  });

  it("answers 400 invalid_request AADSTS90002 for an unknown tenant", async () => {
    const tenant = "00000000-1111-2222-3333-444444444444";
    const failure = await msalFailure(
      client({ tenantId: tenant }).acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] }),
    );
    expect(failure).toMatchObject({ errorCode: "invalid_request", status: 400 });
    expect(failure.errorMessage).toMatch(
      new RegExp(
        `^AADSTS90002: Tenant '${tenant}' not found\\. Check to make sure you have the correct tenant ID`,
      ),
    );
  });

  it("answers 400 unauthorized_client AADSTS700016 for an unknown application", async () => {
    const clientId = "11111111-2222-3333-4444-555555555555";
    const failure = await msalFailure(
      client({ clientId }).acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] }),
    );
    expect(failure).toMatchObject({ errorCode: "unauthorized_client", status: 400 });
    expect(failure.errorMessage).toMatch(
      new RegExp(
        `^AADSTS700016: Application with identifier '${clientId}' was not found in the directory`,
      ),
    );
  });

  it("answers 401 invalid_client AADSTS7000215 for a wrong client secret", async () => {
    const failure = await msalFailure(
      client({ clientSecret: "not-the-secret" }).acquireTokenByClientCredential({
        scopes: [GRAPH_SCOPE],
      }),
    );
    expect(failure).toMatchObject({ errorCode: "invalid_client", status: 401 });
    expect(failure.errorMessage).toContain(
      `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${DEFAULT_CLIENT_ID}'.`,
    );
  });

  it("answers 401 invalid_client AADSTS7000222 for an expired client secret", async () => {
    suite.emulator.configure({
      apps: [
        {
          clientId: DEFAULT_CLIENT_ID,
          secrets: [{ value: DEFAULT_CLIENT_SECRET, expiresAt: new Date(Date.now() - 1000) }],
          permissions: ["Mail.Send"],
        },
      ],
    });
    const failure = await msalFailure(
      client().acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] }),
    );
    expect(failure).toMatchObject({ errorCode: "invalid_client", status: 401 });
    expect(failure.errorMessage).toMatch(
      new RegExp(
        `^AADSTS7000222: The provided client secret keys for app '${DEFAULT_CLIENT_ID}' are expired\\. Visit the Azure portal to create new keys for your app`,
      ),
    );
  });

  it("answers with Entra's whole error JSON: status, error_codes, timestamp, trace and correlation ids", async () => {
    const response = await postToken(
      clientCredentials({ client_secret: "wrong", scope: GRAPH_SCOPE }),
      DEFAULT_TENANT_ID,
      { "client-request-id": "4b8f7c1e-0000-4000-8000-000000000001" },
    );
    expect(response.status).toBe(401);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      error: "invalid_client",
      error_codes: [7000215],
      correlation_id: "4b8f7c1e-0000-4000-8000-000000000001",
    });
    expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    expect(body.trace_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(String(body.error_description)).toMatch(/^AADSTS7000215: /);
    expect(String(body.error_description)).toContain(`Trace ID: ${String(body.trace_id)}`);
    expect(JSON.stringify(body)).not.toContain("wrong");
  });

  it("answers 400 invalid_scope AADSTS1002012 for a scope without /.default", async () => {
    const response = await postToken(clientCredentials({ scope: "Mail.Send" }));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string; error_description: string };
    expect(body.error).toBe("invalid_scope");
    expect(body.error_description).toMatch(
      /^AADSTS1002012: The provided value for scope Mail\.Send is not valid\. Client credential flows must have a scope value with \/\.default suffixed/,
    );
  });

  it("answers a token-endpoint outage fault with 503 and Retry-After, then recovers", async () => {
    suite.emulator.failNext({
      endpoint: "token",
      kind: "reply",
      status: 503,
      retryAfterSeconds: 7,
    });
    const form = clientCredentials({ scope: GRAPH_SCOPE });
    const outage = await postToken(form);
    expect(outage.status).toBe(503);
    expect(outage.headers.get("retry-after")).toBe("7");
    expect(await outage.json()).toMatchObject({
      error: "temporarily_unavailable",
      error_codes: [90033],
    });
    const recovered = await postToken(form);
    expect(recovered.status).toBe(200);
    expect(await recovered.json()).toMatchObject({
      token_type: "Bearer",
      expires_in: 3599,
      ext_expires_in: 3599,
    });
    expect(suite.emulator.stats()).toMatchObject({ tokensIssued: 1, requests: { token: 2 } });
  });

  it("drops the connection on a token-endpoint drop fault, failing msal's request", async () => {
    suite.emulator.failNext({ endpoint: "token", kind: "drop" });
    await expect(
      client().acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] }),
    ).rejects.toThrow();
    expect(suite.emulator.stats().tokensIssued).toBe(0);
  });

  it("publishes its signing keys so a token verifies against the tenant's JWKS", async () => {
    const result = await client().acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] });
    const response = await fetch(
      `${suite.emulator.entra.authorityHost}/${DEFAULT_TENANT_ID}/discovery/v2.0/keys`,
      {
        dispatcher: suite.dispatcher,
      },
    );
    const jwks = createLocalJWKSet(
      (await response.json()) as Parameters<typeof createLocalJWKSet>[0],
    );
    const { payload } = await jwtVerify(result?.accessToken ?? "", jwks, {
      audience: "https://graph.microsoft.com",
    });
    expect(payload.appid).toBe(DEFAULT_CLIENT_ID);
  });

  it("answers instance discovery and the v1 openid-configuration path, and 400 AADSTS90002 for an unknown tenant's", async () => {
    const discovery = await fetch(
      `${suite.emulator.entra.authorityHost}/common/discovery/instance?api-version=1.1&authorization_endpoint=x`,
      { dispatcher: suite.dispatcher },
    );
    expect(await discovery.json()).toMatchObject({
      "api-version": "1.1",
      metadata: [{ preferred_network: new URL(suite.emulator.entra.authorityHost).host }],
    });
    const v1 = await fetch(
      `${suite.emulator.entra.authorityHost}/${DEFAULT_TENANT_ID}/.well-known/openid-configuration`,
      {
        dispatcher: suite.dispatcher,
      },
    );
    expect(v1.status).toBe(200);
    const unknown = await fetch(
      `${suite.emulator.entra.authorityHost}/contoso.invalid/v2.0/.well-known/openid-configuration`,
      {
        dispatcher: suite.dispatcher,
      },
    );
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: "invalid_request", error_codes: [90002] });
  });

  describe("certificate assertions built by hand", () => {
    async function assertionFor(claims: { aud?: string; iss?: string; exp?: number }) {
      const { cert, key } = await suite.emulator.issueClientCertificate("hand-built");
      suite.emulator.configure({
        apps: [{ clientId: DEFAULT_CLIENT_ID, certificates: [cert], permissions: ["Mail.Send"] }],
      });
      const thumbprint = createHash("sha256")
        .update(new X509Certificate(cert).raw)
        .digest("base64url");
      const now = Math.floor(Date.now() / 1000);
      const issuer = claims.iss ?? DEFAULT_CLIENT_ID;
      return new SignJWT({ jti: "0b9a2c1d" })
        .setProtectedHeader({ alg: "PS256", typ: "JWT", "x5t#S256": thumbprint })
        .setAudience(
          claims.aud ??
            `${suite.emulator.entra.authorityHost}/${DEFAULT_TENANT_ID}/oauth2/v2.0/token`,
        )
        .setIssuer(issuer)
        .setSubject(issuer)
        .setNotBefore(now - 60)
        .setExpirationTime(claims.exp ?? now + 600)
        .sign(await importPKCS8(key, "PS256"));
    }
    const form = (assertion: string) => ({
      grant_type: "client_credentials",
      client_id: DEFAULT_CLIENT_ID,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: assertion,
      scope: GRAPH_SCOPE,
    });

    it("accepts an assertion whose aud is the token endpoint and iss = sub = the client id", async () => {
      const response = await postToken(form(await assertionFor({})));
      expect(response.status).toBe(200);
    });

    it("answers 401 AADSTS700024 for an expired assertion", async () => {
      const response = await postToken(
        form(await assertionFor({ exp: Math.floor(Date.now() / 1000) - 3600 })),
      );
      expect(response.status).toBe(401);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).toBe("invalid_client");
      expect(body.error_description).toMatch(
        /^AADSTS700024: Client assertion is not within its valid time range\./,
      );
    });

    it("answers 401 AADSTS700021 when the assertion's iss/sub is not the client id", async () => {
      const response = await postToken(form(await assertionFor({ iss: "another-client" })));
      expect(response.status).toBe(401);
      const body = (await response.json()) as { error_description: string };
      expect(body.error_description).toMatch(
        /^AADSTS700021: Client assertion application identifier doesn't match 'client_id' parameter\./,
      );
    });

    it("answers 401 invalid_client when the assertion's aud is not this tenant's token endpoint", async () => {
      const response = await postToken(
        form(await assertionFor({ aud: "https://login.example.org/other/oauth2/v2.0/token" })),
      );
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({
        error: "invalid_client",
        error_codes: [700212],
      });
    });
  });
});
