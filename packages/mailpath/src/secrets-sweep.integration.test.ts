// The security promise across every path: whatever a user can catch, listen to or log after a
// failure (the rejection with its whole `cause` chain, `toJSON()`, util.inspect output and
// every mailer event payload) never holds the SMTP password, the client secret, an access
// token or a private key. Each failure is driven on the wire against the emulator.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { MAILER_EVENTS, MailError, type MailerEvent } from "@mailpath/core";
import { DEFAULT_SENDER, useEmulator } from "@mailpath/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createMailerFromEnv } from "./index.js";
import { CONNECTOR_IP } from "./test-support/ports.js";

const PASSWORD = "Sweep-Password-7c1d0e";
const WRONG_PASSWORD = "Sweep-Wrong-Password-44ab19";
const CLIENT_SECRET = "Sweep-Client-Secret-5e2f90";
const WRONG_CLIENT_SECRET = "Sweep-Wrong-Secret-a91c3b";
const PASSPHRASE_FREE_KEY = "PRIVATE KEY";
// A JWT as Entra (and the emulator) issues them: header.payload.signature, base64url.
const JWT = /eyJ[A-Za-z0-9_-]{8,}/;
const EVENTS: readonly MailerEvent[] = MAILER_EVENTS;

const emulator = useEmulator({ beforeAll, afterAll });
let directory: string;
/** Tokens the emulator issued for this app: the shape of what travels on the wire. */
const tokens: string[] = [];

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "mailpath-sweep-"));
  tokens.push(
    await emulator.issueAccessToken(),
    await emulator.issueAccessToken({ audience: "https://outlook.office365.com" }),
  );
});
afterEach(() => {
  emulator.reset({ tenant: true });
});

function configureSecrets(): void {
  emulator.configure({
    mailboxes: emulator.tenant.mailboxes.map((mailbox) =>
      mailbox.address === DEFAULT_SENDER ? { ...mailbox, password: PASSWORD } : mailbox,
    ),
    apps: emulator.tenant.apps.map((app, index) =>
      index === 0 ? { ...app, secrets: [{ value: CLIENT_SECRET }] } : app,
    ),
  });
}

/** Every own property, enumerable or not, serialised as JSON (cycles cut). */
function deepJson(value: unknown): string {
  const seen = new WeakSet<object>();
  const walk = (item: unknown, depth: number): unknown => {
    if (typeof item === "bigint" || typeof item === "symbol" || typeof item === "function")
      return String(item);
    if (typeof item !== "object" || item === null) return item;
    if (seen.has(item) || depth > 10) return "[seen]";
    seen.add(item);
    if (Buffer.isBuffer(item)) return item.toString("utf8");
    if (Array.isArray(item)) return item.map((entry) => walk(entry, depth + 1));
    const result: Record<string, unknown> = {};
    for (const key of Object.getOwnPropertyNames(item)) {
      try {
        result[key] = walk((item as Record<string, unknown>)[key], depth + 1);
      } catch {
        result[key] = "[getter threw]";
      }
    }
    return result;
  };
  return JSON.stringify(walk(value, 0));
}

/** Everything a user could print about one value. */
function renderings(value: unknown): string[] {
  const texts = [inspect(value, { depth: 10, showHidden: true }), deepJson(value)];
  if (value instanceof Error) texts.push(String(value.stack));
  if (MailError.isInstance(value))
    texts.push(JSON.stringify(value.toJSON()), JSON.stringify(value));
  let cause = value instanceof Error ? value.cause : undefined;
  for (let depth = 0; depth < 10 && cause !== undefined; depth++) {
    texts.push(inspect(cause, { depth: 10, showHidden: true }), deepJson(cause));
    if (cause instanceof Error) texts.push(String(cause.stack));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return texts;
}

/** The secrets found in the renderings, named. */
function leaksIn(values: readonly unknown[], privateKeys: readonly string[] = []): string[] {
  const found = new Set<string>();
  for (const value of values) {
    for (const text of renderings(value)) {
      for (const [name, secret] of [
        ["the SMTP password", PASSWORD],
        ["the wrong SMTP password", WRONG_PASSWORD],
        ["the client secret", CLIENT_SECRET],
        ["the wrong client secret", WRONG_CLIENT_SECRET],
        ...tokens.map((token) => ["an issued access token", token] as const),
        ...privateKeys.map((key) => ["a private key's body", key.split("\n")[1] ?? key] as const),
      ] as const) {
        if (text.includes(secret)) found.add(name);
      }
      if (JWT.test(text)) found.add("a JWT");
      if (text.includes(PASSPHRASE_FREE_KEY)) found.add("a PEM private key");
      if (/Bearer\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]{8,}/i.test(text))
        found.add("a bearer token");
    }
  }
  return [...found];
}

interface Sweep {
  readonly rejections: unknown[];
  readonly events: unknown[];
}

/** Builds a mailer from env, sends, verifies and closes it, collecting every failure and event. */
async function drive(overrides: Record<string, string>, sweep: Sweep): Promise<void> {
  let mailer: Awaited<ReturnType<typeof createMailerFromEnv>>;
  try {
    mailer = await createMailerFromEnv(
      emulator.env({
        MAILPATH_RELAY_LOCAL_ADDRESS: CONNECTOR_IP,
        MAILPATH_SMTP_PASSWORD: PASSWORD,
        MAILPATH_CLIENT_SECRET: CLIENT_SECRET,
        MAILPATH_MAX_ATTEMPTS: "1",
        ...overrides,
      }),
    );
  } catch (error) {
    sweep.rejections.push(error);
    return;
  }
  for (const event of EVENTS)
    mailer.on(event, (...payload: unknown[]) => sweep.events.push(...payload));
  const settle = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => {
        sweep.rejections.push(error);
      },
    );
  await settle(mailer.send({ to: "ada@contoso.com", subject: "Sweep", text: "Secrets stay." }));
  await settle(mailer.verify());
  await settle(mailer.close());
}

function expectMailErrors(sweep: Sweep, atLeast: number): void {
  expect(sweep.rejections.length).toBeGreaterThanOrEqual(atLeast);
  for (const rejection of sweep.rejections) {
    expect(MailError.isInstance(rejection), inspect(rejection)).toBe(true);
  }
}

describe("the secrets sweep", () => {
  it("finds a secret planted in a message, a cause's field, an event payload or a key", () => {
    const key =
      "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";
    // A raw error, as a transport might let one escape: the password sits two causes deep.
    const hidden = new Error("send failed", {
      cause: Object.assign(new Error("connection closed"), {
        options: { auth: { user: DEFAULT_SENDER, pass: PASSWORD } },
      }),
    });
    expect(leaksIn([hidden])).toEqual(["the SMTP password"]);
    expect(
      leaksIn([new MailError({ code: "AUTH_FAILED", message: `login with ${WRONG_PASSWORD}` })]),
    ).toEqual(["the wrong SMTP password"]);
    expect(leaksIn([{ headers: { authorization: `Bearer ${tokens[0]}` } }])).toContain(
      "an issued access token",
    );
    expect(leaksIn([{ error: { detail: `client_secret ${CLIENT_SECRET}` } }])).toEqual([
      "the client secret",
    ]);
    expect(leaksIn([new Error("boom", { cause: { key } })], [key])).toContain("a PEM private key");
    expect(leaksIn([new MailError({ code: "UNKNOWN", message: "clean" })])).toEqual([]);
  });
});

describe("no secret in any error or event after a failure on the wire", () => {
  it("SMTP AUTH with a wrong password (535 5.7.139)", async () => {
    configureSecrets();
    const sweep: Sweep = { rejections: [], events: [] };
    await drive({ MAILPATH_TRANSPORT: "smtp", MAILPATH_SMTP_PASSWORD: WRONG_PASSWORD }, sweep);
    expectMailErrors(sweep, 2);
    expect(sweep.rejections[0]).toMatchObject({ code: "AUTH_FAILED", smtp: { replyCode: 535 } });
    expect(leaksIn([...sweep.rejections, ...sweep.events])).toEqual([]);
  });

  it("SMTP AUTH when the connection drops at MAIL FROM and after DATA", async () => {
    configureSecrets();
    const sweep: Sweep = { rejections: [], events: [] };
    emulator.inject({ endpoint: "smtp", kind: "drop", stage: "mail" });
    await drive({ MAILPATH_TRANSPORT: "smtp" }, sweep);
    emulator.inject({ endpoint: "smtp", kind: "drop", stage: "after-data" });
    await drive({ MAILPATH_TRANSPORT: "smtp" }, sweep);
    expectMailErrors(sweep, 2);
    expect(sweep.rejections.map((error) => (error as MailError).code)).toContain(
      "CONNECTION_FAILED",
    );
    expect(leaksIn([...sweep.rejections, ...sweep.events])).toEqual([]);
  });

  it("SMTP XOAUTH2 with a wrong client secret, a token endpoint outage and a drop after AUTH", async () => {
    configureSecrets();
    const sweep: Sweep = { rejections: [], events: [] };
    const oauth = {
      MAILPATH_TRANSPORT: "smtp",
      MAILPATH_SMTP_AUTH: "oauth",
      MAILPATH_SMTP_PASSWORD: "",
    };
    await drive({ ...oauth, MAILPATH_CLIENT_SECRET: WRONG_CLIENT_SECRET }, sweep);
    emulator.inject({ endpoint: "token", kind: "reply", status: 503, count: 10 });
    await drive(oauth, sweep);
    emulator.reset();
    emulator.inject({ endpoint: "smtp", kind: "drop", stage: "mail" });
    await drive(oauth, sweep);
    expectMailErrors(sweep, 4);
    expect(sweep.rejections[0]).toMatchObject({ code: "AUTH_FAILED" });
    expect(leaksIn([...sweep.rejections, ...sweep.events])).toEqual([]);
  });

  it("Graph with a wrong client secret and a token endpoint outage (503)", async () => {
    configureSecrets();
    const sweep: Sweep = { rejections: [], events: [] };
    await drive(
      { MAILPATH_TRANSPORT: "graph", MAILPATH_CLIENT_SECRET: WRONG_CLIENT_SECRET },
      sweep,
    );
    emulator.inject({ endpoint: "token", kind: "reply", status: 503, count: 10 });
    await drive({ MAILPATH_TRANSPORT: "graph" }, sweep);
    expectMailErrors(sweep, 4);
    expect(sweep.rejections[0]).toMatchObject({ code: "AUTH_FAILED" });
    expect(sweep.rejections.map((error) => (error as MailError).code)).toContain("SERVER_ERROR");
    expect(leaksIn([...sweep.rejections, ...sweep.events])).toEqual([]);
  });

  it.each([
    [401, "InvalidAuthenticationToken", "Access token validation failure."],
    [403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."],
    [500, "InternalServerError", "An internal server error occurred."],
  ])(
    "Graph answering %i %s, and a dropped Graph connection",
    async (status, errorCode, errorMessage) => {
      configureSecrets();
      const sweep: Sweep = { rejections: [], events: [] };
      emulator.inject({
        endpoint: "graph",
        kind: "reply",
        status,
        errorCode,
        errorMessage,
        count: 10,
      });
      await drive({ MAILPATH_TRANSPORT: "graph" }, sweep);
      emulator.reset();
      emulator.inject({ endpoint: "graph", kind: "drop", count: 10 });
      await drive({ MAILPATH_TRANSPORT: "graph" }, sweep);
      expectMailErrors(sweep, 2);
      expect(sweep.rejections[0]).toMatchObject({ http: { status } });
      expect(leaksIn([...sweep.rejections, ...sweep.events])).toEqual([]);
    },
  );

  it("Graph with a client certificate Entra does not know (AADSTS700027)", async () => {
    configureSecrets();
    const { cert, key } = await emulator.issueClientCertificate("unregistered-app");
    const file = join(directory, "unregistered.pem");
    await writeFile(file, `${cert}\n${key}`);
    const sweep: Sweep = { rejections: [], events: [] };
    await drive(
      {
        MAILPATH_TRANSPORT: "graph",
        MAILPATH_CLIENT_SECRET: "",
        MAILPATH_CLIENT_CERTIFICATE_PATH: file,
      },
      sweep,
    );
    expectMailErrors(sweep, 2);
    expect(sweep.rejections[0]).toMatchObject({ code: "AUTH_FAILED" });
    expect(leaksIn([...sweep.rejections, ...sweep.events], [key])).toEqual([]);
  });

  it("the relay refusing with a client certificate in use, and a relay connection drop", async () => {
    configureSecrets();
    const { cert, key } = await emulator.issueClientCertificate("mail.contoso.com");
    const certFile = join(directory, "relay-cert.pem");
    const keyFile = join(directory, "relay-key.pem");
    await writeFile(certFile, cert);
    await writeFile(keyFile, key);
    const relay = {
      MAILPATH_TRANSPORT: "relay",
      MAILPATH_RELAY_CLIENT_CERT_PATH: certFile,
      MAILPATH_RELAY_CLIENT_KEY_PATH: keyFile,
    };
    const sweep: Sweep = { rejections: [], events: [] };
    emulator.inject({
      endpoint: "relay",
      kind: "reply",
      reply: "550 5.7.64 TenantAttribution; Relay Access Denied",
      count: 10,
    });
    await drive(relay, sweep);
    emulator.reset();
    emulator.inject({ endpoint: "relay", kind: "drop", stage: "mail", count: 10 });
    await drive(relay, sweep);
    expectMailErrors(sweep, 2);
    expect(sweep.rejections[0]).toMatchObject({ smtp: { replyCode: 550 } });
    expect(leaksIn([...sweep.rejections, ...sweep.events], [key])).toEqual([]);
  });

  it("failover graph,smtp when both paths fail", async () => {
    configureSecrets();
    const sweep: Sweep = { rejections: [], events: [] };
    emulator.inject({ endpoint: "graph", kind: "reply", status: 401, count: 10 });
    await drive(
      { MAILPATH_TRANSPORT: "graph,smtp", MAILPATH_SMTP_PASSWORD: WRONG_PASSWORD },
      sweep,
    );
    expectMailErrors(sweep, 1);
    expect(leaksIn([...sweep.rejections, ...sweep.events])).toEqual([]);
  });

  it("configuration errors around secrets name the variable, never the value", async () => {
    const sweep: Sweep = { rejections: [], events: [] };
    const key = (await emulator.issueClientCertificate("config-errors")).key;
    const keyOnly = join(directory, "key-only.pem");
    await writeFile(keyOnly, key);
    await drive({ MAILPATH_TRANSPORT: "graph", MAILPATH_TENANT_ID: "not a tenant" }, sweep);
    await drive({ MAILPATH_TRANSPORT: "smtp", MAILPATH_SMTP_PASSWOR: WRONG_PASSWORD }, sweep);
    await drive(
      {
        MAILPATH_TRANSPORT: "graph",
        MAILPATH_CLIENT_SECRET: "",
        MAILPATH_CLIENT_CERTIFICATE_PATH: keyOnly,
      },
      sweep,
    );
    await drive({ MAILPATH_TRANSPORT: "smtp", MAILPATH_TLS_CA_FILE: keyOnly }, sweep);
    await drive(
      { MAILPATH_TRANSPORT: "smtp", MAILPATH_TLS_CA_FILE: join(directory, "missing.pem") },
      sweep,
    );
    expectMailErrors(sweep, 5);
    for (const rejection of sweep.rejections) {
      expect(rejection).toMatchObject({ code: "INVALID_CONFIG" });
    }
    expect(JSON.stringify(sweep.rejections.at(-1))).toContain("MAILPATH_TLS_CA_FILE");
    expect(leaksIn(sweep.rejections, [key])).toEqual([]);
  });
});
