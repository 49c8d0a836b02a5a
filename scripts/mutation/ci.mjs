#!/usr/bin/env node
// The mutation step of .ci/run (CONTRIBUTING.md, "Mutation testing in CI"):
//
//   node scripts/mutation/ci.mjs [--commit=<rev>] [--budget=<seconds>]
//
// Mutates only the guarantee lines (modules.mjs) that <rev> (default HEAD) changed against its
// first parent, within a wall-clock budget (default 420 s, MAILPATH_MUTATION_BUDGET_S), and
// judges the mutants it tested: it fails only when their score, leaving out the survivors
// listed in scripts/mutation/survivors/<module>.md, is under 85%. Nothing to mutate, no parent
// commit, or a tool failure before any mutant was tested: it says so and passes. Reports go to
// reports/mutation/ci/ (summary.json, and per module index.html when its run finished).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MODULES, writeCheckerTsconfig } from "./modules.mjs";
import {
  acceptedSurvivors,
  guaranteeFiles,
  judge,
  selectMutations,
  survivorKey,
} from "./select.mjs";
import { strykerOptions, THRESHOLD } from "./stryker-options.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
process.chdir(ROOT);
const OUT = "reports/mutation/ci";
const args = process.argv.slice(2);
const flag = (name) => args.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1];

if (args[0] === "--worker") await worker(JSON.parse(args[1]));
else process.exit(await supervise());

/** Runs Stryker on one module's selection (in its own process group, so it can be killed). */
async function worker({ module, packageName, files, mutate, dir, concurrency }) {
  const { Stryker } = await import("@stryker-mutator/core");
  const tsconfig = `scripts/mutation/tsconfig.ci-${module}.generated.json`;
  writeCheckerTsconfig(tsconfig, files);
  process.env.MAILPATH_MUTATION_PACKAGE = packageName;
  const options = strykerOptions({
    tsconfig,
    mutate,
    excludedMutations: MODULES[module].excludedMutations,
    concurrency,
    dir,
  });
  const stryker = new Stryker({
    ...options,
    incremental: false,
    // event-recorder writes each tested mutant as it happens: what the supervisor judges
    // when the budget stops the run before the end.
    reporters: ["event-recorder", "html", "json", "clear-text", "progress-append-only"],
    eventReporter: { baseDir: `${dir}/events` },
    // Its own sandbox parent, so removing it after a stopped run touches no other run.
    tempDirName: ".stryker-tmp-ci",
    ignorePatterns: [...options.ignorePatterns, "/.stryker-tmp"],
  });
  await stryker.runMutationTest();
}

function git(...gitArgs) {
  return execFileSync("git", gitArgs, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
}

/** What the worker recorded: the planned mutant count and every tested mutant. */
function recorded(dir) {
  const events = `${dir}/events`;
  let planned;
  const results = [];
  if (!existsSync(events)) return { planned, results };
  for (const name of readdirSync(events).sort()) {
    let event;
    try {
      event = JSON.parse(readFileSync(`${events}/${name}`, "utf8"));
    } catch {
      continue; // the file being written when the run was stopped
    }
    if (name.endsWith("-onMutationTestingPlanReady.json")) {
      planned = event.mutantPlans?.filter((plan) => plan.plan === "Run").length;
    } else if (name.endsWith("-onMutantTested.json")) {
      const file = event.fileName.replace(/\\/g, "/").replace(/^.*?(packages\/)/, "$1");
      results.push({
        status: event.status,
        file,
        line: event.location.start.line, // 1-based (the report schema's location)
        mutator: event.mutatorName,
        replacement: event.replacement ?? "",
        key: survivorKey(file, event.mutatorName, event.replacement ?? ""),
      });
    }
  }
  return { planned, results };
}

async function supervise() {
  const started = Date.now();
  const budgetS = Number(flag("budget") ?? process.env.MAILPATH_MUTATION_BUDGET_S ?? 420);
  const commit = flag("commit") ?? "HEAD";
  const concurrency = Number(process.env.MAILPATH_MUTATION_CONCURRENCY ?? 2);
  let sha;
  let parent;
  try {
    sha = git("rev-parse", "--verify", `${commit}^{commit}`).trim();
    parent = git("rev-parse", "--verify", `${sha}^1`).trim();
  } catch {
    console.log(
      `mutation: ${sha ?? commit} has no parent commit in this clone (first commit or a shallow clone): nothing to compare, step passes.`,
    );
    return 0;
  }
  const diff = git(
    "diff",
    "--unified=0",
    "--no-color",
    "--no-ext-diff",
    parent,
    sha,
    "--",
    ...guaranteeFiles(MODULES),
  );
  const selection = selectMutations(diff, MODULES);
  if (selection.length === 0) {
    console.log(
      `mutation: ${sha.slice(0, 12)} changes no guarantee code (the files of scripts/mutation/modules.mjs) against ${parent.slice(0, 12)}: nothing to mutate, step passes.`,
    );
    return 0;
  }
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const deadline = started + budgetS * 1000;
  const summary = {
    commit: sha,
    parent,
    budgetSeconds: budgetS,
    threshold: THRESHOLD,
    modules: {},
  };
  let failed = false;
  for (const { module, package: packageName, files, mutate } of selection) {
    const dir = `${OUT}/${module}`;
    console.log(`mutation: ${module}: mutating ${mutate.join(", ")}`);
    const remaining = deadline - Date.now();
    // Under a minute left: Stryker would not get past its initial test run.
    if (remaining < 60_000) {
      console.log(`mutation: ${module}: not run, the ${budgetS} s budget is spent.`);
      summary.modules[module] = { mutate, ran: false };
      continue;
    }
    const child = spawn(
      process.execPath,
      [
        fileURLToPath(import.meta.url),
        "--worker",
        JSON.stringify({ module, packageName, files, mutate, dir, concurrency }),
      ],
      { stdio: "inherit", detached: true },
    );
    let stopped = false;
    const timer = setTimeout(() => {
      stopped = true;
      try {
        process.kill(-child.pid, "SIGKILL"); // the worker, its test runners and checker
      } catch {}
    }, remaining);
    const code = await new Promise((resolve) =>
      child.on("exit", (exit, signal) => resolve(exit ?? signal)),
    );
    clearTimeout(timer);
    rmSync(".stryker-tmp-ci", { recursive: true, force: true });
    const { planned, results } = recorded(dir);
    const listFile = `scripts/mutation/survivors/${module}.md`;
    const accepted = existsSync(listFile)
      ? acceptedSurvivors(readFileSync(listFile, "utf8"))
      : new Map();
    const verdict = judge(results, accepted, THRESHOLD);
    const tested = results.filter(
      (r) => r.status !== "CompileError" && r.status !== "RuntimeError" && r.status !== "Ignored",
    ).length;
    const how = stopped
      ? `the budget ran out: judged on the ${tested} of ${planned ?? "?"} planned mutants tested`
      : code === 0
        ? `${tested} of ${planned ?? tested} mutants tested`
        : `Stryker stopped (exit ${code}) after ${tested} mutants`;
    summary.modules[module] = {
      mutate,
      ran: true,
      stopped,
      exit: code,
      planned,
      tested,
      detected: verdict.detected,
      undetected: verdict.undetected.length,
      acceptedSurvivors: verdict.accepted,
      score: verdict.score,
      pass: verdict.pass,
      survivors: verdict.undetected.map(
        (r) => `${r.file}:${r.line} ${r.mutator} → ${r.replacement}`,
      ),
    };
    if (tested === 0) {
      console.log(
        `mutation: ${module}: no mutant tested (${how}); not judged. A tool failure is reported here, not failed on.`,
      );
      continue;
    }
    console.log(
      `mutation: ${module}: ${how}; score ${verdict.score}% (${verdict.detected} detected, ${verdict.undetected.length} survived, ${verdict.accepted} listed as accepted) against ${THRESHOLD}%: ${verdict.pass ? "pass" : "FAIL"}`,
    );
    if (!verdict.pass) {
      failed = true;
      for (const r of verdict.undetected)
        console.log(`  survived: ${r.file}:${r.line} ${r.mutator} → ${r.replacement}`);
      console.log(
        `  Kill each with a test that fails on it, or list it with its reason in ${listFile}. Report: ${dir}/index.html`,
      );
    }
  }
  summary.seconds = Math.round((Date.now() - started) / 1000);
  writeFileSync(`${OUT}/summary.json`, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(
    `mutation: ${summary.seconds} s; reports in ${OUT}/ (summary.json, <module>/index.html)`,
  );
  return failed ? 1 : 0;
}
