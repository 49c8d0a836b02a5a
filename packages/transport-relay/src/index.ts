// Public API of @mailpath/transport-relay. Explicit named re-exports only.
export {
  RELAY_DEFAULT_LIMITS,
  type RelayDirectSendOptions,
  type RelayLogger,
  type RelayPoolOptions,
  type RelayTlsOptions,
  type RelayTransportOptions,
} from "./options.js";
export { createRelayTransport, type RelayTransport } from "./relay-transport.js";
