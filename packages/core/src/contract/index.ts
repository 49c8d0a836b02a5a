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
  TokenProvider,
  Transport,
  TransportLimits,
  TransportReceipt,
  TransportSendOptions,
} from "./transport.js";
