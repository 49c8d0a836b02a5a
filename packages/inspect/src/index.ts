// Public API of @mailpath/inspect. Explicit named re-exports only.
export {
  type CheckDomainOptions,
  type CheckStatus,
  checkDomain,
  type DnsCheck,
  type DomainReport,
} from "./dns/check-domain.js";
export { createDnsResolver, type DnsOptions } from "./dns/resolver.js";
export { checkGraph, type GraphProbeOptions } from "./doctor/graph-check.js";
export {
  checkRelay,
  checkSmtp,
  type ProbeOptions,
  type RelayProbeOptions,
  type SmtpProbeOptions,
} from "./doctor/smtp-checks.js";
export type {
  DoctorProgress,
  DoctorStep,
  PathReport,
  StepStatus,
} from "./doctor/steps.js";
export { AADSTS_FIXES, type TokenSource } from "./doctor/token.js";
export {
  type AnalyzeHeadersOptions,
  type ArcResult,
  type AuthenticationSummary,
  analyzeHeaders,
  type CompauthResult,
  type DkimResult,
  type DmarcResult,
  type Finding,
  type HeaderAnalysis,
  type Hop,
  type MethodResult,
  type Severity,
  type SpamSummary,
  type SpfResult,
} from "./headers/analyze-headers.js";
export { parseAntispamFields } from "./headers/eop.js";
