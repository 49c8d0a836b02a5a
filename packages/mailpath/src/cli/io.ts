// What a command reads and writes, so the CLI can be driven by a process or by a test.
import type { Readable, Writable } from "node:stream";
import type { Env } from "../env.js";

/** Exit codes: 0 every check passed (warnings allowed), 1 a check or the send failed, 2 usage or configuration error. */
export const EXIT = { pass: 0, fail: 1, usage: 2 } as const;

export interface CliIo {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
  readonly stdin: Readable;
  readonly env: Env;
  readonly cwd: string;
}

/** A usage or configuration problem: exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly issues: readonly { readonly path: string; readonly message: string }[] = [],
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** Writes one JSON document (the `--json` output of every command). */
export function writeJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Whether to draw a spinner: a terminal with a known width (a spinner on a zero-width
 * terminal redraws forever), not `TERM=dumb`, not CI.
 */
export function interactive(io: CliIo): boolean {
  const stream = io.stdout as { isTTY?: boolean; columns?: number };
  return (
    stream.isTTY === true &&
    (stream.columns ?? 0) > 0 &&
    io.env.TERM !== "dumb" &&
    io.env.CI === undefined
  );
}
