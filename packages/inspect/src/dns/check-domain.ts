// Sender-domain DNS for Microsoft 365: SPF (evaluated through its includes, with RFC 7208's
// limit of 10 DNS-querying terms), DKIM selector1/selector2 CNAMEs, DMARC and MX. Each check
// says what to publish when the record is missing or wrong.
import type { Resolver } from "node:dns/promises";
import { type Cloud, mxHostForDomain, resolveCloud } from "@mailpath/core";
import { createDnsResolver, type DnsOptions, isNoData, resolveTxt } from "./resolver.js";

/**
 * Outcome of one check: `pass`, `warn` (works but should be fixed), `fail`.
 * @since 0.1.0
 */
export type CheckStatus = "pass" | "warn" | "fail";

/**
 * One DNS check.
 * @since 0.1.0
 */
export interface DnsCheck {
  readonly name: "spf" | "dkim" | "dmarc" | "mx";
  readonly status: CheckStatus;
  /** What was seen, in one line. */
  readonly summary: string;
  /** The records read. */
  readonly records: readonly string[];
  /** What to publish or change, when not `pass`. */
  readonly fix?: string;
  /** Further detail (SPF lookups, DKIM targets). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * What `checkDomain` found.
 * @since 0.1.0
 */
export interface DomainReport {
  readonly domain: string;
  readonly verdict: CheckStatus;
  readonly checks: readonly DnsCheck[];
}

/**
 * Options of `checkDomain`.
 * @since 0.1.0
 */
export interface CheckDomainOptions extends DnsOptions {
  /** The tenant's cloud: picks the SPF include and MX suffix. @default "global" */
  readonly cloud?: Cloud;
  /** The tenant's initial domain (`contoso.onmicrosoft.com`), to check the DKIM CNAME targets. */
  readonly tenantDomain?: string;
  /** Selectors to check. @default ["selector1", "selector2"] */
  readonly selectors?: readonly string[];
}

const SPF_INCLUDES: Record<Cloud, string> = {
  global: "spf.protection.outlook.com",
  usgov: "spf.protection.office365.us",
  usgovdod: "spf.protection.office365.us",
  china: "spf.protection.partner.outlook.cn",
};

/** RFC 7208 §4.6.4: at most 10 terms that cause DNS queries (include, a, mx, ptr, exists, redirect). */
const LOOKUP_LIMIT = 10;

interface SpfWalk {
  lookups: number;
  includes: string[];
  errors: string[];
}

function spfRecords(records: readonly string[]): string[] {
  return records.filter((record) => /^v=spf1(\s|$)/i.test(record.trim()));
}

async function walkSpf(
  resolver: Resolver,
  domain: string,
  record: string,
  walk: SpfWalk,
  depth: number,
): Promise<void> {
  if (depth > 10) {
    walk.errors.push(`include loop or depth over 10 at ${domain}`);
    return;
  }
  for (const term of record.trim().split(/\s+/).slice(1)) {
    const mechanism = /^[+\-~?]?([a-z0-9]+)(?:[:=](.*))?$/i.exec(term);
    if (!mechanism) continue;
    const name = (mechanism[1] ?? "").toLowerCase();
    const target = mechanism[2];
    if (["a", "mx", "ptr", "exists"].includes(name)) walk.lookups += 1;
    if ((name === "include" || name === "redirect") && target) {
      walk.lookups += 1;
      walk.includes.push(target.toLowerCase());
      let records: string[];
      try {
        records = spfRecords(await resolveTxt(resolver, target));
      } catch (error) {
        walk.errors.push(`${target}: ${(error as Error).message}`);
        continue;
      }
      if (records.length !== 1) {
        walk.errors.push(
          `${target} has ${records.length === 0 ? "no" : records.length} SPF record${records.length === 1 ? "" : "s"}`,
        );
        continue;
      }
      await walkSpf(resolver, target, records[0]!, walk, depth + 1);
    }
  }
}

/** The outcomes of the check `name`: each names it and carries the records it read. */
function outcomes(name: DnsCheck["name"], records: readonly string[]) {
  return (
    status: CheckStatus,
    summary: string,
    more: Pick<DnsCheck, "details" | "fix"> = {},
  ): DnsCheck => ({ name, status, summary, records, ...more });
}

async function checkSpf(resolver: Resolver, domain: string, cloud: Cloud): Promise<DnsCheck> {
  const include = SPF_INCLUDES[cloud];
  const wanted = `v=spf1 include:${include} -all`;
  const records = spfRecords(await resolveTxt(resolver, domain));
  const outcome = outcomes("spf", records);
  if (records.length === 0) {
    return outcome("fail", `no SPF record at ${domain}`, {
      fix: `Publish TXT at ${domain}: "${wanted}" (add ip4:<your relay IP> before -all if you relay from your own servers).`,
    });
  }
  if (records.length > 1) {
    return outcome(
      "fail",
      `${records.length} SPF records at ${domain} (permerror: receivers treat SPF as broken)`,
      { fix: `Merge them into one TXT record, such as "${wanted}".` },
    );
  }
  const record = records[0]!;
  const walk: SpfWalk = { lookups: 0, includes: [], errors: [] };
  await walkSpf(resolver, domain, record, walk, 0);
  const all =
    /\s([+\-~?]?)all\b/i.exec(` ${record}`)?.[1] ?? (/\sredirect=/.test(record) ? "r" : "");
  const details = { lookups: walk.lookups, includes: walk.includes, errors: walk.errors };
  const includesMicrosoft = walk.includes.includes(include);
  if (walk.lookups > LOOKUP_LIMIT) {
    return outcome(
      "fail",
      `${walk.lookups} DNS lookups (the limit is ${LOOKUP_LIMIT}): receivers answer permerror`,
      {
        details,
        fix: "Remove includes you no longer send through, or replace some with ip4:/ip6: ranges, to get to 10 lookups or fewer.",
      },
    );
  }
  if (!includesMicrosoft) {
    return outcome("fail", `the SPF record does not include ${include}`, {
      details,
      fix: `Add include:${include} to the record: "${record.replace(/\s+([+\-~?]?all)\b/i, ` include:${include} $1`)}".`,
    });
  }
  if (walk.errors.length > 0) {
    return outcome("warn", `includes ${include}; ${walk.errors.join("; ")}`, {
      details,
      fix: "Fix or remove the includes that do not resolve to one SPF record.",
    });
  }
  if (all === "+" || all === "?" || all === "") {
    return outcome(
      "warn",
      `includes ${include}, ${walk.lookups} lookups, but ends in ${all === "" ? "no all" : `${all}all`}`,
      { details, fix: 'End the record with "-all" (or "~all" while you test).' },
    );
  }
  return outcome(
    "pass",
    `includes ${include}, ${walk.lookups}/${LOOKUP_LIMIT} lookups, ${all === "~" ? "~all" : "-all"}`,
    { details },
  );
}

async function resolveCname(resolver: Resolver, name: string): Promise<string | undefined> {
  try {
    return (await resolver.resolveCname(name))[0];
  } catch (error) {
    if (isNoData(error)) return undefined;
    throw error;
  }
}

async function checkDkim(
  resolver: Resolver,
  domain: string,
  options: CheckDomainOptions,
): Promise<DnsCheck> {
  const selectors = options.selectors ?? ["selector1", "selector2"];
  const key = domain.replace(/\./g, "-");
  const tenant = options.tenantDomain ?? "<tenant>.onmicrosoft.com";
  const records: string[] = [];
  const outcome = outcomes("dkim", records);
  const problems: string[] = [];
  const missing: string[] = [];
  const targets: Record<string, string | null> = {};
  for (const selector of selectors) {
    const name = `${selector}._domainkey.${domain}`;
    const target = await resolveCname(resolver, name);
    targets[selector] = target ?? null;
    if (!target) {
      missing.push(`CNAME ${name} → ${selector}-${key}._domainkey.${tenant}`);
      continue;
    }
    records.push(`${name} CNAME ${target}`);
    const microsoft =
      /\._domainkey\.[^.]+\.(onmicrosoft\.com|onmicrosoft\.us|partner\.onmschina\.cn|[a-z0-9-]+\.dkim\.mail\.microsoft)$/i.test(
        target,
      );
    if (!microsoft) problems.push(`${name} points at ${target}, not at Microsoft 365`);
    else if (
      options.tenantDomain &&
      !target.toLowerCase().endsWith(options.tenantDomain.toLowerCase()) &&
      !target.toLowerCase().includes(`.${options.tenantDomain.split(".")[0]?.toLowerCase()}.`)
    )
      problems.push(`${name} points at ${target}, not at ${options.tenantDomain}`);
    else {
      // The CNAME target carries the public key once DKIM signing is enabled in the tenant.
      const keys = await resolveTxt(resolver, target).catch(() => []);
      if (!keys.some((record) => /(^|;)\s*p=[A-Za-z0-9+/=]+/.test(record)))
        problems.push(
          `${target} has no public key yet: enable DKIM signing for ${domain} in Microsoft 365`,
        );
    }
  }
  if (missing.length > 0) {
    return outcome(
      "fail",
      `missing ${missing.length === selectors.length ? "both selector CNAMEs" : missing.map((entry) => entry.split(" ")[1]).join(", ")}`,
      {
        details: { targets },
        fix: `Publish ${missing.join(" and ")} (copy the exact values from the Defender portal's DKIM page or Get-DkimSigningConfig), then enable signing.`,
      },
    );
  }
  if (problems.length > 0) {
    return outcome("warn", problems.join("; "), {
      details: { targets },
      fix: "Point each selector at the value Microsoft 365 shows for the domain (Get-DkimSigningConfig), then enable signing.",
    });
  }
  return outcome("pass", `${selectors.join(" and ")} point at Microsoft 365 with a public key`, {
    details: { targets },
  });
}

function dmarcTags(record: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const part of record.split(";")) {
    const equals = part.indexOf("=");
    if (equals > 0)
      tags[part.slice(0, equals).trim().toLowerCase()] = part.slice(equals + 1).trim();
  }
  return tags;
}

async function checkDmarc(resolver: Resolver, domain: string): Promise<DnsCheck> {
  const name = `_dmarc.${domain}`;
  const records = (await resolveTxt(resolver, name)).filter((record) =>
    /^v=DMARC1\s*(;|$)/i.test(record.trim()),
  );
  const outcome = outcomes("dmarc", records);
  const wanted = `"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@${domain}"`;
  if (records.length === 0)
    return outcome("fail", `no DMARC record at ${name}`, {
      fix: `Publish TXT at ${name}: ${wanted} (start with p=none to collect reports, then move to quarantine or reject).`,
    });
  if (records.length > 1)
    return outcome(
      "fail",
      `${records.length} DMARC records at ${name}: receivers ignore them all`,
      { fix: `Keep one TXT record at ${name}, such as ${wanted}.` },
    );
  const tags = dmarcTags(records[0]!);
  const policy = (tags.p ?? "").toLowerCase();
  const details = {
    policy,
    ...(tags.sp && { subdomainPolicy: tags.sp }),
    ...(tags.pct && { pct: tags.pct }),
    ...(tags.rua && { rua: tags.rua }),
  };
  if (!["none", "quarantine", "reject"].includes(policy))
    return outcome(
      "fail",
      `the DMARC record has ${policy ? `an invalid policy p=${policy}` : "no p= tag"}`,
      { details, fix: `Set p=none, quarantine or reject: ${wanted}.` },
    );
  if (policy === "none")
    return outcome("warn", "policy p=none: spoofed mail is delivered as usual", {
      details,
      fix: `Once reports show your mail passes, publish p=quarantine or p=reject at ${name}.`,
    });
  return outcome(
    tags.pct && tags.pct !== "100" ? "warn" : "pass",
    `policy p=${policy}${tags.pct ? ` pct=${tags.pct}` : ""}${tags.rua ? `, reports to ${tags.rua}` : ""}`,
    { details, ...(tags.pct && tags.pct !== "100" && { fix: `Raise pct to 100 at ${name}.` }) },
  );
}

async function checkMx(resolver: Resolver, domain: string, cloud: Cloud): Promise<DnsCheck> {
  const suffix = resolveCloud(cloud).mxSuffix;
  const expected = mxHostForDomain(domain, cloud);
  let mx: { exchange: string; priority: number }[] = [];
  try {
    mx = await resolver.resolveMx(domain);
  } catch (error) {
    if (!isNoData(error)) throw error;
  }
  const records = mx
    .sort((a, b) => a.priority - b.priority)
    .map((entry) => `${entry.priority} ${entry.exchange}`);
  const outcome = outcomes("mx", records);
  if (mx.length === 0)
    return outcome("fail", `no MX record at ${domain}`, {
      fix: `Publish MX at ${domain}: priority 0, ${expected}.`,
    });
  const microsoft = mx.filter((entry) => entry.exchange.toLowerCase().endsWith(suffix));
  if (microsoft.length === 0)
    return outcome(
      "warn",
      `MX points at ${mx[0]!.exchange}, not at *${suffix}: the relay path needs the tenant's MX host`,
      {
        details: { expected },
        fix: `If Exchange Online hosts ${domain}, publish MX ${expected} (priority 0); otherwise set MAILPATH_RELAY_HOST to ${expected}.`,
      },
    );
  return outcome("pass", `${microsoft[0]!.exchange}`, { details: { expected } });
}

/**
 * Checks a sender domain's DNS for Microsoft 365: SPF, DKIM, DMARC and MX.
 * @param domain the sender's domain (`contoso.com`)
 * @param options DNS server, cloud, tenant domain, selectors
 * @returns one check per record type and the worst status as `verdict`
 * @example
 * const report = await checkDomain("contoso.com", { dnsServer: "127.0.0.1:5353" });
 * @since 0.1.0
 */
export async function checkDomain(
  domain: string,
  options: CheckDomainOptions = {},
): Promise<DomainReport> {
  const name = domain.trim().toLowerCase().replace(/\.$/, "");
  const cloud = options.cloud ?? "global";
  const resolver = createDnsResolver(options);
  const guard = async (check: DnsCheck["name"], run: () => Promise<DnsCheck>) => {
    try {
      return await run();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "error";
      return outcomes(check, [])("fail", `the DNS query failed (${code})`, {
        fix: `Check that the DNS server${options.dnsServer ? ` ${options.dnsServer}` : ""} answers.`,
      });
    }
  };
  const checks = await Promise.all([
    guard("spf", () => checkSpf(resolver, name, cloud)),
    guard("dkim", () => checkDkim(resolver, name, options)),
    guard("dmarc", () => checkDmarc(resolver, name)),
    guard("mx", () => checkMx(resolver, name, cloud)),
  ]);
  const verdict = checks.some((check) => check.status === "fail")
    ? "fail"
    : checks.some((check) => check.status === "warn")
      ? "warn"
      : "pass";
  return { domain: name, verdict, checks };
}
