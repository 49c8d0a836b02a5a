import type { MailMessage, Transport } from "@mailpath/core";
import type { DeliveredMessage } from "@mailpath/core/testing";

/**
 * Situations a backend must be able to produce for the error, lifecycle and resilience cases.
 * Against the emulator they are tenant policies and fault injection; against the memory
 * transport, scripted failures.
 *
 * - `wrongCredentials`: the transport's credentials are refused (`535 5.7.3`, `AADSTS7000215`).
 * - `authDisabled`: the tenant or mailbox turned the auth method off (`535 5.7.139`).
 * - `sendAsDenied`: From is a mailbox the identity may not send as (`SendAsDenied`).
 * - `tooLarge`: the message (usually `message` adds a big attachment) exceeds the limit.
 * - `throttled`: the backend throttles the next send (`432 4.3.2`, Graph `429` + `Retry-After`).
 * - `connectionRefused`: nothing listens where the transport connects.
 * - `verifyFails`: `verify()` must fail (e.g. wrong credentials).
 * - `transientFault`: the next attempt fails retryably (`451 4.3.2`, `503`), the one after succeeds.
 * - `outage`: every attempt fails with a path failure (connection, 5xx, timeout).
 * @since 0.1.0
 */
export const SCENARIO_IDS = [
  "wrongCredentials",
  "authDisabled",
  "sendAsDenied",
  "tooLarge",
  "throttled",
  "connectionRefused",
  "verifyFails",
  "transientFault",
  "outage",
] as const;

/**
 * @see SCENARIO_IDS
 * @since 0.1.0
 */
export type ScenarioId = (typeof SCENARIO_IDS)[number];

/**
 * What a scenario hands the suite: a transport set up to meet the situation, optional changes
 * to the base message (a From the identity may not use, a big attachment), and a cleanup that
 * restores the backend (called after the case, pass or fail).
 * @since 0.1.0
 */
export interface ScenarioSetup {
  readonly transport: Transport;
  /** Merged over the suite's base message (sender → first recipient, a short text). */
  readonly message?: Partial<MailMessage>;
  cleanup?(): Promise<void> | void;
}

/**
 * Connects the conformance suite to a transport and a backend that reports deliveries and
 * injects faults (the emulator, the memory transport, a sandbox of your own).
 * @since 0.1.0
 */
export interface ConformanceHarness {
  /** Runs once before the suite (start the backend). */
  setup?(): Promise<void> | void;
  /** Runs once after the suite (stop the backend). */
  teardown?(): Promise<void> | void;
  /** A fresh transport pointed at the backend; the suite closes it after each case. */
  createTransport(): Transport | Promise<Transport>;
  /** The From address the transport may send as. */
  readonly sender: string;
  /** At least 10 addresses the backend accepts. */
  readonly recipients: readonly string[];
  /** An address the backend refuses at RCPT/recipient validation, with the base transport. */
  readonly rejectedRecipient: string;
  /** Every message delivered since the last `reset()`, oldest first. */
  messages(): Promise<readonly DeliveredMessage[]> | readonly DeliveredMessage[];
  /** Resolves once at least `count` messages were delivered since the last `reset()`. */
  waitForMessages(
    count: number,
    options: { readonly timeoutMs: number },
  ): Promise<readonly DeliveredMessage[]>;
  /** Forgets delivered messages and injected faults. Called before every case. */
  reset(): Promise<void> | void;
  /** How to produce each situation; a missing one must be opted out with a reason. */
  readonly scenarios: Partial<Record<ScenarioId, () => Promise<ScenarioSetup>>>;
}
