// The SMTP engine's rules on the wire (issue 17, mutation testing of `smtp-engine`), with the
// engine on its own against the emulator over loopback TLS: no classifier, retry or precheck
// unless a test gives one. Each test fails on the mutation its comment names.
import {
  MailError,
  type MailMessage,
  type NormalizedMessage,
  normalizeMessage,
} from "@mailpath/core";
import { rejectedMailError } from "@mailpath/core/testing";
import { DEFAULT_PASSWORD, DEFAULT_SENDER } from "@mailpath/emulator";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createSmtpEngine,
  type SmtpEndpoint,
  type SmtpEngine,
  type SmtpEngineOptions,
} from "./engine/index.js";
import { SMTP_DEFAULT_LIMITS } from "./options.js";
import { useSmtpEmulator, watchHold } from "./test-support/emulator-harness.js";
import { loggerTo } from "./test-support/logger.js";

const { emulator } = useSmtpEmulator();
const engines: SmtpEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

/** The submission endpoint, trusting the emulator's CA, with the default mailbox's password. */
function endpoint(overrides: Partial<SmtpEndpoint> = {}): SmtpEndpoint {
  return {
    name: "engine",
    host: emulator.smtp.host,
    port: emulator.smtp.port,
    secure: false,
    requireTLS: true,
    tls: { ca: emulator.ca, minVersion: "TLSv1.2" },
    maxConnections: 1,
    maxMessages: 100,
    limits: SMTP_DEFAULT_LIMITS,
    connectionTimeoutMs: 5_000,
    greetingTimeoutMs: 5_000,
    // Above the latency faults' holds: a socket timeout must not end a held send.
    socketTimeoutMs: 60_000,
    auth: { user: DEFAULT_SENDER, pass: DEFAULT_PASSWORD },
    ...overrides,
  };
}

function engine(
  overrides: Partial<SmtpEndpoint> = {},
  options: Partial<Omit<SmtpEngineOptions, "endpoint">> = {},
): SmtpEngine {
  const created = createSmtpEngine({
    endpoint: endpoint(overrides),
    secrets: () => [],
    ...options,
  });
  engines.push(created);
  return created;
}

function message(overrides: Partial<MailMessage> = {}): NormalizedMessage {
  return normalizeMessage(
    { to: "ada@contoso.com", subject: "Engine", text: "Hello Ada", ...overrides },
    { from: DEFAULT_SENDER },
  );
}

const never = () => new AbortController().signal;
const WRONG = { user: DEFAULT_SENDER, pass: "not-the-password" };
/** nodemailer's failure for a refused AUTH (535). */
const isAuthFailure = (error: unknown) => (error as { code?: unknown })?.code === "EAUTH";

describe("the engine without a classifier, retry or precheck", () => {
  // Mutations: `classifyError?.(error)` → `classifyError(error)` (a TypeError, no MailError),
  // `retryOnce && …` → `retryOnce || …`, `!retryOnce?.matches(error)` → `retryOnce.matches`.
  it("rejects a refused AUTH with AUTH_FAILED, named after the endpoint, in send and verify", async () => {
    const refused = engine({ auth: WRONG });
    const sent = await rejectedMailError(refused.send(message(), { signal: never() }));
    expect(sent.code).toBe("AUTH_FAILED");
    expect(sent.transport).toBe("engine");
    expect(sent.ambiguous).toBeUndefined();
    const verified = await rejectedMailError(refused.verify());
    expect(verified.code).toBe("AUTH_FAILED");
    expect(verified.transport).toBe("engine");
    expect(emulator.messages()).toEqual([]);
  });

  it("sends a message nodemailer composes (custom header) and returns its receipt", async () => {
    const receipt = await engine().send(
      message({ subject: "Composed", headers: { "X-Mutation": "engine" } }),
      { signal: never() },
    );
    expect(receipt.accepted).toEqual(["ada@contoso.com"]);
    const [delivered] = await emulator.waitForMessages(1);
    expect(delivered?.subject).toBe("Composed");
    expect(delivered?.headers["x-mutation"]).toBe("engine");
  });
});

describe("a message written in one pass", () => {
  // Mutation: `messageId` left out of the raw message's data (nodemailer would log a
  // Message-ID of its own making, one no message carries).
  it("is logged under its own Message-ID", async () => {
    const lines: string[] = [];
    const logger = loggerTo((fields, line) => lines.push(line, JSON.stringify(fields)));
    const sent = message({ subject: "Logged" });
    await engine({ logger }).send(sent, { signal: never() });
    const id = sent.messageId.replace(/[<>]/g, "");
    expect(lines.filter((line) => line.includes("Sending message")).join("\n")).toContain(id);
  });
});

describe("a signal that aborted before send()", () => {
  // Mutation: `if (signal.aborted) throw abortError(signal)` → false (the precheck would run
  // and nodemailer would be asked), the error's fields.
  it("is ABORTED with the signal's reason, not ambiguous, before the precheck and any I/O", async () => {
    const precheck = vi.fn();
    const controller = new AbortController();
    const reason = new Error("the caller gave up");
    controller.abort(reason);
    const error = await rejectedMailError(
      engine({}, { precheck }).send(message(), { signal: controller.signal }),
    );
    expect(error.code).toBe("ABORTED");
    expect(error.transport).toBe("engine");
    expect(error.message).toBe("engine: the send was aborted.");
    expect(error.hint).toMatch(/AbortSignal/);
    // A copy with the secrets removed (safeCause), not the same object.
    expect(error.cause).toMatchObject({ message: reason.message });
    expect(error.ambiguous).toBeUndefined();
    expect(precheck).not.toHaveBeenCalled();
    expect(emulator.stats().requests.smtp).toBe(0);
  });
});

describe("the precheck", () => {
  // Mutation: `precheck?.(message)` removed.
  it("refuses a message before anything is sent", async () => {
    const refusal = new MailError({ code: "RELAY_DENIED", message: "engine: not here" });
    const precheck = vi.fn((_message: NormalizedMessage) => {
      throw refusal;
    });
    const error = await rejectedMailError(
      engine({}, { precheck }).send(message(), { signal: never() }),
    );
    expect(error).toBe(refusal);
    expect(precheck).toHaveBeenCalledTimes(1);
    expect(emulator.stats().requests.smtp).toBe(0);
  });
});

describe("after close()", () => {
  // Mutations: `if (closed) throw closedError()` in verify → false, the error's fields.
  it("send() and verify() are ABORTED, saying the transport is closed", async () => {
    const closed = engine();
    await closed.close();
    await closed.close();
    for (const error of [
      await rejectedMailError(closed.send(message(), { signal: never() })),
      await rejectedMailError(closed.verify()),
    ]) {
      expect(error.code).toBe("ABORTED");
      expect(error.transport).toBe("engine");
      expect(error.message).toBe("engine: the transport is closed.");
      expect(error.hint).toMatch(/close\(\) was called/);
    }
    expect(emulator.stats().requests.smtp).toBe(0);
  });
});

/** Sets the default mailbox's password on the emulator. */
function setPassword(password: string): void {
  emulator.configure({
    mailboxes: emulator.tenant.mailboxes.map((mailbox) =>
      mailbox.address === DEFAULT_SENDER ? { ...mailbox, password } : mailbox,
    ),
  });
}

/** Open TCP sockets in this process (the pool's and the in-process emulator's ends). */
const openSockets = () =>
  process.getActiveResourcesInfo().filter((resource) => resource === "TCPSocketWrap").length;

describe("close()", () => {
  // Mutation: `transporter.close()` removed (the pooled connection stays open until the
  // socket timeout, holding the process).
  it("ends the pool's idle connection", async () => {
    // The connections of the tests before have ended (they were closed after each).
    await vi.waitFor(() => expect(openSockets()).toBe(0), { timeout: 5_000 });
    const pooled = engine();
    await pooled.send(message({ subject: "Then close" }), { signal: never() });
    expect(openSockets(), "the pool keeps its connection").toBeGreaterThan(0);
    await pooled.close();
    await vi.waitFor(() => expect(openSockets()).toBe(0), { timeout: 5_000 });
  });
});

describe("retryOnce", () => {
  // Mutations: `retryOnce.matches(error)` → true, the retry or its `continue` removed.
  it("is not used for a failure it does not match", async () => {
    const prepare = vi.fn(async () => {});
    const matches = vi.fn(() => false);
    const error = await rejectedMailError(
      engine({ auth: WRONG }, { retryOnce: { matches, prepare } }).send(message(), {
        signal: never(),
      }),
    );
    expect(error.code).toBe("AUTH_FAILED");
    expect(matches).toHaveBeenCalledTimes(1);
    expect(prepare).not.toHaveBeenCalled();
  });

  it("sends once more after prepare() fixed the failure, and verify() checks once more", async () => {
    setPassword("Changed-Password-4c1d");
    const prepare = vi.fn(async () => setPassword(DEFAULT_PASSWORD));
    const sender = engine({}, { retryOnce: { matches: isAuthFailure, prepare } });
    const receipt = await sender.send(message({ subject: "Second attempt" }), {
      signal: never(),
    });
    expect(receipt.accepted).toEqual(["ada@contoso.com"]);
    expect(prepare).toHaveBeenCalledTimes(1);
    expect(emulator.messages().map((entry) => entry.subject)).toEqual(["Second attempt"]);

    setPassword("Changed-Password-4c1d");
    const verifier = engine({}, { retryOnce: { matches: isAuthFailure, prepare } });
    await expect(verifier.verify()).resolves.toBeUndefined();
    expect(prepare).toHaveBeenCalledTimes(2);
  });

  // Mutation: verify's second `transporter.verify()` removed (a refused retry resolved).
  it("verify() fails when the server still refuses after prepare(), preparing once", async () => {
    const prepare = vi.fn(async () => {});
    const error = await rejectedMailError(
      engine({ auth: WRONG }, { retryOnce: { matches: isAuthFailure, prepare } }).verify(),
    );
    expect(error.code).toBe("AUTH_FAILED");
    expect(error.transport).toBe("engine");
    expect(prepare).toHaveBeenCalledTimes(1);
  });

  // Mutations: `catch (prepareError) { throw toMailError(prepareError) }` emptied (the send
  // retried anyway and failed with the server's refusal instead).
  it("fails with prepare()'s own failure, in send and verify", async () => {
    const failure = new MailError({ code: "AUTH_FAILED", message: "engine: no fresh token" });
    const retryOnce = {
      matches: isAuthFailure,
      prepare: vi.fn(async () => {
        throw failure;
      }),
    };
    const refused = engine({ auth: WRONG }, { retryOnce });
    const sent = await rejectedMailError(refused.send(message(), { signal: never() }));
    expect(sent.message).toBe("engine: no fresh token");
    const verified = await rejectedMailError(refused.verify());
    expect(verified.message).toBe("engine: no fresh token");
    expect(retryOnce.prepare).toHaveBeenCalledTimes(2);
  });
});

describe("a classifier of the transport's own", () => {
  it("decides the error where it knows the failure", async () => {
    const own = new MailError({ code: "AUTH_DISABLED", message: "engine: known failure" });
    const classifyError = vi.fn(() => own);
    const error = await rejectedMailError(
      engine({ auth: WRONG }, { classifyError }).send(message(), { signal: never() }),
    );
    expect(error).toBe(own);
  });
});

describe("a message nodemailer composes (not written in one pass)", () => {
  // Mutations: `signal` or the progress key left out of the composed message's data, the
  // stream tracker's branch for composed messages.
  it("is ABORTED without waiting for a held answer", async () => {
    const HOLD_MS = 5_002;
    const hold = watchHold(HOLD_MS);
    emulator.failNext({ endpoint: "smtp", kind: "latency", ms: HOLD_MS, stage: "mail" });
    const controller = new AbortController();
    const sending = engine().send(message({ headers: { "X-Mutation": "abort" } }), {
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(hold.held(), "the server holds its answer").toBe(true));
    controller.abort();
    const error = await rejectedMailError(sending);
    expect(error.code).toBe("ABORTED");
    expect(error.ambiguous).toBeUndefined();
    expect(hold.released(), "the send settled before the server answered").toBe(false);
  });

  it("is ambiguous when the connection drops after the whole message was written", async () => {
    emulator.failNext({ endpoint: "smtp", kind: "drop", stage: "after-data" });
    const error = await rejectedMailError(
      engine().send(message({ subject: "Maybe", headers: { "X-Mutation": "drop" } }), {
        signal: never(),
      }),
    );
    expect(error.code).toBe("CONNECTION_FAILED");
    expect(error.ambiguous).toBe(true);
    expect(error.transport).toBe("engine");
  });
});

describe("a TLS client certificate", () => {
  // Mutation: the client certificate left out of the shared TLS context (with tls.ca set,
  // every connection uses that context, so the connector would see no certificate).
  it("is presented with a CA set: the relay's certificate connector takes the message", async () => {
    emulator.configure({
      connectors: [{ name: "Scanner by certificate", tlsCertificateName: "*.contoso.com" }],
    });
    const certificate = await emulator.issueClientCertificate("relay.contoso.com");
    const { auth: _auth, ...anonymous } = endpoint({
      host: emulator.relay.host,
      port: emulator.relay.port,
      localAddress: "127.0.0.1",
      clientCertificate: certificate,
    });
    const relay = createSmtpEngine({ endpoint: anonymous, secrets: () => [certificate.key] });
    engines.push(relay);
    await relay.send(message({ to: "partner@fabrikam.com", subject: "By certificate" }), {
      signal: never(),
    });
    const [delivered] = await emulator.waitForMessages(1);
    expect(delivered?.submittedBy).toBe("Scanner by certificate");
  });
});
