import type { Address, AddressInput, AddressListInput } from "../contract/message.js";

// Addresses as applications write them: `ada@contoso.com`, `Ada Lovelace <ada@contoso.com>`,
// `"Lovelace, Ada" <ada@contoso.com>`, `Zoë Ümlaut <zoe@contoso.com>`, or a comma-separated
// list of those in one string. Full RFC 5322 (comments, groups, obsolete routes) is not accepted:
// Exchange and Graph refuse most of it anyway, and a clear error beats a silent misparse.

const LOCAL_PART =
  /^(?:[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*|"(?:[^"\\\r\n]|\\.)+")$/u;
const CONTROL = /\p{Cc}/u;
// A display name is written on a header line: no control but a tab, and short enough to fit.
const NAME_CONTROL = /[^\P{Cc}\t]/u;
const MAX_NAME_OCTETS = 900;
const DOMAIN_LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;
// The ASCII subset of LOCAL_PART's first form and of DOMAIN_LABEL (\p{L}, \p{N} in ASCII are
// letters and digits), with at least two labels. No quote, so no quoted local part.
const ASCII_ADDRESS =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const NUMERIC_TLD = /\.\d+$/;

/**
 * Whether `address` is `local@domain` with a dotted domain, as Exchange accepts.
 * @param address a bare address, without a display name
 * @returns whether Exchange would accept it
 * @since 0.1.0
 */
export function isValidAddress(address: string): boolean {
  // The common case, an ASCII dot-atom at a dotted ASCII domain, in one linear match: for those
  // strings the checks below come to exactly this, plus the lengths and the numeric TLD.
  if (ASCII_ADDRESS.test(address)) {
    const at = address.lastIndexOf("@");
    return address.length <= 320 && at <= 64 && !NUMERIC_TLD.test(address);
  }
  // No control character anywhere, quoted local parts included (NUL, CR, LF, DEL, …).
  if (address.length > 320 || CONTROL.test(address)) return false;
  if (/[\r\n\s<>]/.test(address.replace(/"[^"]*"/g, ""))) return false;
  const at = address.lastIndexOf("@");
  if (at < 1 || at === address.length - 1) return false;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > 64 || !LOCAL_PART.test(local)) return false;
  const labels = domain.split(".");
  if (labels.length < 2) return false;
  return labels.every((label) => DOMAIN_LABEL.test(label)) && !/^\d+$/.test(labels.at(-1)!);
}

/** Splits a string on commas (and semicolons) that are outside quotes and angle brackets. */
function splitList(input: string): string[] {
  // Nothing to split on (the common case): the one part, without building it char by char.
  if (!input.includes(",") && !input.includes(";")) {
    const part = input.trim();
    return part.length > 0 ? [part] : [];
  }
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  let angle = false;
  for (let index = 0; index < input.length; index++) {
    const char = input[index]!;
    if (char === "\\" && quoted) {
      current += char + (input[index + 1] ?? "");
      index++;
      continue;
    }
    if (char === '"') quoted = !quoted;
    else if (char === "<" && !quoted) angle = true;
    else if (char === ">" && !quoted) angle = false;
    if ((char === "," || char === ";") && !quoted && !angle) {
      parts.push(current);
      current = "";
      continue;
    }
    current += char;
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part.length > 0);
}

function unquote(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) {
    return trimmed.slice(1, -1).replace(/\\(.)/g, "$1");
  }
  return trimmed;
}

/**
 * The result of parsing one address: the address, or why it is not one.
 * @since 0.1.0
 */
export type ParsedAddress =
  | { readonly ok: true; readonly value: Address }
  | { readonly ok: false; readonly reason: string };

function parseOne(text: string): ParsedAddress {
  const open = text.lastIndexOf("<");
  let name: string | undefined;
  let address: string;
  if (open >= 0) {
    const close = text.indexOf(">", open);
    if (close < 0 || text.slice(close + 1).trim() !== "") {
      return { ok: false, reason: `"${text}" has an unclosed or misplaced "<…>"` };
    }
    name = unquote(text.slice(0, open));
    address = text.slice(open + 1, close).trim();
  } else {
    address = text.trim();
  }
  if (/[\r\n]/.test(text)) return { ok: false, reason: "contains a line break" };
  if (name) {
    const problem = nameProblem(name);
    if (problem) return { ok: false, reason: problem };
  }
  if (!isValidAddress(address))
    return { ok: false, reason: `"${printable(address)}" is not a valid mail address` };
  return { ok: true, value: name ? { address, name } : { address } };
}

function nameProblem(name: string): string | undefined {
  if (/[\r\n]/.test(name)) return "display name contains a line break";
  if (NAME_CONTROL.test(name)) return "display name contains NUL or another control character";
  if (Buffer.byteLength(name, "utf8") > MAX_NAME_OCTETS) {
    return `display name is longer than ${MAX_NAME_OCTETS} octets`;
  }
  return undefined;
}

/** The text with control characters shown as \uXXXX, so an issue message is one clean line. */
function printable(text: string): string {
  return text.replace(
    /\p{Cc}/gu,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Parses one address input (an object, or a string with one or more addresses).
 * @param input an `{ address, name }` object or a string such as `"Ada" <ada@contoso.com>, bob@contoso.com`
 * @returns one entry per address found, each parsed or with the reason it is invalid.
 * @since 0.1.0
 */
export function parseAddressInput(input: AddressInput): ParsedAddress[] {
  if (typeof input === "string") {
    const parts = splitList(input);
    return parts.length === 0 ? [{ ok: false, reason: "is empty" }] : parts.map(parseOne);
  }
  if (typeof input !== "object" || input === null) {
    return [{ ok: false, reason: "must be a string or { address, name? }" }];
  }
  // Each field once: what is checked is what is used.
  const { address: addressInput, name: nameInput } = input as {
    address?: unknown;
    name?: unknown;
  };
  if (typeof addressInput !== "string") {
    return [{ ok: false, reason: "must be a string or { address, name? }" }];
  }
  if (nameInput !== undefined && typeof nameInput !== "string") {
    return [{ ok: false, reason: "display name must be a string" }];
  }
  const address = addressInput.trim();
  const name = nameInput?.trim();
  const problem = name ? nameProblem(name) : undefined;
  if (problem) return [{ ok: false, reason: problem }];
  if (!isValidAddress(address))
    return [{ ok: false, reason: `"${printable(address)}" is not a valid mail address` }];
  return [{ ok: true, value: name ? { address, name } : { address } }];
}

/** Normalizes `undefined | one | many` to an array. */
export function toAddressList(input: AddressListInput | undefined): readonly AddressInput[] {
  if (input === undefined || input === null) return [];
  return Array.isArray(input) ? (input as readonly AddressInput[]) : [input as AddressInput];
}

/**
 * Formats an address for a header: `"Name" <a@b>` quoting when needed.
 * @param address the address and its optional display name
 * @returns the header form of the address
 * @since 0.1.0
 */
export function formatAddress(address: Address): string {
  if (!address.name) return address.address;
  const needsQuotes = /[",.:;<>@()[\]\\]/.test(address.name);
  const name = needsQuotes ? `"${address.name.replace(/(["\\])/g, "\\$1")}"` : address.name;
  return `${name} <${address.address}>`;
}
