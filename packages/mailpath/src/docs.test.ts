// docs/configuration.md and docs/troubleshooting.md carry sections generated from the code:
// every MAILPATH_* variable, and every reply the core classifier knows. A change to either
// fails here until the page is regenerated: UPDATE_DOCS=1 npx vitest run src/docs.test.ts
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MAIL_ERROR_CODES } from "@mailpath/core";
import { HTTP_RULES, SMTP_RULES } from "@mailpath/core/classifier";
import { describe, expect, it } from "vitest";
import {
  renderReplyIndex,
  renderVariablesTable,
  replaceSection,
  SECTION_BY_CODE,
  smtpReplyText,
} from "./test-support/docs.js";
import { ENV_VARIABLES } from "./variables.js";

const docs = (name: string) => fileURLToPath(new URL(`../../../docs/${name}`, import.meta.url));
const REGENERATE = "run `UPDATE_DOCS=1 npx vitest run src/docs.test.ts` in packages/mailpath";

function checkSection(file: string, section: string, body: string) {
  const onDisk = readFileSync(docs(file), "utf8");
  const expected = replaceSection(onDisk, section, body);
  if (process.env.UPDATE_DOCS === "1") writeFileSync(docs(file), expected);
  expect(onDisk, `docs/${file} is out of date: ${REGENERATE}`).toBe(expected);
}

describe("docs/configuration.md", () => {
  it("lists every MAILPATH_* variable with its default and an example", () => {
    checkSection("configuration.md", "variables", renderVariablesTable());
    const page = readFileSync(docs("configuration.md"), "utf8");
    for (const variable of ENV_VARIABLES) expect(page).toContain(`| \`${variable.name}\` |`);
  });
});

describe("docs/troubleshooting.md", () => {
  const page = () => readFileSync(docs("troubleshooting.md"), "utf8");

  it("indexes every SMTP and HTTP rule of the core classifier", () => {
    checkSection("troubleshooting.md", "replies", renderReplyIndex());
    for (const rule of SMTP_RULES) expect(page()).toContain(smtpReplyText(rule.example));
    for (const rule of HTTP_RULES) expect(page()).toContain(rule.match);
  });

  it("has a section for every error code it points to", () => {
    const headings = new Set(
      [...page().matchAll(/^#{2,3} (.+)$/gm)].map((match) =>
        match[1]!
          .toLowerCase()
          .replace(/`/g, "")
          .replace(/[^a-z0-9 _-]/g, "")
          .trim()
          .replace(/ /g, "-"),
      ),
    );
    for (const code of MAIL_ERROR_CODES) expect(headings).toContain(SECTION_BY_CODE[code]);
  });
});
