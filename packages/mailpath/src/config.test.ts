import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "./config.js";
import { createMailerFromConfig, createMailerFromEnv } from "./index.js";
import {
  ENTRA,
  failure,
  graphFailure,
  itNamesWrongValues,
  issuePaths as paths,
} from "./test-support/config.js";

/** A file holding `content`, in a new temporary folder. */
async function temporaryFile(name: string, content: string): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), "mailpath-config-")), name);
  await writeFile(file, content);
  return file;
}

/** Why the Graph configuration of ENTRA's app signing in with the certificate at `file` is refused. */
const certificateFailure = (file: string) =>
  failure(
    createMailerFromEnv({
      MAILPATH_TRANSPORT: "graph",
      MAILPATH_TENANT_ID: ENTRA.MAILPATH_TENANT_ID,
      MAILPATH_CLIENT_ID: ENTRA.MAILPATH_CLIENT_ID,
      MAILPATH_CLIENT_CERTIFICATE_PATH: file,
    }),
  );

/** An SMTP configuration with its user, short of the password. */
const SMTP_USER = { MAILPATH_TRANSPORT: "smtp", MAILPATH_SMTP_USER: "notifications@contoso.com" };

describe("createMailerFromEnv validation", () => {
  it("names MAILPATH_TRANSPORT and the choices for an unknown transport", async () => {
    const error = await failure(createMailerFromEnv({ MAILPATH_TRANSPORT: "carrier-pigeon" }));
    expect(error).toMatchObject({ code: "INVALID_CONFIG" });
    expect(paths(error)).toEqual(["MAILPATH_TRANSPORT"]);
    expect(error.message).toContain("MAILPATH_TRANSPORT");
    expect(error.message).toContain('unknown transport "carrier-pigeon"');
    expect(error.message).toContain("smtp, relay or graph");
  });

  it("names MAILPATH_TRANSPORT when it is missing", async () => {
    const error = await failure(createMailerFromEnv({}));
    expect(paths(error)).toEqual(["MAILPATH_TRANSPORT"]);
    expect(error.issues?.[0]?.message).toMatch(/^is required: set it to smtp, relay or graph/);
  });

  it.each([
    ["smtp", {}, ["MAILPATH_SMTP_USER", "MAILPATH_SMTP_PASSWORD"]],
    [
      "smtp",
      { MAILPATH_SMTP_AUTH: "oauth", MAILPATH_SMTP_USER: "notifications@contoso.com" },
      ["MAILPATH_TENANT_ID", "MAILPATH_CLIENT_ID", "MAILPATH_CLIENT_SECRET"],
    ],
    ["relay", {}, ["MAILPATH_RELAY_HOST"]],
    ["graph", {}, ["MAILPATH_TENANT_ID", "MAILPATH_CLIENT_ID", "MAILPATH_CLIENT_SECRET"]],
  ] as const)("for %s %j names every missing required variable", async (path, extra, expected) => {
    const error = await failure(createMailerFromEnv({ MAILPATH_TRANSPORT: path, ...extra }));
    expect(error.code).toBe("INVALID_CONFIG");
    expect(paths(error)).toEqual(expected);
    for (const name of expected) expect(error.message).toContain(name);
    for (const issue of error.issues ?? []) expect(issue.message).toMatch(/set /);
  });

  it("lists every problem of every path at once", async () => {
    const error = await failure(
      createMailerFromEnv({
        MAILPATH_TRANSPORT: "graph,smtp,relay",
        MAILPATH_SMTP_PORT: "five-eight-seven",
      }),
    );
    expect(paths(error).sort()).toEqual(
      [
        "MAILPATH_SMTP_PORT",
        "MAILPATH_SMTP_USER",
        "MAILPATH_SMTP_PASSWORD",
        "MAILPATH_TENANT_ID",
        "MAILPATH_CLIENT_ID",
        "MAILPATH_CLIENT_SECRET",
        "MAILPATH_RELAY_HOST",
      ].sort(),
    );
    expect(error.issues?.find((issue) => issue.path === "MAILPATH_SMTP_PORT")?.message).toMatch(
      /must be a port number/,
    );
  });

  it.each([
    ["graph:10,smtp", /mixes weighted and unweighted/],
    ["graph:0,smtp:0", /at least one weight must be above 0/],
    ["graph,graph", /names "graph" twice/],
    ["graph:ten,smtp:90", /weight of "graph" must be a number/],
    ["", /is required/],
  ])("refuses MAILPATH_TRANSPORT=%j", async (value, message) => {
    const error = await failure(createMailerFromEnv({ MAILPATH_TRANSPORT: value, ...ENTRA }));
    expect(paths(error)).toEqual(["MAILPATH_TRANSPORT"]);
    expect(error.issues?.[0]?.message).toMatch(message);
  });

  it.each([
    ["a misspelt variable instead of silently using a default", "MAILPATH_SMTP_PASWORD"],
    ["a variable written in the wrong case, as it reports a key", "MAILPATH_SMTP_Password"],
  ])("reports %s", async (_, variable) => {
    const error = await failure(createMailerFromEnv({ ...SMTP_USER, [variable]: "x" }));
    expect(error.issues).toContainEqual({
      path: variable,
      message: "is not a mailpath variable: did you mean MAILPATH_SMTP_PASSWORD?",
    });
  });

  it("refuses a secret and a certificate together without showing the secret", async () => {
    const error = await graphFailure({ MAILPATH_CLIENT_CERTIFICATE_PATH: "/nonexistent/app.pem" });
    expect(paths(error)).toContain("MAILPATH_CLIENT_CERTIFICATE_PATH");
    expect(JSON.stringify(error.toJSON())).not.toContain(ENTRA.MAILPATH_CLIENT_SECRET);
  });

  it("names MAILPATH_CLIENT_CERTIFICATE_PATH when the file cannot be read", async () => {
    const error = await certificateFailure("/nonexistent/app.pem");
    expect(error.issues).toEqual([
      {
        path: "MAILPATH_CLIENT_CERTIFICATE_PATH",
        message: "cannot be read (ENOENT for /nonexistent/app.pem): set it to a readable PEM file",
      },
    ]);
  });

  it("asks for MAILPATH_CLIENT_CERTIFICATE_KEY_PATH when the certificate file holds no key", async () => {
    const file = await temporaryFile(
      "cert.pem",
      "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    );
    const error = await certificateFailure(file);
    expect(paths(error)).toEqual(["MAILPATH_CLIENT_CERTIFICATE_KEY_PATH"]);
  });

  it("names MAILPATH_TLS_CA_FILE when it holds no certificate", async () => {
    const file = await temporaryFile("ca.pem", "not a certificate\n");
    const error = await graphFailure({ MAILPATH_TLS_CA_FILE: file });
    expect(paths(error)).toEqual(["MAILPATH_TLS_CA_FILE"]);
  });

  it("names MAILPATH_RELAY_CLIENT_CERT_PATH and _KEY_PATH when the files hold no PEM, before any connection", async () => {
    const file = await temporaryFile("not-pem.txt", "not a certificate or key\n");
    const error = await failure(
      createMailerFromEnv({
        MAILPATH_TRANSPORT: "relay",
        MAILPATH_RELAY_DOMAIN: "contoso.com",
        MAILPATH_RELAY_CLIENT_CERT_PATH: file,
        MAILPATH_RELAY_CLIENT_KEY_PATH: file,
      }),
    );
    expect(error).toMatchObject({ code: "INVALID_CONFIG" });
    expect(paths(error)).toEqual([
      "MAILPATH_RELAY_CLIENT_CERT_PATH",
      "MAILPATH_RELAY_CLIENT_KEY_PATH",
    ]);
  });

  it("names a variable whose value is not a string without showing the value", async () => {
    const error = await failure(
      createMailerFromEnv({
        ...SMTP_USER,
        MAILPATH_SMTP_PASSWORD: { value: "s3cr3t-value-never-shown" } as never,
      }),
    );
    expect(error.issues).toContainEqual({
      path: "MAILPATH_SMTP_PASSWORD",
      message: "must be a string (got object)",
    });
    expect(JSON.stringify(error)).not.toContain("s3cr3t");
  });

  it("refuses an environment that is not a record, or cannot be read, with INVALID_CONFIG", async () => {
    expect(paths(await failure(createMailerFromEnv(null as never)))).toContain("env");
    const unreadable = {
      get MAILPATH_TRANSPORT(): string {
        throw new Error("vault unavailable");
      },
    };
    const error = await failure(createMailerFromEnv(unreadable));
    expect(error).toMatchObject({ code: "INVALID_CONFIG", issues: [{ path: "env" }] });
    const config = await failure(
      createMailerFromConfig({
        get transport(): "smtp" {
          throw new Error("vault unavailable");
        },
      }),
    );
    expect(config).toMatchObject({ code: "INVALID_CONFIG", issues: [{ path: "config" }] });
  });

  itNamesWrongValues([
    ["MAILPATH_CLOUD", "mars", /must be one of global, usgov, usgovdod, china/],
    ["MAILPATH_GRAPH_MODE", "xml", /must be "auto", "json" or "mime"/],
    ["MAILPATH_SAVE_TO_SENT_ITEMS", "maybe", /must be true or false/],
    ["MAILPATH_GRAPH_BASE_URL", "http://graph.example", /must be an https:\/\/ URL/],
    ["MAILPATH_FROM", "not an address", /not a valid mail address/],
    ["MAILPATH_MAX_ATTEMPTS", "0", /must be a whole number >= 1/],
    ["MAILPATH_TIMEOUT_MS", "soon", /must be a positive number of milliseconds/],
  ]);

  it("checks the values of a path not in use, so switching to it later cannot fail", async () => {
    const error = await graphFailure({ MAILPATH_SMTP_PORT: "58 7" });
    expect(paths(error)).toEqual(["MAILPATH_SMTP_PORT"]);
  });

  it("does not require the settings of a path not in use", async () => {
    const mailer = await createMailerFromEnv({
      MAILPATH_TRANSPORT: "graph",
      ...ENTRA,
      MAILPATH_RELAY_CLIENT_CERT_PATH: "/nonexistent/relay.pem",
    });
    expect(mailer.paths).toEqual(["graph"]);
    await mailer.close();
  });

  it("names the variable behind an option the transport itself refuses (port 465)", async () => {
    const error = await failure(
      createMailerFromEnv({ ...SMTP_USER, MAILPATH_SMTP_PORT: "465", MAILPATH_SMTP_PASSWORD: "x" }),
    );
    expect(paths(error)).toContain("MAILPATH_SMTP_PORT");
    expect(error.message).toContain("465");
  });

  it("names keys given in the overrides argument by key", async () => {
    const error = await graphFailure({}, { timeoutMs: -1 });
    expect(paths(error)).toEqual(["timeoutMs"]);
  });
});

describe("createMailerFromConfig validation", () => {
  it("names keys, not variables, and suggests the key meant", async () => {
    const error = await failure(
      createMailerFromConfig({
        transport: "smtp",
        // @ts-expect-error a typo on purpose
        smpt: { user: "x" },
      }),
    );
    expect(error.issues).toEqual(
      expect.arrayContaining([
        { path: "smpt", message: "is not a mailpath option: did you mean smtp?" },
        { path: "smtp.user", message: expect.stringMatching(/^is required for the smtp path/) },
      ]),
    );
  });

  it("accepts the object forms of failover and weighted routing", async () => {
    const entra = {
      tenantId: ENTRA.MAILPATH_TENANT_ID,
      clientId: ENTRA.MAILPATH_CLIENT_ID,
      clientSecret: "x",
    };
    const smtp = { user: "notifications@contoso.com", password: "x" };
    const a = await createMailerFromConfig({
      transport: { failover: ["graph", "smtp"] },
      entra,
      smtp,
    });
    const b = await createMailerFromConfig({
      transport: {
        weighted: [
          { path: "graph", weight: 1 },
          { path: "smtp", weight: 3 },
        ],
      },
      entra,
      smtp,
    });
    const c = await createMailerFromConfig({ transport: ["smtp"], smtp });
    expect([a.routing, b.routing, c.routing]).toEqual(["graph,smtp", "graph:1,smtp:3", "smtp"]);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it("picks OAuth for SMTP when the password is blank and an Entra app is set, as the requirements check decided", async () => {
    // The requirements check treats a blank password as absent and asks for the Entra app; the
    // resolution used to pick password auth with "   " as the password.
    const resolved = await resolveConfig({
      transport: "smtp",
      entra: {
        tenantId: ENTRA.MAILPATH_TENANT_ID,
        clientId: ENTRA.MAILPATH_CLIENT_ID,
        clientSecret: "x",
      },
      smtp: { user: "notifications@contoso.com", password: "   " },
    });
    expect(resolved.smtp.auth).toBe("oauth");
  });
});
