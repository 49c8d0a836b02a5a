// Public API of @mailpath/conformance. Explicit named re-exports only.
export {
  type CaseGroup,
  type CaseId,
  CONFORMANCE_CASE_IDS,
  CONFORMANCE_CASES,
  type ConformanceCase,
} from "./cases.js";
export {
  type ConformanceHarness,
  SCENARIO_IDS,
  type ScenarioId,
  type ScenarioSetup,
} from "./harness.js";
