// Shared by the benchmarks: how a figure is summed up and printed.
import { readFileSync } from "node:fs";

/** The machine's load averages (1, 5, 15 min), printed next to figures taken on a shared machine. */
export const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

/** The median of `values` (the mean of the two middle ones for an even count). */
export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** `value` with `digits` decimals; what is not a finite number, as it is (NaN, Infinity). */
export const fixed = (value, digits = 1) =>
  Number.isFinite(value) ? value.toFixed(digits) : String(value);

/** A target's verdict as the benchmarks print it. */
export const verdict = (met) => (met ? "MET" : "NOT MET");

/** Prints each `{ target, value, met }` on its own line: `target <name>: <value> -> MET`. */
export function printTargets(targets, indent = "    ") {
  for (const { target, value, met } of targets) {
    console.log(`${indent}target ${target}: ${fixed(value, 3)} -> ${verdict(met)}`);
  }
}
