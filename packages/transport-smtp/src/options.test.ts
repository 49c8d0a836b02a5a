import { thrownMailError } from "@mailpath/core/testing";
import { describe, expect, it } from "vitest";
import { createSmtpTransport } from "./smtp-transport.js";

const tokenProvider = { getToken: async () => "token" };

describe("createSmtpTransport options", () => {
  it("defaults to smtp.office365.com:587 with Exchange's limits", async () => {
    const transport = createSmtpTransport({ auth: { user: "a@contoso.com", pass: "secret-pass" } });
    expect(transport.name).toBe("smtp");
    expect(transport.specificationVersion).toBe("v1");
    expect(transport.limits).toEqual({
      maxMessagesPerInterval: 30,
      intervalMs: 60_000,
      maxConcurrency: 3,
      maxRecipientsPerDay: 10_000,
      maxRecipientsPerMessage: 500,
      maxMessageBytes: 35 * 1024 * 1024,
    });
    await transport.close();
  });

  it("lets every limit be overridden", async () => {
    const transport = createSmtpTransport({
      auth: { user: "a@contoso.com", pass: "secret-pass" },
      limits: { maxMessagesPerInterval: 1000, intervalMs: 1000, maxRecipientsPerMessage: 1000 },
    });
    expect(transport.limits).toMatchObject({
      maxMessagesPerInterval: 1000,
      intervalMs: 1000,
      maxRecipientsPerMessage: 1000,
      maxConcurrency: 3,
    });
    await transport.close();
  });

  it("refuses port 465 against Exchange Online: it does not do SMTP AUTH on implicit TLS", () => {
    const error = thrownMailError(() =>
      createSmtpTransport({ port: 465, auth: { user: "a@contoso.com", pass: "secret-pass" } }),
    );
    expect(error.code).toBe("INVALID_CONFIG");
    expect(error.issues).toEqual([expect.objectContaining({ path: "port" })]);
    expect(error.hint).toMatch(/587 with STARTTLS/);
  });

  it("refuses port 465 without secure: true on any host: it is implicit TLS, not STARTTLS", async () => {
    const error = thrownMailError(() =>
      createSmtpTransport({
        host: "mail.example.com",
        port: 465,
        auth: { user: "a@example.com", pass: "secret-pass" },
      }),
    );
    expect(error.code).toBe("INVALID_CONFIG");
    expect(error.issues).toEqual([expect.objectContaining({ path: "port" })]);
    expect(error.hint).toMatch(/secure: true/);
    const implicit = createSmtpTransport({
      host: "mail.example.com",
      port: 465,
      secure: true,
      auth: { user: "a@example.com", pass: "secret-pass" },
    });
    await implicit.close();
  });

  it("refuses secure: true on 587 and says to remove it", () => {
    const error = thrownMailError(() =>
      createSmtpTransport({ secure: true, auth: { user: "a@contoso.com", pass: "secret-pass" } }),
    );
    expect(error.issues).toEqual([expect.objectContaining({ path: "secure" })]);
    expect(error.hint).toMatch(/Remove secure/);
  });

  it("refuses port 25 without TLS", () => {
    const error = thrownMailError(() =>
      createSmtpTransport({
        port: 25,
        requireTLS: false,
        auth: { user: "a@contoso.com", pass: "secret-pass" },
      }),
    );
    expect(error.issues).toEqual([
      { path: "requireTLS", message: "port 25 without TLS would send credentials in the clear" },
    ]);
    expect(error.hint).toMatch(/STARTTLS before AUTH/);
  });

  it("refuses missing credentials", () => {
    const noAuth = thrownMailError(() => createSmtpTransport({} as never));
    expect(noAuth.issues).toEqual([expect.objectContaining({ path: "auth" })]);
    const noSecret = thrownMailError(() =>
      createSmtpTransport({ auth: { user: "a@contoso.com" } } as never),
    );
    expect(noSecret.issues).toEqual([expect.objectContaining({ path: "auth" })]);
    expect(noSecret.hint).toMatch(/tokenProvider/);
    const noUser = thrownMailError(() =>
      createSmtpTransport({ auth: { pass: "secret-pass" } } as never),
    );
    expect(noUser.issues).toEqual([expect.objectContaining({ path: "auth.user" })]);
  });

  it("refuses a password where OAuth is configured", () => {
    for (const auth of [
      { user: "a@contoso.com", pass: "secret-pass", tokenProvider },
      { user: "a@contoso.com", pass: "secret-pass", accessToken: "token-value" },
    ]) {
      const error = thrownMailError(() => createSmtpTransport({ auth } as never));
      expect(error.issues).toEqual([expect.objectContaining({ path: "auth.pass" })]);
      expect(error.hint).toMatch(/Remove auth.pass/);
      expect(JSON.stringify(error)).not.toContain("secret-pass");
    }
  });

  it("refuses both accessToken and tokenProvider", () => {
    const error = thrownMailError(() =>
      createSmtpTransport({
        auth: { user: "a@contoso.com", accessToken: "token-value", tokenProvider },
      } as never),
    );
    expect(error.issues).toEqual([expect.objectContaining({ path: "auth.accessToken" })]);
  });

  it("refuses a TLS minimum below 1.2", () => {
    const error = thrownMailError(() =>
      createSmtpTransport({
        tls: { minVersion: "TLSv1.1" as never },
        auth: { user: "a@contoso.com", pass: "secret-pass" },
      }),
    );
    expect(error.issues).toEqual([expect.objectContaining({ path: "tls.minVersion" })]);
    expect(error.hint).toMatch(/4\.7\.66/);
  });

  it("refuses a CA or server name that is not text before connecting", () => {
    const error = thrownMailError(() =>
      createSmtpTransport({
        tls: { ca: ["-----BEGIN CERTIFICATE-----", 5], servername: 5 } as never,
        auth: { user: "a@contoso.com", pass: "secret-pass" },
      }),
    );
    expect(error.issues?.map((issue) => issue.path)).toEqual(["tls.ca", "tls.servername"]);
  });

  it("refuses turning certificate verification off", () => {
    const error = thrownMailError(() =>
      createSmtpTransport({
        tls: { rejectUnauthorized: false } as never,
        auth: { user: "a@contoso.com", pass: "secret-pass" },
      }),
    );
    expect(error.issues).toEqual([expect.objectContaining({ path: "tls.rejectUnauthorized" })]);
  });

  it("refuses more than 3 pooled connections: Exchange allows 3 per mailbox", () => {
    const error = thrownMailError(() =>
      createSmtpTransport({
        pool: { maxConnections: 4 },
        auth: { user: "a@contoso.com", pass: "secret-pass" },
      }),
    );
    expect(error.issues).toEqual([expect.objectContaining({ path: "pool.maxConnections" })]);
    expect(error.hint).toMatch(/432 4\.3\.2/);
  });

  it("lists every problem at once", () => {
    const error = thrownMailError(() =>
      createSmtpTransport({ port: 465, tls: { minVersion: "TLSv1" as never } } as never),
    );
    expect(error.issues?.map((issue) => issue.path)).toEqual(["port", "auth", "tls.minVersion"]);
  });

  it("refuses an unknown cloud", () => {
    const error = thrownMailError(() =>
      createSmtpTransport({
        cloud: "mars" as never,
        auth: { user: "a@contoso.com", pass: "secret-pass" },
      }),
    );
    expect(error.code).toBe("INVALID_CONFIG");
    expect(error.issues).toEqual([expect.objectContaining({ path: "cloud" })]);
  });
});
