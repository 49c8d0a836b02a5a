import { describeTransportConformance } from "./describe-transport-conformance.js";
import { createMemoryHarness } from "./test-support/memory-harness.js";

// The whole suite against the memory transport of @mailpath/core/testing, so it cannot rot.
// Every case runs; none is opted out.
describeTransportConformance("memory", createMemoryHarness());
