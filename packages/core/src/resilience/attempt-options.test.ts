import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { TransportSendOptions } from "../contract/transport.js";
import {
  type AbortListener,
  type AbortSignalLike,
  AttemptOptions,
  attemptAbortSignal,
} from "./attempt-options.js";

const attempt = () => new AttemptOptions(true, () => {}, undefined);

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe("attemptAbortSignal", () => {
  it("is the options' own signal for options the mailer did not make", () => {
    const signal = new AbortController().signal;
    const options: TransportSendOptions = { signal };
    expect(attemptAbortSignal(options)).toBe(signal);
  });

  it("makes no AbortController for an attempt of the mailer's, and is the same object each time", () => {
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
    const options = attempt();
    const light = attemptAbortSignal(options);
    expect(attemptAbortSignal(options)).toBe(light);
    expect(light).not.toBeInstanceOf(AbortSignal);
    expect(made).toBe(0);
    // The real signal is still there for a transport that reads it, and aborts with it.
    const { signal } = options;
    expect(made).toBe(1);
    options.abort("stop");
    expect([light.aborted, light.reason, signal.aborted, signal.reason]).toEqual([
      true,
      "stop",
      true,
      "stop",
    ]);
  });

  it("reports an abort that came before it was asked for", () => {
    const options = attempt();
    const reason = new Error("timed out");
    options.abort(reason);
    options.abort(new Error("later"));
    const light = attemptAbortSignal(options);
    expect(light.aborted).toBe(true);
    expect(light.reason).toBe(reason);
  });

  it("throws a listener's exception on the next tick and still calls the other listeners", () => {
    const ticks: (() => void)[] = [];
    vi.spyOn(process, "nextTick").mockImplementation(((callback: () => void) => {
      ticks.push(callback);
    }) as typeof process.nextTick);
    const options = attempt();
    const light = attemptAbortSignal(options);
    const failure = new Error("listener failed");
    const after = vi.fn();
    light.addEventListener("abort", () => {
      throw failure;
    });
    light.addEventListener("abort", after);
    options.abort("stop");
    expect(after).toHaveBeenCalledTimes(1);
    expect(ticks).toHaveLength(1);
    expect(() => ticks[0]?.()).toThrow(failure);
  });
});

// The light signal against Node's own AbortSignal: the same operations, the same calls.
type Operation =
  | { op: "add"; listener: number; object: boolean; once: boolean }
  | { op: "remove"; listener: number; object: boolean }
  | { op: "other type"; listener: number; remove: boolean }
  | { op: "abort"; reason: string };

const operation = fc.oneof(
  fc.record({
    op: fc.constant("add" as const),
    listener: fc.integer({ min: 0, max: 3 }),
    object: fc.boolean(),
    once: fc.boolean(),
  }),
  fc.record({
    op: fc.constant("remove" as const),
    listener: fc.integer({ min: 0, max: 3 }),
    object: fc.boolean(),
  }),
  fc.record({
    op: fc.constant("other type" as const),
    listener: fc.integer({ min: 0, max: 3 }),
    remove: fc.boolean(),
  }),
  fc.record({ op: fc.constant("abort" as const), reason: fc.string({ maxLength: 3 }) }),
);

/** Runs `operations` on a signal; returns what the listeners saw and what the signal said. */
function run(operations: Operation[], signal: AbortSignalLike, abort: (reason: string) => void) {
  const seen: string[] = [];
  // Four listeners, each as a function and as an object with handleEvent.
  const functions = [0, 1, 2, 3].map(
    (n) => (event: Event) => seen.push(`f${n}:${event.type}:${String(signal.reason)}`),
  );
  const objects = [0, 1, 2, 3].map((n) => ({
    handleEvent: (event: Event) => seen.push(`o${n}:${event.type}`),
  }));
  for (const step of operations) {
    if (step.op === "add") {
      const listener = (step.object ? objects : functions)[step.listener] as AbortListener;
      signal.addEventListener("abort", listener, { once: step.once });
    } else if (step.op === "remove") {
      const listener = (step.object ? objects : functions)[step.listener] as AbortListener;
      signal.removeEventListener("abort", listener);
    } else if (step.op === "other type") {
      // Another event type: neither adds nor removes an abort listener.
      const target = signal as unknown as EventTarget;
      const listener = functions[step.listener] as (event: Event) => void;
      if (step.remove) target.removeEventListener("other", listener);
      else target.addEventListener("other", listener);
    } else {
      abort(step.reason);
      seen.push(`aborted:${signal.aborted}:${String(signal.reason)}`);
    }
  }
  return { seen, aborted: signal.aborted, reason: signal.reason };
}

it("calls the listeners as an AbortSignal does, for any adds, removes and aborts", () => {
  fc.assert(
    fc.property(fc.array(operation, { maxLength: 14 }), (operations) => {
      const controller = new AbortController();
      const expected = run(operations, controller.signal, (reason) => controller.abort(reason));
      const options = attempt();
      const actual = run(operations, attemptAbortSignal(options), (reason) =>
        options.abort(reason),
      );
      expect(actual).toEqual(expected);
    }),
    { numRuns: 2_000 },
  );
});
