// Apps run in a fresh Node process on the built package (node dist/index.js; turbo builds it
// before the tests), so each sees exactly what its own mailer loads.
import { execFile } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { ENTRA } from "./config.js";

/** The URL of the built entry point, for an app to import. */
export const ENTRY = pathToFileURL(
  fileURLToPath(new URL("../../dist/index.js", import.meta.url)),
).href;

/** The variables of a Graph mailer, for an app to build from `JSON.parse(process.env.APP_ENV)`. */
export const GRAPH_ENV = { MAILPATH_TRANSPORT: "graph", ...ENTRA };

/**
 * Runs `app` (an ES module's source) in a fresh Node process with `env` in APP_ENV and nothing
 * else but PATH.
 * @returns the JSON the app wrote to stdout
 */
export async function runApp<T>(app: string, env: Record<string, string>): Promise<T> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--input-type=module", "--eval", app],
    { env: { PATH: process.env.PATH ?? "", APP_ENV: JSON.stringify(env) }, timeout: 15_000 },
  );
  return JSON.parse(stdout) as T;
}
