import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { inject } from "vitest";
import type { Outbox, OutboxEvent, OutboxEvents } from "../../src/index.js";
import type { WorkerProcessConfig, WorkerProcessMessage } from "./worker-process.js";

/** The test run's Redis (see redis-global-setup.ts). */
export const redisUrl = (): string => inject("redisUrl");

/** A key prefix no other test uses, so tests share one Redis without seeing each other. */
export const uniquePrefix = (): string => `mpt-${randomUUID().slice(0, 8)}`;

/** Keys under `prefix` in the test Redis. */
export async function keysUnder(prefix: string): Promise<string[]> {
  const client = new Redis(redisUrl());
  try {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== "0");
    return keys;
  } finally {
    client.disconnect();
  }
}

/** Resolves with the first `event` payload matching `predicate`, or rejects after `timeoutMs`. */
export function nextEvent<E extends OutboxEvent>(
  outbox: Outbox,
  event: E,
  predicate: (...args: OutboxEvents[E]) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<OutboxEvents[E][0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      outbox.off(event, listener);
      reject(new Error(`no "${event}" event within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (...args: OutboxEvents[E]) => {
      if (!predicate(...args)) return;
      clearTimeout(timer);
      outbox.off(event, listener);
      resolve(args[0]);
    };
    outbox.on(event, listener);
  });
}

/** Collects every payload of `event` until `count` arrived; rejects after `timeoutMs`. */
export function collectEvents<E extends OutboxEvent>(
  outbox: Outbox,
  event: E,
  count: number,
  timeoutMs = 10_000,
): Promise<OutboxEvents[E][0][]> {
  return new Promise((resolve, reject) => {
    const seen: OutboxEvents[E][0][] = [];
    const timer = setTimeout(() => {
      outbox.off(event, listener);
      reject(new Error(`${seen.length} of ${count} "${event}" events within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (...args: OutboxEvents[E]) => {
      seen.push(args[0]);
      if (seen.length < count) return;
      clearTimeout(timer);
      outbox.off(event, listener);
      resolve(seen);
    };
    outbox.on(event, listener);
  });
}

/** A worker in a child process (see worker-process.ts), driven over IPC. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly messages: WorkerProcessMessage[];
  /** Resolves with the first message matching `predicate`. */
  waitFor(
    predicate: (message: WorkerProcessMessage) => boolean,
    timeoutMs?: number,
  ): Promise<WorkerProcessMessage>;
  /** Graceful: close the outbox, then exit. */
  stop(timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

const script = fileURLToPath(new URL("./worker-process.ts", import.meta.url));

/** Starts a worker process and resolves once its worker runs. */
export async function startWorkerProcess(config: WorkerProcessConfig): Promise<WorkerProcess> {
  const child = fork(script, [JSON.stringify(config)], {
    execArgv: ["--import", "tsx"],
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const messages: WorkerProcessMessage[] = [];
  const waiters = new Set<() => void>();
  child.on("message", (message: WorkerProcessMessage) => {
    messages.push(message);
    for (const wake of waiters) wake();
  });
  const waitFor: WorkerProcess["waitFor"] = (predicate, timeoutMs = 20_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = messages.find(predicate);
        if (!found) return false;
        waiters.delete(wake);
        clearTimeout(timer);
        child.off("exit", onExit);
        resolve(found);
        return true;
      };
      const wake = () => void check();
      const onExit = (code: number | null, signal: string | null) => {
        waiters.delete(wake);
        clearTimeout(timer);
        reject(new Error(`worker process exited (${code ?? signal}) before the awaited message`));
      };
      const timer = setTimeout(() => {
        waiters.delete(wake);
        child.off("exit", onExit);
        reject(new Error(`worker process: no awaited message within ${timeoutMs} ms`));
      }, timeoutMs);
      if (check()) return;
      waiters.add(wake);
      child.once("exit", onExit);
    });
  const exited = () =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : once(child, "exit").then(() => {});
  const worker: WorkerProcess = {
    child,
    messages,
    waitFor,
    async stop(timeoutMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = exited();
      child.send({ type: "close", timeoutMs });
      await done;
    },
    async kill(signal) {
      const done = exited();
      child.kill(signal);
      await done;
    },
  };
  await waitFor((message) => message.type === "ready" || message.type === "failed-to-start");
  const failure = messages.find((message) => message.type === "failed-to-start");
  if (failure) throw new Error(`worker process failed to start: ${JSON.stringify(failure)}`);
  return worker;
}
