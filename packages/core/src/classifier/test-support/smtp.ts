// Shared by the SMTP classifier tests (not built: tsconfig.build.json leaves test-support out).
import { expect } from "vitest";
import { classifySmtpReply } from "../classify.js";
import { parseSmtpReply } from "../parse.js";

/**
 * Classifies a reply as nodemailer hands it over: the whole text, its reply code read from it.
 * @param command the command the server refused (`MAIL FROM`, `RCPT TO`), when one is given
 */
export function classifyReply(response: string, command?: string) {
  const parsed = parseSmtpReply(response);
  return classifySmtpReply({
    replyCode: parsed.replyCode ?? 0,
    response,
    ...(command !== undefined && { command }),
  });
}

/**
 * Checks the rows of an SMTP table: unique ids, a hint of one or two sentences on every row,
 * and an example reply of the form `example`.
 */
export function expectWellWrittenRows(
  rules: readonly { readonly id: string; readonly hint: string; readonly example: string }[],
  example: RegExp,
): void {
  const ids = rules.map((rule) => rule.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const rule of rules) {
    expect(rule.hint.length, rule.id).toBeGreaterThan(20);
    expect(rule.hint.split(/[.!?](?:\s|$)/).filter(Boolean).length, rule.id).toBeLessThanOrEqual(3);
    expect(rule.example, rule.id).toMatch(example);
  }
}
