// Public API of @mailpath/core/testing.
export type {
  DeliveredAttachment,
  DeliveredMessage,
  DeliveryPath,
} from "./delivered-message.js";
