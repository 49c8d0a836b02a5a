// Graph JSON resources the endpoint tests post, written once.

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
