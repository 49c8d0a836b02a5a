// Public API of @mailpath/core/testing.
export type {
  DeliveredAttachment,
  DeliveredMessage,
  DeliveryPath,
} from "./delivered-message.js";
export { rejectedMailError, thrownMailError } from "./mail-error.js";
export {
  createMemoryStore,
  type MemoryStore,
  type WaitForMessagesOptions,
} from "./memory-store.js";
export {
  createMemoryTransport,
  type MemoryFailure,
  type MemoryTransport,
  type MemoryTransportOptions,
} from "./memory-transport.js";
