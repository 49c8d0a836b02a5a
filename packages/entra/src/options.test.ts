import { generateKeyPairSync } from "node:crypto";
import type { MailError } from "@mailpath/core";
import { thrownMailError } from "@mailpath/core/testing";
import { describe, expect, it } from "vitest";
import { createClientCredentialsProvider } from "./client-credentials.js";
import type { ClientCredentialsOptions } from "./options.js";

const TENANT = "8a6e2f4c-1b3d-4e5f-9a7b-0c1d2e3f4a5b";
const CLIENT = "3f1c9d2e-7a4b-4c5d-8e6f-1a2b3c4d5e6f";
const SECRET = "unit-test-client-secret-value";

const configError = (options: ClientCredentialsOptions) =>
  thrownMailError(() => createClientCredentialsProvider(options));

function issuePaths(error: MailError): string[] {
  return (error.issues ?? []).map((issue) => issue.path);
}

const rsaKey = () =>
  generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey;

describe("createClientCredentialsProvider option validation", () => {
  it("names tenantId and clientId when they are missing, with the portal field in the hint", () => {
    const error = configError({ tenantId: "", clientId: " ", clientSecret: SECRET });
    expect(error.code).toBe("INVALID_CONFIG");
    expect(issuePaths(error)).toEqual(["tenantId", "clientId"]);
    expect(error.hint).toMatch(/Directory \(tenant\) ID/);
  });

  it("refuses the multi-tenant aliases common and organizations for client credentials", () => {
    for (const tenantId of ["common", "organizations", "Common"]) {
      const error = configError({ tenantId, clientId: CLIENT, clientSecret: SECRET });
      expect(error.code).toBe("INVALID_CONFIG");
      expect(error.issues?.[0]?.path).toBe("tenantId");
      expect(error.issues?.[0]?.message).toMatch(/cannot be used with client credentials/);
    }
  });

  it("asks for a credential when neither a secret nor a certificate is given", () => {
    const error = configError({ tenantId: TENANT, clientId: CLIENT });
    expect(issuePaths(error)).toEqual(["clientSecret"]);
    expect(error.message).toMatch(/no credential/);
    expect(error.hint).toMatch(/exactly one credential/);
  });

  it("refuses a secret and a certificate together", () => {
    const error = configError({
      tenantId: TENANT,
      clientId: CLIENT,
      clientSecret: SECRET,
      clientCertificate: { privateKey: rsaKey(), thumbprintSha256: "ab".repeat(32) },
    });
    expect(error.message).toMatch(/both set/);
  });

  it("refuses an http:// authority host and one with a path", () => {
    const http = configError({
      tenantId: TENANT,
      clientId: CLIENT,
      clientSecret: SECRET,
      authorityHost: "http://127.0.0.1:8443",
    });
    expect(http.issues).toEqual([
      { path: "authorityHost", message: "must use https:// (got http:)" },
    ]);
    expect(http.hint).toMatch(/https:\/\//);
    const withPath = configError({
      tenantId: TENANT,
      clientId: CLIENT,
      clientSecret: SECRET,
      authorityHost: `https://login.microsoftonline.com/${TENANT}`,
    });
    expect(withPath.issues?.[0]?.message).toMatch(/without a path/);
  });

  it("refuses a custom scope that is not a /.default scope, and an unknown cloud", () => {
    const scope = configError({
      tenantId: TENANT,
      clientId: CLIENT,
      clientSecret: SECRET,
      target: { scope: "https://graph.microsoft.com/Mail.Send" },
    });
    expect(issuePaths(scope)).toEqual(["target.scope"]);
    const cloud = configError({
      tenantId: TENANT,
      clientId: CLIENT,
      clientSecret: SECRET,
      cloud: "germany" as never,
    });
    expect(issuePaths(cloud)).toEqual(["cloud"]);
  });

  it("asks for the passphrase of an encrypted private key and reports a wrong one", () => {
    const { privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: {
        type: "pkcs8",
        format: "pem",
        cipher: "aes-256-cbc",
        passphrase: "right passphrase",
      },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    const base = { tenantId: TENANT, clientId: CLIENT };
    const missing = configError({
      ...base,
      clientCertificate: { privateKey, thumbprintSha256: "ab".repeat(32) },
    });
    expect(missing.issues?.[0]).toEqual({
      path: "clientCertificate.passphrase",
      message: "the private key is encrypted: give its passphrase",
    });
    const wrong = configError({
      ...base,
      clientCertificate: {
        privateKey,
        passphrase: "wrong passphrase",
        thumbprintSha256: "ab".repeat(32),
      },
    });
    expect(wrong.issues?.[0]?.message).toBe("the passphrase does not decrypt the private key");
    expect(JSON.stringify(wrong)).not.toContain("wrong passphrase");
    // The right passphrase is accepted (a PKCS#8 key decrypted with crypto.createPrivateKey).
    const provider = createClientCredentialsProvider({
      ...base,
      clientCertificate: {
        privateKey,
        passphrase: "right passphrase",
        thumbprintSha256: "AB:".repeat(31) + "AB",
      },
    });
    expect(provider.certificate?.thumbprintSha256).toBe("ab".repeat(32));
  });

  it("accepts a PKCS#1 RSA key and refuses an EC key, garbage and a SHA-1 thumbprint", () => {
    const pkcs1 = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    }).privateKey;
    const base = { tenantId: TENANT, clientId: CLIENT };
    expect(() =>
      createClientCredentialsProvider({
        ...base,
        clientCertificate: { privateKey: Buffer.from(pkcs1), thumbprintSha256: "cd".repeat(32) },
      }),
    ).not.toThrow();
    const ec = generateKeyPairSync("ec", {
      namedCurve: "P-256",
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    }).privateKey;
    expect(
      configError({
        ...base,
        clientCertificate: { privateKey: ec, thumbprintSha256: "cd".repeat(32) },
      }).issues?.[0]?.message,
    ).toMatch(/need an RSA key/);
    expect(
      configError({
        ...base,
        clientCertificate: { privateKey: "not a key", thumbprintSha256: "cd".repeat(32) },
      }).issues?.[0]?.path,
    ).toBe("clientCertificate.privateKey");
    expect(
      configError({
        ...base,
        clientCertificate: { privateKey: rsaKey(), thumbprintSha256: "ab".repeat(20) },
      }).issues?.[0]?.message,
    ).toMatch(/SHA-256 thumbprint/);
    expect(
      configError({ ...base, clientCertificate: { privateKey: rsaKey() } }).issues?.[0]?.message,
    ).toMatch(/give the certificate \(PEM\) or its thumbprintSha256/);
  });

  it("lists every problem at once and never echoes the secret", () => {
    const error = configError({
      tenantId: "common",
      clientId: "",
      clientSecret: SECRET,
      authorityHost: "http://example.test",
      refreshBeforeExpiryMs: -1,
    });
    expect(issuePaths(error)).toEqual([
      "tenantId",
      "clientId",
      "authorityHost",
      "refreshBeforeExpiryMs",
    ]);
    expect(JSON.stringify({ ...error.toJSON(), stack: error.stack })).not.toContain(SECRET);
  });

  it("resolves the scope per target and cloud, and the authority per cloud or override", () => {
    const base = { tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET };
    const graph = createClientCredentialsProvider(base);
    expect(graph.scope).toBe("https://graph.microsoft.com/.default");
    expect(graph.authority).toBe(`https://login.microsoftonline.com/${TENANT}`);
    const smtpGov = createClientCredentialsProvider({ ...base, target: "smtp", cloud: "usgov" });
    expect(smtpGov.scope).toBe("https://outlook.office365.us/.default");
    expect(smtpGov.authority).toBe(`https://login.microsoftonline.us/${TENANT}`);
    const china = createClientCredentialsProvider({ ...base, cloud: "china" });
    expect(china.scope).toBe("https://microsoftgraph.chinacloudapi.cn/.default");
    expect(china.authority).toBe(`https://login.chinacloudapi.cn/${TENANT}`);
    const local = createClientCredentialsProvider({
      ...base,
      authorityHost: "https://127.0.0.1:8443/",
      target: { scope: "api://mailpath/.default" },
    });
    expect(local.authority).toBe(`https://127.0.0.1:8443/${TENANT}`);
    expect(local.scope).toBe("api://mailpath/.default");
  });
});
