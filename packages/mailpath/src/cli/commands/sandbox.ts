// `mailpath sandbox`: the emulator with its web inbox and the header analysis of
// @mailpath/inspect, in the foreground until Ctrl+C. Prints the inbox URL and the MAILPATH_*
// variables that send into it.
import { rename, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { analyzeHeaders } from "@mailpath/inspect";
import { type CliIo, EXIT, UsageError, writeJson } from "../io.js";

/** Options of `mailpath sandbox`. */
export interface SandboxCommandOptions {
  readonly port?: string;
  readonly dataDir?: string;
  readonly transport?: string;
  readonly writeEnv?: string;
  readonly json?: boolean;
}

type EmulatorModule = typeof import("@mailpath/emulator");

async function loadEmulator(): Promise<EmulatorModule> {
  try {
    return await import("@mailpath/emulator");
  } catch {
    throw new UsageError(
      "mailpath sandbox needs the package @mailpath/emulator, which is not installed: npm install -D @mailpath/emulator",
      [{ path: "@mailpath/emulator", message: "is not installed" }],
    );
  }
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Runs the sandbox until `until` settles (SIGINT/SIGTERM by default).
 * @returns the exit code
 */
export async function sandboxCommand(
  io: CliIo,
  options: SandboxCommandOptions,
  until: Promise<unknown> = new Promise((done) => {
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
  }),
): Promise<number> {
  const port = options.port === undefined ? 0 : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new UsageError(`--port must be a port number (0-65535), got ${options.port}`);
  }
  const transport = options.transport ?? "smtp";
  if (!["smtp", "relay", "graph"].includes(transport)) {
    throw new UsageError(`--transport must be smtp, relay or graph, got ${transport}`);
  }
  const { startEmulator } = await loadEmulator();
  const emulator = await startEmulator({
    web: { port, analyzeHeaders },
    ...(options.dataDir ? { dataDir: resolve(io.cwd, options.dataDir) } : {}),
    onMessage: (message) => {
      if (options.json) return;
      io.stdout.write(
        `delivered ${message.path}  from=${message.envelope.from || "<>"}  to=${message.envelope.to.join(",")}  subject=${JSON.stringify(message.subject ?? "")}\n`,
      );
    },
  });
  try {
    const url = emulator.web?.url ?? "";
    const env = emulator.env({ MAILPATH_TRANSPORT: transport });
    if (options.writeEnv) {
      const file = resolve(io.cwd, options.writeEnv);
      const lines = Object.entries(env).map(([name, value]) => `${name}=${value}`);
      await writeFile(`${file}.partial`, `${lines.join("\n")}\n`, { mode: 0o600 });
      await rename(`${file}.partial`, file);
    }
    if (options.json) {
      writeJson(io, { url, api: `${url}api/v1/`, env });
    } else {
      io.stdout.write(
        [
          `mailpath sandbox: ${url}`,
          `  Mailpit-compatible API  ${url}api/v1/`,
          `  SMTP ${emulator.smtp.host}:${emulator.smtp.port} · relay ${emulator.relay.host}:${emulator.relay.port} · Graph ${emulator.graph.baseUrl}`,
          "",
          "Send into it with:",
          ...Object.entries(env).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
          "",
          "Press Ctrl+C to stop.",
          "",
        ].join("\n"),
      );
    }
    await until;
    return EXIT.pass;
  } finally {
    await emulator.stop();
  }
}
