// The cross-field requirements at their edges (issue 17, mailpath-config survivors): which
// path needs which key, what "present" means, the SMTP AUTH default, the Entra credential
// rules, the relay's pairs and the sender, each problem with its exact key and wording.
import { describe, expect, it } from "vitest";
import type { PathName, Routing } from "../routing-spec.js";
import { type Loose, present, requirementProblems, section, smtpAuthOf } from "./requirements.js";

const single = (path: PathName): Routing => ({ kind: "single", path });
const failover = (...paths: PathName[]): Routing => ({ kind: "failover", paths });

/** The problems of `input` for `routing`, with the paths in `injected` brought by the caller. */
const problems = (input: Loose, routing: Routing | undefined, injected: PathName[] = []) =>
  requirementProblems(input, routing, new Set(injected));
const keys = (input: Loose, routing: Routing | undefined, injected: PathName[] = []) =>
  problems(input, routing, injected).map((problem) => problem.key);

const SECRET_APP = { tenantId: "t", clientId: "c", clientSecret: "s" };
const SMTP_PASSWORD = { user: "u@contoso.com", password: "p" };

describe("section and present", () => {
  it.each([
    ["null", null],
    ["an array", [1]],
    ["a string", "x"],
    ["undefined", undefined],
  ])("a section that is %s reads as empty", (_, value) => {
    expect(section(value)).toEqual({});
  });

  it("a section that is an object is itself", () => {
    const value = { a: 1 };
    expect(section(value)).toBe(value);
  });

  it.each([
    [undefined, false],
    [null, false],
    ["", false],
    [" \t", false],
    ["x", true],
    [" x ", true],
    [0, true],
    [false, true],
  ])("present(%j) is %s", (value, expected) => {
    expect(present(value)).toBe(expected);
  });
});

describe("smtpAuthOf", () => {
  it.each([
    ["smtp.auth as given, even an invalid one", { smtp: { auth: "ntlm", password: "p" } }, "ntlm"],
    [
      "password when one is given",
      { smtp: { password: "p" }, entra: { clientId: "c" } },
      "password",
    ],
    ["oauth when an Entra app is configured", { smtp: {}, entra: { clientId: "c" } }, "oauth"],
    [
      "password for a blank password and a blank client id",
      { smtp: { password: " " }, entra: { clientId: " " } },
      "password",
    ],
    ["password when nothing is said", {}, "password"],
  ])("is %s", (_, input, expected) => {
    expect(smtpAuthOf(input)).toBe(expected);
  });
});

describe("which paths are checked", () => {
  it("nothing without a routing", () => {
    expect(problems({}, undefined)).toEqual([]);
  });

  it("not a path the caller injects its transport for", () => {
    expect(keys({}, failover("graph", "smtp", "relay"), ["graph", "smtp", "relay"])).toEqual([]);
    expect(keys({}, failover("graph", "smtp"), ["graph"])).toEqual(["smtp.user", "smtp.password"]);
    expect(keys({}, failover("graph", "smtp"), ["smtp"])).toEqual([
      "entra.tenantId",
      "entra.clientId",
      "entra.clientSecret",
    ]);
  });

  it("a complete configuration has no problem on any path", () => {
    const input = { smtp: SMTP_PASSWORD, entra: SECRET_APP, relay: { host: "r" } };
    expect(problems(input, failover("graph", "smtp", "relay"))).toEqual([]);
  });
});

describe("the smtp path", () => {
  it("needs a user and, with password auth, a password", () => {
    expect(problems({ smtp: { user: " " } }, single("smtp"))).toEqual([
      {
        key: "smtp.user",
        message:
          "is required for the smtp path: set it to the mailbox that authenticates (for app-only OAuth, a mailbox the app has FullAccess on)",
      },
      {
        key: "smtp.password",
        message:
          'is required for the smtp path with password auth: set it to the mailbox\'s password, or set {{smtp.auth}} to "oauth" with the Entra app ({{entra.tenantId}}, {{entra.clientId}}, {{entra.clientSecret}})',
      },
    ]);
  });

  it("with OAuth needs the Entra app, named for the smtp (oauth) path, and no password", () => {
    expect(problems({ smtp: { user: "u", auth: "oauth" } }, single("smtp"))).toEqual([
      {
        key: "entra.tenantId",
        message:
          "is required for the smtp (oauth) path: set it to the Directory (tenant) ID of your app registration",
      },
      {
        key: "entra.clientId",
        message:
          "is required for the smtp (oauth) path: set it to the Application (client) ID of your app registration",
      },
      {
        key: "entra.clientSecret",
        message:
          "is required for the smtp (oauth) path: set it to the client secret's Value, or set {{entra.clientCertificate.path}} to a certificate registered on the app",
      },
    ]);
  });

  it("with an auth that is neither needs nothing more (the schema reports the value)", () => {
    expect(problems({ smtp: { user: "u", auth: "ntlm" } }, single("smtp"))).toEqual([]);
  });

  it("with password auth needs no Entra app", () => {
    expect(problems({ smtp: SMTP_PASSWORD }, failover("smtp", "relay"), ["relay"])).toEqual([]);
  });
});

describe("the Entra app", () => {
  it("is named for both paths when graph and smtp with OAuth need it", () => {
    const input = {
      smtp: { user: "u", auth: "oauth" },
      entra: { clientId: "c", clientSecret: "s" },
    };
    expect(problems(input, failover("graph", "smtp"))).toEqual([
      {
        key: "entra.tenantId",
        message:
          "is required for the graph and smtp (oauth) paths: set it to the Directory (tenant) ID of your app registration",
      },
    ]);
    expect(problems({ entra: { tenantId: "t", clientSecret: "s" } }, single("graph"))).toEqual([
      {
        key: "entra.clientId",
        message:
          "is required for the graph path: set it to the Application (client) ID of your app registration",
      },
    ]);
  });

  it.each([
    ["a certificate path", { path: "/app.pem" }],
    ["a certificate", { certificate: "PEM" }],
    ["a private key with a thumbprint", { privateKey: "KEY", thumbprintSha256: "AB" }],
  ])("takes %s instead of a secret", (_, clientCertificate) => {
    const entra = { tenantId: "t", clientId: "c", clientCertificate };
    expect(problems({ entra }, single("graph"))).toEqual([]);
  });

  it.each([
    ["a certificate path", { path: "/app.pem" }],
    ["a private key", { privateKey: "KEY", certificate: "PEM" }],
    ["a certificate", { certificate: "PEM" }],
  ])("refuses a secret together with %s", (_, clientCertificate) => {
    const entra = { ...SECRET_APP, clientCertificate };
    expect(problems({ entra }, single("graph"))).toEqual([
      {
        key: "entra.clientCertificate.path",
        message: "is set together with {{entra.clientSecret}}: keep only one credential",
      },
    ]);
  });

  it("needs the certificate itself with a private key that has no thumbprint", () => {
    const entra = { tenantId: "t", clientId: "c", clientCertificate: { privateKey: "KEY" } };
    expect(problems({ entra }, single("graph"))).toEqual([
      {
        key: "entra.clientCertificate.path",
        message:
          "is required with a private key: set it to the certificate (PEM) registered on the app",
      },
    ]);
  });

  it("reads blank certificate fields as absent", () => {
    const clientCertificate = { path: " ", privateKey: "", certificate: " " };
    expect(keys({ entra: { ...SECRET_APP, clientCertificate } }, single("graph"))).toEqual([]);
    expect(
      keys({ entra: { tenantId: "t", clientId: "c", clientCertificate } }, single("graph")),
    ).toEqual(["entra.clientSecret"]);
  });
});

describe("the relay path", () => {
  it("needs a host or a domain", () => {
    expect(problems({}, single("relay"))).toEqual([
      {
        key: "relay.host",
        message:
          "is required for the relay path: set it to the relay endpoint, or set {{relay.domain}} to an accepted domain (its MX endpoint is used)",
      },
    ]);
    expect(problems({ relay: { domain: "contoso.com" } }, single("relay"))).toEqual([]);
  });

  it("takes a host or a domain, not both", () => {
    expect(problems({ relay: { host: "r", domain: "contoso.com" } }, single("relay"))).toEqual([
      { key: "relay.domain", message: "is set together with {{relay.host}}: keep only one" },
    ]);
  });

  it.each([
    ["clientCertPath", "relay.clientKeyPath"],
    ["clientCert", "relay.clientKeyPath"],
  ])("needs a key with %s", (field, key) => {
    expect(problems({ relay: { host: "r", [field]: "c" } }, single("relay"))).toEqual([
      {
        key,
        message:
          "is required with a relay client certificate: set it to the certificate's private key (PEM)",
      },
    ]);
  });

  it.each([["clientKeyPath"], ["clientKey"]])("needs a certificate with %s", (field) => {
    expect(problems({ relay: { host: "r", [field]: "k" } }, single("relay"))).toEqual([
      {
        key: "relay.clientCertPath",
        message: "is required with a relay client key: set it to the client certificate (PEM)",
      },
    ]);
  });

  it.each([[{ clientCertPath: "c", clientKeyPath: "k" }], [{ clientCert: "c", clientKey: "k" }]])(
    "takes a certificate with its key (%j)",
    (pair) => {
      expect(problems({ relay: { host: "r", ...pair } }, single("relay"))).toEqual([]);
    },
  );
});

describe("the sender", () => {
  it("is checked on any routing, the first refused address named", () => {
    expect(problems({ from: "not an address" }, single("graph"), ["graph"])).toEqual([
      {
        key: "from",
        message:
          '"not an address" is not a valid mail address: set it to an address such as notifications@contoso.com',
      },
    ]);
  });

  it("is one address", () => {
    expect(problems({ from: "a@contoso.com, b@contoso.com" }, single("graph"), ["graph"])).toEqual([
      { key: "from", message: "holds several addresses: give one sender" },
    ]);
    expect(problems({ from: "Ada <a@contoso.com>" }, single("graph"), ["graph"])).toEqual([]);
  });

  it("is left to the schema when blank or not a string", () => {
    expect(problems({ from: " " }, single("graph"), ["graph"])).toEqual([]);
    expect(problems({ from: 7 }, single("graph"), ["graph"])).toEqual([]);
  });
});
