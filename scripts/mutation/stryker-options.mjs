// The StrykerJS options pnpm test:mutation (run.mjs) and the CI step (ci.mjs) share. Each adds
// what differs: incremental or not, its reporters, its sandbox directory.

/** A module's mutation score under this (in %) fails it. */
export const THRESHOLD = 85;

/**
 * Options for one module's run: the vitest runner on its package's related tests, the
 * TypeScript checker compiling `tsconfig` (see writeCheckerTsconfig in modules.mjs), per-test
 * coverage, and the HTML and JSON reports in `dir`.
 * @param {{ tsconfig: string, mutate: string[], excludedMutations?: string[], concurrency: number, dir: string }} run
 *   `mutate`: files or line ranges, from the repository root
 */
export function strykerOptions({ tsconfig, mutate, excludedMutations, concurrency, dir }) {
  return {
    packageManager: "pnpm",
    plugins: ["@stryker-mutator/vitest-runner", "@stryker-mutator/typescript-checker"],
    testRunner: "vitest",
    vitest: { configFile: "scripts/mutation/vitest.config.ts", related: true },
    checkers: ["typescript"],
    tsconfigFile: tsconfig,
    typescriptChecker: { prioritizePerformanceOverAccuracy: true },
    mutate,
    mutator: { excludedMutations: excludedMutations ?? [] },
    coverageAnalysis: "perTest",
    concurrency,
    htmlReporter: { fileName: `${dir}/index.html` },
    jsonReporter: { fileName: `${dir}/mutation.json` },
    thresholds: { high: 90, low: THRESHOLD, break: null },
    timeoutMS: 10_000,
    cleanTempDir: true,
    ignorePatterns: ["/bench", "/examples", "/tests", "/reports", "/.turbo", "**/.turbo"],
  };
}
