// The client-credentials provider against the emulator's Entra token endpoint, over real
// loopback TLS trusted through `tls.ca` only.
import { createServer } from "node:net";
import { MailError } from "@mailpath/core";
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  defaultTenant,
  emulatorCredentials,
  useEmulator,
} from "@mailpath/emulator";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { decodeTokenClaims } from "./claims.js";
import { createClientCredentialsProvider, type EntraTokenProvider } from "./client-credentials.js";
import type { EntraEvent } from "./events.js";
import type { ClientCredentialsOptions } from "./options.js";

const MINUTE_MS = 60_000;
const WRONG_SECRET = "wrong-secret-value-7f3a91";

/** Every event and error seen by any provider in this file, swept for secrets at the end. */
const seen: unknown[] = [];

const emulator = useEmulator({ beforeAll, afterAll });

beforeEach(() => {
  emulator.reset({ tenant: true });
});

/** A controllable clock for the provider's expiry and Retry-After bookkeeping. */
function fakeClock(start = Date.now()) {
  let current = start;
  return {
    now: () => current,
    advance(ms: number) {
      current += ms;
    },
  };
}

/** Options replacing the emulator's; an undefined one takes the default out (the secret). */
type Overrides = {
  [K in keyof ClientCredentialsOptions]?: ClientCredentialsOptions[K] | undefined;
};

function provider(overrides: Overrides = {}) {
  const events: EntraEvent[] = [];
  const created: EntraTokenProvider = createClientCredentialsProvider({
    ...emulatorCredentials(emulator),
    onEvent: (event) => {
      events.push(event);
      seen.push(event);
    },
    ...overrides,
  } as ClientCredentialsOptions);
  return { tokens: created, events };
}

async function failure(promise: Promise<unknown>): Promise<MailError> {
  try {
    await promise;
  } catch (error) {
    if (!MailError.isInstance(error)) throw error;
    seen.push(error);
    return error;
  }
  throw new Error("expected the token request to fail");
}

async function withCertificate(commonName: string) {
  const issued = await emulator.issueClientCertificate(commonName);
  const app = defaultTenant().apps[0]!;
  emulator.configure({ apps: [{ ...app, certificates: [issued.cert] }] });
  return issued;
}

/** The emulator's count of tokens issued once `request` settled. */
async function issuedAfter(request: Promise<unknown>): Promise<number> {
  await request;
  return emulator.stats().tokensIssued;
}

describe("client credentials against the emulator's token endpoint", () => {
  it("gets a Graph token for a client secret, with aud graph.microsoft.com and the Mail.Send role", async () => {
    const { tokens, events } = provider();
    const token = await tokens.getToken();
    const claims = decodeTokenClaims(token);
    expect(claims.aud).toBe("https://graph.microsoft.com");
    expect(claims.roles).toContain("Mail.Send");
    expect(claims.tid).toBe(emulator.entra.tenantId);
    expect(claims.appid).toBe(DEFAULT_CLIENT_ID);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "token", fromCache: false, scope: tokens.scope });
    expect(JSON.stringify(events)).not.toContain(token);
  });

  it("gets an SMTP token (aud outlook.office365.com, SMTP.SendAsApp) for target smtp", async () => {
    const { tokens } = provider({ target: "smtp" });
    const claims = decodeTokenClaims(await tokens.getToken());
    expect(tokens.scope).toBe("https://outlook.office365.com/.default");
    expect(claims.aud).toBe("https://outlook.office365.com");
    expect(claims.roles).toEqual(["SMTP.SendAsApp"]);
  });

  it("makes exactly one request per token to a custom authority host: the token POST", async () => {
    const { tokens } = provider();
    await tokens.getToken();
    expect(emulator.stats().requests.token).toBe(1);
    expect(emulator.stats().tokensIssued).toBe(1);
  });

  it("gets a token with a certificate registered on the app (signed assertion, x5t#S256)", async () => {
    const { cert, key } = await withCertificate("mailpath-app");
    const { tokens } = provider({
      clientSecret: undefined,
      clientCertificate: { privateKey: key, certificate: cert },
    });
    const claims = decodeTokenClaims(await tokens.getToken());
    expect(claims.appid).toBe(DEFAULT_CLIENT_ID);
    expect(claims.appidacr).toBe("2");
    expect(tokens.certificate?.thumbprintSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("takes one PEM holding both key and certificate (MAILPATH_CLIENT_CERTIFICATE_PATH style)", async () => {
    const { cert, key } = await withCertificate("one-file");
    const { tokens } = provider({
      clientSecret: undefined,
      clientCertificate: { privateKey: `${key}\n${cert}` },
    });
    expect(tokens.certificate?.notAfter).toBeInstanceOf(Date);
    expect(decodeTokenClaims(await tokens.getToken()).appidacr).toBe("2");
  });

  it("answers AUTH_FAILED AADSTS700027 for a certificate that is not registered on the app", async () => {
    await withCertificate("registered");
    const other = await emulator.issueClientCertificate("not-registered");
    const { tokens } = provider({
      clientSecret: undefined,
      clientCertificate: { privateKey: other.key, certificate: other.cert },
    });
    const error = await failure(tokens.getToken());
    expect(error.code).toBe("AUTH_FAILED");
    expect(error.http).toMatchObject({ status: 401, code: "AADSTS700027" });
    expect(error.hint).toMatch(/upload the certificate/);
  });

  it("refuses at creation a private key that does not belong to the certificate", async () => {
    const one = await emulator.issueClientCertificate("one");
    const two = await emulator.issueClientCertificate("two");
    let error: unknown;
    try {
      createClientCredentialsProvider({
        tenantId: emulator.entra.tenantId,
        clientId: DEFAULT_CLIENT_ID,
        clientCertificate: { privateKey: one.key, certificate: two.cert },
      });
    } catch (caught) {
      error = caught;
    }
    expect(MailError.isInstance(error) && error.code).toBe("INVALID_CONFIG");
    expect((error as MailError).issues?.[0]).toMatchObject({
      path: "clientCertificate.privateKey",
      message: expect.stringMatching(/does not match/),
    });
  });

  it("makes one token request for 10 concurrent first calls", async () => {
    const { tokens } = provider();
    const results = await Promise.all(Array.from({ length: 10 }, () => tokens.getToken()));
    expect(new Set(results).size).toBe(1);
    expect(emulator.stats().tokensIssued).toBe(1);
  });

  it("makes one token request for 100 calls", async () => {
    const { tokens } = provider();
    for (let call = 0; call < 100; call += 1) await tokens.getToken();
    expect(emulator.stats().tokensIssued).toBe(1);
  });

  it("makes a new request on forceRefresh, shared by concurrent forced calls", async () => {
    const { tokens } = provider();
    await tokens.getToken();
    await Promise.all([
      tokens.getToken({ forceRefresh: true }),
      tokens.getToken({ forceRefresh: true }),
    ]);
    expect(emulator.stats().tokensIssued).toBe(2);
    expect(await issuedAfter(tokens.getToken())).toBe(2);
    tokens.clearCache();
    expect(await issuedAfter(tokens.getToken())).toBe(3);
  });

  it("refreshes refreshBeforeExpiryMs ahead of expiry, not earlier", async () => {
    const clock = fakeClock();
    const { tokens, events } = provider({ now: clock.now, refreshBeforeExpiryMs: 5 * MINUTE_MS });
    await tokens.getToken();
    const first = events.find((event) => event.type === "token");
    const expiresOn = first?.type === "token" ? first.expiresOn.getTime() : 0;
    expect(expiresOn - clock.now()).toBeGreaterThan(55 * MINUTE_MS);
    clock.advance(expiresOn - clock.now() - 6 * MINUTE_MS);
    expect(await issuedAfter(tokens.getToken())).toBe(1);
    clock.advance(2 * MINUTE_MS);
    expect(await issuedAfter(tokens.getToken())).toBe(2);
    tokens.clearCache();
    expect(await issuedAfter(tokens.getToken())).toBe(3);
  });

  it("keeps the cached token when a refresh ahead of expiry fails, and reports the error", async () => {
    const clock = fakeClock();
    const { tokens, events } = provider({ now: clock.now });
    const token = await tokens.getToken();
    clock.advance(57 * MINUTE_MS); // about 3 minutes left
    emulator.failNext({ endpoint: "token", kind: "reply", status: 500 });
    expect(await tokens.getToken()).toBe(token);
    expect(events.filter((event) => event.type === "error")).toHaveLength(1);
    expect(emulator.stats().requests.token).toBe(2);
  });

  it("answers AUTH_FAILED with AADSTS7000215, the trace id and a rotate hint for a wrong secret", async () => {
    const { tokens, events } = provider({ clientSecret: WRONG_SECRET });
    const error = await failure(tokens.getToken());
    expect(error.code).toBe("AUTH_FAILED");
    expect(error.retryable).toBe(false);
    expect(error.http).toMatchObject({ status: 401, code: "AADSTS7000215" });
    expect(error.http?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(error.hint).toMatch(/rotate the client secret/);
    expect(events.some((event) => event.type === "error" && event.error === error)).toBe(true);
  });

  it("answers AUTH_FAILED with AADSTS7000222 for an expired secret", async () => {
    const app = defaultTenant().apps[0]!;
    emulator.configure({
      apps: [{ ...app, secrets: [{ value: DEFAULT_CLIENT_SECRET, expiresAt: new Date(0) }] }],
    });
    const error = await failure(provider().tokens.getToken());
    expect(error.code).toBe("AUTH_FAILED");
    expect(error.http?.code).toBe("AADSTS7000222");
    expect(error.hint).toMatch(/expired: rotate the client secret/);
  });

  it("names the client id for an unknown app (AADSTS700016) and the tenant for an unknown tenant (AADSTS90002)", async () => {
    const app = await failure(
      provider({ clientId: "00000000-0000-0000-0000-000000000000" }).tokens.getToken(),
    );
    expect(app).toMatchObject({ code: "AUTH_FAILED", http: { status: 400, code: "AADSTS700016" } });
    expect(app.hint).toMatch(/clientId and tenantId/);
    const tenant = await failure(provider({ tenantId: "fabrikam.com" }).tokens.getToken());
    expect(tenant).toMatchObject({ code: "AUTH_FAILED", http: { code: "AADSTS90002" } });
    expect(tenant.hint).toMatch(/tenantId/);
  });

  it("respects Retry-After of a 503: fails fast inside the window, then requests again", async () => {
    const clock = fakeClock();
    const { tokens } = provider({ now: clock.now });
    emulator.failNext({ endpoint: "token", kind: "reply", status: 503, retryAfterSeconds: 30 });
    const first = await failure(tokens.getToken());
    expect(first).toMatchObject({
      code: "SERVER_ERROR",
      retryable: true,
      retryAfterMs: 30_000,
      http: { status: 503 },
    });
    clock.advance(10_000);
    const inside = await failure(tokens.getToken());
    expect(inside).toMatchObject({ code: "SERVER_ERROR", retryable: true, retryAfterMs: 20_000 });
    expect(emulator.stats().requests.token).toBe(1);
    clock.advance(20_000);
    const token = await tokens.getToken();
    expect(decodeTokenClaims(token).aud).toBe("https://graph.microsoft.com");
    expect(emulator.stats().requests.token).toBe(2);
    expect(emulator.stats().tokensIssued).toBe(1);
  });

  it("answers THROTTLED with retryAfterMs for a 429", async () => {
    const clock = fakeClock();
    const { tokens } = provider({ now: clock.now });
    emulator.failNext({ endpoint: "token", kind: "throttle", retryAfterSeconds: 7 });
    const error = await failure(tokens.getToken());
    expect(error).toMatchObject({ code: "THROTTLED", retryable: true, retryAfterMs: 7_000 });
    expect(error.http?.status).toBe(429);
    clock.advance(7_000);
    expect(await issuedAfter(tokens.getToken())).toBe(1);
  });

  it("retries a 5xx without Retry-After on the next call", async () => {
    const { tokens } = provider();
    emulator.failNext({ endpoint: "token", kind: "reply", status: 500 });
    const error = await failure(tokens.getToken());
    // The core classifier suggests a delay; without Retry-After nothing is enforced locally.
    expect(error).toMatchObject({ code: "SERVER_ERROR", retryable: true, retryAfterMs: 2_000 });
    expect(await issuedAfter(tokens.getToken())).toBe(1);
  });

  it("answers CONNECTION_FAILED (retryable) when the connection drops or nothing listens", async () => {
    emulator.failNext({ endpoint: "token", kind: "drop" });
    const dropped = await failure(provider().tokens.getToken());
    expect(dropped).toMatchObject({ code: "CONNECTION_FAILED", retryable: true });

    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const refused = await failure(
      provider({ authorityHost: `https://127.0.0.1:${closedPort}` }).tokens.getToken(),
    );
    expect(refused).toMatchObject({ code: "CONNECTION_FAILED", retryable: true });
    expect(refused.message).toMatch(/ECONNREFUSED/);
  });

  it("answers TLS_ERROR with a tls.ca hint when the authority's CA is not trusted", async () => {
    const error = await failure(provider({ tls: {} }).tokens.getToken());
    expect(error.code).toBe("TLS_ERROR");
    expect(error.hint).toMatch(/tls\.ca/);
    expect(emulator.stats().tokensIssued).toBe(0);
  });

  it("answers TIMEOUT when the token endpoint does not answer within timeoutMs", async () => {
    emulator.failNext({ endpoint: "token", kind: "latency", ms: 1_000 });
    const error = await failure(provider({ timeoutMs: 100 }).tokens.getToken());
    expect(error).toMatchObject({ code: "TIMEOUT", retryable: true });
  });

  it("rejects an aborted caller with ABORTED while the shared request serves the others", async () => {
    const { tokens } = provider();
    emulator.failNext({ endpoint: "token", kind: "latency", ms: 200 });
    const controller = new AbortController();
    const aborted = failure(tokens.getToken({ signal: controller.signal }));
    const other = tokens.getToken();
    controller.abort();
    expect((await aborted).code).toBe("ABORTED");
    expect(decodeTokenClaims(await other).appid).toBe(DEFAULT_CLIENT_ID);
    expect(emulator.stats().tokensIssued).toBe(1);
  });

  it("warns when the client certificate expires within certificateExpiryWarningDays", async () => {
    // The emulator's client certificates are valid for 30 days.
    const { cert, key } = await withCertificate("expiring");
    const warned = provider({
      clientSecret: undefined,
      clientCertificate: { privateKey: key, certificate: cert },
      certificateExpiryWarningDays: 45,
    });
    const listened: unknown[] = [];
    warned.tokens.on("certificateExpiring", (payload) => listened.push(payload));
    await warned.tokens.getToken();
    const warning = warned.events.find((event) => event.type === "certificateExpiring");
    expect(warning).toMatchObject({
      type: "certificateExpiring",
      daysLeft: 29,
      thumbprint: warned.tokens.certificate?.thumbprintSha256,
    });
    expect(listened).toHaveLength(1);
    await warned.tokens.getToken({ forceRefresh: true });
    expect(listened).toHaveLength(1); // at most once a day

    const quiet = provider({
      clientSecret: undefined,
      clientCertificate: { privateKey: key, certificate: cert },
      certificateExpiryWarningDays: 7,
    });
    await quiet.tokens.getToken();
    expect(quiet.events.map((event) => event.type)).toEqual(["token"]);
  });

  it("never puts the secret, an assertion or a token in any error or event", async () => {
    // This test makes every kind of request it sweeps: a token by secret and by certificate
    // (events), a wrong secret, an unregistered certificate (a signed assertion sent) and a 503.
    const mine: unknown[] = [];
    const run = async (overrides: Overrides, fails: boolean) => {
      const { tokens, events } = provider(overrides);
      if (fails) mine.push(await failure(tokens.getToken()));
      else await tokens.getToken();
      mine.push(...events);
    };
    await run({}, false);
    await run({ clientSecret: WRONG_SECRET }, true);
    emulator.failNext({ endpoint: "token", kind: "reply", status: 503, retryAfterSeconds: 1 });
    await run({}, true);
    const { cert, key } = await withCertificate("sweep");
    await run(
      { clientSecret: undefined, clientCertificate: { privateKey: key, certificate: cert } },
      false,
    );
    const other = await emulator.issueClientCertificate("sweep-unregistered");
    await run(
      {
        clientSecret: undefined,
        clientCertificate: { privateKey: other.key, certificate: other.cert },
      },
      true,
    );
    const issued = await emulator.issueAccessToken();
    expect(emulator.stats().requests.token).toBe(5);
    expect(mine.filter((item) => MailError.isInstance(item))).toHaveLength(3);
    expect(mine.filter((item) => !MailError.isInstance(item)).length).toBeGreaterThanOrEqual(5);
    for (const items of [mine, seen]) {
      const serialized = JSON.stringify(
        items.map((item) =>
          MailError.isInstance(item) ? { ...item.toJSON(), stack: item.stack } : item,
        ),
      );
      for (const secret of [DEFAULT_CLIENT_SECRET, WRONG_SECRET, "PRIVATE KEY", "eyJ"]) {
        expect(serialized).not.toContain(secret);
      }
      expect(serialized).not.toContain(issued.split(".")[0]);
      expect(serialized).not.toMatch(/client_assertion=/);
    }
  });
});
