// Guarantees that small, plausible bugs once slipped past every test (issue 17, mutation
// testing). Each test below fails on the named mutation; docs/testing.md says how to re-check.
import { Readable } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { NormalizedMessage } from "./contract/message.js";
import type { Transport } from "./contract/transport.js";
import { MailError } from "./errors/mail-error.js";
import { createMailer } from "./mailer.js";
import { normalizeMessage } from "./message/normalize.js";
import { isPathFailure } from "./resilience/circuit-breaker.js";
import { createRateLimiter } from "./resilience/rate-limiter.js";
import { decideRetry, resolveRetryOptions } from "./resilience/retry.js";
import { thrownMailError } from "./testing/mail-error.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("a bare CR in the subject", () => {
  // Mutation: the header-injection check reads only LF (/[\n]/).
  it("is refused as a line break (header injection), not only as a control character", () => {
    const error = thrownMailError(() =>
      normalizeMessage(
        { to: "ada@contoso.com", subject: "Hello\rBcc: eve@fabrikam.com", text: "x" },
        { from: "app@contoso.com" },
      ),
    );
    expect(error.code).toBe("INVALID_MESSAGE");
    expect(error.issues).toEqual([
      expect.objectContaining({ path: "subject", message: expect.stringMatching(/CR or LF/) }),
    ]);
  });
});

describe("the breaker's path failures", () => {
  // Mutation: CIRCUIT_OPEN counted as a failure of the path (the breaker feeding itself).
  it("does not count CIRCUIT_OPEN, though it is in PATH_FAILURE_CODES", () => {
    expect(isPathFailure(new MailError({ code: "CIRCUIT_OPEN", message: "open" }))).toBe(false);
    expect(isPathFailure(new MailError({ code: "CONNECTION_FAILED", message: "down" }))).toBe(true);
  });
});

describe("maxRetryAfterMs", () => {
  const throttled = (retryAfterMs: number) =>
    new MailError({ code: "THROTTLED", message: "slow down", retryable: true, retryAfterMs });
  const options = resolveRetryOptions({ maxRetryAfterMs: 60_000, random: () => 0 });

  // Mutation: `>` becomes `>=` (a wait of exactly the limit refused).
  it("waits exactly maxRetryAfterMs when the server asks for that, and refuses 1 ms more", () => {
    expect(decideRetry(throttled(60_000), 1, options)).toEqual({ retry: true, delayMs: 60_000 });
    expect(decideRetry(throttled(60_001), 1, options)).toMatchObject({ retry: false });
  });
});

describe("a Readable attachment read by a failed attempt", () => {
  // Mutation: the consumed-stream check dropped (a retry would send a truncated file).
  it("is not retried: one attempt, and the error says why", async () => {
    let attempts = 0;
    const transport: Transport = {
      specificationVersion: "v1",
      name: "reads-then-fails",
      async send(message: NormalizedMessage) {
        attempts += 1;
        const stream = message.attachments?.[0]?.content;
        if (stream instanceof Readable) for await (const _ of stream) break;
        throw new MailError({ code: "CONNECTION_FAILED", message: "dropped", retryable: true });
      },
      async close() {},
    };
    const events: unknown[] = [];
    const mailer = createMailer({ transport, retry: { baseDelayMs: 0, maxAttempts: 3 } });
    mailer.on("retry", (event) => events.push(event));
    const sending = mailer.send({
      from: "app@contoso.com",
      to: "ada@contoso.com",
      subject: "Report",
      text: "attached",
      attachments: [{ filename: "r.csv", content: Readable.from(["a,b\n", "1,2\n"]) }],
    });
    await expect(sending).rejects.toMatchObject({ code: "CONNECTION_FAILED" });
    expect(attempts).toBe(1);
    expect(events).toEqual([]);
    await mailer.close();
  });
});

describe("the rate limiter's waiters", () => {
  // Mutation: an aborted waiter at the head of the queue is not removed (index > 0), so the
  // next token goes to it and the caller behind it waits forever.
  it("hands the next token to the caller behind an aborted first waiter", async () => {
    vi.useFakeTimers();
    const limiter = createRateLimiter(
      { concurrency: 3, maxPerInterval: 1, intervalMs: 1_000 },
      undefined,
    );
    if (!limiter) throw new Error("expected a limiter");
    let finishFirst!: () => void;
    const first = limiter.run("k", () => new Promise<string>((r) => (finishFirst = () => r("a"))));
    const controller = new AbortController();
    const aborted = limiter.run("k", async () => "b", controller.signal);
    let third = "";
    const behind = limiter.run("k", async () => "c").then((value) => (third = value));
    await vi.advanceTimersByTimeAsync(0);
    controller.abort(new Error("gave up"));
    await expect(aborted).rejects.toThrow("gave up");
    finishFirst();
    await expect(first).resolves.toBe("a");
    await vi.advanceTimersByTimeAsync(1_000);
    expect(third).toBe("c");
    await behind;
  });
});
