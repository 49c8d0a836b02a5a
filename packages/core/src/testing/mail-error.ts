// The MailError a call must fail with, for tests that go on to assert its code, reply and hint:
// a call that succeeds, or fails with anything else, fails the test instead.
import { MailError } from "../errors/mail-error.js";

function asMailError(thrown: unknown): MailError {
  if (MailError.isInstance(thrown)) return thrown;
  throw thrown;
}

/**
 * Runs `run` and returns the {@link MailError} it throws.
 * @param run a call expected to throw synchronously (a factory refusing its options, say)
 * @returns the MailError thrown
 * @throws what `run` threw when it is not a MailError, or an Error when `run` returned
 * @since 0.1.0
 */
export function thrownMailError(run: () => unknown): MailError {
  try {
    run();
  } catch (thrown) {
    return asMailError(thrown);
  }
  throw new Error("expected a MailError, but the call returned");
}

/**
 * Waits for `promise` and returns the {@link MailError} it rejects with.
 * @param promise a promise expected to reject (a send, a token request)
 * @returns the MailError it rejected with
 * @throws the rejection reason when it is not a MailError, or an Error when `promise` resolved
 * @since 0.1.0
 */
export async function rejectedMailError(promise: Promise<unknown>): Promise<MailError> {
  return promise.then(() => {
    throw new Error("expected a MailError, but the promise resolved");
  }, asMailError);
}
