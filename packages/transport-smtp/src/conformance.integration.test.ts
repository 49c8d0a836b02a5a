import { describeTransportConformance } from "@mailpath/conformance";
import { createEmulatorHarness } from "./test-support/emulator-harness.js";

// The whole suite against the emulator's SMTP AUTH submission endpoint. No case is opted out:
// SMTP AUTH can produce every scenario.
describeTransportConformance("smtp", createEmulatorHarness());
