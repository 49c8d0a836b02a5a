import { thrownMailError } from "@mailpath/core/testing";
import { describe, expect, it } from "vitest";
import { type GraphTransportOptions, resolveGraphOptions } from "./options.js";

const base = { tenantId: "t", clientId: "c", clientSecret: "s3cret-value" } as const;

const configError = (options: GraphTransportOptions) =>
  thrownMailError(() => resolveGraphOptions(options));

describe("resolveGraphOptions", () => {
  it("defaults to the worldwide cloud, auto mode, Sent Items and Graph's per-mailbox limits", () => {
    const resolved = resolveGraphOptions(base);
    expect(resolved.baseUrl).toBe("https://graph.microsoft.com");
    expect(resolved.authorityHost).toBe("https://login.microsoftonline.com");
    expect(resolved.endpoints.graphScope).toBe("https://graph.microsoft.com/.default");
    expect(resolved.mode).toBe("auto");
    expect(resolved.saveToSentItems).toBe(true);
    expect(resolved.name).toBe("graph");
    expect(resolved.limits).toMatchObject({
      maxConcurrency: 4,
      maxMessagesPerInterval: 10_000,
      intervalMs: 600_000,
    });
  });

  it("picks the sovereign hosts for cloud usgov and keeps an overridden baseUrl without its slash", () => {
    expect(resolveGraphOptions({ ...base, cloud: "usgov" }).baseUrl).toBe(
      "https://graph.microsoft.us",
    );
    expect(resolveGraphOptions({ ...base, cloud: "china" }).authorityHost).toBe(
      "https://login.chinacloudapi.cn",
    );
    expect(resolveGraphOptions({ ...base, baseUrl: "https://127.0.0.1:4433/" }).baseUrl).toBe(
      "https://127.0.0.1:4433",
    );
  });

  it("lets limits be overridden one field at a time", () => {
    expect(resolveGraphOptions({ ...base, limits: { maxConcurrency: 2 } }).limits).toMatchObject({
      maxConcurrency: 2,
      intervalMs: 600_000,
    });
  });

  it.each([
    [{ tenantId: "t", clientId: "c" }, "clientSecret", /no credentials/],
    [
      {
        ...base,
        clientCertificate: { privateKey: "-----BEGIN PRIVATE KEY-----x", thumbprintSha256: "ab" },
      },
      "clientCertificate",
      /only one/,
    ],
    [{ ...base, cloud: "mars" as never }, "cloud", /unknown cloud "mars"/],
    [{ ...base, baseUrl: "http://127.0.0.1:4433" }, "baseUrl", /https/],
    [{ ...base, baseUrl: "https://graph.microsoft.com/v1.0" }, "baseUrl", /without the version/],
    [{ ...base, authorityHost: "not a url" }, "authorityHost", /absolute https/],
    [{ ...base, mode: "smtp" as never }, "mode", /"auto", "json" or "mime"/],
    [{ clientSecret: "x-secret" }, "tenantId", /required/],
    [{ tokenProvider: {} as never }, "tokenProvider", /getToken/],
    [{ ...base, requestTimeoutMs: -1 }, "requestTimeoutMs", /positive/],
  ] as const)("fails at creation with INVALID_CONFIG naming %#: %s", (options, path, message) => {
    const error = configError(options as GraphTransportOptions);
    expect(error.code).toBe("INVALID_CONFIG");
    const issue = error.issues?.find((item) => item.path === path);
    expect(issue?.message).toMatch(message);
    expect(error.message).not.toContain("s3cret-value");
  });

  it("accepts a token provider alone, without tenant or client id", () => {
    const resolved = resolveGraphOptions({ tokenProvider: { getToken: async () => "t" } });
    expect(resolved.credential.kind).toBe("provider");
  });
});
