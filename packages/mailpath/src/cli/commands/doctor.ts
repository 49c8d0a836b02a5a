// `mailpath doctor`: every check of every configured path, step by step, then the sender
// domain's DNS. Nothing is sent unless --send.
import { resolveCloud } from "@mailpath/core";
import type { DoctorProgress, DoctorStep, DomainReport, PathReport } from "@mailpath/inspect";
import { createSpinner } from "nanospinner";
import type { ResolvedConfig } from "../../config.js";
import { pickDefined } from "../../path-options.js";
import type { PathName } from "../../routing-spec.js";
import { type CliIo, EXIT, interactive, UsageError, writeJson } from "../io.js";
import { loadEnv } from "../load-env.js";
import { MARKS, stepLine, stepText } from "../render.js";
import { parsePaths, resolveFromEnv, tokenSource } from "../resolve-config.js";
import { dnsSteps } from "./dns.js";

export interface DoctorOptions {
  readonly paths?: string;
  readonly from?: string;
  readonly to?: string;
  readonly send?: boolean;
  readonly dns?: boolean;
  readonly dnsServer?: string;
  readonly timeout?: string;
  readonly envFile?: string;
  readonly json?: boolean;
}

const TITLES: Record<PathName, string> = {
  smtp: "SMTP AUTH",
  relay: "Relay connector",
  graph: "Microsoft Graph",
};

/** Live output: a spinner on a terminal, plain lines otherwise, nothing with --json. */
function progress(io: CliIo, json: boolean): DoctorProgress & { finish(): void } {
  if (json) return { finish() {} };
  if (!interactive(io)) {
    return {
      onStep: (step) => io.stdout.write(`${stepLine(step)}\n`),
      finish() {},
    };
  }
  const spinner = createSpinner("", { stream: io.stdout as NodeJS.WriteStream });
  return {
    onStepStart: (_id, title) => spinner.start({ text: title }),
    onStep: (step: DoctorStep) => {
      const text = stepText(step);
      const color = ({ pass: "green", warn: "yellow", fail: "red", skip: "gray" } as const)[
        step.status
      ];
      if (spinner.isSpinning()) spinner.stop({ mark: MARKS[step.status], text, color });
      else io.stdout.write(`  ${MARKS[step.status]} ${text}\n`);
    },
    finish: () => {
      if (spinner.isSpinning()) spinner.clear();
    },
  };
}

async function runPath(
  path: PathName,
  config: ResolvedConfig,
  options: DoctorOptions & { readonly from: string },
  live: DoctorProgress,
): Promise<PathReport> {
  const inspect = await import("@mailpath/inspect");
  const timeoutMs = options.timeout ? Number(options.timeout) : 15_000;
  const common = {
    from: options.from,
    ...(options.to && { to: options.to }),
    ...(options.send && { send: true }),
    ...pickDefined(config, ["ca"]),
    ...(options.dnsServer && { dnsServer: options.dnsServer }),
    cloud: config.cloud,
    timeoutMs,
    ...live,
  };
  if (path === "smtp") {
    const { smtp } = config;
    return inspect.checkSmtp({
      ...common,
      host: smtp.host ?? resolveCloud(config.cloud).smtpHost,
      port: smtp.port ?? 587,
      auth:
        smtp.auth === "oauth"
          ? {
              method: "oauth",
              user: smtp.user ?? options.from,
              token: tokenSource(config),
              ...(config.entra.tenantId && { tenantId: config.entra.tenantId }),
            }
          : { method: "password", user: smtp.user ?? "", password: smtp.password ?? "" },
    });
  }
  if (path === "relay") {
    return inspect.checkRelay({
      ...common,
      ...pickDefined(config.relay, [
        "host",
        "domain",
        "port",
        "localAddress",
        "clientCert",
        "clientKey",
      ]),
    });
  }
  return inspect.checkGraph({
    ...common,
    token: tokenSource(config),
    ...(config.entra.tenantId && { tenantId: config.entra.tenantId }),
    ...(config.entra.clientId && { clientId: config.entra.clientId }),
    ...pickDefined(config.graph, ["baseUrl", "mailbox"]),
  });
}

/** Runs the doctor; returns the exit code. */
export async function doctorCommand(io: CliIo, options: DoctorOptions): Promise<number> {
  if (options.timeout !== undefined && !/^\d+$/.test(options.timeout))
    throw new UsageError("--timeout must be a number of milliseconds");
  if (options.send && !options.to)
    throw new UsageError("--send needs --to: the address to send the test message to");
  const env = await loadEnv(io, options.envFile);
  const wanted = options.paths ? parsePaths(options.paths) : undefined;
  const config = await resolveFromEnv(env, wanted);
  const from = options.from ?? config.from ?? config.smtp.user;
  if (!from) throw new UsageError("No sender: set MAILPATH_FROM or pass --from");
  const json = options.json === true;
  const out = (line: string) => {
    if (!json) io.stdout.write(`${line}\n`);
  };

  const reports: PathReport[] = [];
  for (const path of config.paths) {
    const live = progress(io, json);
    out(`${TITLES[path]} (${path})`);
    const report = await runPath(path, config, { ...options, from }, live);
    live.finish();
    out(`  → ${path}: ${report.status} (${report.target})\n`);
    reports.push(report);
  }

  let dns: DomainReport | undefined;
  if (options.dns !== false) {
    const domain = from.slice(from.lastIndexOf("@") + 1);
    const { checkDomain } = await import("@mailpath/inspect");
    out(`Sender domain DNS (${domain})`);
    const started = Date.now();
    dns = await checkDomain(domain, {
      cloud: config.cloud,
      ...(options.dnsServer && { dnsServer: options.dnsServer }),
    });
    // The four checks run at once: each line shows the time of the whole lookup.
    const elapsedMs = Date.now() - started;
    for (const step of dnsSteps(dns)) out(stepLine({ ...step, durationMs: elapsedMs }));
    out(`  → dns: ${dns.verdict}\n`);
  }

  const statuses = [...reports.map((report) => report.status), ...(dns ? [dns.verdict] : [])];
  const verdict = statuses.includes("fail") ? "fail" : statuses.includes("warn") ? "warn" : "pass";
  if (json) {
    writeJson(io, {
      command: "doctor",
      verdict,
      from,
      paths: reports,
      ...(dns && { dns }),
    });
  } else {
    const summary = [
      ...reports.map((report) => `${report.path} ${report.status}`),
      ...(dns ? [`dns ${dns.verdict}`] : []),
    ].join(", ");
    out(`${MARKS[verdict]} doctor: ${summary}`);
  }
  return verdict === "fail" ? EXIT.fail : EXIT.pass;
}
