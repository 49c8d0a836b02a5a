// Public API of @mailpath/inspect. Explicit named re-exports only.
export {
  type CheckDomainOptions,
  type CheckStatus,
  checkDomain,
  type DnsCheck,
  type DomainReport,
} from "./dns/check-domain.js";
export { createDnsResolver, type DnsOptions } from "./dns/resolver.js";
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
