// The attempt deadlines' one timer at its edges (issue 17, core-resilience survivors): it holds
// the process open exactly while a deadline is pending, it fires at the first due time even when
// the clock it reads lags behind the timers, an expiry that adds a deadline leaves one timer, and
// entries added after others expire in order.
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Deadline, DeadlineList } from "./timeout.js";

afterEach(() => {
  vi.useRealTimers();
});

function entry(onExpire: () => void = () => {}): Deadline {
  return { due: 0, prev: undefined, next: undefined, listed: false, expire: onExpire };
}

/** The list's one timer, as Node (or the fake clock) holds it. */
const timerOf = (list: DeadlineList) =>
  (list as unknown as { timer: ReturnType<typeof setTimeout> | undefined }).timer;

describe("the timer holds the process open", () => {
  it("while a deadline is pending, not once none is, and again when one is added", () => {
    vi.useFakeTimers();
    const list = new DeadlineList(60_000);
    const first = entry();
    list.add(first);
    expect(timerOf(list)?.hasRef()).toBe(true);
    list.remove(first);
    expect(timerOf(list)?.hasRef()).toBe(false);
    // The timer armed for the first (gone) deadline serves the next one: it holds again.
    const second = entry();
    list.add(second);
    expect(timerOf(list)?.hasRef()).toBe(true);
    list.dispose();
  });

  it("keeps holding while one of two deadlines is still pending", () => {
    vi.useFakeTimers();
    const list = new DeadlineList(60_000);
    const [first, second] = [entry(), entry()] as const;
    list.add(first);
    list.add(second);
    list.remove(second);
    expect(timerOf(list)?.hasRef()).toBe(true);
    list.dispose();
  });
});

describe("a clock that lags behind the timers", () => {
  it("does not hold a deadline back: the timer firing is proof its due time came", async () => {
    // Timers faked, performance.now() real: it barely moves while the timers jump ahead.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const list = new DeadlineList(1_000);
    let expired = 0;
    list.add(
      entry(() => {
        expired++;
      }),
    );
    await vi.advanceTimersByTimeAsync(1_000);
    expect(expired).toBe(1);
    list.dispose();
  });
});

describe("an expiry that adds a deadline", () => {
  it("leaves one timer, which expires the new deadline one delay later", async () => {
    vi.useFakeTimers();
    const list = new DeadlineList(1_000);
    const expired: string[] = [];
    const retry = entry(() => expired.push("retry"));
    list.add(
      entry(() => {
        expired.push("first");
        list.add(retry);
      }),
    );
    await vi.advanceTimersByTimeAsync(1_000);
    expect(expired).toEqual(["first"]);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(expired).toEqual(["first"]);
    await vi.advanceTimersByTimeAsync(1);
    expect(expired).toEqual(["first", "retry"]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
