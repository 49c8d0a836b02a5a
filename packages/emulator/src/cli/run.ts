// The `mailpath-emulator` command: starts the emulator in the foreground, prints the
// endpoints and the MAILPATH_* environment that points a mailer at it, and stops when told.
import { mkdtemp, readFile, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { DeliveredMessage } from "@mailpath/core/testing";
import { type Emulator, startEmulator } from "../emulator.js";
import type { TenantPolicyInput } from "../tenant.js";
import type { SandboxHeaderAnalyzer } from "../web/model.js";

/** Where the command writes. */
export interface CommandOutput {
  write(text: string): void;
  error(text: string): void;
}

const USAGE = `Usage: mailpath-emulator [options]

Starts a local Exchange Online (SMTP submission, relay, Entra token and Graph endpoints)
on loopback and prints the MAILPATH_* variables that point a mailer at it.

Options:
  --host <address>        address to bind (default 127.0.0.1)
  --smtp-port <port>      SMTP submission port (default: ephemeral)
  --relay-port <port>     relay (MX) port (default: ephemeral)
  --graph-port <port>     Graph HTTPS port (default: ephemeral)
  --entra-port <port>     Entra token HTTPS port (default: ephemeral)
  --tenant <file.json>    tenant policy (JSON) merged over the default tenant
  --transport <path>      MAILPATH_TRANSPORT to print: smtp, relay or graph (default smtp)
  --data-dir <dir>        keep the CA, keys, ports and delivered mail here across restarts
                          (default: a new temporary directory, left in place on stop)
  --write-env <file>      also write the variables to this file (KEY=value lines)
  --web                   serve the sandbox: a web inbox of delivered mail and Mailpit's /api/v1
  --web-port <port>       the sandbox's port (default: ephemeral)
  --json                  print the variables as one JSON object instead of export lines
  -h, --help              show this help
`;

function port(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) {
    throw new Error(`${name} must be a port number (0-65535), got ${JSON.stringify(value)}`);
  }
  return parsed;
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Formats the variables as `export KEY=value` lines. */
export function formatExports(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([name, value]) => `export ${name}=${shellQuote(value)}`)
    .join("\n");
}

/**
 * One line per delivered message: path, envelope sender and recipients, subject, size and
 * Message-ID, so a person sees mail arrive.
 */
export function formatDelivery(message: DeliveredMessage): string {
  const size = Buffer.byteLength(message.raw ?? "", "utf8");
  return [
    `delivered ${message.path}`,
    `from=${message.envelope.from || "<>"}`,
    `to=${message.envelope.to.join(",")}`,
    `subject=${JSON.stringify(message.subject ?? "")}`,
    `size=${size}`,
    `message-id=${message.messageId ?? "-"}`,
  ].join("  ");
}

function describeEndpoints(emulator: Emulator): string {
  const tenant = emulator.tenant;
  const connectorIps = tenant.connectors.flatMap((connector) => connector.senderIps ?? []);
  return [
    `mailpath emulator: a local Exchange Online for tenant ${tenant.tenantId} (${tenant.domains.join(", ")})`,
    `  SMTP submission  ${emulator.smtp.host}:${emulator.smtp.port}  (STARTTLS, AUTH LOGIN XOAUTH2)`,
    `  Relay (MX)       ${emulator.relay.host}:${emulator.relay.port}  (connector IPs: ${connectorIps.join(", ") || "none"})`,
    `  Graph            ${emulator.graph.baseUrl}`,
    `  Entra            ${emulator.entra.authorityHost}/${tenant.tenantId}`,
    `  CA certificate   ${emulator.caFile}`,
    ...(emulator.web ? [`  Sandbox (web)    ${emulator.web.url}`] : []),
  ].join("\n");
}

function parseOptions(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    options: {
      host: { type: "string" },
      "smtp-port": { type: "string" },
      "relay-port": { type: "string" },
      "graph-port": { type: "string" },
      "entra-port": { type: "string" },
      tenant: { type: "string" },
      transport: { type: "string" },
      "write-env": { type: "string" },
      "data-dir": { type: "string" },
      json: { type: "boolean" },
      web: { type: "boolean" },
      "web-port": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/**
 * `analyzeHeaders` of `@mailpath/inspect` when it is installed (it is not a dependency of the
 * emulator: inspect's own tests run against the emulator). Without it the sandbox says how
 * to get the header analysis.
 */
async function loadHeaderAnalyzer(): Promise<{ analyzeHeaders?: SandboxHeaderAnalyzer }> {
  const name = "@mailpath/inspect";
  try {
    const inspect = (await import(name)) as { analyzeHeaders?: SandboxHeaderAnalyzer };
    return inspect.analyzeHeaders ? { analyzeHeaders: inspect.analyzeHeaders } : {};
  } catch {
    return {};
  }
}

/**
 * Runs the command until `until` settles, then stops the emulator.
 * @param argv arguments after the command name
 * @param output where to print
 * @param until resolves when the command should stop (SIGINT/SIGTERM in the real command)
 * @param onStarted sees the running emulator (tests)
 * @returns the exit code
 */
export async function runEmulatorCommand(
  argv: readonly string[],
  output: CommandOutput,
  until: Promise<unknown>,
  onStarted?: (emulator: Emulator) => void,
): Promise<number> {
  let values: ReturnType<typeof parseOptions>["values"];
  let tenant: TenantPolicyInput | undefined;
  let ports: {
    smtp?: number | undefined;
    relay?: number | undefined;
    graph?: number | undefined;
    entra?: number | undefined;
  };
  let webPort: number | undefined;
  try {
    values = parseOptions(argv).values;
    if (values.help) {
      output.write(USAGE);
      return 0;
    }
    if (values.transport && !["smtp", "relay", "graph"].includes(values.transport)) {
      throw new Error(
        `--transport must be smtp, relay or graph, got ${JSON.stringify(values.transport)}`,
      );
    }
    ports = {
      smtp: port(values["smtp-port"], "--smtp-port"),
      relay: port(values["relay-port"], "--relay-port"),
      graph: port(values["graph-port"], "--graph-port"),
      entra: port(values["entra-port"], "--entra-port"),
    };
    webPort = port(values["web-port"], "--web-port");
    if (values.tenant) {
      tenant = JSON.parse(await readFile(values.tenant, "utf8")) as TenantPolicyInput;
    }
  } catch (error) {
    output.error(`mailpath-emulator: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }

  let emulator: Emulator;
  let started = false;
  try {
    // The CA file printed below is one the user is told to trust: it lives in a data
    // directory, which stopping never removes (a temporary one when none is given).
    const dataDir = values["data-dir"] ?? (await mkdtemp(join(tmpdir(), "mailpath-emulator-")));
    emulator = await startEmulator({
      ...(values.host ? { host: values.host } : {}),
      ...(tenant ? { tenant } : {}),
      ports: Object.fromEntries(
        Object.entries(ports).filter(([, value]) => value !== undefined),
      ) as Partial<Record<keyof typeof ports, number>>,
      dataDir,
      ...(values.web || webPort !== undefined
        ? {
            web: {
              ...(webPort !== undefined ? { port: webPort } : {}),
              ...(await loadHeaderAnalyzer()),
            },
          }
        : {}),
      onMessage: (message) => {
        if (!started) return;
        output.write(
          values.json
            ? `${JSON.stringify({
                delivered: message.path,
                from: message.envelope.from,
                to: message.envelope.to,
                subject: message.subject ?? "",
                size: Buffer.byteLength(message.raw ?? "", "utf8"),
                messageId: message.messageId ?? null,
              })}\n`
            : `${formatDelivery(message)}\n`,
        );
      },
    });
  } catch (error) {
    output.error(`mailpath-emulator: could not start: ${(error as Error).message}\n`);
    return 1;
  }
  try {
    const env = emulator.env(values.transport ? { MAILPATH_TRANSPORT: values.transport } : {});
    if (values["write-env"]) {
      const lines = Object.entries(env).map(([name, value]) => `${name}=${value}`);
      // Written whole, then renamed: a script waiting for the file never reads half of it.
      const partial = `${values["write-env"]}.partial`;
      await writeFile(partial, `${lines.join("\n")}\n`, { mode: 0o600 });
      await rename(partial, values["write-env"]);
    }
    if (values.json) {
      output.write(`${JSON.stringify(env)}\n`);
    } else {
      output.write(
        `${describeEndpoints(emulator)}\n\nPoint a mailer at it:\n${formatExports(env)}\n\nPress Ctrl+C to stop.\n`,
      );
    }
    started = true;
    onStarted?.(emulator);
    await until;
    return 0;
  } finally {
    await emulator.stop();
  }
}
