// Exchange Online Protection's stamps: `X-Forefront-Antispam-Report` and
// `X-Microsoft-Antispam` are `KEY:value;` lists that no mail library parses; the meanings
// are Microsoft's (Learn: "Anti-spam message headers in Microsoft 365").

/**
 * A `KEY:value;KEY:value` list as a record (keys upper-cased). `SFS:(a)(b)` keeps its value.
 * @param value the header's value
 * @returns the fields, keys in upper case
 * @since 0.1.0
 */
export function parseAntispamFields(value: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of value.replace(/\s+/g, " ").split(";")) {
    const colon = part.indexOf(":");
    if (colon <= 0) continue;
    const key = part.slice(0, colon).trim().toUpperCase();
    if (key) fields[key] = part.slice(colon + 1).trim();
  }
  return fields;
}

/** Spam filtering verdicts (`SFV`). */
export const SFV_MEANINGS: Readonly<Record<string, string>> = {
  BLK: "filtering was skipped and the message blocked: the sender is on a blocked senders list",
  NSPM: "not spam",
  SFE: "filtering was skipped: the sender is on the recipient's safe senders list",
  SKA: "filtering was skipped: the sender is allowed by an anti-spam policy",
  SKB: "marked as spam: the sender or domain is blocked by an anti-spam policy",
  SKI: "filtering was skipped: intra-organization mail",
  SKN: "marked as not spam before filtering (mail flow rule)",
  SKQ: "released from quarantine",
  SKS: "marked as spam before filtering (mail flow rule)",
  SPM: "classified as spam by spam filtering",
};

/** Protection categories (`CAT`). */
export const CAT_MEANINGS: Readonly<Record<string, string>> = {
  AMP: "anti-malware",
  BULK: "bulk mail",
  DIMP: "domain impersonation",
  FTBP: "anti-malware filter policy: filetype block",
  GIMP: "mailbox intelligence impersonation",
  HPHSH: "high confidence phishing",
  HPHISH: "high confidence phishing",
  HSPM: "high confidence spam",
  INTOS: "intra-organization phishing",
  MALW: "malware",
  NONE: "none",
  OSPM: "outbound spam",
  PHSH: "phishing",
  SAP: "safe attachments",
  SPM: "spam",
  SPOOF: "spoofing",
  UIMP: "user impersonation",
};

/** Categories that mean the message was judged harmful or junk. */
export const BAD_CATEGORIES: ReadonlySet<string> = new Set([
  "AMP",
  "DIMP",
  "FTBP",
  "GIMP",
  "HPHSH",
  "HPHISH",
  "HSPM",
  "INTOS",
  "MALW",
  "OSPM",
  "PHSH",
  "SAP",
  "SPM",
  "SPOOF",
  "UIMP",
]);

/** `SFV` values that mean the message went to junk or was blocked. */
export const SPAM_VERDICTS: ReadonlySet<string> = new Set(["BLK", "SKB", "SKS", "SPM"]);

/** IP verdicts (`IPV`). */
export const IPV_MEANINGS: Readonly<Record<string, string>> = {
  CAL: "the source IP is on the connection filter's IP Allow List",
  NLI: "the source IP is not on any IP reputation list",
};
