import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MAIL_ERROR_CODES } from "../errors/codes.js";
import { renderErrorsDoc } from "./errors-doc.js";
import { BASIC_SMTP_RULES, GENERIC_SMTP_RULES } from "./generic-smtp-rules.js";
import { HTTP_RULES } from "./http-rules.js";
import { SMTP_RULES } from "./smtp-rules.js";

const DOC_PATH = fileURLToPath(new URL("../../../../docs/errors.md", import.meta.url));
const REGENERATE =
  "run `UPDATE_DOCS=1 npx vitest run src/classifier` in packages/core to regenerate it";

describe("docs/errors.md", () => {
  const rendered = renderErrorsDoc();

  it("lists every MailErrorCode and every SMTP and HTTP row", () => {
    for (const code of MAIL_ERROR_CODES)
      expect(rendered).toMatch(new RegExp(`^\\| \`${code}\` +\\|`, "m"));
    for (const rule of [...SMTP_RULES, ...GENERIC_SMTP_RULES, ...BASIC_SMTP_RULES]) {
      expect(rendered).toContain(`\`${rule.example}\``);
    }
    for (const rule of HTTP_RULES) expect(rendered).toContain(rule.match);
  });

  it("matches the classifier tables", () => {
    // Regenerating is a local step only: in CI an UPDATE_DOCS=1 left in the environment must not
    // turn a drifted table into a green run. (The rows' answers are pinned, independently of
    // this page, by expected-behaviour.test.ts.)
    if (process.env.UPDATE_DOCS === "1") {
      expect(process.env.CI, "UPDATE_DOCS=1 is refused in CI").toBeFalsy();
      writeFileSync(DOC_PATH, rendered);
    }
    let onDisk = "";
    try {
      onDisk = readFileSync(DOC_PATH, "utf8");
    } catch {
      expect.fail(`docs/errors.md is missing: ${REGENERATE}`);
    }
    expect(onDisk, `docs/errors.md is out of date: ${REGENERATE}`).toBe(rendered);
  });
});
