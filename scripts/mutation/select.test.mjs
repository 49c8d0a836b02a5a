// Unit tests of the CI mutation step's selection and verdict (no git, no Stryker):
// node --test scripts/mutation/
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  acceptedSurvivors,
  changedRanges,
  guaranteeFiles,
  judge,
  selectMutations,
  survivorKey,
} from "./select.mjs";

const MODULES = {
  "core-redaction": {
    package: "core",
    files: ["src/errors/redact.ts", "src/errors/safe-cause.ts"],
  },
  "smtp-engine": { package: "transport-smtp", files: ["src/engine/smtp-engine.ts"] },
};

// `git diff --unified=0` as git writes it (hunk headers with and without counts).
const DIFF = [
  "diff --git a/packages/core/src/errors/redact.ts b/packages/core/src/errors/redact.ts",
  "index 1111111..2222222 100644",
  "--- a/packages/core/src/errors/redact.ts",
  "+++ b/packages/core/src/errors/redact.ts",
  "@@ -10 +10 @@ export function redact(",
  "-  const a = 1;",
  "+  const a = 2;",
  "@@ -20,0 +21,3 @@ function other() {",
  "+  one();",
  "+  two();",
  "+  three();",
  "@@ -24 +27,2 @@",
  "-  four();",
  "+  four();",
  "+  five();",
  "@@ -40,2 +44,0 @@",
  "-  gone();",
  "-  gone();",
  "diff --git a/packages/core/src/mailer.ts b/packages/core/src/mailer.ts",
  "--- a/packages/core/src/mailer.ts",
  "+++ b/packages/core/src/mailer.ts",
  "@@ -5 +5 @@",
  "-x",
  "+y",
  "diff --git a/packages/transport-smtp/src/engine/smtp-engine.ts b/packages/transport-smtp/src/engine/smtp-engine.ts",
  "deleted file mode 100644",
  "--- a/packages/transport-smtp/src/engine/smtp-engine.ts",
  "+++ /dev/null",
  "@@ -1,3 +0,0 @@",
  "-a",
  "-b",
  "-c",
  "",
].join("\n");

describe("changedRanges", () => {
  it("takes the new side of each hunk, merges neighbours and skips pure deletions", () => {
    assert.deepEqual(Object.fromEntries(changedRanges(DIFF)), {
      "packages/core/src/errors/redact.ts": [
        { start: 10, end: 10 },
        { start: 21, end: 23 },
        { start: 27, end: 28 },
      ],
      "packages/core/src/mailer.ts": [{ start: 5, end: 5 }],
    });
  });

  it("merges a hunk that starts right after the previous one", () => {
    const diff = "+++ b/f.ts\n@@ -1,2 +1,2 @@\n@@ -3 +3,2 @@\n";
    assert.deepEqual(changedRanges(diff).get("f.ts"), [{ start: 1, end: 4 }]);
  });

  it("gives nothing for an empty diff", () => {
    assert.equal(changedRanges("").size, 0);
  });
});

describe("selectMutations", () => {
  it("keeps only the guarantee files, as Stryker line ranges per module", () => {
    assert.deepEqual(selectMutations(DIFF, MODULES), [
      {
        module: "core-redaction",
        package: "core",
        files: ["packages/core/src/errors/redact.ts"],
        mutate: [
          "packages/core/src/errors/redact.ts:10-10",
          "packages/core/src/errors/redact.ts:21-23",
          "packages/core/src/errors/redact.ts:27-28",
        ],
      },
    ]);
  });

  it("selects nothing when no guarantee line changed (other files, deletions only)", () => {
    const diff = DIFF.split("diff --git")
      .slice(2)
      .map((part) => `diff --git${part}`)
      .join("");
    assert.deepEqual(selectMutations(diff, MODULES), []);
  });

  it("lists every guarantee file for the diff's pathspec", () => {
    assert.deepEqual(guaranteeFiles(MODULES), [
      "packages/core/src/errors/redact.ts",
      "packages/core/src/errors/safe-cause.ts",
      "packages/transport-smtp/src/engine/smtp-engine.ts",
    ]);
  });
});

describe("accepted survivors and the verdict", () => {
  const list = [
    "# smtp-engine survivors",
    "| Mutant | Mutator | Replacement | Reason |",
    "|---|---|---|---|",
    "| src/engine/smtp-engine.ts:120 | ConditionalExpression | `true` | equivalent: guarded above |",
    '| src/engine/smtp-engine.ts:99 | StringLiteral | `""` | log text |',
  ].join("\n");
  const accepted = acceptedSurvivors(list);

  it("reads the table rows, matched by file, mutator and replacement (not line)", () => {
    assert.equal(accepted.size, 2);
    assert.ok(
      accepted.has(
        survivorKey(
          "packages/transport-smtp/src/engine/smtp-engine.ts",
          "ConditionalExpression",
          "true",
        ),
      ),
    );
  });

  const result = (status, mutator = "ConditionalExpression", replacement = "true") => ({
    status,
    key: survivorKey("packages/transport-smtp/src/engine/smtp-engine.ts", mutator, replacement),
  });

  it("fails under the threshold, counting timeouts as detected and no coverage as survived", () => {
    const verdict = judge(
      [
        result("Killed"),
        result("Timeout"),
        result("NoCoverage", "BlockStatement", "{}"),
        result("Survived", "EqualityOperator", "a > b"),
      ],
      new Map(),
      85,
    );
    assert.equal(verdict.score, 50);
    assert.equal(verdict.pass, false);
    assert.equal(verdict.undetected.length, 2);
  });

  it("leaves listed survivors out of the score, and passes at exactly the threshold", () => {
    const killed = Array.from({ length: 17 }, () => result("Killed"));
    const verdict = judge(
      [
        ...killed,
        result("Survived"),
        result("Survived", "EqualityOperator", "a > b"),
        result("Survived", "EqualityOperator", "a > b"),
        result("Survived", "EqualityOperator", "a > b"),
      ],
      accepted,
      85,
    );
    assert.equal(verdict.accepted, 1);
    assert.equal(verdict.score, 85);
    assert.equal(verdict.pass, true);
  });

  it("accepts one survivor per listed row: a second of the same kind counts", () => {
    const verdict = judge([result("Survived"), result("Survived")], accepted, 85);
    assert.equal(verdict.accepted, 1);
    assert.equal(verdict.undetected.length, 1);
    assert.equal(verdict.pass, false);
    const twoRows = acceptedSurvivors(`${list}\n${list.split("\n")[3]}`);
    assert.equal(judge([result("Survived"), result("Survived")], twoRows, 85).accepted, 2);
  });

  it("passes when nothing was judged (compile errors only, or nothing tested)", () => {
    assert.equal(judge([result("CompileError")], new Map(), 85).pass, true);
    assert.equal(judge([], new Map(), 85).pass, true);
  });
});

describe("a listed replacement with a pipe", () => {
  it("is read back unescaped (the table escapes | as \\|)", () => {
    const accepted = acceptedSurvivors("| src/a.ts:3 | LogicalOperator | `a \\|\\| b` | reason |");
    assert.ok(accepted.has(survivorKey("src/a.ts", "LogicalOperator", "a || b")));
  });
});
