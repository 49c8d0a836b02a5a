import type { ScenarioId } from "./harness.js";

/**
 * The group a case belongs to (the nested `describe` it runs in).
 * @since 0.1.0
 */
export type CaseGroup = "delivery" | "errors" | "lifecycle" | "resilience";

/**
 * One conformance case: its id (used in `options.skip`), what it checks and what it needs.
 * @since 0.1.0
 */
export interface ConformanceCase {
  readonly id: string;
  readonly group: CaseGroup;
  /** The test title. */
  readonly title: string;
  /** Scenarios the case needs from the harness (none: the base transport suffices). */
  readonly scenarios: readonly ScenarioId[];
}

/**
 * Every case of the suite, in the order it runs. The ids are stable: opt out of one with
 * `describeTransportConformance(name, harness, { skip: { "errors.auth-disabled": "why" } })`.
 * @since 0.1.0
 */
export const CONFORMANCE_CASES = [
  // delivery: sent through `transport.send()` with a message from `normalizeMessage()`.
  {
    id: "delivery.text",
    group: "delivery",
    title: "delivers a plain-text message with its subject, sender and recipient",
    scenarios: [],
  },
  {
    id: "delivery.html",
    group: "delivery",
    title: "delivers an HTML body together with its text alternative",
    scenarios: [],
  },
  {
    id: "delivery.non-ascii",
    group: "delivery",
    title: "keeps a non-ASCII subject, display names and body intact",
    scenarios: [],
  },
  {
    id: "delivery.to-cc-bcc",
    group: "delivery",
    title: "delivers to, cc and bcc, with bcc only in the envelope and never in the headers",
    scenarios: [],
  },
  { id: "delivery.reply-to", group: "delivery", title: "sets Reply-To", scenarios: [] },
  {
    id: "delivery.x-headers",
    group: "delivery",
    title: "carries custom X- headers",
    scenarios: [],
  },
  {
    id: "delivery.importance",
    group: "delivery",
    title: "marks a high-importance message as high importance",
    scenarios: [],
  },
  {
    id: "delivery.binary-attachment",
    group: "delivery",
    title: "delivers a binary attachment byte for byte (same size and SHA-256)",
    scenarios: [],
  },
  {
    id: "delivery.inline-image",
    group: "delivery",
    title: "delivers an inline image referenced from the HTML by cid:",
    scenarios: [],
  },
  {
    id: "delivery.ten-recipients",
    group: "delivery",
    title: "delivers one message to 10 recipients",
    scenarios: [],
  },
  {
    id: "delivery.message-id",
    group: "delivery",
    title: "delivers the Message-ID that SendResult.messageId reports",
    scenarios: [],
  },
  // errors: every rejection is a MailError with the same code on every path.
  {
    id: "errors.wrong-credentials",
    group: "errors",
    title: "rejects wrong credentials with AUTH_FAILED, not retryable",
    scenarios: ["wrongCredentials"],
  },
  {
    id: "errors.auth-disabled",
    group: "errors",
    title: "rejects with AUTH_DISABLED when the auth method is turned off",
    scenarios: ["authDisabled"],
  },
  {
    id: "errors.send-as-denied",
    group: "errors",
    title: "rejects a From the identity may not use with SEND_AS_DENIED",
    scenarios: ["sendAsDenied"],
  },
  {
    id: "errors.recipient-rejected",
    group: "errors",
    title: "rejects a message whose only recipient is refused with RECIPIENT_REJECTED",
    scenarios: [],
  },
  {
    id: "errors.partial-rejection",
    group: "errors",
    title: "reports a refused recipient among accepted ones in rejected, without throwing",
    scenarios: [],
  },
  {
    id: "errors.too-large",
    group: "errors",
    title: "rejects a message over the size limit with MESSAGE_TOO_LARGE",
    scenarios: ["tooLarge"],
  },
  {
    id: "errors.throttled",
    group: "errors",
    title: "rejects a throttled send with THROTTLED, retryable, with retryAfterMs",
    scenarios: ["throttled"],
  },
  {
    id: "errors.connection-refused",
    group: "errors",
    title: "rejects with CONNECTION_FAILED when the server cannot be reached",
    scenarios: ["connectionRefused"],
  },
  {
    id: "errors.only-mail-errors",
    group: "errors",
    title: "rejects with nothing but MailErrors in every failure the harness can produce",
    scenarios: [],
  },
  // lifecycle
  {
    id: "lifecycle.verify",
    group: "lifecycle",
    title: "verify() resolves against a healthy backend",
    scenarios: [],
  },
  {
    id: "lifecycle.verify-fails",
    group: "lifecycle",
    title: "verify() rejects with a MailError when the backend refuses",
    scenarios: ["verifyFails"],
  },
  {
    id: "lifecycle.close-twice",
    group: "lifecycle",
    title: "close() can be called twice",
    scenarios: [],
  },
  {
    id: "lifecycle.abort-before",
    group: "lifecycle",
    title: "rejects with ABORTED and delivers nothing when the signal is already aborted",
    scenarios: [],
  },
  {
    id: "lifecycle.abort-during",
    group: "lifecycle",
    title: "rejects with ABORTED when the signal aborts while the send is in flight",
    scenarios: [],
  },
  {
    id: "lifecycle.concurrent-sends",
    group: "lifecycle",
    title: "delivers 20 concurrent sends exactly once each",
    scenarios: [],
  },
  // resilience: through `createMailer`.
  {
    id: "resilience.transient-fault",
    group: "resilience",
    title: "retries a transient fault and delivers once on the second attempt",
    scenarios: ["transientFault"],
  },
  {
    id: "resilience.outage-opens-breaker",
    group: "resilience",
    title: "opens the circuit breaker in an outage and then fails fast with CIRCUIT_OPEN",
    scenarios: ["outage"],
  },
] as const satisfies readonly ConformanceCase[];

/**
 * The id of a conformance case. @see CONFORMANCE_CASES
 * @since 0.1.0
 */
export type CaseId = (typeof CONFORMANCE_CASES)[number]["id"];

/**
 * Every case id, in run order.
 * @since 0.1.0
 */
export const CONFORMANCE_CASE_IDS: readonly CaseId[] = CONFORMANCE_CASES.map((entry) => entry.id);
