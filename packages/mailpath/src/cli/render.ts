// Plain text for people: one line per step, `✓ / ! / ✗`, the time it took and what was seen;
// on failure the server's words and the fix on their own lines.
import type { DoctorStep, StepStatus } from "@mailpath/inspect";

export const MARKS: Readonly<Record<StepStatus | "info", string>> = {
  pass: "✓",
  warn: "!",
  fail: "✗",
  skip: "-",
  info: "·",
};

function milliseconds(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value} ms`;
}

/** One step as text (without the mark, which the spinner or the plain writer adds). */
export function stepText(step: DoctorStep): string {
  const time = step.status === "skip" ? "" : milliseconds(step.durationMs);
  const lines = [`${step.title.padEnd(26)} ${time.padStart(8)}  ${step.detail}`];
  if (step.reply) lines.push(`      reply: ${step.reply}`);
  if (step.fix) lines.push(`      fix:   ${step.fix}`);
  return lines.join("\n");
}

/** One step as a full line with its mark. */
export function stepLine(step: DoctorStep): string {
  return `  ${MARKS[step.status]} ${stepText(step)}`;
}
