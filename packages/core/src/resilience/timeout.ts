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
