// Public API of @mailpath/emulator. Explicit named re-exports only.
export type { EmulatorTlsInput } from "./certs.js";
export { closedPort } from "./closed-port.js";
export { type ConnectProxy, type ConnectRecord, startConnectProxy } from "./connect-proxy.js";
export type {
  AccessTokenClaims,
  DeliveryInput,
  EmulatorContext,
  EmulatorStats,
  EmulatorTls,
  EndpointName,
  FaultRegistry,
  FaultSpec,
  FaultStage,
  MailStore,
  TokenVerifier,
} from "./context.js";
export {
  type Emulator,
  type IssueAccessTokenOptions,
  type MessageFilter,
  type StartEmulatorOptions,
  startEmulator,
} from "./emulator.js";
export {
  type EmulatorHarness,
  type EmulatorHarnessOptions,
  type EmulatorScenario,
  type EmulatorScenarioName,
  type EmulatorScenarioSetup,
  emulatorHarness,
} from "./harness.js";
export {
  RELAY_HOSTNAME,
  type SmtpReply,
  SUBMISSION_HOSTNAME,
} from "./smtp/index.js";
export type { SenderDomainDns } from "./stamp/exchange-stamp.js";
export {
  type EmulatorCredentials,
  emulatorCredentials,
  type SuiteHooks,
  useEmulator,
} from "./suite.js";
export {
  type AppPermission,
  type AppRegistration,
  type ConnectorPolicy,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_PASSWORD,
  DEFAULT_SENDER,
  DEFAULT_TENANT_ID,
  defaultTenant,
  type MailboxPolicy,
  mergeTenant,
  type TenantLimits,
  type TenantPolicy,
  type TenantPolicyInput,
} from "./tenant.js";
export type { SandboxHeaderAnalysis, SandboxHeaderAnalyzer } from "./web/model.js";
export type { WebInboxOptions } from "./web/server.js";
