// Public API of @mailpath/outbox. Explicit named re-exports only.
export type { OutboxEvent, OutboxEvents } from "./events.js";
export type {
  OutboxConnection,
  OutboxOptions,
  OutboxQueueOptions,
  OutboxRetryOptions,
  StartWorkerOptions,
} from "./options.js";
export {
  createOutbox,
  type EnqueueOptions,
  type EnqueueResult,
  type Outbox,
  type OutboxState,
  type OutboxStatus,
  type SentRecord,
} from "./outbox.js";
