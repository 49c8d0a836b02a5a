// Run by registration.test.ts in a nested vitest: a harness that lacks two scenarios, opts out
// of one of them with a reason and names an unknown case.
import type { CaseId } from "../cases.js";
import { describeTransportConformance } from "../describe-transport-conformance.js";
import { createMemoryHarness } from "./memory-harness.js";

describeTransportConformance(
  "fixture",
  createMemoryHarness({ scenarios: { authDisabled: undefined, throttled: undefined } }),
  {
    skip: {
      "errors.auth-disabled": "the fixture backend has no authentication",
      ["errors.no-such-case" as CaseId]: "a typo",
    },
  },
);
