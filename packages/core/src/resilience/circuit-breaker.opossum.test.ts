// The breaker's fast path (counted without opossum's `fire` while closed) held to opossum
// itself: the same random attempts, outcomes, settle orders and clock through a bare opossum
// breaker configured as TransportBreaker configures its own (the oracle), through
// TransportBreaker's `run`, and through `enter` + `succeeded` / `failed` as the mailer uses them.
// Every call must end the same way, the state changes must be the same, and opossum's counts of
// fires and failures the same.
import fc from "fast-check";
import CircuitBreaker from "opossum";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MailError } from "../errors/mail-error.js";
import {
  type CircuitBreakerOptions,
  createBreaker,
  isPathFailure,
  type TransportBreaker,
} from "./circuit-breaker.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

type Outcome = "success" | "path" | "message" | "bug" | "throws";

/** What an attempt ends with, by kind: a path failure counts; a failure of one message and a non-MailError do not. */
function failureOf(outcome: Exclude<Outcome, "success">): unknown {
  if (outcome === "path") {
    return new MailError({ code: "CONNECTION_FAILED", message: "down", retryable: true });
  }
  if (outcome === "message") {
    return new MailError({ code: "RECIPIENT_REJECTED", message: "no such user" });
  }
  return new TypeError("a transport's bug");
}

type Operation =
  | { readonly kind: "start"; readonly outcome: Outcome }
  | { readonly kind: "settle"; readonly pick: number }
  | { readonly kind: "wait"; readonly ms: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    kind: fc.constant("start" as const),
    outcome: fc.constantFrom<Outcome>("success", "path", "path", "message", "bug", "throws"),
  }),
  fc.record({ kind: fc.constant("settle" as const), pick: fc.nat(50) }),
  fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 1, max: 4_000 }) }),
);

const breakerOptions: fc.Arbitrary<Required<CircuitBreakerOptions>> = fc.record({
  // Thresholds a failure rate can hit exactly (1 in 2, 1 in 4, all) as often as any other.
  errorThresholdPercentage: fc.oneof(
    fc.constantFrom(25, 50, 100),
    fc.integer({ min: 0, max: 100 }),
  ),
  volumeThreshold: fc.integer({ min: 0, max: 6 }),
  rollingWindowMs: fc.integer({ min: 500, max: 10_000 }),
  // Short enough that an attempt started while closed often ends after the breaker went half-open.
  resetTimeoutMs: fc.integer({ min: 100, max: 3_000 }),
});

/** One way of calling a breaker: starts an attempt whose task the caller controls. */
interface Arm {
  readonly name: string;
  call(task: () => Promise<unknown>): Promise<unknown>;
  readonly states: string[];
  counts(): { fires: number; failures: number };
  shutdown(): void;
}

/** opossum's counts inside a TransportBreaker. */
function countsOf(breaker: TransportBreaker) {
  const { fires, failures } = (breaker as unknown as { breaker: CircuitBreaker }).breaker.stats;
  return { fires, failures };
}

function oracle(options: Required<CircuitBreakerOptions>): Arm {
  const window = {
    rollingCountTimeout: options.rollingWindowMs,
    rollingCountBuckets: 10,
    rollingPercentilesEnabled: false,
    enableSnapshots: false,
  };
  const breaker = new CircuitBreaker((task: () => Promise<unknown>) => task(), {
    timeout: false,
    resetTimeout: options.resetTimeoutMs,
    errorThresholdPercentage: options.errorThresholdPercentage,
    volumeThreshold: options.volumeThreshold,
    ...window,
    errorFilter: (error: unknown) => !isPathFailure(error),
  });
  const states: string[] = [];
  breaker.on("open", () => states.push("open"));
  breaker.on("halfOpen", () => states.push("halfOpen"));
  breaker.on("close", () => states.push("close"));
  return {
    name: "opossum",
    call: (task) =>
      breaker.fire(task).catch((error: { code?: string }) => {
        throw error?.code === "EOPENBREAKER" ? "open" : error;
      }),
    states,
    counts: () => ({ fires: breaker.stats.fires, failures: breaker.stats.failures }),
    shutdown: () => breaker.shutdown(),
  };
}

function ours(options: Required<CircuitBreakerOptions>, useEnter: boolean): Arm {
  const states: string[] = [];
  const breaker = createBreaker("smtp", options, (state) => states.push(state));
  if (!breaker) throw new Error("expected a breaker");
  const openToString = (error: unknown) => {
    throw MailError.isInstance(error) && error.code === "CIRCUIT_OPEN" ? "open" : error;
  };
  return {
    name: useEnter ? "enter" : "run",
    call(task) {
      if (!useEnter || !breaker.enter()) return breaker.run(task).catch(openToString);
      // As the mailer's attempt reports its outcome on the fast path.
      let running: Promise<unknown>;
      try {
        running = task();
      } catch (error) {
        running = Promise.reject(error);
      }
      return running.then(
        (value) => breaker.succeeded(value),
        (error: unknown) => {
          throw breaker.failed(error);
        },
      );
    },
    states,
    counts: () => countsOf(breaker),
    shutdown: () => breaker.shutdown(),
  };
}

/** Runs the operations through one arm; returns how every call ended, in call order. */
async function drive(arm: Arm, operations: readonly Operation[]): Promise<unknown[]> {
  const ended: unknown[] = [];
  const pending: { outcome: Outcome; settle: () => void }[] = [];
  const trace: unknown[] = [];
  for (const op of operations) {
    if (op.kind === "start") {
      const index = ended.length;
      ended.push("pending");
      let settle!: () => void;
      const task = () => {
        if (op.outcome === "throws") throw failureOf("bug");
        return new Promise<unknown>((resolve, reject) => {
          settle = () =>
            op.outcome === "success"
              ? resolve(`sent ${index}`)
              : reject(failureOf(op.outcome as "path"));
        });
      };
      arm.call(task).then(
        (value) => {
          ended[index] = { value };
        },
        (error: unknown) => {
          ended[index] = {
            error: error === "open" ? "open" : ((error as { code?: string }).code ?? String(error)),
          };
        },
      );
      // A task the breaker did not run has nothing to settle.
      if (op.outcome !== "throws") pending.push({ outcome: op.outcome, settle: () => settle?.() });
    } else if (op.kind === "settle") {
      if (pending.length > 0) pending.splice(op.pick % pending.length, 1)[0]?.settle();
    } else {
      await vi.advanceTimersByTimeAsync(op.ms);
    }
    await vi.advanceTimersByTimeAsync(0);
    trace.push({ states: [...arm.states], counts: arm.counts() });
  }
  for (const { settle } of pending) settle();
  await vi.advanceTimersByTimeAsync(0);
  arm.shutdown();
  return [ended, trace];
}

/** Runs `operations` through opossum, then through both of our paths, checking each arm's end. */
async function throughEveryArm(
  options: Required<CircuitBreakerOptions>,
  operations: readonly Operation[],
  check: (arm: Arm, ended: unknown[]) => void,
): Promise<void> {
  for (const arm of [oracle(options), ours(options, false), ours(options, true)]) {
    vi.setSystemTime(0);
    const [ended] = (await drive(arm, operations)) as [unknown[]];
    check(arm, ended);
  }
}

describe("TransportBreaker against opossum's own fire", () => {
  it("ends every call, changes state and counts as opossum does, on both of its paths", async () => {
    await fc.assert(
      fc.asyncProperty(
        breakerOptions,
        fc.array(operation, { minLength: 1, maxLength: 60 }),
        async (options, operations) => {
          vi.setSystemTime(0);
          const expected = await drive(oracle(options), operations);
          vi.setSystemTime(0);
          const viaRun = await drive(ours(options, false), operations);
          vi.setSystemTime(0);
          const viaEnter = await drive(ours(options, true), operations);
          expect(viaRun).toEqual(expected);
          expect(viaEnter).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  // An attempt started while closed that ends once the breaker went half-open: opossum closes the
  // breaker on its success, opens it again on its path failure (whatever the volume), and counts
  // a failure of one message as a success.
  it.each([
    ["success", ["open", "halfOpen", "close"]],
    ["path", ["open", "halfOpen", "open"]],
    ["message", ["open", "halfOpen", "close"]],
  ] as const)(
    "an attempt of the closed breaker ending in %s while half-open",
    async (outcome, states) => {
      const options = {
        errorThresholdPercentage: 50,
        volumeThreshold: 2,
        rollingWindowMs: 1_000,
        resetTimeoutMs: 5_000,
      };
      const operations: Operation[] = [
        { kind: "start", outcome },
        { kind: "start", outcome: "path" },
        { kind: "start", outcome: "path" },
        { kind: "settle", pick: 1 },
        { kind: "settle", pick: 1 },
        // The window has rolled past every count when the breaker goes half-open.
        { kind: "wait", ms: 5_000 },
        { kind: "settle", pick: 0 },
      ];
      await throughEveryArm(options, operations, (arm) => {
        expect(arm.states, arm.name).toEqual(states);
      });
    },
  );

  // Half-open, opossum opens again on a path failure even when the failure rate in the window
  // is at or under the threshold: here the window dropped two early failures, and 2 in 10 is 20%.
  it("an attempt of the closed breaker failing while half-open, under the threshold", async () => {
    const options = {
      errorThresholdPercentage: 20,
      volumeThreshold: 3,
      rollingWindowMs: 1_000,
      resetTimeoutMs: 600,
    };
    const operations: Operation[] = [
      { kind: "start", outcome: "path" },
      { kind: "start", outcome: "path" },
      { kind: "settle", pick: 0 },
      { kind: "settle", pick: 0 },
      { kind: "wait", ms: 500 },
      { kind: "start", outcome: "path" },
      ...Array.from({ length: 8 }, () => ({ kind: "start", outcome: "success" }) as const),
      { kind: "start", outcome: "path" },
      // 3 failures in 12 fires: 25% opens it.
      { kind: "settle", pick: 9 },
      { kind: "wait", ms: 600 },
      { kind: "settle", pick: 0 },
    ];
    await throughEveryArm(options, operations, (arm) => {
      expect(arm.states, arm.name).toEqual(["open", "halfOpen", "open"]);
      expect(arm.counts(), arm.name).toEqual({ fires: 10, failures: 2 });
    });
  });

  it("opens, goes half-open and closes again in the oracle's sequences (the property is not vacuous)", async () => {
    const options = {
      errorThresholdPercentage: 50,
      volumeThreshold: 2,
      rollingWindowMs: 10_000,
      resetTimeoutMs: 1_000,
    };
    const operations: Operation[] = [
      { kind: "start", outcome: "path" },
      { kind: "start", outcome: "path" },
      { kind: "settle", pick: 0 },
      { kind: "settle", pick: 0 },
      { kind: "start", outcome: "success" },
      { kind: "wait", ms: 1_000 },
      { kind: "start", outcome: "success" },
      { kind: "settle", pick: 0 },
    ];
    await throughEveryArm(options, operations, (arm, ended) => {
      expect(arm.states, arm.name).toEqual(["open", "halfOpen", "close"]);
      expect(ended, arm.name).toEqual([
        { error: "CONNECTION_FAILED" },
        { error: "CONNECTION_FAILED" },
        { error: "open" },
        { value: "sent 3" },
      ]);
    });
  });
});
