// The SMTP engine's pure parts (issue 17, mutation testing): the nodemailer pool options an
// endpoint becomes (TLS verified, never ignored, the floor kept), receipts, and the shared
// option rules. Each test fails on the mutation its comment names.
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { rootCertificates } from "node:tls";
import { MailError, smtpErrorToMailError, withDefaultRoots } from "@mailpath/core";
import { thrownMailError } from "@mailpath/core/testing";
import type { Transporter } from "nodemailer";
import { describe, expect, it, vi } from "vitest";
import {
  collectOptionIssues,
  isPort,
  type ResolvedSmtpConnection,
  resolveSmtpConnection,
  type SmtpConnectionRules,
  type SmtpEndpoint,
  type SmtpSendProgress,
  toSmtpPoolOptions,
  toSmtpReceipt,
  trackMessageStreams,
} from "./index.js";

const LIMITS = {
  maxMessagesPerInterval: 30,
  intervalMs: 60_000,
  maxConcurrency: 3,
  maxRecipientsPerDay: 10_000,
  maxRecipientsPerMessage: 500,
  maxMessageBytes: 1024,
};

/** An endpoint with none of the optional settings. */
const BARE: SmtpEndpoint = {
  name: "relay",
  host: "mx.contoso.com",
  port: 25,
  secure: false,
  requireTLS: true,
  tls: { minVersion: "TLSv1.2" },
  maxConnections: 2,
  maxMessages: 7,
  limits: LIMITS,
  connectionTimeoutMs: 11,
  greetingTimeoutMs: 12,
  socketTimeoutMs: 13,
};

describe("toSmtpPoolOptions", () => {
  // Mutations: pool, ignoreTLS, maxRequeues, rejectUnauthorized, disableUrlAccess, a field
  // dropped, or an optional field set (to undefined) when the endpoint has none.
  it("without optional settings: a pool verifying TLS with the floor, and nothing unset", () => {
    expect(toSmtpPoolOptions(BARE, () => [])).toStrictEqual({
      pool: true,
      host: "mx.contoso.com",
      port: 25,
      secure: false,
      requireTLS: true,
      ignoreTLS: false,
      connectionTimeout: 11,
      greetingTimeout: 12,
      socketTimeout: 13,
      maxConnections: 2,
      maxMessages: 7,
      maxRequeues: 1,
      tls: { minVersion: "TLSv1.2", rejectUnauthorized: true },
      disableUrlAccess: true,
      logger: false,
      debug: false,
    });
  });

  it("with every optional setting: each passed on, the client certificate beside the CA", () => {
    const auth = { user: "scanner@contoso.com", pass: "secret" };
    const options = toSmtpPoolOptions(
      {
        ...BARE,
        secure: true,
        requireTLS: false,
        tls: { ca: "not a certificate", minVersion: "TLSv1.3", servername: "mail.contoso.com" },
        clientCertificate: { cert: "cert-pem", key: "key-pem" },
        ehloName: "scanner.contoso.com",
        localAddress: "127.0.0.2",
        proxy: "http://proxy.contoso.com:3128",
        auth,
        logger: { debug: () => {} },
      },
      () => [],
    );
    expect(options).toStrictEqual({
      pool: true,
      host: "mx.contoso.com",
      port: 25,
      secure: true,
      requireTLS: false,
      ignoreTLS: false,
      name: "scanner.contoso.com",
      localAddress: "127.0.0.2",
      connectionTimeout: 11,
      greetingTimeout: 12,
      socketTimeout: 13,
      maxConnections: 2,
      maxMessages: 7,
      maxRequeues: 1,
      // Material Node cannot load: no shared context (each connection then fails as TLS_ERROR).
      tls: {
        ca: "not a certificate",
        cert: "cert-pem",
        key: "key-pem",
        minVersion: "TLSv1.3",
        servername: "mail.contoso.com",
        rejectUnauthorized: true,
      },
      auth,
      disableUrlAccess: true,
      proxy: "http://proxy.contoso.com:3128",
      logger: expect.any(Object),
      debug: true,
    });
  });

  it("builds one shared TLS context when the CA loads, and none without a CA", () => {
    const withCa = toSmtpPoolOptions(
      { ...BARE, tls: { ca: [...rootCertificates], minVersion: "TLSv1.2" } },
      () => [],
    );
    expect(withCa.tls).toHaveProperty("secureContext");
    expect(withCa.tls?.secureContext).toBeDefined();
    const withoutCa = toSmtpPoolOptions(
      { ...BARE, clientCertificate: { cert: "cert-pem", key: "key-pem" } },
      () => [],
    );
    expect(withoutCa.tls).toStrictEqual({
      cert: "cert-pem",
      key: "key-pem",
      minVersion: "TLSv1.2",
      rejectUnauthorized: true,
    });
  });

  // Mutation: `typeof endpoint.logger?.debug === "function"` → true, or "" for "function".
  it("turns on the protocol trace only for a logger with a debug level", () => {
    const options = toSmtpPoolOptions({ ...BARE, logger: { info: () => {} } }, () => []);
    expect(options.debug).toBe(false);
    expect(options.logger).toEqual(expect.any(Object));
  });
});

describe("toSmtpReceipt", () => {
  it("lists accepted and rejected addresses as text, with the server's reply", () => {
    expect(
      toSmtpReceipt(
        {
          accepted: ["ada@contoso.com", { address: "bob@contoso.com" }],
          rejected: [{ address: "eve@contoso.com" }, 42],
          response: "250 2.0.0 OK",
        },
        "smtp",
        [],
      ),
    ).toStrictEqual({
      accepted: ["ada@contoso.com", "bob@contoso.com"],
      rejected: ["eve@contoso.com", "42"],
      response: "250 2.0.0 OK",
    });
  });

  it("has no response field when the server's reply is not text, and empty lists by default", () => {
    expect(toSmtpReceipt({ accepted: [null], response: 250 }, "smtp", [])).toStrictEqual({
      accepted: ["null"],
      rejected: [],
    });
  });

  // Mutations: the guard removed, `accepted.length === 0` → false, its fields or message.
  it("refuses a result with no accepted recipient as RECIPIENT_REJECTED, naming the rejected", () => {
    const error = thrownMailError(() =>
      toSmtpReceipt(
        { rejected: [{ address: "eve@contoso.com" }], response: "550 5.1.10 Recipient not found" },
        "smtp",
        [],
      ),
    );
    expect(error.code).toBe("RECIPIENT_REJECTED");
    expect(error.transport).toBe("smtp");
    expect(error.message).toContain("eve@contoso.com");
    expect(error.smtp).toMatchObject({ replyCode: 550 });
    // Without a reply: what core makes of nodemailer's own EENVELOPE for the same case.
    const noResponse = thrownMailError(() => toSmtpReceipt({ accepted: [] }, "relay", []));
    const nodemailers = smtpErrorToMailError(
      { code: "EENVELOPE", message: "All recipients were rejected", rejected: [] },
      { transport: "relay", secrets: [] },
    );
    expect(noResponse.code).toBe(nodemailers.code);
    expect(noResponse.retryable).toBe(nodemailers.retryable);
    expect(noResponse.transport).toBe("relay");
    expect(noResponse.smtp).toBeUndefined();
    expect(noResponse.message).toMatch(/^relay: All recipients were rejected/);
  });
});

const RULES: SmtpConnectionRules = {
  defaultLimits: LIMITS,
  maxConnections: { default: 3 },
  tlsHints: { minVersion: "use TLS 1.2", rejectUnauthorized: "pass the CA" },
};

function resolve(input: Parameters<typeof resolveSmtpConnection>[0], rules = RULES) {
  const issues = collectOptionIssues();
  const resolved: ResolvedSmtpConnection = resolveSmtpConnection(input, issues.problem, rules);
  return { resolved, issues };
}

describe("resolveSmtpConnection", () => {
  it("applies the defaults and sets nothing that was not given", () => {
    const { resolved, issues } = resolve({});
    expect(issues.count).toBe(0);
    expect(resolved).toStrictEqual({
      tls: { minVersion: "TLSv1.2" },
      maxConnections: 3,
      maxMessages: 100,
      limits: LIMITS,
      connectionTimeoutMs: 30_000,
      greetingTimeoutMs: 30_000,
      socketTimeoutMs: 600_000,
    });
  });

  it("keeps every setting given", () => {
    const logger = { info: () => {} };
    const { resolved, issues } = resolve({
      tls: { ca: Buffer.from("pem"), minVersion: "TLSv1.3", servername: "mail.contoso.com" },
      pool: { maxConnections: 1, maxMessages: 1 },
      // A JavaScript caller's undefined limit is left out, the default kept.
      limits: { maxMessageBytes: 5, intervalMs: undefined } as never,
      ehloName: "scanner.contoso.com",
      localAddress: "127.0.0.2",
      connectionTimeoutMs: 1,
      greetingTimeoutMs: 2,
      socketTimeoutMs: 3,
      logger,
      proxy: "https://proxy.contoso.com:3128",
    });
    expect(issues.count).toBe(0);
    expect(resolved).toStrictEqual({
      tls: {
        ca: withDefaultRoots([Buffer.from("pem")]),
        minVersion: "TLSv1.3",
        servername: "mail.contoso.com",
      },
      maxConnections: 1,
      maxMessages: 1,
      limits: { ...LIMITS, maxMessageBytes: 5 },
      ehloName: "scanner.contoso.com",
      localAddress: "127.0.0.2",
      connectionTimeoutMs: 1,
      greetingTimeoutMs: 2,
      socketTimeoutMs: 3,
      logger,
      proxy: "https://proxy.contoso.com:3128",
    });
  });

  it("takes a CA as one PEM string or an array of them", () => {
    expect(resolve({ tls: { ca: "pem-a" } }).resolved.tls.ca).toEqual(withDefaultRoots(["pem-a"]));
    const { resolved, issues } = resolve({ tls: { ca: ["pem-a", Buffer.from("pem-b")] } });
    expect(issues.count).toBe(0);
    expect(resolved.tls.ca).toEqual(withDefaultRoots(["pem-a", Buffer.from("pem-b")]));
  });

  it("names each TLS problem with its message and the transport's hint", () => {
    const { issues } = resolve({
      tls: { ca: 5, servername: 5, minVersion: "TLSv1.1", rejectUnauthorized: false } as never,
    });
    const error = issues.toError("relay", "relay transport");
    expect(error.issues).toEqual([
      { path: "tls.ca", message: "must be a PEM string or Buffer, or an array of them" },
      { path: "tls.servername", message: "must be a host name" },
      { path: "tls.minVersion", message: '"TLSv1.1" is below TLS 1.2' },
      { path: "tls.rejectUnauthorized", message: "certificate verification cannot be turned off" },
    ]);
    expect(error.hint).toContain("use TLS 1.2");
    expect(error.hint).toContain("pass the CA");
    expect(error.hint).toContain("Pass the CA certificate's PEM text");
    expect(error.hint).toContain("Remove tls.servername");
  });

  it("refuses tls that is not an object", () => {
    const { issues } = resolve({ tls: "TLSv1.2" } as never);
    expect(issues.toError("smtp", "SMTP").hint).toBe("Pass tls as { ca, minVersion, servername }.");
    expect(issues.toError("smtp", "SMTP").issues).toEqual([
      { path: "tls", message: "must be an object" },
    ]);
  });

  it("accepts rejectUnauthorized: true (only turning verification off is refused)", () => {
    expect(resolve({ tls: { rejectUnauthorized: true } as never }).issues.count).toBe(0);
  });

  it("bounds pooled connections: at least 1, an integer, and at most the service's maximum", () => {
    const paths = (input: Parameters<typeof resolveSmtpConnection>[0], rules = RULES) =>
      resolve(input, rules)
        .issues.toError("smtp", "SMTP")
        .issues?.map((issue) => `${issue.path} ${issue.message}`);
    expect(paths({ pool: { maxConnections: 0 } })).toEqual([
      "pool.maxConnections must be a positive integer",
    ]);
    expect(paths({ pool: { maxConnections: 1.5 } })).toEqual([
      "pool.maxConnections must be a positive integer",
    ]);
    const capped = { ...RULES, maxConnections: { default: 3, max: 3, hint: "3 at most" } };
    expect(paths({ pool: { maxConnections: 3 } }, capped)).toEqual([]);
    expect(paths({ pool: { maxConnections: 4 } }, capped)).toEqual([
      "pool.maxConnections must be an integer from 1 to 3",
    ]);
    expect(resolve({ pool: { maxConnections: 4 } }, capped).issues.toError("s", "S").hint).toBe(
      "3 at most",
    );
    expect(resolve({ pool: { maxConnections: 0 } }).issues.toError("s", "S").hint).toBe(
      "Remove pool.maxConnections.",
    );
    expect(resolve({ pool: { maxMessages: 0 } }).issues.toError("s", "S").hint).toBe(
      "Remove pool.maxMessages.",
    );
    expect(paths({ pool: { maxMessages: 0 } })).toEqual([
      "pool.maxMessages must be a positive integer",
    ]);
    expect(paths({ pool: { maxMessages: 2.5 } })).toEqual([
      "pool.maxMessages must be a positive integer",
    ]);
    expect(paths({ pool: { maxConnections: 1, maxMessages: 1 } })).toEqual([]);
  });

  it("refuses limits and timeouts that are not positive numbers, naming each", () => {
    const { issues } = resolve({
      limits: { maxMessageBytes: 0, intervalMs: "60000" as never },
      connectionTimeoutMs: 0,
      greetingTimeoutMs: Number.NaN,
      socketTimeoutMs: "1" as never,
    });
    const error = issues.toError("smtp", "SMTP");
    expect(error.issues).toEqual([
      { path: "limits.intervalMs", message: "must be a positive number" },
      { path: "limits.maxMessageBytes", message: "must be a positive number" },
      { path: "connectionTimeoutMs", message: "must be a positive number of milliseconds" },
      { path: "greetingTimeoutMs", message: "must be a positive number of milliseconds" },
      { path: "socketTimeoutMs", message: "must be a positive number of milliseconds" },
    ]);
    expect(error.hint).toContain("Remove limits.maxMessageBytes or make it > 0.");
    expect(error.hint).toContain("Remove socketTimeoutMs or make it > 0.");
  });

  it("takes an http:// or https:// proxy and refuses any other URL or text", () => {
    expect(resolve({ proxy: "http://proxy:3128" }).resolved.proxy).toBe("http://proxy:3128");
    for (const proxy of ["socks5://proxy:1080", "not a url"]) {
      const { resolved, issues } = resolve({ proxy });
      expect(resolved).not.toHaveProperty("proxy");
      expect(issues.toError("smtp", "SMTP").hint).toMatch(/^Set proxy to http:\/\//);
      expect(issues.toError("smtp", "SMTP").issues).toEqual([
        { path: "proxy", message: "must be an http:// proxy URL (HTTP CONNECT)" },
      ]);
    }
  });
});

describe("collectOptionIssues", () => {
  it("makes one INVALID_CONFIG naming every problem, with every fix in the hint", () => {
    const issues = collectOptionIssues();
    expect(issues.count).toBe(0);
    issues.problem("port", "must be a port", "Use 587.");
    issues.problem("auth", "is missing", "Pass auth.");
    expect(issues.count).toBe(2);
    const error = issues.toError("smtp", "SMTP transport");
    expect(MailError.isInstance(error)).toBe(true);
    expect(error.code).toBe("INVALID_CONFIG");
    expect(error.transport).toBe("smtp");
    expect(error.message).toBe(
      "Invalid SMTP transport options: port must be a port; auth is missing.",
    );
    expect(error.hint).toBe("Use 587. Pass auth.");
    expect(error.issues).toEqual([
      { path: "port", message: "must be a port" },
      { path: "auth", message: "is missing" },
    ]);
  });
});

describe("isPort", () => {
  it("is an integer from 1 to 65535", () => {
    expect([0, 1, 587, 65_535, 65_536, 1.5, "25"].map(isPort)).toEqual([
      false,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});

type StreamPlugin = (
  mail: {
    data: Record<string, unknown>;
    message: { createReadStream(...args: unknown[]): Readable };
  },
  done: () => void,
) => void;

/** The plugin trackMessageStreams installs, from a stand-in transporter. */
function installedPlugin(): { step: string; plugin: StreamPlugin } {
  const use = vi.fn();
  trackMessageStreams({ use } as unknown as Transporter);
  expect(use).toHaveBeenCalledTimes(1);
  const [step, plugin] = use.mock.calls[0] as [string, StreamPlugin];
  return { step, plugin };
}

/** A message node whose own stream is "composed". */
function composed() {
  const createReadStream = vi.fn((..._args: unknown[]) => Readable.from(["composed"]));
  return { message: { createReadStream }, createReadStream };
}

describe("trackMessageStreams", () => {
  // Mutations: the step name, the raw branch's stream (its bytes, its end), `progress.stream`.
  it("streams a message in its final bytes as one chunk, then the end, and keeps the stream", async () => {
    const { step, plugin } = installedPlugin();
    expect(step).toBe("stream");
    const raw = Buffer.from("Subject: x\r\n\r\nHello\r\n");
    const progress: SmtpSendProgress = {};
    const { message, createReadStream } = composed();
    const done = vi.fn();
    plugin({ data: { mailpathProgress: progress, mailpathRaw: raw }, message }, done);
    expect(done).toHaveBeenCalledTimes(1);
    const stream = message.createReadStream();
    expect(progress.stream).toBe(stream);
    expect(createReadStream).not.toHaveBeenCalled();
    expect(await text(stream)).toBe(raw.toString());
    expect(stream.readableEnded).toBe(true);
  });

  // Mutations: `Buffer.isBuffer(raw)` → true, the composed branch's condition or body.
  it("keeps the stream nodemailer composes when the raw bytes are not a Buffer", async () => {
    const { plugin } = installedPlugin();
    const progress: SmtpSendProgress = {};
    const { message, createReadStream } = composed();
    const done = vi.fn();
    plugin({ data: { mailpathProgress: progress, mailpathRaw: "not bytes" }, message }, done);
    expect(done).toHaveBeenCalledTimes(1);
    const stream = message.createReadStream("an argument");
    expect(createReadStream).toHaveBeenCalledWith("an argument");
    expect(progress.stream).toBe(stream);
    expect(await text(stream)).toBe("composed");
  });

  // Mutations: `progress && …` → `progress || …` in either branch.
  it("leaves a message sent without a progress record alone", () => {
    const { plugin } = installedPlugin();
    for (const data of [{ mailpathRaw: Buffer.from("x") }, {}]) {
      const { message, createReadStream } = composed();
      const done = vi.fn();
      plugin({ data, message }, done);
      expect(done).toHaveBeenCalledTimes(1);
      expect(message.createReadStream).toBe(createReadStream);
    }
  });
});
