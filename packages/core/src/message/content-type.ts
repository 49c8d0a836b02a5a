// A short table of the types notification mail attaches; anything else is
// application/octet-stream, which every path accepts.
const TYPES: Record<string, string> = {
  pdf: "application/pdf",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  svg: "image/svg+xml",
  webp: "image/webp",
  txt: "text/plain",
  csv: "text/csv",
  html: "text/html",
  htm: "text/html",
  ics: "text/calendar",
  json: "application/json",
  xml: "application/xml",
  zip: "application/zip",
  gz: "application/gzip",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  eml: "message/rfc822",
};

/**
 * The MIME type for a file name, `application/octet-stream` when unknown.
 * @param filename the attachment's file name
 * @returns the MIME type its extension maps to
 * @since 0.1.0
 */
export function contentTypeFor(filename: string | undefined): string {
  const extension = filename?.split(".").pop()?.toLowerCase();
  // Own entries only: "x.constructor" must not pick up Object.prototype's.
  return (
    (extension && Object.hasOwn(TYPES, extension) && TYPES[extension]) || "application/octet-stream"
  );
}
