// Graph JSON resources and MIME bodies the endpoint tests post, written once.
import MailComposer from "nodemailer/lib/mail-composer";

/**
 * A Graph `fileAttachment`: its name, the bytes base64-encoded, and any other fields
 * (`contentType`, `isInline`, `contentId`).
 */
export function fileAttachment(
  name: string,
  bytes: Buffer,
  fields: { contentType?: string; isInline?: boolean; contentId?: string } = {},
): Record<string, unknown> {
  return {
    "@odata.type": "#microsoft.graph.fileAttachment",
    name,
    contentBytes: bytes.toString("base64"),
    ...fields,
  };
}

/** Builds a MIME message with nodemailer, keeping its Bcc header (Graph's MIME path reads it). */
export async function mime(
  options: ConstructorParameters<typeof MailComposer>[0],
): Promise<Buffer> {
  const node = new MailComposer(options).compile();
  node.keepBcc = true;
  return node.build();
}

/** The request options that post MIME as Graph takes it: base64 in a text/plain body. */
export function mimeBody(raw: Buffer): { body: string; contentType: string } {
  return { body: raw.toString("base64"), contentType: "text/plain" };
}
