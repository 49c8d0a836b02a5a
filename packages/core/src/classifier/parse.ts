/**
 * The parts of an SMTP reply.
 * @since 0.1.0
 */
export interface ParsedSmtpReply {
  /** `535` */
  readonly replyCode?: number;
  /** `5.7.139` */
  readonly enhancedCode?: string;
  /** The reply text without codes, lines joined with a space. */
  readonly text: string;
}

const REPLY_LINE = /^([2-5]\d\d)(?:[ -]|$)(.*)$/;
const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})\b\s*/;

/**
 * Splits a (possibly multi-line) SMTP reply into reply code, enhanced status code and text.
 * Finds the reply where nodemailer prefixed it ("Invalid login: 535 5.7.3 …").
 *
 * @param response the server's reply, as nodemailer reports it
 * @returns its parts; absent ones are `undefined`
 * @example parseSmtpReply("535 5.7.3 Authentication unsuccessful")
 * // { replyCode: 535, enhancedCode: "5.7.3", text: "Authentication unsuccessful" }
 * @since 0.1.0
 */
export function parseSmtpReply(response: string): ParsedSmtpReply {
  const raw = typeof response === "string" ? response : String(response ?? "");
  const lines = raw.split(/\r?\n/).filter((line) => line.trim() !== "");
  let replyCode: number | undefined;
  let enhancedCode: string | undefined;
  const texts: string[] = [];
  for (const original of lines) {
    let line = original.trim();
    let match = REPLY_LINE.exec(line);
    if (!match) {
      // "Invalid login: 535 5.7.3 …" or "Can't send mail - all recipients were rejected: 550 …"
      const embedded = /(?:^|[\s:])([2-5]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b.*)$/.exec(line);
      if (embedded?.[1]) match = REPLY_LINE.exec(embedded[1]);
    }
    if (match?.[1] !== undefined) {
      replyCode ??= Number(match[1]);
      line = (match[2] ?? "").trim();
    }
    const enhanced = ENHANCED.exec(line);
    if (enhanced && (replyCode === undefined || enhanced[1] === String(replyCode)[0])) {
      enhancedCode ??= `${enhanced[1]}.${enhanced[2]}.${enhanced[3]}`;
      line = line.slice(enhanced[0].length);
    }
    if (line) texts.push(line);
  }
  return {
    ...(replyCode !== undefined && { replyCode }),
    ...(enhancedCode !== undefined && { enhancedCode }),
    text: texts.join(" "),
  };
}

/**
 * Reads a `Retry-After` value: delay seconds (`"120"`, `120`) or an HTTP-date. Returns
 * milliseconds from `now`, never negative, or `undefined` when absent or unreadable.
 *
 * @param value the header's value, or delay seconds as a number
 * @param now Current time in ms since the epoch (injectable for tests). @default Date.now()
 * @returns the delay in ms, or `undefined`
 * @since 0.1.0
 */
export function parseRetryAfter(
  value: string | number | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "number") {
    return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  }
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // Only accept something that looks like a date (has letters), not "-5" or "1e3".
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
