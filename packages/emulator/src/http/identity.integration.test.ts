// Microsoft's identity libraries against the emulator's Entra endpoint, configured as
// docs/emulator-http.md says: @azure/identity (secret and certificate), msal-node with only
// an authority and knownAuthorities, and MSAL for Python where python3 has it. Each gets a
// token for Graph and for Exchange SMTP (reference §1: the app-only scopes).
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { ClientCertificateCredential, ClientSecretCredential } from "@azure/identity";
import { ConfidentialClientApplication } from "@azure/msal-node";
import { decodeJwt } from "jose";
import { fetch } from "undici";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_SENDER,
  DEFAULT_TENANT_ID,
} from "../tenant.js";
import { caNetworkClient, clientCredentials, postForm } from "./test-support/clients.js";
import { useEmulatorSuite } from "./test-support/emulator-suite.js";

const GRAPH_SCOPE = "https://graph.microsoft.com/.default";
const SMTP_SCOPE = "https://outlook.office365.com/.default";

const suite = useEmulatorSuite();

const audienceOf = (token: string) => decodeJwt(token).aud;

/**
 * Runs python3 with these arguments (30 s at most); resolves its stdout and stderr. requests
 * (under MSAL for Python) lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's
 * `verify` (psf/requests#3829), so they are left out: the script's `verify=` is what counts.
 */
async function runPython(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const { REQUESTS_CA_BUNDLE: _requests, CURL_CA_BUNDLE: _curl, ...env } = process.env;
  return promisify(execFile)("python3", args, { encoding: "utf8", timeout: 30_000, env });
}

/**
 * Runs a Python script that gets a token from `tokenFrom` as the default app and sends over
 * the emulator's SMTP endpoint: its argv[1:8] are `tokenFrom`, the app's id and secret, the CA
 * file, the SMTP host and port, and the sender. Checks that it wrote nothing to stderr.
 */
async function runSmtpScript(script: string, tokenFrom: string) {
  const { emulator } = suite;
  // Asynchronous: the emulator answering the script runs in this process.
  const run = await runPython([
    "-c",
    script,
    tokenFrom,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    emulator.caFile,
    emulator.smtp.host,
    String(emulator.smtp.port),
    DEFAULT_SENDER,
  ]);
  expect(run.stderr).toBe("");
  return run;
}

describe("@azure/identity", () => {
  const options = () => ({
    authorityHost: suite.emulator.entra.authorityHost,
    // Without it the credential first calls login.microsoftonline.com/common/discovery/instance.
    disableInstanceDiscovery: true,
    tlsOptions: { ca: suite.emulator.ca },
  });

  it.each([
    [GRAPH_SCOPE, "https://graph.microsoft.com"],
    [SMTP_SCOPE, "https://outlook.office365.com"],
  ])("ClientSecretCredential gets a token for %s", async (scope, audience) => {
    const credential = new ClientSecretCredential(
      DEFAULT_TENANT_ID,
      DEFAULT_CLIENT_ID,
      DEFAULT_CLIENT_SECRET,
      options(),
    );
    const token = await credential.getToken(scope);
    expect(audienceOf(token.token)).toBe(audience);
    expect(decodeJwt(token.token).tid).toBe(DEFAULT_TENANT_ID);
  });

  it("ClientSecretCredential names the tenant by its domain; the token carries the tenant GUID", async () => {
    const credential = new ClientSecretCredential(
      "contoso.com",
      DEFAULT_CLIENT_ID,
      DEFAULT_CLIENT_SECRET,
      options(),
    );
    const token = await credential.getToken(GRAPH_SCOPE);
    expect(decodeJwt(token.token).tid).toBe(DEFAULT_TENANT_ID);
  });

  it.each([
    [GRAPH_SCOPE, "https://graph.microsoft.com"],
    [SMTP_SCOPE, "https://outlook.office365.com"],
  ])("ClientCertificateCredential (PEM with key) gets a token for %s", async (scope, audience) => {
    const { cert, key } = await suite.emulator.issueClientCertificate("identity-test");
    suite.emulator.configure({
      apps: [
        {
          clientId: DEFAULT_CLIENT_ID,
          certificates: [cert],
          permissions: ["Mail.Send", "SMTP.SendAsApp"],
        },
      ],
    });
    const credential = new ClientCertificateCredential(
      DEFAULT_TENANT_ID,
      DEFAULT_CLIENT_ID,
      { certificate: `${cert}\n${key}` },
      options(),
    );
    const token = await credential.getToken(scope);
    expect(audienceOf(token.token)).toBe(audience);
    expect(decodeJwt(token.token).appidacr).toBe("2");
  });
});

describe("@azure/msal-node, discovering the tenant's metadata itself", () => {
  function msal(tenant: string) {
    return new ConfidentialClientApplication({
      auth: {
        clientId: DEFAULT_CLIENT_ID,
        clientSecret: DEFAULT_CLIENT_SECRET,
        authority: `${suite.emulator.entra.authorityHost}/${tenant}`,
        // A known authority is trusted as is: no call to /common/discovery/instance.
        knownAuthorities: [new URL(suite.emulator.entra.authorityHost).host],
      },
      system: { networkClient: caNetworkClient(suite.emulator.ca) },
    });
  }

  it.each([
    [DEFAULT_TENANT_ID, GRAPH_SCOPE],
    [DEFAULT_TENANT_ID, SMTP_SCOPE],
    ["contoso.com", GRAPH_SCOPE],
    ["contoso.com", SMTP_SCOPE],
  ])("authority …/%s gets a token for %s", async (tenant, scope) => {
    const result = await msal(tenant).acquireTokenByClientCredential({ scopes: [scope] });
    expect(audienceOf(result?.accessToken ?? "")).toBe(scope.replace("/.default", ""));
    expect(decodeJwt(result?.accessToken ?? "").tid).toBe(DEFAULT_TENANT_ID);
  });
});

describe("OpenID metadata and the v1 endpoint", () => {
  const metadata = async (path: string) => {
    const response = await fetch(`${suite.emulator.entra.authorityHost}${path}`, {
      dispatcher: suite.dispatcher,
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  it("answers a tenant named by its domain with the tenant GUID in the issuer and endpoints", async () => {
    const host = suite.emulator.entra.authorityHost;
    const { status, json } = await metadata("/contoso.com/v2.0/.well-known/openid-configuration");
    expect(status).toBe(200);
    expect(json).toMatchObject({
      issuer: `${host}/${DEFAULT_TENANT_ID}/v2.0`,
      token_endpoint: `${host}/${DEFAULT_TENANT_ID}/oauth2/v2.0/token`,
      jwks_uri: `${host}/${DEFAULT_TENANT_ID}/discovery/v2.0/keys`,
    });
  });

  it("keeps common in the endpoints and the {tenantid} placeholder in the issuer", async () => {
    const host = suite.emulator.entra.authorityHost;
    const { json } = await metadata("/common/v2.0/.well-known/openid-configuration");
    expect(json).toMatchObject({
      issuer: `${host}/{tenantid}/v2.0`,
      token_endpoint: `${host}/common/oauth2/v2.0/token`,
    });
  });

  it("answers the v1 metadata path with v1 endpoints and the sts.windows.net issuer", async () => {
    const host = suite.emulator.entra.authorityHost;
    const { json } = await metadata("/contoso.com/.well-known/openid-configuration");
    expect(json).toMatchObject({
      issuer: `https://sts.windows.net/${DEFAULT_TENANT_ID}/`,
      token_endpoint: `${host}/${DEFAULT_TENANT_ID}/oauth2/token`,
    });
  });

  const postV1 = (form: Record<string, string>) =>
    postForm(
      `${suite.emulator.entra.authorityHost}/${DEFAULT_TENANT_ID}/oauth2/token`,
      form,
      suite.dispatcher,
    );

  it("answers the v1 token endpoint without `resource` with Entra's 400 AADSTS900144", async () => {
    const response = await postV1(clientCredentials({ scope: GRAPH_SCOPE }));
    expect(response.status).toBe(400);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error: "invalid_request", error_codes: [900144] });
    expect(body.error_description).toMatch(
      /^AADSTS900144: The request body must contain the following parameter: 'resource'\. Trace ID: [0-9a-f-]{36} Correlation ID: [0-9a-f-]{36} Timestamp: /,
    );
    expect(body).toHaveProperty("trace_id");
    expect(body).toHaveProperty("correlation_id");
    expect(body).toHaveProperty("timestamp");
  });

  it("issues a v1 token for `resource`, with v1's string numbers and the resource named", async () => {
    const response = await postV1(
      clientCredentials({ resource: "https://outlook.office365.com/" }),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, string>;
    expect(body).toMatchObject({
      token_type: "Bearer",
      resource: "https://outlook.office365.com/",
      expires_in: expect.stringMatching(/^\d+$/),
      expires_on: expect.stringMatching(/^\d+$/),
    });
    expect(audienceOf(body.access_token ?? "")).toBe("https://outlook.office365.com");
  });
});

// MSAL for Python, then smtplib with the token (XOAUTH2), where python3 and the msal module
// are installed. The script prints what it got; the test checks the delivery.
const python = spawnSync("python3", ["-c", "import msal, sys; print(msal.__version__)"], {
  encoding: "utf8",
});
const pythonSkip =
  python.error !== undefined
    ? `python3 is not installed (${python.error.message})`
    : python.status !== 0
      ? "the msal Python module is not installed (pip install msal)"
      : undefined;
if (pythonSkip) console.log(`MSAL for Python test skipped: ${pythonSkip}`);

const PYTHON_SCRIPT = `
import base64, json, smtplib, ssl, sys
import msal
authority, client_id, secret, ca_file, smtp_host, smtp_port, sender = sys.argv[1:8]
app = msal.ConfidentialClientApplication(
    client_id, client_credential=secret, authority=authority,
    instance_discovery=False, verify=ca_file)
graph = app.acquire_token_for_client(scopes=["${GRAPH_SCOPE}"])
outlook = app.acquire_token_for_client(scopes=["${SMTP_SCOPE}"])
if "access_token" not in graph or "access_token" not in outlook:
    print(json.dumps({"graph": graph, "outlook": outlook})); sys.exit(1)
context = ssl.create_default_context(cafile=ca_file)
with smtplib.SMTP(smtp_host, int(smtp_port)) as smtp:
    smtp.ehlo(); smtp.starttls(context=context); smtp.ehlo()
    xoauth2 = "user=%s\\x01auth=Bearer %s\\x01\\x01" % (sender, outlook["access_token"])
    code, reply = smtp.docmd("AUTH", "XOAUTH2 " + base64.b64encode(xoauth2.encode()).decode())
    if code != 235: print(json.dumps({"auth": [code, reply.decode()]})); sys.exit(1)
    smtp.sendmail(sender, ["ada@contoso.com"],
        "From: %s\\r\\nTo: ada@contoso.com\\r\\nSubject: From MSAL for Python\\r\\n\\r\\nHello.\\r\\n" % sender)
print(json.dumps({"ok": True}))
`;

// Python's own smtplib (no MSAL: the token comes from the v2 endpoint through urllib), where
// python3 is installed: STARTTLS with the emulator's CA, AUTH XOAUTH2, sendmail.
const python3 = spawnSync("python3", ["--version"], { encoding: "utf8" });
const python3Skip = python3.error
  ? `python3 is not installed (${python3.error.message})`
  : undefined;
if (python3Skip) console.log(`Python smtplib test skipped: ${python3Skip}`);

const SMTPLIB_SCRIPT = `
import base64, json, smtplib, ssl, sys, urllib.parse, urllib.request
token_url, client_id, secret, ca_file, smtp_host, smtp_port, sender = sys.argv[1:8]
context = ssl.create_default_context(cafile=ca_file)
form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client_id,
    "client_secret": secret, "scope": "${SMTP_SCOPE}"}).encode()
with urllib.request.urlopen(urllib.request.Request(token_url, data=form), context=context) as reply:
    token = json.load(reply)["access_token"]
with smtplib.SMTP(smtp_host, int(smtp_port)) as smtp:
    smtp.ehlo()
    features = sorted(smtp.esmtp_features)
    smtp.starttls(context=context); smtp.ehlo()
    xoauth2 = "user=%s\\x01auth=Bearer %s\\x01\\x01" % (sender, token)
    code, reply = smtp.docmd("AUTH", "XOAUTH2 " + base64.b64encode(xoauth2.encode()).decode())
    if code != 235: print(json.dumps({"auth": [code, reply.decode()]})); sys.exit(1)
    smtp.sendmail(sender, ["ada@contoso.com"],
        "From: %s\\r\\nTo: ada@contoso.com\\r\\nSubject: From Python smtplib\\r\\n\\r\\nHello.\\r\\n" % sender)
print(json.dumps({"ok": True, "features": features}))
`;

describe("Python's smtplib with a token from the v2 endpoint", () => {
  it.skipIf(python3Skip !== undefined)(
    "sees CHUNKING and BINARYMIME, starts TLS with the CA file, authenticates with XOAUTH2 and sends",
    async () => {
      const { emulator } = suite;
      const run = await runSmtpScript(
        SMTPLIB_SCRIPT,
        `${emulator.entra.authorityHost}/${DEFAULT_TENANT_ID}/oauth2/v2.0/token`,
      );
      const result = JSON.parse(run.stdout) as { ok: boolean; features: string[] };
      expect(result.ok).toBe(true);
      expect(result.features).toEqual(
        expect.arrayContaining(["binarymime", "chunking", "size", "smtputf8", "starttls"]),
      );
      expect(emulator.messages({ subject: "From Python smtplib" })).toHaveLength(1);
    },
  );
});

describe("MSAL for Python and smtplib", () => {
  it.skipIf(pythonSkip !== undefined)(
    "gets Graph and SMTP tokens with instance_discovery=False and sends over XOAUTH2",
    async () => {
      const { emulator } = suite;
      const run = await runSmtpScript(PYTHON_SCRIPT, `${emulator.entra.authorityHost}/contoso.com`);
      expect(JSON.parse(run.stdout)).toEqual({ ok: true });
      expect(emulator.messages({ subject: "From MSAL for Python" })).toHaveLength(1);
    },
  );
});
