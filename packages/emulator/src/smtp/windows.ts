// Rolling windows and session slots for per-mailbox (and per-IP) limits. Time comes from the
// emulator's clock, so tests roll a window forward by moving an injected `now`, not by sleeping.

/** Counts events per key over a rolling window. */
export class RollingCounter {
  readonly #events = new Map<string, { at: number; amount: number }[]>();

  /** Sum of the amounts recorded for `key` in the `windowMs` before `now`. */
  count(key: string, now: number, windowMs: number): number {
    const events = this.#events.get(key);
    if (!events) return 0;
    const live = events.filter((event) => event.at > now - windowMs);
    if (live.length !== events.length) this.#events.set(key, live);
    return live.reduce((sum, event) => sum + event.amount, 0);
  }

  /**
   * The earliest time at or after `now` when one more event fits `limit` per `windowMs`,
   * counting events already scheduled later (rate excess carried over to following windows).
   */
  nextSlot(key: string, now: number, windowMs: number, limit: number): number {
    const times = (this.#events.get(key) ?? [])
      .filter((event) => event.at > now - windowMs)
      .flatMap((event) => Array.from({ length: event.amount }, () => event.at))
      .sort((a, b) => a - b);
    if (times.length < limit) return now;
    return Math.max(now, (times[times.length - limit] ?? now) + windowMs);
  }

  record(key: string, now: number, amount = 1): void {
    const events = this.#events.get(key) ?? [];
    events.push({ at: now, amount });
    this.#events.set(key, events);
  }

  clear(): void {
    this.#events.clear();
  }
}

/** Authenticated sessions per mailbox, in the order they authenticated. */
export class SessionSlots {
  readonly #sessions = new Map<string, string[]>();

  /** Adds a session; returns how many sessions the key now has. */
  open(key: string, sessionId: string): number {
    const sessions = this.#sessions.get(key) ?? [];
    if (!sessions.includes(sessionId)) sessions.push(sessionId);
    this.#sessions.set(key, sessions);
    return sessions.length;
  }

  /** 0-based position of the session among the key's open sessions (-1 when unknown). */
  position(key: string, sessionId: string): number {
    return this.#sessions.get(key)?.indexOf(sessionId) ?? -1;
  }

  close(key: string, sessionId: string): void {
    const sessions = this.#sessions.get(key)?.filter((id) => id !== sessionId) ?? [];
    if (sessions.length) this.#sessions.set(key, sessions);
    else this.#sessions.delete(key);
  }

  clear(): void {
    this.#sessions.clear();
  }
}
