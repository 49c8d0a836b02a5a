import type { Address, Importance } from "../contract/message.js";

/**
 * One attachment as it arrived.
 * @since 0.1.0
 */
export interface DeliveredAttachment {
  readonly filename?: string;
  readonly contentType: string;
  /** Decoded size in bytes. */
  readonly size: number;
  /** Hex SHA-256 of the decoded bytes. */
  readonly sha256: string;
  /** Without angle brackets. */
  readonly contentId?: string;
  readonly inline: boolean;
}

/**
 * Which path delivered a message.
 * @since 0.1.0
 */
export type DeliveryPath = "smtp" | "relay" | "graph" | "memory" | (string & {});

/**
 * A message as a backend (the emulator, the memory transport) received it. Comparable field by
 * field across paths with the conformance parity helper.
 * @since 0.1.0
 */
export interface DeliveredMessage {
  /** Backend's own id for this delivery. */
  readonly id: string;
  readonly path: DeliveryPath;
  /** SMTP envelope (MAIL FROM / RCPT TO), or its Graph equivalent: every recipient incl. bcc. */
  readonly envelope: { readonly from: string; readonly to: readonly string[] };
  /** Raw MIME as received or as rendered (Graph JSON is rendered like Exchange would). */
  readonly raw?: string;
  /** Header fields, names lower-cased; repeated fields joined by an array. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  /** Message-ID with angle brackets. */
  readonly messageId?: string;
  readonly subject?: string;
  readonly from?: Address;
  readonly to: readonly Address[];
  readonly cc: readonly Address[];
  /** Bcc recipients are known from the envelope, never from headers. */
  readonly bcc: readonly Address[];
  readonly replyTo: readonly Address[];
  readonly text?: string;
  readonly html?: string;
  readonly importance?: Importance;
  readonly attachments: readonly DeliveredAttachment[];
  /** The authenticated identity (mailbox, app, connector) that submitted it, if known. */
  readonly submittedBy?: string;
  /** Whether a copy was saved to the sender's Sent Items. */
  readonly savedToSentItems?: boolean;
  readonly receivedAt: Date;
}
