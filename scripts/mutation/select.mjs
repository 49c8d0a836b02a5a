// Which guarantee code a change touched, as Stryker `mutate` patterns: the lines a
// `git diff --unified=0` adds or changes (the new side of each hunk) in the files of
// modules.mjs, grouped by module. No git and no Stryker here, so it is unit-tested on its own
// (select.test.mjs); ci.mjs feeds it the diff of HEAD against its first parent.

/**
 * The changed line ranges per file of a `git diff --unified=0` (new side, 1-based, inclusive).
 * A hunk that only deletes lines changes no line of the new file and gives no range.
 * @param {string} diff
 * @returns {Map<string, {start: number, end: number}[]>}
 */
export function changedRanges(diff) {
  const ranges = new Map();
  let file;
  for (const line of diff.split("\n")) {
    if (line.startsWith("+++ ")) {
      const target = line.slice(4).trim();
      file = target === "/dev/null" ? undefined : target.replace(/^b\//, "");
      continue;
    }
    if (line.startsWith("diff --git ")) {
      file = undefined;
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (!hunk || file === undefined) continue;
    const start = Number(hunk[1]);
    const count = hunk[2] === undefined ? 1 : Number(hunk[2]);
    if (count === 0) continue;
    const list = ranges.get(file) ?? [];
    const last = list.at(-1);
    // Neighbouring hunks become one range (Stryker mutates each range of a file).
    if (last && start <= last.end + 1) last.end = Math.max(last.end, start + count - 1);
    else list.push({ start, end: start + count - 1 });
    ranges.set(file, list);
  }
  return ranges;
}

/**
 * The modules a diff touched and what to mutate in each: `packages/<pkg>/<file>:<start>-<end>`
 * for every changed range of a module's files. Modules without a changed line are left out.
 * @param {string} diff output of `git diff --unified=0`
 * @param {Record<string, {package: string, files: string[]}>} modules
 * @returns {{module: string, package: string, files: string[], mutate: string[]}[]}
 */
export function selectMutations(diff, modules) {
  const ranges = changedRanges(diff);
  const selected = [];
  for (const [name, module] of Object.entries(modules)) {
    const files = [];
    const mutate = [];
    for (const file of module.files) {
      const path = `packages/${module.package}/${file}`;
      const list = ranges.get(path);
      if (!list) continue;
      files.push(path);
      for (const { start, end } of list) mutate.push(`${path}:${start}-${end}`);
    }
    if (mutate.length > 0) selected.push({ module: name, package: module.package, files, mutate });
  }
  return selected;
}

/** Every guarantee file, repository-relative (for the pathspec of the diff). */
export function guaranteeFiles(modules) {
  return Object.values(modules).flatMap((module) =>
    module.files.map((file) => `packages/${module.package}/${file}`),
  );
}

/**
 * The survivors a module's list accepts (scripts/mutation/survivors/<module>.md): table rows
 * `| <file>:<line> | <mutator> | \`<replacement>\` | <reason> |`. A survivor is matched by
 * file, mutator and replacement, not by line, so the list survives edits above it; each row
 * accepts one survivor, so a list of two `{ once: true }` → `{}` rows does not also accept a
 * third such mutant that a change brings.
 * @param {string} markdown
 * @returns {Map<string, number>} how many rows each key (as made by survivorKey) has
 */
export function acceptedSurvivors(markdown) {
  const rows = new Map();
  for (const line of markdown.split("\n")) {
    const row = /^\|\s*([^|\s]+?):\d+\s*\|\s*(\w+)\s*\|\s*`(.*)`\s*\|/.exec(line);
    if (!row) continue;
    const key = survivorKey(row[1], row[2], row[3].replace(/\\\|/g, "|"));
    rows.set(key, (rows.get(key) ?? 0) + 1);
  }
  return rows;
}

/** The key a survivor is listed under: file (package-relative or repository-relative), mutator, replacement. */
export function survivorKey(file, mutator, replacement) {
  const relative = file.replace(/^packages\/[^/]+\//, "");
  return `${relative}|${mutator}|${replacement.replace(/\s+/g, " ").trim()}`;
}

/**
 * The verdict on the mutants tested (statuses as Stryker names them): the score of the tested
 * part, leaving out the survivors the module's list accepts. Under `threshold` fails; nothing
 * tested passes (there is nothing to judge).
 * @param {{status: string, key: string}[]} results
 * @param {Map<string, number>} accepted rows per key, from acceptedSurvivors
 * @param {number} threshold
 */
export function judge(results, accepted, threshold) {
  let detected = 0;
  const undetected = [];
  let acceptedCount = 0;
  // Rows not yet used: each accepts one survivor of its key.
  const unused = new Map(accepted);
  for (const result of results) {
    if (result.status === "Killed" || result.status === "Timeout") detected++;
    else if (result.status === "Survived" || result.status === "NoCoverage") {
      const rows = unused.get(result.key) ?? 0;
      if (rows > 0) {
        unused.set(result.key, rows - 1);
        acceptedCount++;
      } else undetected.push(result);
    }
  }
  const judged = detected + undetected.length;
  const score = judged === 0 ? 100 : (100 * detected) / judged;
  return {
    detected,
    undetected,
    accepted: acceptedCount,
    score: Math.round(score * 10) / 10,
    pass: judged === 0 || score >= threshold,
  };
}
