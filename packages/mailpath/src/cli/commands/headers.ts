// `mailpath headers [file | -]`: what the receiving servers concluded about a message.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { HeaderAnalysis, MethodResult } from "@mailpath/inspect";
import { type CliIo, EXIT, UsageError, writeJson } from "../io.js";
import { MARKS } from "../render.js";

export interface HeadersOptions {
  readonly verify?: boolean;
  readonly dnsServer?: string;
  readonly json?: boolean;
}

async function readInput(io: CliIo, file: string | undefined): Promise<Buffer> {
  if (file && file !== "-") {
    try {
      return await readFile(resolve(io.cwd, file));
    } catch (error) {
      throw new UsageError(
        `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      );
    }
  }
  if ((io.stdin as { isTTY?: boolean }).isTTY)
    throw new UsageError(
      "Give a file (message.eml) or pipe the headers in: mailpath headers - < headers.txt",
    );
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

function methodLine(name: string, result: MethodResult | undefined, extra: string[] = []): string {
  if (!result) return `  ${name.padEnd(9)} -`;
  const parts = [result.result.padEnd(9), ...extra.filter(Boolean)];
  if (result.comment) parts.push(`(${result.comment})`);
  return `  ${name.padEnd(9)} ${parts.join("  ")}`;
}

function render(analysis: HeaderAnalysis): string {
  const { authentication: auth, spam, hops, findings } = analysis;
  const lines: string[] = [];
  const severityMark = { info: MARKS.info, warn: MARKS.warn, fail: MARKS.fail } as const;
  lines.push(`${MARKS[analysis.verdict]} verdict: ${analysis.verdict}`);
  if (analysis.message.subject || analysis.message.from)
    lines.push(`  ${analysis.message.from ?? ""}  "${analysis.message.subject ?? ""}"`);
  lines.push("", `Authentication${auth.authservId ? ` (by ${auth.authservId})` : ""}`);
  lines.push(methodLine("spf", auth.spf, [auth.spf?.domain ?? "", auth.spf?.ip ?? ""]));
  if (auth.dkim.length === 0) lines.push(methodLine("dkim", undefined));
  for (const dkim of auth.dkim)
    lines.push(
      methodLine("dkim", dkim, [
        dkim.domain ? `d=${dkim.domain}` : "",
        dkim.selector ? `s=${dkim.selector}` : "",
        dkim.verification
          ? `verified here: ${dkim.verification.result}${dkim.verification.comment ? ` (${dkim.verification.comment})` : ""}`
          : "",
      ]),
    );
  lines.push(
    methodLine("dmarc", auth.dmarc, [
      auth.dmarc?.domain ?? "",
      auth.dmarc?.action ? `action=${auth.dmarc.action}` : "",
      auth.dmarc?.policy ? `policy=${auth.dmarc.policy}` : "",
    ]),
  );
  lines.push(
    methodLine("compauth", auth.compauth, [
      auth.compauth?.reason ? `reason=${auth.compauth.reason}` : "",
    ]),
  );
  lines.push(methodLine("arc", auth.arc, auth.arc ? [`${auth.arc.instances} set(s)`] : []));
  const spamParts = [
    spam.scl !== undefined ? `SCL ${spam.scl}` : "",
    spam.bcl !== undefined ? `BCL ${spam.bcl}` : "",
    spam.sfv ? `SFV ${spam.sfv}` : "",
    spam.cat ? `CAT ${spam.cat}` : "",
    spam.country ? `country ${spam.country}` : "",
    spam.ipv ? `IPV ${spam.ipv}` : "",
    spam.dir ? `DIR ${spam.dir}` : "",
    spam.authAs ? `AuthAs ${spam.authAs}` : "",
    spam.score !== undefined ? `score ${spam.score}` : "",
    spam.action ? `action "${spam.action}"` : "",
  ].filter(Boolean);
  lines.push("", "Spam filtering", `  ${spamParts.join("  ") || "-"}`);
  lines.push("", "Hops (oldest first)");
  hops.forEach((hop, index) => {
    const delay = hop.delayMs === null ? "" : `+${(hop.delayMs / 1000).toFixed(0)} s`;
    const tls = hop.tls === true ? "TLS" : hop.tls ? `TLS ${hop.tls}` : "no TLS noted";
    lines.push(
      `  ${String(index + 1).padStart(2)} ${hop.from ?? "?"} → ${hop.by ?? "?"}  ${hop.with ?? ""}  ${tls}  ${hop.at ?? "no date"} ${delay}`.trimEnd(),
    );
  });
  if (hops.length === 0) lines.push("  -");
  lines.push("", "Findings");
  for (const finding of findings)
    lines.push(`  ${severityMark[finding.severity]} ${finding.message}`);
  if (findings.length === 0) lines.push("  -");
  return `${lines.join("\n")}\n`;
}

export async function headersCommand(
  io: CliIo,
  file: string | undefined,
  options: HeadersOptions,
): Promise<number> {
  const raw = await readInput(io, file);
  if (raw.toString("utf8").trim() === "")
    throw new UsageError("The input is empty: give a message or a header block");
  const { analyzeHeaders } = await import("@mailpath/inspect");
  const analysis = await analyzeHeaders(raw, {
    ...(options.verify && { verify: true }),
    ...(options.dnsServer && { dnsServer: options.dnsServer }),
  });
  if (options.json) writeJson(io, { command: "headers", ...analysis });
  else io.stdout.write(render(analysis));
  return analysis.verdict === "fail" ? EXIT.fail : EXIT.pass;
}
