#!/usr/bin/env node
// pnpm test:mutation [module ...] [--since=<git ref>] [--concurrency=<n>]
//
// Runs StrykerJS (vitest runner, TypeScript checker) on the guarantee modules in
// modules.mjs, one module at a time, each judged by its own package's tests. Incremental:
// reports/mutation/<module>/incremental.json remembers every mutant's result, so a re-run
// only tests mutants in code (or tests) that changed. --since limits the run to the files a
// change touched (git diff against the ref). The HTML report of each module is
// reports/mutation/<module>/index.html; reports/mutation/summary.json has the scores;
// reports/mutation/<module>/events/ has one file per mutant tested, written as the run goes.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Stryker } from "@stryker-mutator/core";
import { MODULES, writeCheckerTsconfig } from "./modules.mjs";
import { strykerOptions } from "./stryker-options.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
process.chdir(ROOT);

const args = process.argv.slice(2);
const flag = (name) => args.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1];
const since = flag("since");
const concurrency = Number(flag("concurrency") ?? process.env.MAILPATH_MUTATION_CONCURRENCY ?? 2);
const names = args.filter((arg) => !arg.startsWith("--"));
for (const name of names) {
  if (!(name in MODULES)) {
    console.error(`unknown module ${name}; one of: ${Object.keys(MODULES).join(", ")}`);
    process.exit(2);
  }
}
const changed = since
  ? new Set(
      execFileSync("git", ["diff", "--name-only", since, "--"], { encoding: "utf8" })
        .split("\n")
        .filter(Boolean),
    )
  : undefined;

const summary = {};
const summaryPath = "reports/mutation/summary.json";
try {
  Object.assign(summary, JSON.parse(readFileSync(summaryPath, "utf8")));
} catch {}

let failed = false;
for (const [name, module] of Object.entries(MODULES)) {
  if (names.length > 0 && !names.includes(name)) continue;
  const files = module.files
    .map((file) => `packages/${module.package}/${file}`)
    .filter((file) => !changed || changed.has(file));
  if (files.length === 0) {
    console.log(`${name}: no file changed since ${since}, skipped`);
    continue;
  }
  const dir = `reports/mutation/${name}`;
  mkdirSync(dir, { recursive: true });
  // The checker compiles only the mutated files and what they import (not the tests).
  const tsconfig = `scripts/mutation/tsconfig.${name}.generated.json`;
  writeCheckerTsconfig(tsconfig, files);
  process.env.MAILPATH_MUTATION_PACKAGE = module.package;
  if (module.tests) process.env.MAILPATH_MUTATION_TESTS = JSON.stringify(module.tests);
  else delete process.env.MAILPATH_MUTATION_TESTS;
  const started = Date.now();
  const stryker = new Stryker({
    ...strykerOptions({
      tsconfig,
      mutate: files,
      excludedMutations: module.excludedMutations,
      concurrency,
      dir,
    }),
    incremental: true,
    incrementalFile: `${dir}/incremental.json`,
    // The event recorder writes each mutant's result as it is tested (events/), so a run
    // stopped early still leaves what it found; the HTML and JSON reports come at the end.
    reporters: ["event-recorder", "html", "json", "clear-text", "progress"],
    eventReporter: { baseDir: `${dir}/events` },
    tempDirName: ".stryker-tmp",
  });
  const results = await stryker.runMutationTest();
  const count = (...statuses) => results.filter((m) => statuses.includes(m.status)).length;
  const detected = count("Killed", "Timeout");
  const undetected = count("Survived", "NoCoverage");
  const score = detected + undetected === 0 ? 100 : (100 * detected) / (detected + undetected);
  summary[name] = {
    score: Math.round(score * 10) / 10,
    killed: count("Killed"),
    timeout: count("Timeout"),
    survived: count("Survived"),
    noCoverage: count("NoCoverage"),
    compileErrors: count("CompileError"),
    seconds: Math.round((Date.now() - started) / 1000),
    at: new Date().toISOString(),
  };
  console.log(`${name}: ${JSON.stringify(summary[name])}`);
  if (score < 85) failed = true;
  mkdirSync("reports/mutation", { recursive: true });
  writeFileSync(summaryPath, `${JSON.stringify(summary, null, 2)}\n`);
}
if (failed && process.env.MAILPATH_MUTATION_ENFORCE === "1") {
  console.error("mutation score under 85% on a module");
  process.exit(1);
}
