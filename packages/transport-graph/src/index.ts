// Public API of @mailpath/transport-graph. Explicit named re-exports only.
export { LARGE_ATTACHMENT_BYTES, MAX_REQUEST_BYTES, UPLOAD_CHUNK_BYTES } from "./attachments.js";
export { chooseMode, mimeOnlyFeatures } from "./json-message.js";
export {
  GRAPH_DEFAULT_LIMITS,
  type GraphClientCertificate,
  type GraphSendMode,
  type GraphTransportOptions,
} from "./options.js";
export { createGraphTransport, type GraphTransport } from "./transport.js";
