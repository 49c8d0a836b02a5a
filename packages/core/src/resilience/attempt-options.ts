import type { PathFailure, TransportSendOptions } from "../contract/transport.js";

/**
 * What code that only listens for an abort reads of an `AbortSignal`: whether and why it was
 * aborted, and `abort` listeners added and removed. nodemailer's pool, for one, needs no more.
 * @since 0.1.0
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(
    type: "abort",
    listener: AbortListener,
    options?: boolean | { readonly once?: boolean },
  ): void;
  removeEventListener(type: "abort", listener: AbortListener): void;
}

/**
 * An `abort` listener: a function, or an object with `handleEvent`, as for an `EventTarget`.
 * @since 0.1.0
 */
export type AbortListener = ((event: Event) => void) | { handleEvent(event: Event): void };

/**
 * The abort of one attempt, to listen to, without making the attempt's `AbortSignal`: for an
 * attempt the mailer runs, a light object of its own; for any other options (a route's path
 * attempt, a direct call), `options.signal` itself. An `AbortController` costs about 5 µs of
 * CPU to make on Node 20 and as much again to listen to, on every send. Hand this to code that
 * only reads `aborted` and `reason` and adds or removes `abort` listeners; hand
 * `options.signal` to anything that needs a real `AbortSignal` (`fetch`, `AbortSignal.any`).
 *
 * @example
 * const abort = attemptAbortSignal(options);
 * if (abort.aborted) throw abortedError(abort.reason);
 * abort.addEventListener("abort", stop, { once: true });
 * @param options - the options the transport's `send` was called with.
 * @returns an object that reports the attempt's abort as its signal would.
 * @since 0.1.0
 */
export function attemptAbortSignal(options: TransportSendOptions): AbortSignalLike {
  return options instanceof AttemptOptions ? AttemptOptions.abortSignalOf(options) : options.signal;
}

/**
 * The light signal of one attempt: listeners in a field (most attempts have one) or a list.
 * Like an `AbortSignal`, it dispatches once, to the listeners added before the abort, each
 * once; a listener's exception is thrown on the next tick, as an `EventTarget` reports it.
 */
class AttemptSignal implements AbortSignalLike {
  #abortedWith: { reason: unknown } | undefined;
  #listener: AbortListener | undefined;
  #more: AbortListener[] | undefined;

  get aborted(): boolean {
    return this.#abortedWith !== undefined;
  }

  get reason(): unknown {
    return this.#abortedWith?.reason;
  }

  addEventListener(type: string, listener: AbortListener | null): void {
    if (type !== "abort" || !listener || this.#abortedWith) return;
    if (this.#listener === undefined) {
      this.#listener = listener;
      return;
    }
    if (this.#listener === listener || this.#more?.includes(listener)) return;
    if (this.#more) this.#more.push(listener);
    else this.#more = [listener];
  }

  removeEventListener(type: string, listener: AbortListener | null): void {
    if (type !== "abort" || !listener) return;
    if (this.#listener === listener) this.#listener = this.#more?.shift();
    else if (this.#more) {
      const index = this.#more.indexOf(listener);
      if (index !== -1) this.#more.splice(index, 1);
    }
  }

  /** Marks it aborted and calls the listeners added until now (AttemptOptions calls it once). */
  abort(reason: unknown): void {
    this.#abortedWith = { reason };
    const first = this.#listener;
    const more = this.#more;
    this.#listener = undefined;
    this.#more = undefined;
    if (first === undefined) return;
    const event = new Event("abort");
    for (const listener of more ? [first, ...more] : [first]) {
      try {
        if (typeof listener === "function") listener.call(this, event);
        else listener.handleEvent(event);
      } catch (error) {
        process.nextTick(() => {
          throw error;
        });
      }
    }
  }
}

/**
 * The options one attempt hands its transport. `signal` is an own, enumerable property (a
 * transport that spreads the options keeps it), made when the transport first reads it: a
 * transport that never looks at it costs no AbortController (see `attemptAbortSignal`). It is
 * defined with one shared accessor: a getter written in an object literal is a new closure per
 * attempt, and V8 gives every such object a map of its own, in old space, which kept each
 * attempt's objects alive until the next full GC (the pipeline spent most of its time in the
 * garbage collector).
 */
export class AttemptOptions implements TransportSendOptions {
  declare readonly signal: AbortSignal;
  readonly retryAmbiguous: boolean;
  readonly onPathFailure: (failure: PathFailure) => void;
  declare readonly timeoutMs?: number;
  #controller: AbortController | undefined;
  #light: AttemptSignal | undefined;
  #abortedWith: { reason: unknown } | undefined;
  static readonly #signal: PropertyDescriptor = {
    enumerable: true,
    get(this: AttemptOptions): AbortSignal {
      if (!this.#controller) {
        this.#controller = new AbortController();
        if (this.#abortedWith) this.#controller.abort(this.#abortedWith.reason);
      }
      return this.#controller.signal;
    },
  };

  constructor(
    retryAmbiguous: boolean,
    onPathFailure: (failure: PathFailure) => void,
    timeoutMs: number | undefined,
  ) {
    Object.defineProperty(this, "signal", AttemptOptions.#signal);
    this.retryAmbiguous = retryAmbiguous;
    this.onPathFailure = onPathFailure;
    // Routing transports only: a plain transport sees no `timeoutMs`, as before.
    if (timeoutMs !== undefined) (this as { timeoutMs?: number }).timeoutMs = timeoutMs;
  }

  /** The attempt's light signal (see `attemptAbortSignal`), made on the first call. */
  static abortSignalOf(options: AttemptOptions): AbortSignalLike {
    if (!options.#light) {
      options.#light = new AttemptSignal();
      if (options.#abortedWith) options.#light.abort(options.#abortedWith.reason);
    }
    return options.#light;
  }

  /** Aborts the attempt: its signals now, or as made if the transport reads one later. */
  abort(reason: unknown): void {
    if (this.#abortedWith) return;
    this.#abortedWith = { reason };
    this.#controller?.abort(reason);
    this.#light?.abort(reason);
  }
}
