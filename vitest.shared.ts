import { fileURLToPath } from "node:url";
import type { ViteUserConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));
const src = (path: string) => `${root}packages/${path}`;

/**
 * Tests run on the workspace packages' TypeScript sources, so a change in core is seen by
 * every package's tests without a rebuild. Published manifests point at `dist` only.
 */
export function sharedTestConfig(_packageUrl: string): ViteUserConfig {
  return {
    resolve: {
      alias: [
        { find: /^@mailpath\/core\/testing$/, replacement: src("core/src/testing/index.ts") },
        {
          find: /^@mailpath\/core\/classifier$/,
          replacement: src("core/src/classifier/index.ts"),
        },
        { find: /^@mailpath\/core$/, replacement: src("core/src/index.ts") },
        { find: /^@mailpath\/entra$/, replacement: src("entra/src/index.ts") },
        {
          find: /^@mailpath\/transport-smtp\/engine$/,
          replacement: src("transport-smtp/src/engine/index.ts"),
        },
        { find: /^@mailpath\/transport-smtp$/, replacement: src("transport-smtp/src/index.ts") },
        { find: /^@mailpath\/transport-relay$/, replacement: src("transport-relay/src/index.ts") },
        { find: /^@mailpath\/transport-graph$/, replacement: src("transport-graph/src/index.ts") },
        { find: /^@mailpath\/emulator$/, replacement: src("emulator/src/index.ts") },
        { find: /^@mailpath\/inspect$/, replacement: src("inspect/src/index.ts") },
        { find: /^@mailpath\/conformance$/, replacement: src("conformance/src/index.ts") },
        { find: /^@mailpath\/outbox$/, replacement: src("outbox/src/index.ts") },
        { find: /^mailpath$/, replacement: src("mailpath/src/index.ts") },
      ],
    },
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: 20_000,
      hookTimeout: 30_000,
      restoreMocks: true,
      // Coverage (v8) of the package's own sources, printed by the package's test command
      // (`pnpm test`, so turbo and CI print it for every package); a targeted
      // `npx vitest run <file>` skips it, and so does a Vitest a test starts inside a worker
      // (conformance's registration test). A report to read, no threshold: CONTRIBUTING.md.
      coverage: {
        enabled:
          process.env.npm_lifecycle_event === "test" && process.env.VITEST_WORKER_ID === undefined,
        provider: "v8",
        include: ["src/**/*.ts"],
        exclude: ["src/**/*.test.ts", "src/**/test-support/**", "src/**/*.d.ts"],
        reporter: ["text-summary", ["json-summary", { file: "coverage-summary.json" }]],
        reportsDirectory: "coverage",
      },
    },
  };
}
