// Secrets must never reach an error, event or log. Transports pass their known secrets to
// `redactSecrets`; `scrubText` also removes anything shaped like a bearer token, a JWT or an
// XOAUTH2 SASL string, so a server echoing a credential cannot leak it either.
//
// Every pass here is linear in the length of the text: it runs on every error text, and a
// server reply or a bad address can be 100 kB. Patterns whose regex would backtrack over a
// long run once per possible start (a JWT, a bearer token) are scanned by hand instead, and
// the regexes left can only fail after a short run, or succeed and consume what they scanned.

const BEARER = /Bearer/gi;
// smtp://user:password@host and https://user:secret@host. The match starts at "://" and looks
// back for the scheme, instead of trying every letter of a long run as a scheme's start: the
// look back and the user and password runs cannot cross a "/", so each character is read a
// bounded number of times.
const URL_PASSWORD = /:\/\/(?<=\b[a-z][a-z0-9+.-]*:\/\/)([^\s:/@]+:)[^\s@/]+@/gi;
const SECRET_PARAM = /((?:client_secret|password|pass|access_token|client_assertion)=)[^&\s"]+/gi;
const PRIVATE_KEY =
  /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;
const REDACTED = "[redacted]";

const isWord = (code: number): boolean =>
  (code >= 48 && code <= 57) ||
  (code >= 65 && code <= 90) ||
  (code >= 97 && code <= 122) ||
  code === 95;

// Runs are read with sticky `*` regexes: linear, and fast even in V8's regex interpreter
// (a JavaScript loop over 100 kB costs ~10 ms before it is compiled; `{8,}` far more).
const JWT_RUN = /[A-Za-z0-9_-]*/y;
const TOKEN_RUN = /[A-Za-z0-9._~+/=-]*/y;
const BASE64_RUN = /[A-Za-z0-9+/=]*/y;
const SPACE_RUN = /\s*/y;

/** The end of the run `pattern` (a sticky `[…]*`) matches at `from`. */
function runEnd(text: string, from: number, pattern: RegExp): number {
  pattern.lastIndex = from;
  pattern.test(text);
  return pattern.lastIndex;
}

/**
 * Replaces with `[redacted]` each secret that starts with `marker` at a word boundary.
 * `measure(at)` reads the candidate at `at`: whether it is a secret, and where it ends (for one
 * that is not, where the search for the next `marker` goes on).
 */
function scrubMarked(
  text: string,
  marker: string,
  measure: (at: number) => { readonly secret: boolean; readonly end: number },
): string {
  let result = "";
  let copied = 0;
  let at = text.indexOf(marker);
  while (at >= 0) {
    let next = at + 1;
    if (at === 0 || !isWord(text.charCodeAt(at - 1))) {
      const candidate = measure(at);
      next = candidate.end;
      if (candidate.secret) {
        result += text.slice(copied, at) + REDACTED;
        copied = candidate.end;
      }
    }
    at = text.indexOf(marker, next);
  }
  return copied === 0 ? text : result + text.slice(copied);
}

/**
 * `eyJ<8+>.<8+>.<0+>` at a word boundary (a JWT: the first segment is base64url JSON, so it
 * starts with `eyJ`), each run of characters read a bounded number of times.
 */
function scrubJwts(text: string): string {
  return scrubMarked(text, "eyJ", (at) => {
    const first = runEnd(text, at + 3, JWT_RUN);
    if (first - (at + 3) >= 8 && text[first] === ".") {
      const second = runEnd(text, first + 1, JWT_RUN);
      if (second - (first + 1) >= 8 && text[second] === ".") {
        return { secret: true, end: runEnd(text, second + 1, JWT_RUN) };
      }
    }
    // A later "eyJ" inside this first segment has the same segment end and a shorter
    // segment: it fails where this one fails, so the search goes on after the segment.
    return { secret: false, end: first };
  });
}

/** `Bearer <8+ token characters>` (any case, any white space between) with the token replaced. */
function scrubBearerTokens(text: string): string {
  let result = "";
  let copied = 0;
  BEARER.lastIndex = 0;
  for (let found = BEARER.exec(text); found; found = BEARER.exec(text)) {
    const afterWord = found.index + found[0].length;
    const tokenStart = runEnd(text, afterWord, SPACE_RUN);
    const end = runEnd(text, tokenStart, TOKEN_RUN);
    if (tokenStart > afterWord && end - tokenStart >= 8) {
      result += `${text.slice(copied, tokenStart)}${REDACTED}`;
      copied = end;
      BEARER.lastIndex = end;
    } else {
      BEARER.lastIndex = afterWord;
    }
  }
  return copied === 0 ? text : result + text.slice(copied);
}

/** base64("user=...\x01auth=Bearer ...") (SASL XOAUTH2) always starts with "dXNlcj1". */
function scrubXoauth2(text: string): string {
  return scrubMarked(text, "dXNlcj1", (at) => {
    const end = runEnd(text, at + 7, BASE64_RUN);
    return end - (at + 7) >= 16 ? { secret: true, end } : { secret: false, end: at + 1 };
  });
}

/**
 * Replaces token-shaped substrings, URL passwords and PEM private keys with `[redacted]`.
 * Runs in time linear in the length of `text`.
 * @param text any text that may reach an error, event or log
 * @returns the text with those parts replaced
 * @since 0.1.0
 */
export function scrubText(text: string): string {
  return scrubXoauth2(scrubBearerTokens(scrubJwts(text)))
    .replace(SECRET_PARAM, `$1${REDACTED}`)
    .replace(URL_PASSWORD, `://$1${REDACTED}@`)
    .replace(PRIVATE_KEY, "[redacted $1private key]");
}

// A base64 or base64url word.
const BASE64_WORD = /[A-Za-z0-9+/=_-]+/g;

/**
 * The parts of `secret`'s base64 that are the same wherever it sits in a longer base64 text
 * (SASL PLAIN `\0user\0pass`, the password of AUTH LOGIN, an XOAUTH2 string): one per byte
 * offset modulo 3, in the standard and the URL-safe alphabet. Parts shorter than 8 characters
 * are left out: they would match unrelated text.
 */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, "utf8");
  const forms = new Set<string>();
  for (let skip = 0; skip < 3; skip++) {
    const usable = Math.floor((bytes.length - skip) / 3) * 3;
    if (usable <= 0) continue;
    const core = bytes.subarray(skip, skip + usable).toString("base64");
    if (core.length < 8) continue;
    forms.add(core);
    forms.add(core.replace(/\+/g, "-").replace(/\//g, "_"));
  }
  return [...forms];
}

/** A secret too short for base64Forms to find at every alignment, with what finds it instead. */
interface ShortSecret {
  readonly bytes: Buffer;
  /** Per alignment and alphabet, the base64 characters the secret's bits alone decide. */
  readonly runs: readonly string[];
}

/**
 * The base64 (and base64url) characters that only `bytes` decide, wherever they sit: for each of
 * the three alignments, the longest run of characters that come out the same with the bytes
 * around them all zeros and all ones. Even 4 bytes leave a run of 4 at every alignment, where
 * their whole quanta may be none. Exported for its tests only (not from the package).
 */
export function decidedRuns(bytes: Buffer): string[] {
  const runs = new Set<string>();
  for (let align = 0; align < 3; align++) {
    const pad = (3 - ((align + bytes.length) % 3)) % 3;
    const encode = (fill: number) =>
      Buffer.concat([Buffer.alloc(align, fill), bytes, Buffer.alloc(pad, fill)]).toString("base64");
    const low = encode(0);
    const high = encode(0xff);
    let run = "";
    let start = 0;
    for (let index = 0; index <= low.length; index++) {
      if (index < low.length && low[index] === high[index]) continue;
      if (index - start > run.length) run = low.slice(start, index);
      start = index + 1;
    }
    runs.add(run);
    runs.add(run.replace(/\+/g, "-").replace(/\//g, "_"));
  }
  return [...runs];
}

/**
 * Whether the bytes of a base64 or base64url `word` hold one of the `short` secrets, read from
 * each of the four places a base64 quantum can start (an echo may cut a payload anywhere). This
 * catches what base64Forms cannot: a secret under 9 bytes, whose whole quanta at some alignment
 * are under 8 characters (too short to match text safely), e.g. a 6-character password after an
 * AUTH PLAIN's user name. Only a word holding one of the secret's decided runs is decoded.
 */
function holdsShortSecret(word: string, short: readonly ShortSecret[]): boolean {
  const candidates = short.filter((secret) => secret.runs.some((run) => word.includes(run)));
  if (candidates.length === 0) return false;
  for (let skip = 0; skip < 4; skip++) {
    const bytes = Buffer.from(word.slice(skip), "base64");
    if (candidates.some((secret) => bytes.includes(secret.bytes))) return true;
  }
  return false;
}

/**
 * Replaces every occurrence of the given secrets, and of their base64 forms (a server that
 * echoes an AUTH PLAIN, AUTH LOGIN or XOAUTH2 payload), then scrubs token-shaped text.
 * @param text any text that may reach an error, event or log
 * @param secrets the passwords, client secrets and keys to remove; `undefined` entries are skipped
 * @returns the text with the secrets and token-shaped parts replaced
 * @since 0.1.0
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let result = text;
  const short: ShortSecret[] = [];
  for (const secret of secrets) {
    if (typeof secret !== "string" || secret.length < 4) continue;
    const bytes = Buffer.from(secret, "utf8");
    result = result.split(secret).join(REDACTED);
    // From 9 bytes every alignment has 8 characters of whole quanta: base64Forms finds them.
    // Shorter, only the words of a text that holds one of the secret's runs can hold it.
    if (bytes.length < 9) {
      const runs = decidedRuns(bytes);
      if (runs.some((run) => result.includes(run))) short.push({ bytes, runs });
    }
    const forms = base64Forms(secret).filter((form) => result.includes(form));
    if (forms.length > 0) {
      // The whole word goes: the characters around the form also carry bits of the secret.
      result = result.replace(BASE64_WORD, (word) =>
        forms.some((form) => word.includes(form)) ? REDACTED : word,
      );
    }
  }
  if (short.length > 0) {
    // The fewest base64 characters that can carry the shortest of them (4 bytes: 6).
    const shortest = Math.ceil((Math.min(...short.map((secret) => secret.bytes.length)) * 4) / 3);
    result = result.replace(BASE64_WORD, (word) =>
      word.length >= shortest && holdsShortSecret(word, short) ? REDACTED : word,
    );
  }
  return scrubText(result);
}
