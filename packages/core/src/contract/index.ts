export type { Logger, LogLevel } from "./logger.js";
export type {
  Address,
  AddressInput,
  AddressListInput,
  Attachment,
  AttachmentContent,
  Importance,
  MailMessage,
  NormalizedAttachment,
  NormalizedMessage,
} from "./message.js";
export type {
  GetTokenOptions,
  PathEvent,
  PathFailure,
  TokenProvider,
  Transport,
  TransportLimits,
  TransportReceipt,
  TransportRouter,
  TransportSendOptions,
} from "./transport.js";
