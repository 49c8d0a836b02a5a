// Retry at its edges (issue 17, core-resilience survivors): defaults, options given as
// `undefined`, the backoff's growth, cap and jitter, and which failures are retried.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Transport } from "../contract/transport.js";
import { MailError } from "../errors/mail-error.js";
import { createMailer } from "../mailer.js";
import { type RetryOptions, resolveRetryOptions } from "./retry.js";

afterEach(() => {
  vi.useRealTimers();
});

const message = { from: "app@contoso.com", to: "ada@contoso.com", subject: "s", text: "t" };

/** A transport failing every send with `error`, counting the attempts. */
function failing(error: () => MailError): Transport & { attempts: number } {
  const transport = {
    specificationVersion: "v1" as const,
    name: "failing",
    attempts: 0,
    async send(): Promise<never> {
      transport.attempts++;
      throw error();
    },
  };
  return transport;
}

const dropped = () =>
  new MailError({ code: "CONNECTION_FAILED", message: "dropped", retryable: true });

describe("retry options given as undefined", () => {
  it("keep their defaults: 3 attempts, not retries without end", async () => {
    const transport = failing(dropped);
    const delays: number[] = [];
    const mailer = createMailer({
      transport,
      circuitBreaker: false,
      retry: { maxAttempts: undefined } as never,
      sleep: async (ms) => {
        delays.push(ms);
        if (delays.length > 10) throw new Error("retried without end");
      },
    });
    await expect(mailer.send(message)).rejects.toMatchObject({
      code: "CONNECTION_FAILED",
      attempts: 3,
    });
    expect(transport.attempts).toBe(3);
    // The default backoff: full jitter under 500 ms, then under 1,000 ms.
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(0);
    expect(delays[0]).toBeLessThan(500);
    expect(delays[1]).toBeLessThan(1_000);
    await mailer.close();
  });

  it("a random given as undefined is Math.random, not a TypeError at the first retry", async () => {
    const transport = failing(dropped);
    const mailer = createMailer({
      transport,
      circuitBreaker: false,
      retry: { maxAttempts: 2, random: undefined } as never,
      sleep: async () => {},
    });
    await expect(mailer.send(message)).rejects.toMatchObject({
      code: "CONNECTION_FAILED",
      attempts: 2,
    });
    await mailer.close();
  });

  // The documented defaults (RetryOptions' @default tags), option by option.
  const defaults: [keyof RetryOptions, unknown][] = [
    ["maxAttempts", 3],
    ["baseDelayMs", 500],
    ["maxDelayMs", 30_000],
    ["maxRetryAfterMs", 120_000],
    ["retryAmbiguous", true],
    ["random", Math.random],
  ];

  it("resolve to every documented default, all given as undefined at once", () => {
    const given = Object.fromEntries(defaults.map(([option]) => [option, undefined]));
    expect(resolveRetryOptions(given as never)).toEqual(Object.fromEntries(defaults));
  });

  it("a maxAttempts that is no number is INVALID_CONFIG, before any send", () => {
    for (const maxAttempts of [Number.NaN, "3"]) {
      expect(() =>
        createMailer({ transport: failing(dropped), retry: { maxAttempts } as never }),
      ).toThrow(
        expect.objectContaining({
          code: "INVALID_CONFIG",
          message: `retry: retry.maxAttempts must be a number of attempts, got ${String(maxAttempts)}.`,
          hint: "Give the attempts in all, the first included (1 turns retries off).",
          issues: [{ path: "retry.maxAttempts", message: "must be a number of attempts" }],
        }),
      );
    }
  });
});
