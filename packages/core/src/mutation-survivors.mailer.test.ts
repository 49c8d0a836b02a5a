// The mailer's guarantees that small, plausible bugs in mailer.ts slipped past every test
// (issue 17, mutation testing of module core-mailer; scripts/mutation/survivors/core-mailer.md
// lists which test kills which mutant, and the mutants left with their reasons). Each test
// names the mutation it fails on. Error messages and hints are checked for being there (a
// MailError's message is "one sentence for people" and its hint "what to change"), not for
// their wording, which is not a guarantee.
import { getEventListeners } from "node:events";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Transport, TransportReceipt, TransportSendOptions } from "./contract/transport.js";
import { MailError } from "./errors/mail-error.js";
import { createMailer, type Mailer, type MailerEvents } from "./mailer.js";
import { failover } from "./routing/failover.js";
import { createMemoryTransport } from "./testing/index.js";
import { rejectedMailError, thrownMailError } from "./testing/mail-error.js";

const message = { from: "app@contoso.com", to: "ada@contoso.com", subject: "Hello", text: "Hi" };
const MESSAGE_ID = "<survivors-1@contoso.com>";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function collect<E extends keyof MailerEvents>(mailer: Mailer, event: E) {
  const seen: MailerEvents[E][0][] = [];
  mailer.on(event, ((payload: MailerEvents[E][0]) => seen.push(payload)) as never);
  return seen;
}

/** A MailError's message is a sentence and its hint says what to change: neither is empty. */
function expectExplained(error: MailError, { hint }: { hint: boolean }) {
  expect(error.message.trim()).not.toBe("");
  if (hint) expect(error.hint?.trim()).toBeTruthy();
}

/**
 * A transport whose attempts do what `attempt` says (by index, from 0), and which keeps the
 * signal each attempt was given. Attempts that hang ignore the abort unless they listen.
 */
function probe(
  attempt: (index: number, options: TransportSendOptions) => Promise<TransportReceipt>,
  name = "probe",
) {
  const signals: AbortSignal[] = [];
  const transport: Transport = {
    specificationVersion: "v1",
    name,
    send(_normalized, options) {
      signals.push(options.signal);
      return attempt(signals.length - 1, options);
    },
  };
  return { transport, signals };
}
const hang = () => new Promise<TransportReceipt>(() => {});
const busy = () =>
  Promise.reject(new MailError({ code: "SERVER_ERROR", message: "busy", retryable: true }));
/** The transport's word on an abort: the server took nothing (ambiguous: false). */
const tookNothing = (options: TransportSendOptions) =>
  new Promise<TransportReceipt>((_, reject) => {
    options.signal.addEventListener("abort", () =>
      reject(new MailError({ code: "ABORTED", message: "stopped", ambiguous: false })),
    );
  });

describe("createMailer's option checks", () => {
  // Mutations: the missing-transport check emptied (NoCoverage), its issues `[]`, its path,
  // message, hint or issue message "".
  it.each([
    ["no transport", {}],
    ["a transport without send()", { transport: { specificationVersion: "v1", name: "x" } }],
  ])("refuses %s with INVALID_CONFIG naming `transport`", (_, options) => {
    const error = thrownMailError(() => createMailer(options as never));
    expect(error.code).toBe("INVALID_CONFIG");
    expect(error.issues).toEqual([{ path: "transport", message: expect.any(String) }]);
    expect(error.issues?.[0]?.message).not.toBe("");
    expectExplained(error, { hint: true });
  });

  // Mutations: the specification check's issues `[]`, path or issue message "", message or hint "".
  it("refuses a transport of another specification version, naming the field and the version found", () => {
    const transport = { ...createMemoryTransport({ name: "future" }), specificationVersion: "v2" };
    const error = thrownMailError(() => createMailer({ transport: transport as never }));
    expect(error.code).toBe("INVALID_CONFIG");
    expect(error.issues).toEqual([
      { path: "transport.specificationVersion", message: expect.stringMatching(/\S/) },
    ]);
    expect(error.message).toContain("v2");
    expectExplained(error, { hint: true });
  });

  // Mutations: each `!== undefined` of the issue list made true or false, the rateLimit issue
  // `[]` or its path / message "", the refusal's message or hint "".
  it.each([
    ["circuitBreaker", { circuitBreaker: { volumeThreshold: 3 } }, ["circuitBreaker"]],
    ["rateLimit", { rateLimit: { concurrency: 1 } }, ["rateLimit"]],
    [
      "both",
      { circuitBreaker: { volumeThreshold: 3 }, rateLimit: { concurrency: 1 } },
      ["circuitBreaker", "rateLimit"],
    ],
  ])("refuses %s over a routing transport, listing exactly what was given", (_, given, paths) => {
    const route = failover([
      createMemoryTransport({ name: "a" }),
      createMemoryTransport({ name: "b" }),
    ]);
    const error = thrownMailError(() => createMailer({ transport: route, ...given }));
    expect(error.code).toBe("INVALID_CONFIG");
    expect(error.issues?.map((issue) => issue.path)).toEqual(paths);
    for (const issue of error.issues ?? []) expect(issue.message).toMatch(/\S/);
    expect(error.message).toContain(route.name);
    expectExplained(error, { hint: true });
    // Neither given: the route is accepted.
    expect(() => createMailer({ transport: route })).not.toThrow();
  });
});

describe("a message the mailer cannot send", () => {
  // Mutation: `if (MailError.isInstance(error)) throw error` made false (the normalizer's own
  // INVALID_MESSAGE, with its issues, replaced by "could not be read").
  it("keeps the normalizer's INVALID_MESSAGE and its issues", async () => {
    const transport = createMemoryTransport();
    const error = await rejectedMailError(
      createMailer({ transport }).send({ ...message, to: ["ada@contoso.com", "bob@"] }),
    );
    expect(error.code).toBe("INVALID_MESSAGE");
    expect(error.issues?.map((issue) => issue.path)).toEqual(["to[1]"]);
    expect(transport.calls).toBe(0);
  });

  // Mutations: the could-not-be-read error's message, hint or issue message "".
  it("that cannot be read is INVALID_MESSAGE at path `message`, explained, and nothing is sent", async () => {
    const transport = createMemoryTransport();
    const unreadable = {
      ...message,
      get text(): never {
        throw new TypeError("getter exploded");
      },
    };
    const error = await rejectedMailError(createMailer({ transport }).send(unreadable));
    expect(error.code).toBe("INVALID_MESSAGE");
    expect(error.issues).toEqual([{ path: "message", message: expect.stringMatching(/\S/) }]);
    expect(error.message).toContain("getter exploded");
    expectExplained(error, { hint: true });
    expect(transport.calls).toBe(0);
  });

  // Mutations: `recipients.length > maxRecipients` made `>=` or true; the refusal's issues
  // `[]`, its issue message or path "", its message or hint "".
  it("is one with more recipients than the transport allows; exactly the limit is sent", async () => {
    const transport = createMemoryTransport({ limits: { maxRecipientsPerMessage: 2 } });
    const mailer = createMailer({ transport });
    const two = ["a@contoso.com", "b@contoso.com"];
    await expect(mailer.send({ ...message, to: two })).resolves.toMatchObject({ attempts: 1 });
    const error = await rejectedMailError(
      mailer.send({ ...message, messageId: MESSAGE_ID, to: two, cc: "c@contoso.com" }),
    );
    expect(error).toMatchObject({
      code: "INVALID_MESSAGE",
      transport: "memory",
      messageId: MESSAGE_ID,
    });
    expect(error.issues).toEqual([{ path: "to", message: expect.stringContaining("2") }]);
    expect(error.message).toContain("3");
    expectExplained(error, { hint: true });
    expect(transport.calls).toBe(1);
    // Without a limit, any number is sent.
    const unlimited = createMemoryTransport();
    await createMailer({ transport: unlimited }).send({ ...message, to: two, cc: "c@contoso.com" });
    expect(unlimited.sent).toHaveLength(1);
  });
});

describe("a transport that throws something other than a MailError", () => {
  const raw = () => new TypeError("contentId.replace is not a function");

  // Mutations: the UNKNOWN's message or hint "".
  it("fails the send with UNKNOWN, ambiguous (nobody knows how far it got), explained", async () => {
    const { transport } = probe(() => Promise.reject(raw()), "buggy");
    const error = await rejectedMailError(createMailer({ transport, retry: false }).send(message));
    expect(error).toMatchObject({ code: "UNKNOWN", transport: "buggy", retryable: false });
    expect(error.ambiguous).toBe(true);
    expect(error.message).toContain("contentId.replace is not a function");
    expectExplained(error, { hint: true });
  });

  // Mutation: asMailError's `duringSend = false` default made true (verify and close, which
  // send nothing, would report a possible delivery).
  it("fails verify() and close() with UNKNOWN that is not ambiguous: they send nothing", async () => {
    const transport: Transport = {
      specificationVersion: "v1",
      name: "buggy",
      send: hang,
      verify: () => Promise.reject(raw()),
      close: () => Promise.reject(raw()),
    };
    const mailer = createMailer({ transport });
    const verifying = await rejectedMailError(mailer.verify());
    expect(verifying).toMatchObject({ code: "UNKNOWN", transport: "buggy" });
    expect(verifying.ambiguous).toBeUndefined();
    const closing = await rejectedMailError(mailer.close());
    expect(closing).toMatchObject({ code: "UNKNOWN", transport: "buggy" });
    expect(closing.ambiguous).toBeUndefined();
  });
});

describe("a caller's abort", () => {
  // Mutations: the already-aborted check emptied (NoCoverage: the send went ahead and
  // delivered), its `ambiguous: false` made true, its `.with({ attempts: 0 })` `{}`; in
  // aborted(), the fields `{}` (no messageId, no ambiguous).
  it("before the send: ABORTED, not ambiguous, 0 attempts, the message's id, nothing sent", async () => {
    const transport = createMemoryTransport();
    const controller = new AbortController();
    controller.abort();
    const error = await rejectedMailError(
      createMailer({ transport }).send(
        { ...message, messageId: MESSAGE_ID },
        { signal: controller.signal },
      ),
    );
    expect(error).toMatchObject({ code: "ABORTED", transport: "memory", messageId: MESSAGE_ID });
    expect(error.ambiguous).toBe(false);
    expect(error.attempts).toBe(0);
    expectExplained(error, { hint: false });
    expect(transport.calls).toBe(0);
  });

  // Mutations: aborted()'s `MailError.isInstance(reason) && code === "ABORTED"` made true (a
  // plain reason has no .with(): a TypeError escaped), or its fields `{}`.
  it.each([
    ["no reason (an AbortError)", undefined],
    ["a string reason", "user left"],
    ["a MailError of another code", new MailError({ code: "TIMEOUT", message: "too slow" })],
  ])(
    "during a backoff with %s: a MailError ABORTED with the message's id, not ambiguous",
    async (_, reason) => {
      const { transport, signals } = probe(busy);
      const mailer = createMailer({ transport, retry: { baseDelayMs: 60_000, random: () => 0.5 } });
      const controller = new AbortController();
      const sending = rejectedMailError(
        mailer.send({ ...message, messageId: MESSAGE_ID }, { signal: controller.signal }),
      );
      await vi.advanceTimersByTimeAsync(10);
      controller.abort(reason);
      const error = await sending;
      expect(MailError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: "ABORTED", messageId: MESSAGE_ID, attempts: 1 });
      expect(error.ambiguous).toBe(false);
      expectExplained(error, { hint: false });
      expect(signals).toHaveLength(1);
    },
  );

  // Mutation: in aborted(), the fields `{}`: an attempt aborted without the transport's word
  // lost its `ambiguous: true`, and the send reported a possible delivery as none.
  it("of an attempt the transport never answers: ABORTED and ambiguous after the 1 s grace", async () => {
    const { transport } = probe(hang);
    const mailer = createMailer({ transport, retry: false });
    const controller = new AbortController();
    let settled: MailError | undefined;
    const sending = rejectedMailError(
      mailer.send({ ...message, messageId: MESSAGE_ID }, { signal: controller.signal }),
    ).then((error) => (settled = error));
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    await vi.advanceTimersByTimeAsync(999);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    const error = await sending;
    expect(error).toMatchObject({ code: "ABORTED", messageId: MESSAGE_ID, attempts: 1 });
    expect(error.ambiguous).toBe(true);
  });

  // Mutations: finish()'s `if (shared)` made true, or removeEventListener("") (the listener of
  // a finished attempt stayed on the send's signal, and a later abort aborted it again).
  it("aborts only the attempt in flight, not an earlier attempt that has finished", async () => {
    const { transport, signals } = probe((index) => (index === 0 ? busy() : hang()));
    const mailer = createMailer({ transport, retry: { baseDelayMs: 100, random: () => 0 } });
    const controller = new AbortController();
    const sending = rejectedMailError(mailer.send(message, { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(10);
    expect(signals).toHaveLength(2);
    controller.abort();
    expect(signals.map((signal) => signal.aborted)).toEqual([false, true]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await sending).toMatchObject({ code: "ABORTED", attempts: 2, ambiguous: true });
  });

  // Mutation: the attempt's `if (signal.aborted) throw signal.reason` made false (a retry went
  // out after the caller had aborted, when the injected sleep did not cut the backoff short).
  it("during a backoff the injected sleep does not cut short: no attempt after it", async () => {
    const { transport, signals } = probe(busy);
    const mailer = createMailer({
      transport,
      retry: { baseDelayMs: 1_000, random: () => 0.5 },
      // Waits its whole delay, abort or not (the contract asks it to reject on abort).
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
    const controller = new AbortController();
    const sending = rejectedMailError(mailer.send(message, { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await sending).toMatchObject({ code: "ABORTED", attempts: 2 });
    expect(signals).toHaveLength(1);
  });
});

describe("listeners on abort signals", () => {
  /** Every EventTarget given an "abort" listener while `run` runs, and how many it has after. */
  async function abortListenersLeft(run: () => Promise<unknown>) {
    const add = vi.spyOn(EventTarget.prototype, "addEventListener");
    await run();
    const targets = new Set(
      add.mock.calls.flatMap(([type], index) =>
        type === "abort" ? [add.mock.contexts[index] as EventTarget] : [],
      ),
    );
    add.mockRestore();
    expect(targets.size).toBeGreaterThan(0);
    return [...targets].map((target) => getEventListeners(target, "abort").length);
  }

  // Mutations: the default sleep's removeEventListener(""), the send's unlink emptied or its
  // removeEventListener("") on the caller's or close()'s signal, send()'s finally emptied.
  it.each([
    ["a caller's signal", true],
    ["no signal (close()'s)", false],
  ])("are all removed once a retried send with %s is delivered", async (_, withSignal) => {
    const transport = createMemoryTransport({ latencyMs: 5 }).failNext("SERVER_ERROR");
    const mailer = createMailer({ transport, retry: { baseDelayMs: 100, random: () => 0.5 } });
    const controller = new AbortController();
    const left = await abortListenersLeft(async () => {
      const sending = mailer.send(message, withSignal ? { signal: controller.signal } : {});
      await vi.advanceTimersByTimeAsync(1_000);
      await expect(sending).resolves.toMatchObject({ attempts: 2 });
    });
    expect(left.every((count) => count === 0)).toBe(true);
    if (withSignal) expect(getEventListeners(controller.signal, "abort")).toEqual([]);
  });
});

describe("the rate limit per sender mailbox", () => {
  // Mutation: the sender key's toLowerCase() made toUpperCase() ("straße" and "strasse" are
  // both "STRASSE": two mailboxes paced as one).
  it("paces one mailbox in any letter case as one, and two mailboxes apart", async () => {
    const transport = createMemoryTransport({ latencyMs: 1_000 });
    const mailer = createMailer({ transport, rateLimit: { concurrency: 1 } });
    const sends = [
      mailer.send({ ...message, from: "straße@contoso.com" }),
      mailer.send({ ...message, from: "strasse@contoso.com" }),
      mailer.send({ ...message, from: "STRASSE@contoso.com" }),
    ];
    await vi.advanceTimersByTimeAsync(1);
    expect(transport.calls).toBe(2);
    await vi.advanceTimersByTimeAsync(2_000);
    await Promise.all(sends);
    expect(transport.calls).toBe(3);
  });
});

describe("what a send resolves with", () => {
  // Mutations: `...(receipt.response !== undefined && { response })` made `{}` or `=== undefined`.
  it("carries the server's response when there is one, and no response key otherwise", async () => {
    const memory = createMemoryTransport();
    const result = await createMailer({ transport: memory }).send(message);
    expect(result.response).toMatch(/^250 /);
    const { transport } = probe(() =>
      Promise.resolve({ accepted: ["ada@contoso.com"], rejected: [] }),
    );
    const bare = await createMailer({ transport }).send(message);
    expect(Object.hasOwn(bare, "response")).toBe(false);
  });

  // Mutation: `durationMs: now() - startedAt` made `now() + startedAt`.
  it("measures durationMs on the injected clock", async () => {
    let clock = 1_000_000;
    const { transport } = probe(() => {
      clock += 250;
      return Promise.resolve({ accepted: ["ada@contoso.com"], rejected: [] });
    });
    const mailer = createMailer({ transport, now: () => clock });
    const sent = collect(mailer, "sent");
    await expect(mailer.send(message)).resolves.toMatchObject({ durationMs: 250 });
    expect(sent[0]?.durationMs).toBe(250);
  });

  // Mutation: onPathFailure's `if (error.ambiguous) ambiguousAttempts++` made unconditional.
  it("counts only the ambiguous path failures of a route in ambiguousAttempts", async () => {
    const sure = createMemoryTransport({ name: "a" }).failNext("CONNECTION_FAILED");
    const first = createMailer({
      transport: failover([sure, createMemoryTransport({ name: "b" })]),
    });
    await expect(first.send(message)).resolves.toMatchObject({
      transport: "b",
      ambiguousAttempts: 0,
    });
    const maybe = createMemoryTransport({ name: "a" }).failNext({
      code: "CONNECTION_FAILED",
      retryable: true,
      delivered: true,
    });
    const second = createMailer({
      transport: failover([maybe, createMemoryTransport({ name: "b" })]),
    });
    await expect(second.send(message)).resolves.toMatchObject({
      transport: "b",
      ambiguousAttempts: 1,
    });
  });
});

describe("what a failure reports", () => {
  const noTransport = (code: "SERVER_ERROR" | "THROTTLED", extra: object = {}) =>
    new MailError({ code, message: "scripted", retryable: true, ...extra });

  // Mutation: `...(error.transport === undefined && { transport })` made `{}`.
  it("names the mailer's transport when the transport's error names none", async () => {
    const transport = createMemoryTransport({ name: "outer" }).failNext(
      new MailError({ code: "SERVER_ERROR", message: "scripted" }),
    );
    const mailer = createMailer({ transport, retry: false });
    const failed = collect(mailer, "failed");
    expect(await rejectedMailError(mailer.send(message))).toMatchObject({ transport: "outer" });
    expect(failed[0]?.transport).toBe("outer");
  });

  // Mutation: the retry event's `error.transport ?? transport.name` made `&&`.
  it("names in a retry event the transport the error names, else the mailer's", async () => {
    const transport = createMemoryTransport({ name: "outer" })
      .failNext(noTransport("SERVER_ERROR", { transport: "inner" }))
      .failNext(noTransport("SERVER_ERROR"));
    const mailer = createMailer({ transport, retry: { random: () => 0 } });
    const retries = collect(mailer, "retry");
    const sending = mailer.send(message);
    await vi.advanceTimersByTimeAsync(10);
    await expect(sending).resolves.toMatchObject({ attempts: 3 });
    expect(retries.map((retry) => retry.transport)).toEqual(["inner", "outer"]);
  });

  // Mutations: `error.code === "ABORTED"` or `=== "CIRCUIT_OPEN"` made false (decideRetry
  // would retry them when the transport marks them retryable).
  it.each([
    ["ABORTED", { code: "ABORTED", retryable: true }],
    ["CIRCUIT_OPEN", { code: "CIRCUIT_OPEN", retryable: true, retryAfterMs: 5_000 }],
  ] as const)("does not retry %s, even marked retryable", async (code, failure) => {
    const transport = createMemoryTransport().failNext(failure);
    const mailer = createMailer({ transport, retry: { random: () => 0, maxRetryAfterMs: 60_000 } });
    const retries = collect(mailer, "retry");
    const error = await rejectedMailError(mailer.send(message));
    expect(error).toMatchObject({ code, attempts: 1 });
    expect(retries).toEqual([]);
    expect(transport.calls).toBe(1);
  });

  // Mutations: the throttled event's condition made true or false, `||` made `&&`, either
  // comparison inverted, and its `...(retryAfterMs !== undefined && …)` made true.
  it("emits throttled for THROTTLED or a retryAfterMs, with retryAfterMs only when there is one", async () => {
    const transport = createMemoryTransport({ name: "outer" })
      .failNext(noTransport("THROTTLED", { retryAfterMs: 2_000 }))
      .failNext(noTransport("THROTTLED"))
      .failNext(noTransport("SERVER_ERROR", { retryAfterMs: 3_000 }))
      .failNext(noTransport("SERVER_ERROR"));
    const mailer = createMailer({ transport, retry: { maxAttempts: 5, random: () => 0 } });
    const throttled = collect(mailer, "throttled");
    const retries = collect(mailer, "retry");
    const sending = mailer.send({ ...message, messageId: MESSAGE_ID });
    await vi.advanceTimersByTimeAsync(10_000);
    await expect(sending).resolves.toMatchObject({ attempts: 5 });
    expect(retries).toHaveLength(4);
    const base = { messageId: MESSAGE_ID, transport: "outer" };
    expect(throttled).toStrictEqual([
      { ...base, attempt: 1, code: "THROTTLED", delayMs: 2_000, retryAfterMs: 2_000 },
      { ...base, attempt: 2, code: "THROTTLED", delayMs: 0 },
      { ...base, attempt: 3, code: "SERVER_ERROR", delayMs: 3_000, retryAfterMs: 3_000 },
    ]);
  });
});

describe("breaker events", () => {
  // Mutation: the breaker event's `...(retryAfterMs !== undefined && …)` made true (halfOpen
  // and close carried `retryAfterMs: undefined`).
  it("carry retryAfterMs on open only", async () => {
    const memory = createMemoryTransport().failNext("CONNECTION_FAILED", 3);
    const mailer = createMailer({
      transport: memory,
      retry: false,
      circuitBreaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 10_000 },
    });
    const opened = collect(mailer, "breaker:open");
    const halfOpened = collect(mailer, "breaker:halfOpen");
    const closed = collect(mailer, "breaker:close");
    for (let index = 0; index < 3; index++) await rejectedMailError(mailer.send(message));
    await vi.advanceTimersByTimeAsync(10_000);
    await mailer.send(message);
    expect(opened).toStrictEqual([{ transport: "memory", retryAfterMs: 10_000 }]);
    expect(halfOpened).toStrictEqual([{ transport: "memory" }]);
    expect(closed).toStrictEqual([{ transport: "memory" }]);
  });
});

describe("close() with a deadline", () => {
  // Mutation: `if (deadlineMs === 0) abortAll()` made false (a 0 deadline waited a timer turn).
  it("of 0 aborts the attempt in flight at once", async () => {
    const { transport, signals } = probe(hang);
    const mailer = createMailer({ transport });
    const sending = rejectedMailError(mailer.send(message));
    await vi.advanceTimersByTimeAsync(1);
    const closing = mailer.close({ timeoutMs: 0 });
    expect(signals[0]?.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await sending).toMatchObject({ code: "ABORTED", ambiguous: true });
    await closing;
  });

  // Mutations: the close handler of a send with a signal of its own `() => undefined`, or
  // its addEventListener(""); the deadline's error hint "".
  it("aborts a send that has a signal of its own at the deadline, not before", async () => {
    const { transport, signals } = probe((_, options) => tookNothing(options));
    const mailer = createMailer({ transport });
    const sending = rejectedMailError(
      mailer.send(message, { signal: new AbortController().signal }),
    );
    await vi.advanceTimersByTimeAsync(1);
    const closing = mailer.close({ timeoutMs: 100 });
    await vi.advanceTimersByTimeAsync(99);
    expect(signals[0]?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals[0]?.aborted).toBe(true);
    const error = await sending;
    expect(error).toMatchObject({ code: "ABORTED", attempts: 1 });
    expect(error.ambiguous).toBe(false);
    expectExplained(error, { hint: true });
    await closing;
  });

  // Mutations: finish()'s `if (shared) attemptsInFlight.delete` made false, or the shared
  // send's attemptsInFlight.add made addEventListener on close()'s signal (left there): the
  // deadline aborted attempts that had finished.
  it("aborts only the attempt in flight, not an earlier attempt of the same send", async () => {
    const { transport, signals } = probe((index) => (index === 0 ? busy() : hang()));
    const mailer = createMailer({ transport, retry: { baseDelayMs: 100, random: () => 0 } });
    const sending = rejectedMailError(mailer.send(message));
    await vi.advanceTimersByTimeAsync(10);
    expect(signals).toHaveLength(2);
    const closing = mailer.close({ timeoutMs: 0 });
    expect(signals.map((signal) => signal.aborted)).toEqual([false, true]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await sending).toMatchObject({ code: "ABORTED", attempts: 2, ambiguous: true });
    await closing;
  });

  // Mutation: `inFlight.size > 0` made `>= 0` (a deadline with nothing in flight armed a timer
  // that a close() after the first one finished never cleared: it kept the process alive).
  it("arms no timer when nothing is in flight", async () => {
    const mailer = createMailer({ transport: createMemoryTransport() });
    await mailer.close();
    await mailer.close({ timeoutMs: 60_000 });
    expect(vi.getTimerCount()).toBe(0);
  });
});

// The attempt's fast path (issue 16): a rate-limit slot taken without the limiter's queue is
// given back by the attempt's first outcome, once; the breaker hears each attempt once; close()
// counts sends instead of keeping their promises. Found by `node scripts/mutation/ci.mjs` on
// 5199db2.
describe("the attempt's own bookkeeping", () => {
  /** The breaker's state changes, in order, as the mailer reports them. */
  function breakerStates(mailer: Mailer): string[] {
    const states: string[] = [];
    mailer.on("breaker:open", () => states.push("open"));
    mailer.on("breaker:halfOpen", () => states.push("halfOpen"));
    mailer.on("breaker:close", () => states.push("close"));
    return states;
  }

  /**
   * A transport whose attempts hang until answered by hand (`answer(n)` delivers the n-th that
   * hangs), but those `failing(index)` picks, which fail at once as busy.
   */
  function answeredByHand(failing: (index: number) => boolean = () => false) {
    const answers: ((receipt: TransportReceipt) => void)[] = [];
    const { transport, signals } = probe((index) =>
      failing(index) ? busy() : new Promise<TransportReceipt>((resolve) => answers.push(resolve)),
    );
    const receipt = { accepted: ["ada@contoso.com"], rejected: [] };
    return { transport, signals, answer: (index: number) => answers[index]?.(receipt) };
  }

  /** The same, with one attempt at a time. */
  function oneAtATime() {
    const { transport, ...rest } = answeredByHand();
    return { transport: { ...transport, limits: { maxConcurrency: 1 } } as Transport, ...rest };
  }

  // Mutations: the timeout's `if (finish()) reject(…)` made `if (true)` (the slot stayed taken
  // until the late answer), finish()'s `if (settled) return false` made false (the late answer
  // gave the slot back a second time: two attempts at once on a limit of one).
  it("gives a slot back when its attempt times out, and not again when the late answer comes", async () => {
    const { transport, signals, answer } = oneAtATime();
    const mailer = createMailer({ transport, timeoutMs: 100, retry: { maxAttempts: 1 } });
    const timedOut = rejectedMailError(mailer.send(message));
    // Waits in the limiter's line for the one slot.
    const second = mailer.send(message);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(await timedOut).toMatchObject({ code: "TIMEOUT" });
    expect(signals).toHaveLength(2);
    answer(0);
    await vi.advanceTimersByTimeAsync(1);
    const third = mailer.send(message);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals).toHaveLength(2);
    answer(1);
    await expect(second).resolves.toMatchObject({ attempts: 1 });
    await vi.advanceTimersByTimeAsync(1);
    expect(signals).toHaveLength(3);
    answer(2);
    await expect(third).resolves.toMatchObject({ attempts: 1 });
    await mailer.close();
  });

  // Mutation: the grace timer's `if (finish()) reject(…)` made `if (true)`: an aborted attempt
  // the transport never answered kept its slot for good.
  it("gives a slot back when an aborted attempt's grace runs out", async () => {
    const { transport, signals, answer } = oneAtATime();
    const mailer = createMailer({ transport, retry: { maxAttempts: 1 } });
    const controller = new AbortController();
    const aborted = rejectedMailError(mailer.send(message, { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(1);
    controller.abort();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await aborted).toMatchObject({ code: "ABORTED", ambiguous: true });
    const next = mailer.send(message);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals).toHaveLength(2);
    answer(1);
    await expect(next).resolves.toMatchObject({ attempts: 1 });
    await mailer.close();
  });

  // Mutation: `if (entered) breaker?.failed(final)` made `if (true)`: a send refused with
  // CIRCUIT_OPEN while the half-open trial was in flight counted as a success and closed the
  // breaker before the trial said anything.
  it("leaves a half-open breaker to its trial when another send is refused meanwhile", async () => {
    const { transport, answer } = answeredByHand((index) => index === 0);
    const mailer = createMailer({
      transport,
      retry: { maxAttempts: 1 },
      circuitBreaker: { volumeThreshold: 1, resetTimeoutMs: 1_000 },
    });
    const states = breakerStates(mailer);
    await rejectedMailError(mailer.send(message));
    await vi.advanceTimersByTimeAsync(1_000);
    const trial = mailer.send(message);
    await vi.advanceTimersByTimeAsync(1);
    expect(await rejectedMailError(mailer.send(message))).toMatchObject({ code: "CIRCUIT_OPEN" });
    expect(states).toEqual(["open", "halfOpen"]);
    answer(0);
    await expect(trial).resolves.toMatchObject({ attempts: 1 });
    expect(states).toEqual(["open", "halfOpen", "close"]);
    await mailer.close();
  });

  // Mutation: `if (entered) breaker?.succeeded(receipt)` made `if (false)`: an attempt started
  // while the breaker was closed that delivered once it had gone half-open left it half-open
  // (opossum closes it on any success then).
  it("closes a half-open breaker when an attempt started before it opened delivers", async () => {
    const { transport, answer } = answeredByHand((index) => index === 1);
    const mailer = createMailer({
      transport,
      retry: { maxAttempts: 1 },
      circuitBreaker: { volumeThreshold: 1, errorThresholdPercentage: 40, resetTimeoutMs: 1_000 },
    });
    const states = breakerStates(mailer);
    const early = mailer.send(message);
    await vi.advanceTimersByTimeAsync(1);
    // 1 failure in 2 fires: 50% opens it.
    await rejectedMailError(mailer.send(message));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(states).toEqual(["open", "halfOpen"]);
    answer(0);
    await expect(early).resolves.toMatchObject({ attempts: 1 });
    expect(states).toEqual(["open", "halfOpen", "close"]);
    await mailer.close();
  });

  // Mutations: sendNormalized's `if (counted) sendEnded()` made `if (true)`, or a traced send
  // called with counted `true`: each traced send ended twice, and close() stopped waiting while
  // a send was still in flight (an untraced one must end once too).
  it.each([
    ["traced", () => ({ tracer: new BasicTracerProvider().getTracer("test") })],
    ["with telemetry that records nothing (no provider)", () => ({})],
  ])("close() waits for every send in flight, %s", async (_, telemetry) => {
    const { transport, answer } = answeredByHand();
    const mailer = createMailer({ transport, telemetry: telemetry() });
    const first = mailer.send(message);
    const second = mailer.send(message);
    await vi.advanceTimersByTimeAsync(1);
    answer(0);
    await first;
    let closed = false;
    const closing = mailer.close().then(() => {
      closed = true;
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(closed).toBe(false);
    answer(1);
    await second;
    await closing;
    expect(closed).toBe(true);
  });

  // Mutations: over a route (no deadline list), the attempt's `attemptsInFlight.add` made
  // false (close() could not abort it), or finish()'s `attemptsInFlight.delete` made false
  // (close() aborted finished attempts too, each arming a 1 s grace timer left after close()).
  it("close({ timeoutMs: 0 }) aborts a route's attempt in flight, and only that one", async () => {
    const { transport, signals } = probe((index, options) =>
      index === 0
        ? Promise.resolve({ accepted: ["ada@contoso.com"], rejected: [] })
        : tookNothing(options),
    );
    const mailer = createMailer({ transport: failover([transport]) });
    await mailer.send(message);
    const sending = rejectedMailError(mailer.send(message));
    await vi.advanceTimersByTimeAsync(1);
    await mailer.close({ timeoutMs: 0 });
    expect(signals[1]?.aborted).toBe(true);
    expect(await sending).toMatchObject({ code: "ABORTED", ambiguous: false });
    expect(vi.getTimerCount()).toBe(0);
  });
});
