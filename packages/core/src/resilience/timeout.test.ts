import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { NormalizedMessage } from "../contract/message.js";
import type { Transport, TransportSendOptions } from "../contract/transport.js";
import { MailError } from "../errors/mail-error.js";
import { createMailer } from "../mailer.js";
import { type Deadline, DeadlineList } from "./timeout.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function entry(onExpire: () => void): Deadline {
  return { due: 0, prev: undefined, next: undefined, listed: false, expire: onExpire };
}

describe("DeadlineList", () => {
  it("expires each entry its delay after it was added, one timer for all, none removed before", async () => {
    const list = new DeadlineList(1_000);
    const startedAt = Date.now();
    const expired: [string, number][] = [];
    const at = (name: string) => entry(() => expired.push([name, Date.now() - startedAt]));
    const before = vi.getTimerCount();
    const a = at("a");
    const b = at("b");
    const c = at("c");
    list.add(a);
    await vi.advanceTimersByTimeAsync(300);
    list.add(b);
    await vi.advanceTimersByTimeAsync(300);
    list.add(c);
    expect(vi.getTimerCount() - before).toBe(1);
    list.remove(b);
    await vi.advanceTimersByTimeAsync(399);
    expect(expired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(expired).toEqual([["a", 1_000]]);
    await vi.advanceTimersByTimeAsync(599);
    expect(expired).toEqual([["a", 1_000]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(expired).toEqual([
      ["a", 1_000],
      ["c", 1_600],
    ]);
    expect(vi.getTimerCount() - before).toBe(0);
  });

  it("removes the first, middle and last entries, and an entry twice, without losing the others", async () => {
    const list = new DeadlineList(100);
    const expired: number[] = [];
    const entries = [0, 1, 2, 3, 4].map((index) => entry(() => expired.push(index)));
    for (const item of entries) list.add(item);
    list.remove(entries[0] as Deadline);
    list.remove(entries[2] as Deadline);
    list.remove(entries[4] as Deadline);
    list.remove(entries[2] as Deadline);
    await vi.advanceTimersByTimeAsync(100);
    expect(expired).toEqual([1, 3]);
  });

  it("no longer holds the process open once nothing is pending, and stops on dispose", () => {
    const list = new DeadlineList(60_000);
    const item = entry(() => {});
    const before = vi.getTimerCount();
    list.add(item);
    // One timer while an entry is pending (its ref and unref: mutation-survivors.deadline-list).
    // Not process.getActiveResourcesInfo(): under fake timers it lists only the real timers of
    // the worker, so it passed or failed with whatever else was running (seen under load).
    expect(vi.getTimerCount() - before).toBe(1);
    list.remove(item);
    list.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });
});

/** A transport whose sends never end by themselves; `read` says when each read its signal. */
function hanging(readSignalAfterMs: number | undefined) {
  const seen: { signal?: AbortSignal }[] = [];
  const transport: Transport = {
    specificationVersion: "v1",
    name: "hanging",
    send(_message: NormalizedMessage, options: TransportSendOptions) {
      const record: { signal?: AbortSignal } = {};
      seen.push(record);
      return new Promise((_resolve, reject) => {
        const listen = () => {
          record.signal = options.signal;
          if (options.signal.aborted) return reject(options.signal.reason);
          options.signal.addEventListener("abort", () => reject(options.signal.reason));
        };
        if (readSignalAfterMs === undefined) listen();
        else setTimeout(listen, readSignalAfterMs);
      });
    },
  };
  return { transport, seen };
}

const message = { from: "app@contoso.com", to: "ada@contoso.com", subject: "Hi", text: "Hi" };

describe("the mailer's attempt timeouts", () => {
  it("time each attempt from its own start, and abort the signal the transport holds", async () => {
    const { transport, seen } = hanging(undefined);
    const mailer = createMailer({ transport, timeoutMs: 1_000, retry: false, rateLimit: false });
    const startedAt = Date.now();
    const ends: number[] = [];
    const first = mailer.send(message).catch((error: unknown) => {
      ends.push(Date.now() - startedAt);
      return error;
    });
    await vi.advanceTimersByTimeAsync(400);
    const second = mailer.send(message).catch((error: unknown) => {
      ends.push(Date.now() - startedAt);
      return error;
    });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(ends).toEqual([1_000, 1_400]);
    for (const error of await Promise.all([first, second])) {
      expect(MailError.isInstance(error) && error.code).toBe("TIMEOUT");
    }
    expect(seen.map((record) => record.signal?.aborted)).toEqual([true, true]);
    expect(seen[0]?.signal?.reason).toMatchObject({ code: "TIMEOUT" });
    await mailer.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("hand a transport that reads its signal only after the timeout a signal already aborted", async () => {
    const { transport, seen } = hanging(5_000);
    const mailer = createMailer({ transport, timeoutMs: 1_000, retry: false });
    const failure = mailer.send(message).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(6_000);
    expect(MailError.isInstance(await failure) && ((await failure) as MailError).code).toBe(
      "TIMEOUT",
    );
    expect(seen[0]?.signal?.aborted).toBe(true);
    expect(seen[0]?.signal?.reason).toMatchObject({ code: "TIMEOUT" });
    await mailer.close();
  });
});
