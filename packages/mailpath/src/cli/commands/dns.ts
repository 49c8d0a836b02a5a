// `mailpath dns <domain>`: the sender-domain part of doctor alone.
import { CLOUDS, type Cloud } from "@mailpath/core";
import type { DoctorStep, DomainReport } from "@mailpath/inspect";
import { type CliIo, EXIT, UsageError, writeJson } from "../io.js";
import { MARKS, stepLine } from "../render.js";

export interface DnsCommandOptions {
  readonly dnsServer?: string;
  readonly cloud?: string;
  readonly tenantDomain?: string;
  readonly json?: boolean;
}

const TITLES = { spf: "SPF", dkim: "DKIM selector1/selector2", dmarc: "DMARC", mx: "MX" } as const;

/** DNS checks as doctor steps, so both commands print them alike. */
export function dnsSteps(report: DomainReport): DoctorStep[] {
  return report.checks.map((check) => ({
    id: `dns.${check.name}`,
    title: TITLES[check.name],
    status: check.status,
    durationMs: 0,
    detail: check.summary,
    ...(check.fix && { fix: check.fix }),
  }));
}

export async function dnsCommand(
  io: CliIo,
  domain: string,
  options: DnsCommandOptions,
): Promise<number> {
  if (!/^[a-z0-9.-]+\.[a-z0-9-]+\.?$/i.test(domain))
    throw new UsageError(`"${domain}" is not a domain name (such as contoso.com)`);
  if (options.cloud && !(CLOUDS as readonly string[]).includes(options.cloud))
    throw new UsageError(`--cloud must be one of ${CLOUDS.join(", ")}`);
  const { checkDomain } = await import("@mailpath/inspect");
  const started = Date.now();
  const report = await checkDomain(domain, {
    ...(options.dnsServer && { dnsServer: options.dnsServer }),
    ...(options.cloud && { cloud: options.cloud as Cloud }),
    ...(options.tenantDomain && { tenantDomain: options.tenantDomain }),
  });
  if (options.json) writeJson(io, { command: "dns", ...report });
  else {
    io.stdout.write(`Sender domain DNS (${report.domain})\n`);
    for (const step of dnsSteps(report)) {
      io.stdout.write(`${stepLine({ ...step, durationMs: Date.now() - started })}\n`);
      const records = report.checks.find((check) => `dns.${check.name}` === step.id)?.records ?? [];
      for (const record of records) io.stdout.write(`      record: ${record}\n`);
    }
    io.stdout.write(`${MARKS[report.verdict]} dns: ${report.verdict}\n`);
  }
  return report.verdict === "fail" ? EXIT.fail : EXIT.pass;
}
