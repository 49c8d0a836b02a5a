import { describeTransportConformance } from "@mailpath/conformance";
import { createEmulatorHarness } from "./test-support/emulator-harness.js";

// The whole suite against the emulator's relay (MX) endpoint, sending from the IP the
// default inbound connector matches.
describeTransportConformance("relay", createEmulatorHarness(), {
  skip: {
    "errors.wrong-credentials":
      "the relay path has no credentials: connectors match by IP or certificate",
    "errors.auth-disabled": "the relay path has no authentication to turn off",
    "errors.send-as-denied":
      "the relay path has no mailbox identity: any From in an accepted domain may be used (an unregistered domain is 5.7.750, PERMISSION_DENIED)",
  },
});
