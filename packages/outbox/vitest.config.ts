import { defineProject, mergeConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.js";

export default mergeConfig(
  sharedTestConfig(import.meta.url),
  defineProject({
    test: {
      // A real redis-server for every test file: MAILPATH_TEST_REDIS_URL, or a private one.
      globalSetup: ["./test/support/redis-global-setup.ts"],
    },
  }),
);
