// Aborts that reach nodemailer's pool through the mailer: its attempts hand the engine a light
// signal (attemptAbortSignal), not an AbortSignal, and the pool must honour it alike, for a send
// on a connection and for one still in the pool's queue.
import { createMailer, type Mailer } from "@mailpath/core";
import { rejectedMailError } from "@mailpath/core/testing";
import { DEFAULT_SENDER } from "@mailpath/emulator";
import { afterEach, expect, it, vi } from "vitest";
import { createSmtpTransport } from "./index.js";
import {
  emulatorSmtpOptions,
  useSmtpEmulator,
  watchHold,
} from "./test-support/emulator-harness.js";

const { emulator, track } = useSmtpEmulator();
const HOLD_MS = 5_000;
const mailers: Mailer[] = [];

afterEach(async () => {
  await Promise.all(mailers.splice(0).map((mailer) => mailer.close({ timeoutMs: 0 })));
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

/** A mailer over one pooled connection, without retry or pacing: what is sent is what we see. */
function oneConnectionMailer(): Mailer {
  const transport = track(
    createSmtpTransport(emulatorSmtpOptions(emulator, { pool: { maxConnections: 1 } })),
  );
  const mailer = createMailer({
    transport,
    from: DEFAULT_SENDER,
    retry: false,
    rateLimit: false,
    circuitBreaker: false,
  });
  mailers.push(mailer);
  return mailer;
}

const settledFlag = (promise: Promise<unknown>) => {
  const state = { settled: false };
  void promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
};

it("aborts a send on a connection and one in the pool's queue, neither waiting for the server", async () => {
  const mailer = oneConnectionMailer();
  const hold = watchHold(HOLD_MS);
  emulator.failNext({ endpoint: "smtp", kind: "latency", ms: HOLD_MS, stage: "mail" });
  const first = new AbortController();
  const second = new AbortController();
  const onConnection = mailer.send(
    { to: "ada@contoso.com", subject: "On the connection", text: "1" },
    { signal: first.signal },
  );
  const queued = mailer.send(
    { to: "ada@contoso.com", subject: "In the queue", text: "2" },
    { signal: second.signal },
  );
  const firstState = settledFlag(onConnection);
  await vi.waitFor(() => expect(hold.held(), "the server holds MAIL FROM").toBe(true));

  // The queued send leaves the queue at once; the one on the connection goes on waiting.
  second.abort(new Error("caller gave up"));
  const queuedError = await rejectedMailError(queued);
  expect(queuedError.code).toBe("ABORTED");
  expect(queuedError.ambiguous).toBe(false);
  expect(firstState.settled).toBe(false);

  first.abort();
  const firstError = await rejectedMailError(onConnection);
  expect(firstError.code).toBe("ABORTED");
  expect(firstError.ambiguous).toBe(false);
  expect(hold.released(), "both settled before the server answered").toBe(false);
  expect(emulator.messages()).toEqual([]);

  // The pool opens a new connection for the next send, and the aborted ones never went out.
  const result = await mailer.send({ to: "ada@contoso.com", subject: "After", text: "3" });
  expect(result.accepted).toEqual(["ada@contoso.com"]);
  const delivered = await emulator.waitForMessages(1);
  expect(delivered.map((entry) => entry.subject)).toEqual(["After"]);
});

it("close() with no time left aborts the sends in the pool: ABORTED, not ambiguous, nothing delivered", async () => {
  const mailer = oneConnectionMailer();
  const hold = watchHold(HOLD_MS);
  emulator.failNext({ endpoint: "smtp", kind: "latency", ms: HOLD_MS, stage: "rcpt" });
  const sends = ["On the connection", "In the queue"].map((subject) =>
    mailer.send({ to: "ada@contoso.com", subject, text: subject }),
  );
  await vi.waitFor(() => expect(hold.held(), "the server holds RCPT TO").toBe(true));
  const closing = mailer.close({ timeoutMs: 0 });
  const errors = await Promise.all(sends.map((send) => rejectedMailError(send)));
  expect(errors.map((error) => [error.code, error.ambiguous])).toEqual([
    ["ABORTED", false],
    ["ABORTED", false],
  ]);
  await closing;
  expect(hold.released()).toBe(false);
  expect(emulator.messages()).toEqual([]);
});

it("makes no AbortController for a send through the mailer", async () => {
  const mailer = oneConnectionMailer();
  await mailer.send({ to: "ada@contoso.com", subject: "Warm", text: "0" });
  let made = 0;
  const Original = globalThis.AbortController;
  vi.stubGlobal(
    "AbortController",
    class extends Original {
      constructor() {
        super();
        made++;
      }
    },
  );
  for (const n of [1, 2, 3]) {
    await mailer.send({ to: "ada@contoso.com", subject: `Light ${n}`, text: String(n) });
  }
  expect(made).toBe(0);
  expect(await emulator.waitForMessages(4)).toHaveLength(4);
});
