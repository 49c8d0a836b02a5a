#!/usr/bin/env node
// node scripts/mutation/survivors.mjs <module>
// Prints the surviving mutants of the module's last run (reports/mutation/<module>/mutation.json)
// as rows for scripts/mutation/survivors/<module>.md (`| file:line | mutator | \`replacement\` |
// reason |`), with the original line, so each can be killed by a test or given its reason.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MODULES } from "./modules.mjs";

process.chdir(fileURLToPath(new URL("../../", import.meta.url)));
const name = process.argv[2];
if (!name || !(name in MODULES)) {
  console.error(`usage: survivors.mjs <module>; one of: ${Object.keys(MODULES).join(", ")}`);
  process.exit(2);
}
const report = JSON.parse(readFileSync(`reports/mutation/${name}/mutation.json`, "utf8"));
for (const [file, { source, mutants }] of Object.entries(report.files)) {
  const lines = source.split("\n");
  const relative = file.replace(/\\/g, "/").replace(/^.*?packages\/[^/]+\//, "");
  for (const mutant of mutants) {
    if (mutant.status !== "Survived" && mutant.status !== "NoCoverage") continue;
    const line = mutant.location.start.line; // 1-based in the report
    const replacement = (mutant.replacement ?? "").replace(/\s+/g, " ").replace(/\|/g, "\\|");
    console.log(
      `| ${relative}:${line} | ${mutant.mutatorName} | \`${replacement}\` | ${mutant.status}: ${lines[line - 1]?.trim().replace(/\|/g, "\\|")} |`,
    );
  }
}
