// The header analyzer: what the receiving side concluded about a message. mailauth parses
// Authentication-Results (including Microsoft's shape without an authserv-id, folded and
// commented values) and Received headers, and verifies DKIM; this file only arranges its
// output, reads EOP's stamps and explains the verdict.
import { dkimVerify } from "mailauth";
import parseAuthHeader from "mailauth/lib/parse-dkim-headers.js";
import { parseReceived } from "mailauth/lib/parse-received.js";
import { parseHeaders } from "mailauth/lib/tools.js";
import { createDnsResolver, type DnsOptions } from "../dns/resolver.js";
import {
  BAD_CATEGORIES,
  CAT_MEANINGS,
  IPV_MEANINGS,
  parseAntispamFields,
  SFV_MEANINGS,
  SPAM_VERDICTS,
} from "./eop.js";

/**
 * How serious a finding is.
 * @since 0.1.0
 */
export type Severity = "info" | "warn" | "fail";

/**
 * One sentence that explains part of a verdict.
 * @since 0.1.0
 */
export interface Finding {
  readonly severity: Severity;
  readonly message: string;
}

/**
 * One method's result in Authentication-Results (`spf=pass smtp.mailfrom=contoso.com`).
 * @since 0.1.0
 */
export interface MethodResult {
  /** `pass`, `fail`, `softfail`, `none`, `neutral`, `temperror`, `permerror`, `bestguesspass`, … */
  readonly result: string;
  /** The parenthesized comment, unfolded (`sender IP is 198.51.100.7`). */
  readonly comment?: string;
  /** The method's properties as written: `smtp.mailfrom`, `header.from`, `header.d`, `action`, `reason`, … */
  readonly properties: Readonly<Record<string, string>>;
}

/** @since 0.1.0 */
export interface SpfResult extends MethodResult {
  /** The domain checked (`smtp.mailfrom`, without a local part). */
  readonly domain?: string;
  /** The sending IP, from the comment or Received-SPF's `client-ip`. */
  readonly ip?: string;
}

/** @since 0.1.0 */
export interface DkimResult extends MethodResult {
  /** Signing domain (`header.d`, else the domain of `header.i`). */
  readonly domain?: string;
  /** Selector (`header.s`). */
  readonly selector?: string;
  /** With `verify: true`: this analyzer's own verification of the signature. */
  readonly verification?: { readonly result: string; readonly comment?: string };
}

/** @since 0.1.0 */
export interface DmarcResult extends MethodResult {
  /** The From domain (`header.from`). */
  readonly domain?: string;
  /** What the receiver did (Microsoft's `action=`: `none`, `quarantine`, `reject`, `oreject`, `pct.quarantine`, …). */
  readonly action?: string;
  /** The domain's published policy when the receiver wrote it (`p=REJECT` in Gmail's comment, rspamd's `policy=`). */
  readonly policy?: string;
}

/** @since 0.1.0 */
export interface CompauthResult extends MethodResult {
  /** Microsoft's reason code (`000` explicit fail, `001` implicit fail, `1xx` pass, `2xx` soft pass, …). */
  readonly reason?: string;
}

/** @since 0.1.0 */
export interface ArcResult extends MethodResult {
  /** Number of ARC sets (`i=` of the newest ARC-Seal). */
  readonly instances: number;
}

/**
 * What the receiving servers concluded about the sender's authentication.
 * @since 0.1.0
 */
export interface AuthenticationSummary {
  /** `authserv-id` of the Authentication-Results used, when it has one (Microsoft's has none). */
  readonly authservId?: string;
  readonly spf?: SpfResult;
  /** One per signature. */
  readonly dkim: readonly DkimResult[];
  readonly dmarc?: DmarcResult;
  /** Microsoft's composite authentication. */
  readonly compauth?: CompauthResult;
  readonly arc?: ArcResult;
  /** `Received-SPF`, when present. */
  readonly receivedSpf?: {
    readonly result: string;
    readonly comment?: string;
    readonly properties: Readonly<Record<string, string>>;
  };
}

/**
 * Spam filtering verdicts (Exchange Online Protection, rspamd, SpamAssassin).
 * @since 0.1.0
 */
export interface SpamSummary {
  /** Spam confidence level, -1 (skipped) to 9. */
  readonly scl?: number;
  /** Bulk complaint level, 0 to 9. */
  readonly bcl?: number;
  /** Spam filtering verdict (`SFV`: `NSPM`, `SPM`, `SKS`, …). */
  readonly sfv?: string;
  /** Protection category (`CAT`: `NONE`, `SPM`, `PHSH`, `BULK`, …). */
  readonly cat?: string;
  /** Country of the connecting IP (`CTRY`). */
  readonly country?: string;
  /** IP verdict (`IPV`: `NLI`, `CAL`). */
  readonly ipv?: string;
  /** Direction (`DIR`: `INB`, `OUT`, `INT`). */
  readonly dir?: string;
  /** Connecting IP (`CIP`). */
  readonly cip?: string;
  /** `X-MS-Exchange-Organization-AuthAs` (`Anonymous`, `Internal`, `Partner`). */
  readonly authAs?: string;
  /** `X-MS-Exchange-Organization-MessageDirectionality` (`Incoming`, `Originating`). */
  readonly directionality?: string;
  /** rspamd / SpamAssassin score. */
  readonly score?: number;
  /** rspamd action (`no action`, `add header`, `reject`, …) or SpamAssassin's Yes/No. */
  readonly action?: string;
}

/**
 * One server the message passed, oldest first.
 * @since 0.1.0
 */
export interface Hop {
  /** The client as the receiving server named it (with its IP when written). */
  readonly from?: string;
  /** The receiving server. */
  readonly by?: string;
  /** Protocol (`ESMTPS`, `ESMTPSA`, `SMTPS`, `HTTPS`, `mapi`, …). */
  readonly with?: string;
  /** The connecting IP, when written. */
  readonly ip?: string;
  /** TLS details when written (`version=TLS1_2, cipher=…`), or `true` for a TLS protocol name. */
  readonly tls?: string | true;
  /** When this server received the message (ISO 8601). */
  readonly at?: string;
  /** Time since the previous hop; `null` for the first hop or an unreadable date. */
  readonly delayMs: number | null;
}

/**
 * What `analyzeHeaders` found.
 * @since 0.1.0
 */
export interface HeaderAnalysis {
  readonly authentication: AuthenticationSummary;
  readonly spam: SpamSummary;
  readonly hops: readonly Hop[];
  readonly verdict: "pass" | "warn" | "fail";
  readonly findings: readonly Finding[];
  /** Basic facts of the message. */
  readonly message: {
    readonly from?: string;
    readonly subject?: string;
    readonly messageId?: string;
    readonly date?: string;
  };
}

/**
 * Options of `analyzeHeaders`.
 * @since 0.1.0
 */
export interface AnalyzeHeadersOptions extends DnsOptions {
  /** Verify DKIM signatures with public keys from DNS (needs the whole message for the body hash). @default false */
  readonly verify?: boolean;
  /** A hop slower than this is reported. @default 300_000 (5 minutes) */
  readonly slowHopMs?: number;
}

interface HeaderLine {
  readonly key: string;
  readonly value: string;
  readonly line: string;
}

function splitMessage(raw: string | Buffer): { headers: HeaderLine[]; hasBody: boolean } {
  let text = typeof raw === "string" ? raw : raw.toString("utf8");
  text = text.replace(/^\uFEFF/, "").replace(/\r?\n/g, "\r\n");
  const end = text.indexOf("\r\n\r\n");
  const block = end >= 0 ? text.slice(0, end + 2) : `${text.replace(/(\r\n)*$/, "")}\r\n`;
  const hasBody = end >= 0 && text.slice(end + 4).trim() !== "";
  const { parsed } = parseHeaders(Buffer.from(block, "utf8"));
  const headers = parsed.map((entry) => {
    const line = entry.line.toString("utf8");
    const colon = line.indexOf(":");
    return {
      key: entry.key,
      line,
      value: line
        .slice(colon + 1)
        .replace(/\r?\n[ \t]+/g, " ")
        .trim(),
    };
  });
  return { headers, hasBody };
}

/** mailauth's nested `{ smtp: { mailfrom } }` as flat `smtp.mailfrom` properties. */
function flatten(entry: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(entry)) {
    if (key === "value" || key === "comment") continue;
    if (typeof value === "string") out[key] = value;
    else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const [inner, innerValue] of Object.entries(value))
        if (typeof innerValue === "string") out[`${key}.${inner}`] = innerValue;
    }
  }
  return out;
}

function method(entry: unknown): MethodResult | undefined {
  if (typeof entry !== "object" || entry === null) return undefined;
  const record = entry as Record<string, unknown>;
  const result = typeof record.value === "string" ? record.value.toLowerCase() : "";
  if (!result) return undefined;
  return {
    result,
    ...(typeof record.comment === "string" &&
      record.comment !== "" && { comment: record.comment.replace(/\s+/g, " ").trim() }),
    properties: flatten(record),
  };
}

const domainOf = (value: string | undefined) =>
  value === undefined
    ? undefined
    : value.slice(value.lastIndexOf("@") + 1).toLowerCase() || undefined;

const IPV4 = /\b(\d{1,3}(?:\.\d{1,3}){3})\b/;
const IPV6 = /\b([0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})\b/i;
const ipIn = (text: string | undefined) =>
  text === undefined ? undefined : (IPV4.exec(text)?.[1] ?? IPV6.exec(text)?.[1]);

function parseReceivedSpf(value: string): AuthenticationSummary["receivedSpf"] {
  const match = /^\s*([A-Za-z]+)\s*(?:\(([^)]*)\))?\s*(.*)$/s.exec(value);
  if (!match) return undefined;
  const properties: Record<string, string> = {};
  for (const part of (match[3] ?? "").split(";")) {
    const equals = part.indexOf("=");
    if (equals > 0)
      properties[part.slice(0, equals).trim().toLowerCase()] = part.slice(equals + 1).trim();
  }
  return {
    result: (match[1] ?? "").toLowerCase(),
    ...(match[2] && { comment: match[2].trim() }),
    properties,
  };
}

function authentication(headers: HeaderLine[]): AuthenticationSummary {
  // The topmost Authentication-Results is the one the final receiving server wrote.
  const results = headers.filter((header) => header.key === "authentication-results");
  const parsed = results[0] ? parseAuthHeader(results[0].line).parsed : {};
  const authservId = typeof parsed.value === "string" && parsed.value ? parsed.value : undefined;
  const receivedSpfHeader = headers.find((header) => header.key === "received-spf");
  const receivedSpf = receivedSpfHeader ? parseReceivedSpf(receivedSpfHeader.value) : undefined;

  const spfMethod = method(parsed.spf);
  const spfDomain = spfMethod && domainOf(spfMethod.properties["smtp.mailfrom"]);
  const spfIp = spfMethod && (ipIn(spfMethod.comment) ?? receivedSpf?.properties["client-ip"]);
  const spf: SpfResult | undefined = spfMethod && {
    ...spfMethod,
    ...(spfDomain !== undefined && { domain: spfDomain }),
    ...(spfIp !== undefined && { ip: spfIp }),
  };

  const dkimEntries = Array.isArray(parsed.dkim) ? parsed.dkim : parsed.dkim ? [parsed.dkim] : [];
  const dkim: DkimResult[] = [];
  for (const entry of dkimEntries) {
    const base = method(entry);
    if (!base) continue;
    const signer = base.properties["header.d"] ?? domainOf(base.properties["header.i"]);
    dkim.push({
      ...base,
      // Microsoft writes `header.d=none` for an unsigned message.
      ...(signer !== undefined && signer !== "none" && { domain: signer.toLowerCase() }),
      ...(base.properties["header.s"] !== undefined && { selector: base.properties["header.s"] }),
    });
  }

  const dmarcMethod = method(parsed.dmarc);
  const policy =
    /\bp=([a-z]+)/i.exec(dmarcMethod?.comment ?? "")?.[1] ??
    /\bpolicy=([a-z]+)/i.exec(dmarcMethod?.comment ?? "")?.[1] ??
    dmarcMethod?.properties["policy.dmarc"];
  const dmarc: DmarcResult | undefined = dmarcMethod && {
    ...dmarcMethod,
    ...(dmarcMethod.properties["header.from"] !== undefined && {
      domain: dmarcMethod.properties["header.from"].toLowerCase(),
    }),
    ...(dmarcMethod.properties.action !== undefined && {
      action: dmarcMethod.properties.action.toLowerCase(),
    }),
    ...(policy !== undefined && { policy: policy.toLowerCase() }),
  };

  const compauthMethod = method(parsed.compauth);
  const compauth: CompauthResult | undefined = compauthMethod && {
    ...compauthMethod,
    ...(compauthMethod.properties.reason !== undefined && {
      reason: compauthMethod.properties.reason,
    }),
  };

  const seals = headers.filter((header) => header.key === "arc-seal");
  const sealFields = seals.map((seal) => parseAuthHeader(seal.line).parsed);
  const instance = (fields: Record<string, unknown>) => {
    const i = fields.i as { value?: string } | string | undefined;
    return Number(typeof i === "string" ? i : (i?.value ?? 0)) || 0;
  };
  const newest = sealFields.sort((a, b) => instance(b) - instance(a))[0];
  const arcMethod = method(parsed.arc);
  const cv = newest
    ? String((newest.cv as { value?: string } | undefined)?.value ?? newest.cv ?? "").toLowerCase()
    : "";
  const arc: ArcResult | undefined = arcMethod
    ? { ...arcMethod, instances: newest ? instance(newest) : 0 }
    : newest
      ? { result: cv || "none", properties: { cv }, instances: instance(newest) }
      : undefined;

  return {
    ...(authservId !== undefined && { authservId }),
    ...(spf && { spf }),
    dkim,
    ...(dmarc && { dmarc }),
    ...(compauth && { compauth }),
    ...(arc && { arc }),
    ...(receivedSpf && { receivedSpf }),
  };
}

function spamSummary(headers: HeaderLine[]): SpamSummary {
  const value = (key: string) => headers.find((header) => header.key === key)?.value;
  const forefront = parseAntispamFields(value("x-forefront-antispam-report") ?? "");
  const antispam = parseAntispamFields(value("x-microsoft-antispam") ?? "");
  const number = (text: string | undefined) =>
    text !== undefined && /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : undefined;
  const scl = number(value("x-ms-exchange-organization-scl")) ?? number(forefront.SCL);
  const bcl = number(antispam.BCL);
  const out: Record<string, string | number> = {};
  if (scl !== undefined) out.scl = scl;
  if (bcl !== undefined) out.bcl = bcl;
  if (forefront.SFV) out.sfv = forefront.SFV.toUpperCase();
  if (forefront.CAT) out.cat = forefront.CAT.toUpperCase();
  if (forefront.CTRY) out.country = forefront.CTRY.toUpperCase();
  if (forefront.IPV) out.ipv = forefront.IPV.toUpperCase();
  if (forefront.DIR) out.dir = forefront.DIR.toUpperCase();
  if (forefront.CIP) out.cip = forefront.CIP;
  const authAs = value("x-ms-exchange-organization-authas");
  if (authAs) out.authAs = authAs;
  const directionality = value("x-ms-exchange-organization-messagedirectionality");
  if (directionality) out.directionality = directionality;
  // rspamd: "default: False [-0.10 / 15.00]; …"; SpamAssassin: "Yes, score=7.3 required=5.0 …".
  const rspamd = /\[\s*(-?\d+(?:\.\d+)?)\s*\/\s*(-?\d+(?:\.\d+)?)\s*\]/.exec(
    value("x-spamd-result") ?? "",
  );
  const rspamdScore = number(value("x-rspamd-score")) ?? number(rspamd?.[1]);
  const assassin = /^(yes|no)\b.*?score=(-?\d+(?:\.\d+)?)/i.exec(value("x-spam-status") ?? "");
  const score = rspamdScore ?? number(assassin?.[2]);
  if (score !== undefined) out.score = score;
  const action = value("x-rspamd-action") ?? assassin?.[1];
  if (action) out.action = action.toLowerCase();
  return out as SpamSummary;
}

function toIso(date: string | undefined): string | undefined {
  if (!date) return undefined;
  const time = Date.parse(date.replace(/\s*\([^)]*\)\s*$/, ""));
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

function hops(headers: HeaderLine[]): Hop[] {
  // Each server prepends its Received header: the last one is the first hop.
  const received = headers.filter((header) => header.key === "received").reverse();
  const out: Hop[] = [];
  let previous: number | undefined;
  for (const header of received) {
    const parsed = parseReceived(header.line);
    if (!parsed) continue;
    const at = toIso(parsed.timestamp);
    const time = at === undefined ? undefined : Date.parse(at);
    const protocol = parsed.with?.value;
    const tlsText = parsed.tls
      ? [parsed.tls.value, parsed.tls.comment].filter(Boolean).join(" ")
      : "";
    const tls: string | true | undefined = tlsText
      ? tlsText
      : protocol && /^(ESMTPS|ESMTPSA|SMTPS|HTTPS|UTF8SMTPS|UTF8SMTPSA)$/i.test(protocol)
        ? true
        : undefined;
    const from = parsed.from
      ? [parsed.from.value, parsed.from.comment && `(${parsed.from.comment})`]
          .filter(Boolean)
          .join(" ")
      : undefined;
    const ip = ipIn(parsed.from?.comment);
    out.push({
      ...(from && { from }),
      ...(parsed.by?.value && { by: parsed.by.value }),
      ...(protocol && { with: protocol }),
      ...(ip && { ip }),
      ...(tls !== undefined && { tls }),
      ...(at && { at }),
      delayMs: time !== undefined && previous !== undefined ? Math.max(0, time - previous) : null,
    });
    if (time !== undefined) previous = time;
  }
  return out;
}

function describeSpf(spf: SpfResult | undefined): string {
  if (!spf) return "no SPF result";
  const where = spf.ip ? ` for ${spf.ip}` : "";
  const domain = spf.domain ? ` (${spf.domain})` : "";
  return spf.result === "pass" ? `SPF passed${domain}` : `SPF ${spf.result}${where}${domain}`;
}

function describeDkim(dkim: readonly DkimResult[]): string {
  const signed = dkim.filter((entry) => entry.result !== "none");
  if (signed.length === 0) return "no DKIM signature";
  return signed
    .map((entry) => `DKIM ${entry.result}${entry.domain ? ` for d=${entry.domain}` : ""}`)
    .join(", ");
}

function judge(
  auth: AuthenticationSummary,
  spam: SpamSummary,
  hopList: readonly Hop[],
  options: AnalyzeHeadersOptions,
): Finding[] {
  const findings: Finding[] = [];
  const add = (severity: Severity, message: string) => findings.push({ severity, message });
  const { spf, dkim, dmarc, compauth, arc } = auth;
  if (!spf && dkim.length === 0 && !dmarc && !auth.receivedSpf) {
    add(
      "warn",
      "No Authentication-Results: paste the headers as the recipient's server received them (Outlook: File > Properties > Internet headers; Gmail: Show original).",
    );
  }
  if (dmarc) {
    if (dmarc.result === "pass")
      add("info", `DMARC passed for ${dmarc.domain ?? "the From domain"}.`);
    else if (dmarc.result === "fail") {
      const policy = dmarc.policy ?? dmarc.action;
      add(
        "fail",
        `DMARC failed: ${describeSpf(spf)} and ${describeDkim(dkim)}${
          policy ? `; the From domain's policy is ${policy}` : ""
        }${dmarc.action && dmarc.action !== policy ? ` and the receiver applied ${dmarc.action}` : ""}. Fix: make SPF or DKIM pass aligned with ${dmarc.domain ?? "the From domain"} (include spf.protection.outlook.com, enable DKIM signing for the domain in Microsoft 365).`,
      );
    } else if (dmarc.result === "bestguesspass")
      add(
        "warn",
        `No DMARC record for ${dmarc.domain ?? "the From domain"} (bestguesspass): publish _dmarc TXT "v=DMARC1; p=quarantine".`,
      );
    else
      add(
        "warn",
        `DMARC ${dmarc.result} for ${dmarc.domain ?? "the From domain"}: publish a DMARC record.`,
      );
  }
  if (spf) {
    if (spf.result === "fail")
      add(
        "fail",
        `SPF failed for ${spf.ip ?? "the sending IP"}: ${spf.domain ?? "the MAIL FROM domain"}'s SPF record does not list it.`,
      );
    else if (spf.result === "softfail")
      add(
        "warn",
        `SPF softfail for ${spf.ip ?? "the sending IP"}: ${spf.domain ?? "the MAIL FROM domain"}'s SPF record does not list it (~all). Add include:spf.protection.outlook.com or the sender's IP.`,
      );
    else if (spf.result !== "pass")
      add("warn", `SPF ${spf.result} for ${spf.domain ?? "the MAIL FROM domain"}.`);
  }
  for (const entry of dkim) {
    if (entry.result === "fail" || entry.result === "permerror")
      add(
        "fail",
        `DKIM signature of ${entry.domain ?? "an unknown domain"} failed${entry.comment ? ` (${entry.comment})` : ""}: the message was changed in transit or the key in DNS does not match.`,
      );
    if (entry.verification && entry.verification.result !== "pass")
      add(
        entry.verification.result === "fail" ? "fail" : "warn",
        `DKIM verification here: ${entry.domain ?? "signature"}${entry.selector ? ` s=${entry.selector}` : ""} ${entry.verification.result}${entry.verification.comment ? ` (${entry.verification.comment})` : ""}.`,
      );
  }
  if (dkim.length > 0 && dkim.every((entry) => entry.result === "none"))
    add("warn", "The message was not DKIM-signed: enable DKIM signing for the sender's domain.");
  if (compauth) {
    if (compauth.result === "fail")
      add(
        "fail",
        `Microsoft's composite authentication failed (compauth=fail reason=${compauth.reason ?? "?"}): EOP treats the sender as spoofed.`,
      );
    else if (compauth.result === "softpass")
      add(
        "warn",
        `Microsoft's composite authentication soft-passed (reason=${compauth.reason ?? "?"}).`,
      );
  }
  if (arc && arc.result === "fail") add("warn", `ARC chain failed (${arc.instances} sets).`);
  if (spam.scl !== undefined && spam.scl >= 5)
    add("fail", `Classified as spam: SCL ${spam.scl} (5 or more goes to Junk Email).`);
  if (spam.sfv && SPAM_VERDICTS.has(spam.sfv))
    add("fail", `Spam filtering verdict ${spam.sfv}: ${SFV_MEANINGS[spam.sfv]}.`);
  if (spam.cat && BAD_CATEGORIES.has(spam.cat))
    add("fail", `Protection category ${spam.cat}: ${CAT_MEANINGS[spam.cat]}.`);
  if (spam.bcl !== undefined && spam.bcl >= 7)
    add(
      "warn",
      `Bulk complaint level ${spam.bcl}: likely filtered as bulk (the default threshold is 7).`,
    );
  if (spam.ipv && IPV_MEANINGS[spam.ipv])
    add("info", `IPV ${spam.ipv}: ${IPV_MEANINGS[spam.ipv]}.`);
  if (
    spam.action &&
    ["reject", "add header", "rewrite subject", "yes", "soft reject"].includes(spam.action)
  )
    add(
      "fail",
      `The spam filter's action: ${spam.action}${spam.score !== undefined ? ` (score ${spam.score})` : ""}.`,
    );
  const slow = options.slowHopMs ?? 300_000;
  for (const hop of hopList) {
    if (hop.delayMs !== null && hop.delayMs > slow)
      add("warn", `Hop to ${hop.by ?? "a server"} took ${Math.round(hop.delayMs / 1000)} s.`);
  }
  return findings;
}

async function verifyDkim(
  raw: string | Buffer,
  hasBody: boolean,
  dkim: DkimResult[],
  options: AnalyzeHeadersOptions,
  findings: Finding[],
): Promise<void> {
  const resolver = createDnsResolver(options);
  const verified = await dkimVerify(typeof raw === "string" ? Buffer.from(raw) : raw, {
    resolver: (name: string, type: string) => resolver.resolve(name, type) as Promise<string[][]>,
  });
  if (!hasBody)
    findings.push({
      severity: "warn",
      message:
        "Only a header block was given: DKIM body hashes cannot be checked without the body.",
    });
  for (const signature of verified.results ?? []) {
    const domain = signature.signingDomain?.toLowerCase();
    // An unsigned message yields one "none" result with no signing domain.
    if (!domain) continue;
    const selector = signature.selector;
    const result = signature.status?.result ?? "none";
    const comment = signature.status?.comment;
    const verification = { result, ...(comment && { comment }) };
    const index = dkim.findIndex(
      (entry) =>
        entry.verification === undefined &&
        entry.domain === domain &&
        (entry.selector === undefined || entry.selector === selector),
    );
    if (index >= 0) dkim[index] = { ...dkim[index]!, verification };
    else
      dkim.push({
        result: "none",
        properties: {},
        domain,
        ...(selector && { selector }),
        verification,
      });
  }
}

/**
 * Reads what the receiving servers concluded about a message: Authentication-Results (RFC
 * 8601 and Microsoft's shape), ARC, Received-SPF, the Received chain as hops, EOP's spam
 * verdicts, and a verdict with the findings that explain it.
 *
 * @param raw a whole message (.eml) or a pasted header block
 * @param options `verify: true` also verifies DKIM signatures with keys from DNS
 * @returns the analysis; `verdict` is `fail` when any finding is `fail`, `warn` when any is `warn`
 * @example
 * const analysis = await analyzeHeaders(readFileSync("message.eml"));
 * if (analysis.verdict !== "pass") console.log(analysis.findings);
 * @since 0.1.0
 */
export async function analyzeHeaders(
  raw: string | Buffer,
  options: AnalyzeHeadersOptions = {},
): Promise<HeaderAnalysis> {
  const { headers, hasBody } = splitMessage(raw);
  const auth = authentication(headers);
  const spam = spamSummary(headers);
  const hopList = hops(headers);
  const dkim = [...auth.dkim];
  const verifyFindings: Finding[] = [];
  if (options.verify) await verifyDkim(raw, hasBody, dkim, options, verifyFindings);
  const summary: AuthenticationSummary = { ...auth, dkim };
  const findings = [...judge(summary, spam, hopList, options), ...verifyFindings];
  const verdict = findings.some((finding) => finding.severity === "fail")
    ? "fail"
    : findings.some((finding) => finding.severity === "warn")
      ? "warn"
      : "pass";
  const value = (key: string) => headers.find((header) => header.key === key)?.value;
  const from = value("from");
  const subject = value("subject");
  const messageId = value("message-id");
  const date = value("date");
  return {
    authentication: summary,
    spam,
    hops: hopList,
    verdict,
    findings,
    message: {
      ...(from && { from }),
      ...(subject && { subject }),
      ...(messageId && { messageId }),
      ...(date && { date }),
    },
  };
}
