import { MailError } from "../errors/mail-error.js";
import type { DeliveredMessage } from "./delivered-message.js";

/**
 * Options of `MemoryStore.waitForMessages`.
 * @since 0.1.0
 */
export interface WaitForMessagesOptions {
  /** Give up after this long. @default 5000 */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Where memory transports record what they delivered. One store can be shared by several
 * memory transports (as the emulator's mailbox store is shared by its three paths), so a test
 * of `failover([a, b])` sees every delivery in one place.
 * @since 0.1.0
 */
export interface MemoryStore {
  /** Every delivered message, oldest first. A live view: do not mutate. */
  readonly sent: readonly DeliveredMessage[];
  /** A copy of `sent`. */
  messages(): readonly DeliveredMessage[];
  /**
   * Resolves with the messages once at least `count` were delivered.
   * @throws MailError `TIMEOUT` after `timeoutMs`, `ABORTED` when `signal` aborts.
   */
  waitForMessages(
    count: number,
    options?: WaitForMessagesOptions,
  ): Promise<readonly DeliveredMessage[]>;
  /** Forget every recorded message. */
  reset(): void;
  /** Records one delivery (used by memory transports). */
  record(message: DeliveredMessage): void;
}

interface Waiter {
  readonly count: number;
  readonly resolve: (messages: readonly DeliveredMessage[]) => void;
}

/**
 * Creates an empty store for memory transports.
 * @returns an empty store
 * @example
 * const store = createMemoryStore();
 * const primary = createMemoryTransport({ name: "primary", store });
 * const backup = createMemoryTransport({ name: "backup", store });
 * @since 0.1.0
 */
export function createMemoryStore(): MemoryStore {
  const sent: DeliveredMessage[] = [];
  const waiters = new Set<Waiter>();

  const wake = () => {
    for (const waiter of waiters) {
      if (sent.length >= waiter.count) {
        waiters.delete(waiter);
        waiter.resolve(sent.slice());
      }
    }
  };

  return {
    sent,
    messages: () => sent.slice(),
    record(message) {
      sent.push(message);
      wake();
    },
    reset() {
      sent.length = 0;
    },
    waitForMessages(count, options = {}) {
      const timeoutMs = options.timeoutMs ?? 5_000;
      if (sent.length >= count) return Promise.resolve(sent.slice());
      return new Promise((resolve, reject) => {
        const { signal } = options;
        const finish = () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          waiters.delete(waiter);
        };
        const waiter: Waiter = {
          count,
          resolve: (messages) => {
            finish();
            resolve(messages);
          },
        };
        const onAbort = () => {
          finish();
          reject(new MailError({ code: "ABORTED", message: "Waiting for messages was aborted." }));
        };
        const timer = setTimeout(() => {
          finish();
          reject(
            new MailError({
              code: "TIMEOUT",
              message: `Waited ${timeoutMs} ms for ${count} message(s); ${sent.length} arrived.`,
            }),
          );
        }, timeoutMs);
        if (signal?.aborted) {
          onAbort();
          return;
        }
        signal?.addEventListener("abort", onAbort, { once: true });
        waiters.add(waiter);
      });
    },
  };
}
