// Run by registration.test.ts in a nested vitest: a harness that lacks two scenarios, opts out
// of one of them with a reason and names an unknown case.
import type { CaseId } from "../cases.js";
import { describeTransportConformance } from "../describe-transport-conformance.js";
import { createMemoryHarness } from "./memory-harness.js";

const harness = createMemoryHarness();
const { authDisabled: _authDisabled, throttled: _throttled, ...scenarios } = harness.scenarios;

describeTransportConformance(
  "fixture",
  { ...harness, scenarios },
  {
    skip: {
      "errors.auth-disabled": "the fixture backend has no authentication",
      ["errors.no-such-case" as CaseId]: "a typo",
    },
  },
);
