// Every TypeScript snippet of README.md, docs/ and the package READMEs compiles against the
// built packages (check-snippets.mjs says how, and how a fragment declares what it assumes).
import { describe, expect, it } from "vitest";
import { checkAll, checkSnippets, extractSnippets } from "./check-snippets.mjs";

const format = (error) =>
  `${error.file}:${error.line}:${error.column} TS${error.code}: ${error.message}`;

it("type-checks every TypeScript snippet of the README, docs/ and the package READMEs", () => {
  const { snippets, skipped, errors, report } = checkAll();
  console.log(report);
  expect(snippets.length).toBeGreaterThan(40);
  // Skipping is for snippets that cannot compile on purpose; a fragment declares its context.
  expect(skipped.length, report).toBeLessThanOrEqual(5);
  expect(errors.map(format), report).toEqual([]);
});

describe("extracting snippets", () => {
  const markdown = [
    "# Title", // 1
    "", // 2
    "```ts", // 3
    'import { createMailerFromEnv } from "mailpath";', // 4
    "```", // 5
    "", // 6
    "1. A step:", // 7
    "   ```ts", // 8
    "   const one: number = 1;", // 9
    "   ```", // 10
    "<!-- snippet: context", // 11
    'import type { ConfiguredMailer } from "mailpath";', // 12
    "declare const mailer: ConfiguredMailer;", // 13
    "-->", // 14
    "```ts", // 15
    "await mailer.close();", // 16
    "```", // 17
    "<!-- snippet: skip pseudo-code -->", // 18
    "```ts", // 19
    "const x = …;", // 20
    "```", // 21
    "```sh", // 22
    "npm test", // 23
    "```", // 24
  ].join("\n");

  it("finds ```ts fences, indented ones too, with the line of their first code line and their markers", () => {
    const snippets = extractSnippets(markdown, "doc.md");
    expect(snippets.map(({ line, indent, skip }) => ({ line, indent, skip }))).toEqual([
      { line: 4, indent: 0, skip: undefined },
      { line: 9, indent: 3, skip: undefined },
      { line: 16, indent: 0, skip: undefined },
      { line: 20, indent: 0, skip: "pseudo-code" },
    ]);
    expect(snippets[1].code).toBe("const one: number = 1;");
    expect(snippets[2].context).toContain("declare const mailer: ConfiguredMailer;");
  });

  it("refuses a skip without a reason and an unknown marker", () => {
    expect(() => extractSnippets("<!-- snippet: skip -->\n```ts\nx\n```", "a.md")).toThrow(
      /a\.md:1: "snippet: skip" needs a reason/,
    );
    expect(() => extractSnippets("<!-- snippet: ignore -->\n```ts\nx\n```", "a.md")).toThrow(
      /a\.md:1: unknown snippet marker/,
    );
  });

  it("reports an error at the Markdown file, line and column, in the snippet or in its context", () => {
    const broken = [
      "<!-- snippet: context", // 1
      'import type { ConfiguredMailer } from "mailpath";', // 2
      "declare const mailer: ConfiguredMailer;", // 3
      "declare const count: Strin;", // 4: a typo in the context
      "-->", // 5
      "```ts", // 6
      'import { createMailerFromEnv } from "mailpath";', // 7
      "", // 8
      "const other = createMailerFromEnv();", // 9
      "  await other.send({ to: 'ada@contoso.com', subject: 'Hi', text: 'Hi' });", // 10: no await above
      "await mailer.close();", // 11
      "```", // 12
    ].join("\n");
    const errors = checkSnippets(extractSnippets(broken, "docs/broken.md"));
    expect(
      errors.map(({ file, line, column, code }) => `${file}:${line}:${column} TS${code}`),
    ).toEqual(["docs/broken.md:4:22 TS2552", "docs/broken.md:10:15 TS2339"]);
    expect(errors[0].message).toMatch(/^\(in the snippet's context\) Cannot find name 'Strin'/);
    expect(errors[1].message).toMatch(
      /Property 'send' does not exist on type 'Promise<ConfiguredMailer>'/,
    );
  });
});
