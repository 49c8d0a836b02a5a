// MIME messages the Graph endpoint tests post (sendMail and drafts take base64 MIME), and
// what their delivery must show, written once.
import type { DeliveredMessage } from "@mailpath/core/testing";
import MailComposer from "nodemailer/lib/mail-composer";
import { expect } from "vitest";
import { DEFAULT_SENDER } from "../../tenant.js";

/**
 * Builds a MIME message with nodemailer, keeping its Bcc header (Graph's MIME path reads it):
 * from the default sender to ada@contoso.com, subject and text "x", unless `fields` say otherwise.
 */
export async function mime(fields: ConstructorParameters<typeof MailComposer>[0]): Promise<Buffer> {
  const node = new MailComposer({
    from: DEFAULT_SENDER,
    to: "ada@contoso.com",
    subject: "x",
    text: "x",
    ...fields,
  }).compile();
  node.keepBcc = true;
  return node.build();
}

/** The request options that post MIME as Graph takes it: base64 in a text/plain body. */
export function mimeBody(raw: Buffer): { body: string; contentType: string } {
  return { body: raw.toString("base64"), contentType: "text/plain" };
}

/** A MIME message's fields with both bodies, a Bcc recipient and a List-Unsubscribe header. */
export const BOTH_BODIES = {
  bcc: "alan@contoso.com",
  text: "plain body",
  html: "<p>html body</p>",
  headers: { "List-Unsubscribe": "<mailto:unsubscribe@contoso.com>" },
} as const;

/**
 * Asserts that a {@link BOTH_BODIES} message sent through Graph was delivered as sent: its
 * Message-ID, both bodies and its List-Unsubscribe header kept, the Bcc recipient in the
 * envelope only.
 * @param message the delivered message
 * @param messageId the Message-ID it was sent with
 */
export function expectBothBodiesDelivered(
  message: DeliveredMessage | undefined,
  messageId: string,
): void {
  expect(message).toMatchObject({
    path: "graph",
    messageId,
    text: BOTH_BODIES.text,
    html: BOTH_BODIES.html,
    bcc: [{ address: BOTH_BODIES.bcc }],
    envelope: { from: DEFAULT_SENDER, to: ["ada@contoso.com", BOTH_BODIES.bcc] },
    savedToSentItems: true,
  });
  expect(message?.headers["list-unsubscribe"]).toBe(BOTH_BODIES.headers["List-Unsubscribe"]);
  expect(message?.headers.bcc).toBeUndefined();
}
