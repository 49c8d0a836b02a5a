// The environment a command reads: the process's MAILPATH_* variables, and under them the
// values of `--env-file` (like `node --env-file`, a variable already set wins).
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseEnv } from "node:util";
import type { Env } from "../env.js";
import { type CliIo, UsageError } from "./io.js";

export async function loadEnv(io: CliIo, envFile: string | undefined): Promise<Env> {
  if (!envFile) return io.env;
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, envFile), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new UsageError(`--env-file ${envFile} cannot be read (${code})`);
  }
  return { ...parseEnv(text), ...io.env };
}
