import {
  createMailer,
  MAILER_EVENTS,
  MailError,
  type MailerEvent,
  type MailerOptions,
} from "@mailpath/core";
import { useEmulator } from "@mailpath/emulator";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  DEFAULT_CLIENT_SECRET,
  DEFAULT_SENDER,
  emulatorTransport,
  recordingFetch,
} from "./test-support/emulator.js";

const emulator = useEmulator({ beforeAll, afterAll });
beforeEach(() => emulator.reset({ tenant: true }));

/** A mailer from the default sender over a Graph transport on the emulator, no circuit breaker. */
function graphMailer(
  options: Partial<MailerOptions> = {},
  transportOptions: Parameters<typeof emulatorTransport>[1] = {},
) {
  return createMailer({
    transport: emulatorTransport(emulator, transportOptions),
    from: DEFAULT_SENDER,
    circuitBreaker: false,
    ...options,
  });
}

describe("through createMailer", () => {
  it("honours a 429 Retry-After end to end: waits at least retryAfterMs, then delivers once on attempt 2", async () => {
    // The mailer's sleep is injected: the test sees the wait the mailer asked for, without waiting.
    const waits: number[] = [];
    const mailer = graphMailer({
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    const throttled: { retryAfterMs?: number; delayMs: number }[] = [];
    mailer.on("throttled", (event) => throttled.push(event));
    emulator.failNext({
      endpoint: "graph",
      kind: "throttle",
      retryAfterSeconds: 30,
      pathIncludes: "/sendMail",
    });
    const result = await mailer.send({ to: "ada@contoso.com", subject: "Throttled", text: "x" });
    expect(result.attempts).toBe(2);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(30_000);
    expect(throttled).toHaveLength(1);
    expect(throttled[0]?.retryAfterMs).toBe(30_000);
    expect(throttled[0]?.delayMs).toBeGreaterThanOrEqual(30_000);
    expect(emulator.stats().throttled.graph).toBe(1);
    const delivered = await emulator.waitForMessages(1);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.messageId).toBe(result.messageId);
    await mailer.close();
  });

  it("retries an ambiguous 503 with the same Message-ID", async () => {
    const recorder = recordingFetch();
    const mailer = graphMailer(
      {
        retry: { baseDelayMs: 1, maxDelayMs: 5 },
        // The 503's suggested back-off is recorded, not waited.
        sleep: async () => {},
      },
      { fetch: recorder.fetch },
    );
    const retries: MailError[] = [];
    mailer.on("retry", (event) => retries.push(event.error));
    emulator.failNext({ endpoint: "graph", kind: "reply", status: 503, pathIncludes: "/sendMail" });
    const result = await mailer.send({ to: "ada@contoso.com", subject: "Retried", text: "x" });
    expect(result.attempts).toBe(2);
    expect(retries[0]).toMatchObject({ code: "SERVER_ERROR", ambiguous: true });
    const [delivered] = await emulator.waitForMessages(1);
    expect(delivered?.messageId).toBe(result.messageId);
    await mailer.close();
  });

  it("keeps the mailer's concurrency at Graph's 4 per mailbox, so 12 parallel sends meet no 429", async () => {
    const mailer = graphMailer();
    await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        mailer.send({ to: "ada@contoso.com", subject: `Parallel ${index}`, text: "x" }),
      ),
    );
    await emulator.waitForMessages(12);
    expect(emulator.stats().throttled.graph).toBe(0);
    expect(emulator.stats().maxConcurrency.graph).toBeLessThanOrEqual(4);
    await mailer.close();
  });
});

describe("secrets", () => {
  it("never puts the client secret or an access token into an error or an event", async () => {
    const recorder = recordingFetch();
    const seen: unknown[] = [];
    const events: readonly MailerEvent[] = MAILER_EVENTS;
    const run = async (
      setup: () => void,
      options: Parameters<typeof emulatorTransport>[1] = {},
    ) => {
      const transport = emulatorTransport(emulator, { fetch: recorder.fetch, ...options });
      const mailer = createMailer({
        transport,
        from: DEFAULT_SENDER,
        retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
        sleep: async () => {},
      });
      for (const event of events) mailer.on(event, (payload: unknown) => seen.push(payload));
      setup();
      try {
        await mailer.send({ to: "ada@contoso.com", subject: "Sweep", text: "x" });
      } catch (error) {
        seen.push(error);
      }
      try {
        await transport.verify();
      } catch (error) {
        seen.push(error);
      }
      await mailer.close();
    };
    const graphFault =
      (status: number, errorCode: string, count = 2) =>
      () =>
        emulator.inject({
          endpoint: "graph",
          kind: "reply",
          status,
          errorCode,
          count,
          // A server that echoes credentials must not leak them either.
          errorMessage: `bad ${DEFAULT_CLIENT_SECRET}`,
        });
    await run(() => {});
    await run(graphFault(401, "InvalidAuthenticationToken"));
    await run(graphFault(403, "ErrorAccessDenied"));
    await run(graphFault(503, "ServiceUnavailable"));
    await run(graphFault(429, "ApplicationThrottled"));
    await run(() => emulator.failNext({ endpoint: "graph", kind: "drop", stage: "after-data" }));
    await run(() => {}, { clientSecret: "wrong-secret-value-123" });

    const tokens = [...new Set(recorder.requests.flatMap((request) => request.token ?? []))];
    expect(tokens.length).toBeGreaterThan(0);
    const errors = seen.filter((item) => MailError.isInstance(item)) as MailError[];
    expect(errors.length).toBeGreaterThan(5);
    const text = seen
      .map((item) =>
        MailError.isInstance(item)
          ? JSON.stringify({ ...item.toJSON(), stack: item.stack })
          : JSON.stringify(item, (_key, value) =>
              MailError.isInstance(value) ? { ...value.toJSON(), stack: value.stack } : value,
            ),
      )
      .join("\n");
    for (const secret of [DEFAULT_CLIENT_SECRET, "wrong-secret-value-123", ...tokens]) {
      expect(text.includes(secret), `a secret leaked: ${secret.slice(0, 6)}…`).toBe(false);
    }
    expect(text).toContain("[redacted]");
  }, 60_000);
});
