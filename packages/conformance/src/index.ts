// Public API of @mailpath/conformance. Explicit named re-exports only.
export {
  type CaseGroup,
  type CaseId,
  CONFORMANCE_CASE_IDS,
  CONFORMANCE_CASES,
  type ConformanceCase,
} from "./cases.js";
export {
  type ConformanceOptions,
  describeTransportConformance,
} from "./describe-transport-conformance.js";
export {
  type ConformanceHarness,
  SCENARIO_IDS,
  type ScenarioId,
  type ScenarioSetup,
} from "./harness.js";
export {
  type AssertParityOptions,
  assertParity,
  type CompareOptions,
  compareDelivered,
  DEFAULT_IGNORED_HEADERS,
  type FieldName,
  normalizeHtml,
  normalizeText,
  PARITY_FIELDS,
  type ParityDifference,
} from "./parity.js";
