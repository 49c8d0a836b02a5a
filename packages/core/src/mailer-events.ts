import type { MailerEvent } from "./mailer.js";

/**
 * Every event a mailer emits, in the order of a send's life: for subscribing to all of them
 * (logging, metrics) without copying the list.
 * @example
 * for (const event of MAILER_EVENTS) mailer.on(event, (payload) => log(event, payload));
 * @since 0.1.0
 */
export const MAILER_EVENTS = [
  "attempt",
  "retry",
  "throttled",
  "sent",
  "failed",
  "breaker:open",
  "breaker:halfOpen",
  "breaker:close",
] as const satisfies readonly MailerEvent[];

// Fails to compile when MailerEvents gains an event this list lacks.
const complete: Record<Exclude<MailerEvent, (typeof MAILER_EVENTS)[number]>, never> = {};
void complete;
