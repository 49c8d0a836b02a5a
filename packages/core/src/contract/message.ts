import type { Readable } from "node:stream";

/**
 * A mail address as users write it: `"ada@contoso.com"`, `"Ada Lovelace <ada@contoso.com>"`,
 * `'"Lovelace, Ada" <ada@contoso.com>'`, or an object.
 * @since 0.1.0
 */
export type AddressInput = string | { readonly address: string; readonly name?: string };

/**
 * One or many addresses.
 * @since 0.1.0
 */
export type AddressListInput = AddressInput | readonly AddressInput[];

/**
 * A parsed address: `address` is `local@domain`, `name` the display name if any.
 * @since 0.1.0
 */
export interface Address {
  readonly address: string;
  readonly name?: string;
}

/**
 * Where an attachment's bytes come from. A `Readable` is read once (see `Attachment`).
 * @since 0.1.0
 */
export type AttachmentContent = Uint8Array | string | Readable | { readonly path: string };

/**
 * A file attached to a message, or an inline image when `contentId` is set
 * (referenced from the HTML body as `cid:<contentId>`).
 *
 * A `Readable` is consumed by the first attempt: if that attempt fails after the stream was
 * read, the mailer does not retry (it cannot replay the bytes). Use `{ path }` or bytes when
 * retries matter.
 * @since 0.1.0
 */
export interface Attachment {
  /** File name shown to the recipient. Required unless `contentId` is set. */
  readonly filename?: string;
  readonly content: AttachmentContent;
  /** MIME type. @default derived from `filename`, else `application/octet-stream` */
  readonly contentType?: string;
  /** Content-ID for inline parts, without angle brackets. Marks the attachment inline. */
  readonly contentId?: string;
  /** How a `string` content is encoded. @default "utf8" */
  readonly encoding?: "utf8" | "base64";
}

/**
 * Message importance, mapped to `Importance`/`X-Priority` on SMTP and `importance` on Graph.
 * @since 0.1.0
 */
export type Importance = "low" | "normal" | "high";

/**
 * The message an application hands to `mailer.send()`.
 * @since 0.1.0
 */
export interface MailMessage {
  /** @default the mailer's `from` */
  readonly from?: AddressInput;
  readonly to?: AddressListInput;
  readonly cc?: AddressListInput;
  readonly bcc?: AddressListInput;
  readonly replyTo?: AddressListInput;
  readonly subject: string;
  readonly text?: string;
  readonly html?: string;
  readonly attachments?: readonly Attachment[];
  /** Extra header fields. Names and values may not contain CR or LF. */
  readonly headers?: Readonly<Record<string, string>>;
  /** @default "normal" */
  readonly importance?: Importance;
  /** `<id@domain>`; generated once per `send()` when absent and the same on every retry. */
  readonly messageId?: string;
  readonly inReplyTo?: string;
  readonly references?: readonly string[];
}

/**
 * An attachment after validation: a content type and inline flag are always set.
 * @since 0.1.0
 */
export interface NormalizedAttachment {
  readonly filename?: string;
  readonly content: AttachmentContent;
  readonly contentType: string;
  readonly contentId?: string;
  readonly inline: boolean;
  readonly encoding?: "utf8" | "base64";
}

/**
 * A validated message as transports receive it: addresses parsed, defaults applied,
 * `messageId` set. Transports never see a `MailMessage`.
 * @since 0.1.0
 */
export interface NormalizedMessage {
  /** `<random@sender-domain>`, stable across retries of one `send()`. */
  readonly messageId: string;
  readonly from: Address;
  readonly to: readonly Address[];
  readonly cc: readonly Address[];
  readonly bcc: readonly Address[];
  readonly replyTo: readonly Address[];
  readonly subject: string;
  readonly text?: string;
  readonly html?: string;
  readonly attachments: readonly NormalizedAttachment[];
  readonly headers: Readonly<Record<string, string>>;
  readonly importance: Importance;
  readonly inReplyTo?: string;
  readonly references: readonly string[];
  /** Every envelope recipient (to, cc, bcc), lower-cased duplicates removed, in order. */
  readonly recipients: readonly string[];
}
