import { MailError } from "../errors/mail-error.js";

/**
 * The `TIMEOUT` of an attempt that took longer than `timeoutMs`: retryable, and ambiguous since
 * nobody can say how far the transport got.
 * @param transport - the transport (or path) the attempt went through.
 * @param messageId - the message's Message-ID.
 * @param timeoutMs - the bound it exceeded.
 * @returns the error.
 */
export function timeoutError(transport: string, messageId: string, timeoutMs: number): MailError {
  return new MailError({
    code: "TIMEOUT",
    message: `The attempt through "${transport}" took longer than ${timeoutMs} ms and was aborted.`,
    retryable: true,
    // We cannot know how far the transport got: the server may have accepted it.
    ambiguous: true,
    transport,
    messageId,
    hint: "The server or network is slow; raise timeoutMs if large messages are expected.",
  });
}

/**
 * Runs one attempt under a timeout. The attempt gets its own signal, aborted by `outer` or by
 * the timeout; at the timeout it rejects at once with `timeout()`'s error (and so does the
 * attempt's own later rejection, so a breaker around this counts a `TIMEOUT`). An abort of
 * `outer` is left to the attempt to answer: it knows whether the server took anything.
 * @param run - the attempt, given its signal.
 * @param outer - the caller's signal.
 * @param timeoutMs - how long the attempt may take.
 * @param timeout - makes the error for a timeout.
 * @returns what the attempt resolves with.
 */
export function withTimeout<T>(
  run: (signal: AbortSignal) => Promise<T>,
  outer: AbortSignal,
  timeoutMs: number,
  timeout: () => MailError,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const controller = new AbortController();
    let timedOut: MailError | undefined;
    const onAbort = () => controller.abort(outer.reason);
    const timer = setTimeout(() => {
      timedOut = timeout();
      controller.abort(timedOut);
      reject(timedOut);
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      outer.removeEventListener("abort", onAbort);
    };
    if (outer.aborted) onAbort();
    else outer.addEventListener("abort", onAbort, { once: true });
    run(controller.signal).then(
      (value) => {
        done();
        resolve(value);
      },
      (error: unknown) => {
        done();
        reject(timedOut ?? error);
      },
    );
  });
}

/** One entry of a `DeadlineList`: `expire` is called once its time is up, unless removed before. */
export interface Deadline {
  /** Monotonic ms (performance.now) at which it expires; set by `add`. */
  due: number;
  prev: Deadline | undefined;
  next: Deadline | undefined;
  /** Whether it is in a list. */
  listed: boolean;
  expire(): void;
}

/**
 * Deadlines that all lie the same `delayMs` after they are added, under one timer: added in
 * order, they expire in order, so the list is kept oldest first and the timer is armed for the
 * oldest. A timer per attempt meant a Timeout object, a closure and two timer-list operations on
 * every send. The timer holds the process open while a deadline is pending, as the per-attempt
 * timers did, and not after.
 */
export class DeadlineList<D extends Deadline = Deadline> {
  private first: Deadline | undefined;
  private last: Deadline | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The due time the timer was armed for. */
  private armedFor = 0;

  constructor(private readonly delayMs: number) {}

  add(entry: D): void {
    entry.due = performance.now() + this.delayMs;
    entry.listed = true;
    entry.next = undefined;
    entry.prev = this.last;
    if (this.last) this.last.next = entry;
    else this.first = entry;
    this.last = entry;
    // An armed timer fires no later than this entry is due (every earlier entry was due first).
    if (this.timer === undefined) this.arm(entry.due);
    else if (this.first === entry) this.timer.ref();
  }

  remove(entry: Deadline): void {
    if (!entry.listed) return;
    entry.listed = false;
    const { prev, next } = entry;
    if (prev) prev.next = next;
    else this.first = next;
    if (next) next.prev = prev;
    else this.last = prev;
    entry.prev = undefined;
    entry.next = undefined;
    // Nothing pending: the timer (armed for a due time that is gone) may fire, and does nothing;
    // it no longer keeps the process alive.
    if (this.first === undefined) this.timer?.unref();
  }

  /** The entries pending now, oldest first: a copy, so that the caller may remove them. */
  pending(): D[] {
    const entries: D[] = [];
    // Only `add` puts entries in the list, all of type D.
    for (let entry = this.first; entry !== undefined; entry = entry.next) entries.push(entry as D);
    return entries;
  }

  private arm(due: number): void {
    this.armedFor = due;
    const delay = Math.min(this.delayMs, Math.max(0, Math.ceil(due - performance.now())));
    this.timer = setTimeout(this.fire, delay);
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    // The timer firing is proof that its due time came, whatever a faked clock says.
    const now = Math.max(performance.now(), this.armedFor);
    let entry = this.first;
    while (entry !== undefined && entry.due <= now) {
      this.remove(entry);
      entry.expire();
      entry = this.first;
    }
    if (this.first !== undefined && this.timer === undefined) this.arm(this.first.due);
  };

  /** Stops the timer (nothing of it outlives the mailer's `close()`). */
  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
