// The vitest configuration Stryker runs a package's tests with, inside its sandbox (a copy
// of the repository): the package's own settings, rooted at the package the run mutates.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.js";

const name = process.env.MAILPATH_MUTATION_PACKAGE;
if (!name) throw new Error("MAILPATH_MUTATION_PACKAGE is not set (run pnpm test:mutation)");
const root = fileURLToPath(new URL(`../../packages/${name}/`, import.meta.url));
const tests: string[] | undefined = process.env.MAILPATH_MUTATION_TESTS
  ? JSON.parse(process.env.MAILPATH_MUTATION_TESTS)
  : undefined;
const shared = sharedTestConfig(new URL(`../../packages/${name}/`, import.meta.url).href);

export default defineConfig({
  ...shared,
  root,
  test: {
    ...shared.test,
    // A module's `tests` (modules.mjs), when it has them: the globs to include, and those
    // starting with "!" to leave out.
    ...(tests && { include: tests.filter((glob) => !glob.startsWith("!")) }),
    // The property sample and the soak are load tests: minutes per mutant, no extra kills.
    exclude: [
      "**/node_modules/**",
      "**/*.property.test.ts",
      "**/soak.integration.test.ts",
      ...(tests ?? []).filter((glob) => glob.startsWith("!")).map((glob) => glob.slice(1)),
    ],
  },
});
