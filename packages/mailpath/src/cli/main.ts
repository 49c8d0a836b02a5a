// The `mailpath` command line: commander parses, each command lives in ./commands, and every
// command has --json with a stable shape (docs/cli.md). Exit codes: 0 pass (warnings allowed),
// 1 a check or the send failed, 2 usage or configuration error.
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { dnsCommand } from "./commands/dns.js";
import { doctorCommand } from "./commands/doctor.js";
import { headersCommand } from "./commands/headers.js";
import { sandboxCommand } from "./commands/sandbox.js";
import { sendCommand } from "./commands/send.js";
import { type CliIo, EXIT, UsageError, writeJson } from "./io.js";

function version(): string {
  try {
    const manifest = JSON.parse(
      readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
    ) as { version?: string };
    return manifest.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

const collect = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean),
];

function program(io: CliIo, setCode: (code: number) => void): Command {
  const root = new Command("mailpath")
    .description(
      "Check and use a Microsoft 365 mail set-up: doctor, send, headers, dns. Reads the same MAILPATH_* variables as createMailerFromEnv.",
    )
    .version(version(), "-V, --version")
    .showHelpAfterError("(run mailpath --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  const envFile = () =>
    new Option(
      "--env-file <path>",
      "read MAILPATH_* variables from a .env file (set variables win)",
    );
  const json = () => new Option("--json", "print one JSON document (see docs/cli.md)");
  const dnsServer = () =>
    new Option("--dns-server <host:port>", "send every DNS lookup to this server");

  root
    .command("doctor")
    .description(
      "check every configured path step by step (DNS, TCP, TLS, EHLO, AUTH, token, Send As, connector, Graph) and the sender domain's DNS; sends nothing without --send",
    )
    .option("--paths <list>", "paths to check instead of MAILPATH_TRANSPORT's (smtp,relay,graph)")
    .option("--from <address>", "sender to check (default MAILPATH_FROM)")
    .option("--to <address>", "recipient to try with RCPT TO (and to send to with --send)")
    .option("--send", "send one test message per path (needs --to)")
    .option("--no-dns", "skip the sender domain's DNS checks")
    .addOption(dnsServer())
    .option("--timeout <ms>", "time limit of each network step", "15000")
    .addOption(envFile())
    .addOption(json())
    .action(async (options) => setCode(await doctorCommand(io, options)));

  root
    .command("send")
    .description("send one message through the configured path and print the receipt")
    .requiredOption("--to <address...>", "recipient(s); repeat or separate with commas", collect)
    .option("--cc <address...>", "copy recipient(s)", collect)
    .option("--from <address>", "sender (default MAILPATH_FROM)")
    .option("--subject <text>", "subject", "Test message from mailpath")
    .option("--text <text>", "plain-text body")
    .option("--html <html>", "HTML body")
    .option("--attach <file...>", "attach file(s)", collect)
    .option(
      "--transport <spec>",
      "path to use instead of MAILPATH_TRANSPORT (smtp, relay, graph, graph,smtp)",
    )
    .addOption(envFile())
    .addOption(json())
    .action(async (options) => setCode(await sendCommand(io, options)));

  root
    .command("headers")
    .argument("[file]", "a message (.eml) or header block; - or nothing reads stdin")
    .description(
      "analyze what arrived: Authentication-Results, DKIM, DMARC, compauth, ARC, Received hops, EOP spam verdicts",
    )
    .option("--verify", "verify DKIM signatures with public keys from DNS")
    .addOption(dnsServer())
    .addOption(json())
    .action(async (file, options) => setCode(await headersCommand(io, file, options)));

  root
    .command("dns")
    .argument("<domain>", "the sender's domain (contoso.com)")
    .description("check the domain's SPF, DKIM, DMARC and MX for Microsoft 365")
    .addOption(dnsServer())
    .option(
      "--cloud <cloud>",
      "global, usgov, usgovdod or china (picks the SPF include and MX suffix)",
    )
    .option(
      "--tenant-domain <domain>",
      "the tenant's initial domain (contoso.onmicrosoft.com), to check DKIM targets",
    )
    .addOption(json())
    .action(async (domain, options) => setCode(await dnsCommand(io, domain, options)));

  root
    .command("sandbox")
    .description(
      "start a local Exchange Online with a web inbox (and Mailpit's /api/v1) on loopback, print its URL and the variables that send into it; runs until Ctrl+C",
    )
    .option("--port <port>", "the web inbox's port (default: ephemeral)")
    .option("--data-dir <dir>", "keep the CA, keys, ports and messages here across restarts")
    .option("--transport <path>", "MAILPATH_TRANSPORT to print: smtp, relay or graph", "smtp")
    .option("--write-env <file>", "also write the variables to this file (KEY=value lines)")
    .addOption(json())
    .action(async (options) => setCode(await sandboxCommand(io, options)));
  return root;
}

/**
 * Runs the command line.
 * @param argv the arguments after `mailpath`
 * @param io streams and environment @default the process's
 * @returns the exit code
 */
export async function main(argv: readonly string[], io?: Partial<CliIo>): Promise<number> {
  const full: CliIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    ...io,
  };
  let code: number = EXIT.pass;
  const wantsJson = argv.includes("--json");
  try {
    await program(full, (value) => {
      code = value;
    }).parseAsync(argv as string[], { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.version" ||
        error.code === "commander.help"
      )
        return EXIT.pass;
      if (wantsJson) writeJson(full, { error: { code: "USAGE", message: error.message } });
      return EXIT.usage;
    }
    if (error instanceof UsageError) {
      if (wantsJson)
        writeJson(full, {
          error: { code: "USAGE", message: error.message, issues: error.issues },
        });
      else {
        full.stderr.write(`error: ${error.message}\n`);
        for (const issue of error.issues) full.stderr.write(`  ${issue.path} ${issue.message}\n`);
      }
      return EXIT.usage;
    }
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (wantsJson) writeJson(full, { error: { code: "UNEXPECTED", message } });
    else full.stderr.write(`error: ${message}\n`);
    return EXIT.fail;
  }
}
