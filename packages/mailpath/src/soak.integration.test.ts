// Fault soak (issue 9), CI size: each path of the emulator takes SOAK_SENDS sends while 10% of
// them meet a temporary error, 2% a dropped connection (half after the message was stored),
// 1% a throttle and 2% a server error. Nothing may be lost, every duplicate must be flagged
// and carry the send's Message-ID, and close() must leave no socket or timer behind.
// bench/soak runs the same with more sends and prints the figures.
import { createHook } from "node:async_hooks";
import { type Emulator, startEmulator } from "@mailpath/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  runSoak,
  SOAK_LIMITS,
  type SoakFigures,
  type SoakPath,
  seeded,
} from "./test-support/soak.js";

const SENDS = Number(process.env.SOAK_SENDS ?? 600);
const SEED = Number(process.env.SOAK_SEED ?? 20_261_205);

let emulator: Emulator;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

/** The kinds of handle that can keep a process alive (a TLS socket is its TCPWRAP). */
const HANDLE_TYPES = new Set(["Timeout", "TCPWRAP", "PIPEWRAP", "Immediate"]);

/**
 * Records the sockets and timers created while `run` goes on, and returns those that still
 * keep the process alive (open and not `unref`ed: library-wide caches such as undici's timer
 * wheel and the HTTP Date header cache are unref'd) once it is done and the event loop had a
 * bounded number of turns (at most 2,000, then at most 2 s for short one-shot timers) to finish closing: the emulator's side of a
 * connection closes once the client closed its own. `SOAK_STACKS=1` tells where each was made.
 */
async function leftOpen(run: () => Promise<unknown>): Promise<string[]> {
  const open = new Map<number, { type: string; resource: object; stack?: string }>();
  let recording = true;
  const hook = createHook({
    init(id, type, _trigger, resource) {
      if (!recording || !HANDLE_TYPES.has(type)) return;
      open.set(id, {
        type,
        resource,
        ...(process.env.SOAK_STACKS && { stack: new Error().stack }),
      });
    },
    destroy(id) {
      open.delete(id);
    },
  }).enable();
  const alive = () =>
    [...open.values()].filter(({ resource }) => {
      const hasRef = (resource as { hasRef?: () => boolean }).hasRef;
      return typeof hasRef === "function" ? hasRef.call(resource) : true;
    });
  try {
    await run();
    recording = false;
    for (let turn = 0; turn < 2_000 && alive().length > 0; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    // nodemailer's pool, after a dropped connection, schedules its next look at the queue
    // 100 ms out (smtp-pool _continueProcessing); that timer fires once, sees the pool closed and
    // ends. Give such short one-shot timers up to 2 s of real time to end by themselves: a timer
    // or socket still alive after that is a leak.
    for (let wait = 0; wait < 200 && alive().length > 0; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 10).unref());
    }
  } finally {
    hook.disable();
  }
  return alive().map(({ type, stack }) => (stack ? `${type} ${stack}` : type));
}

beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled);
  emulator = await startEmulator({ random: seeded(SEED), tenant: { limits: SOAK_LIMITS } });
});
afterAll(async () => {
  process.off("unhandledRejection", onUnhandled);
  await emulator?.stop();
});

describe(`fault soak: ${SENDS} sends per path, seed ${SEED}`, () => {
  it.each(["smtp", "relay", "graph"] as const)(
    "%s: nothing lost, every duplicate flagged with its Message-ID, nothing left open",
    async (path: SoakPath) => {
      let figures!: SoakFigures;
      const open = await leftOpen(async () => {
        figures = await runSoak({ emulator, path, sends: SENDS });
      });
      console.info(`soak ${JSON.stringify(figures)}`);

      expect(figures.lost).toBe(0);
      expect(figures.silentDeliveries).toBe(0);
      expect(figures.foreignMessageIds).toBe(0);
      expect(figures.flagged).toBe(figures.duplicates);
      expect(figures.delivered + figures.failed).toBe(SENDS);
      // The faults struck: retries happened, and (over enough sends to meet the 1% drop after
      // the message was stored) some results were flagged.
      expect(figures.attempts).toBeGreaterThan(SENDS);
      if (SENDS >= 500) expect(figures.ambiguousReported).toBeGreaterThan(0);
      expect(unhandled).toEqual([]);
      expect(open).toEqual([]);
    },
    // About 30 ms a send on a busy CI machine; bench/soak runs many more.
    Math.max(60_000, SENDS * 60),
  );
});
