import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redactSecrets, scrubText } from "./redact.js";

// The regexes scrubText used before it became linear, kept as the reference its output must
// equal on short inputs (where their backtracking costs nothing).
const REFERENCE = [
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, "[redacted]"],
  [/(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, "$1[redacted]"],
  [/\bdXNlcj1[A-Za-z0-9+/=]{16,}/g, "[redacted]"],
  [/((?:client_secret|password|pass|access_token|client_assertion)=)[^&\s"]+/gi, "$1[redacted]"],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, "$1[redacted]@"],
  [
    /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    "[redacted $1private key]",
  ],
] as const;
const referenceScrub = (text: string) =>
  REFERENCE.reduce((result, [pattern, replacement]) => result.replace(pattern, replacement), text);

const SEED = Number(process.env.MAILPATH_FC_SEED ?? 20_260_905);
const KB100 = 100 * 1024;
const fill = (unit: string, size = KB100) =>
  unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
/** Equality of long texts, reported as the first place they differ instead of 100 kB of diff. */
function expectSame(actual: string, expected: string): void {
  let index = 0;
  while (index < actual.length && actual[index] === expected[index]) index++;
  const around = (text: string) => JSON.stringify(text.slice(Math.max(0, index - 20), index + 20));
  expect(
    index === actual.length && actual.length === expected.length
      ? "same"
      : `differs at ${index}: ${around(actual)} vs ${around(expected)}`,
  ).toBe("same");
}

describe("scrubText", () => {
  it("gives the same text as the former regexes on any short input (10,000 cases)", () => {
    // Pieces that start, end or break each pattern, so the cases hit the edges.
    const piece = fc.constantFrom(
      "eyJ",
      "eyJhbGciOiJSUzI1NiJ9",
      ".",
      "-",
      "_",
      "a",
      "Z",
      "9",
      "+",
      "/",
      "=",
      ":",
      "://",
      "@",
      " ",
      "\n",
      "&",
      '"',
      "smtp",
      "https://",
      "user",
      "pa:ss",
      "Bearer ",
      "bearer\t",
      "dXNlcj1",
      "password=",
      "Pass=",
      "client_secret=",
      "-----BEGIN ",
      "RSA ",
      "PRIVATE KEY-----",
      "-----END ",
      "é",
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 40 }).map((pieces) => pieces.join("")),
        (text) => {
          expect(scrubText(text)).toBe(referenceScrub(text));
        },
      ),
      { numRuns: 10_000, seed: SEED },
    );
  });

  // Each of these took the former regexes seconds (quadratic backtracking from every start in
  // a long run): a scheme-like run before "://", many "-eyJ", many "x://a:". The time each
  // takes now is printed by bench/redact (pnpm --filter @mailpath/bench redact); here the
  // output is checked.
  it("scrubs 100 kB adversarial texts that used to backtrack quadratically, correctly", () => {
    const schemeRun = `${fill("a.")}://x`;
    expectSame(scrubText(schemeRun), schemeRun);
    const jwtStarts = fill("-eyJ");
    expectSame(scrubText(jwtStarts), jwtStarts);
    const jwtLike = fill("-eyJaaaaaaaaa.aaaaaaaaa");
    // The former JWT regex alone is fast on this one (its URL regex was not).
    expectSame(scrubText(jwtLike), jwtLike.replace(REFERENCE[0][0], REFERENCE[0][1]));
    const urls = fill("x://a:");
    expectSame(scrubText(urls), urls);
    const passwords = `${"a://b:c@".repeat(12_799)}tail`;
    expectSame(scrubText(passwords), `${"a://b:[redacted]@".repeat(12_799)}tail`);
    const xoauth = fill("+dXNlcj1");
    expectSame(scrubText(xoauth), "+[redacted]");
  });

  it("keeps the host and port of a URL whose password it removes", () => {
    expect(scrubText("smtp://app%40contoso.com:Pa55:word@smtp.office365.com:587 ok")).toBe(
      "smtp://app%40contoso.com:[redacted]@smtp.office365.com:587 ok",
    );
  });
});

describe("redactSecrets", () => {
  const user = "notifications@contoso.com";
  const password = "Correct-Horse-Battery-5taple";
  const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

  it("removes a password echoed inside an AUTH PLAIN payload, whatever the user's length", () => {
    for (const name of [user, `a${user}`, `ab${user}`]) {
      const echoed = `535 5.7.8 Error: authentication failed: ${b64(`\u0000${name}\u0000${password}`)}`;
      const redacted = redactSecrets(echoed, [password]);
      expect(redacted).toBe("535 5.7.8 Error: authentication failed: [redacted]");
    }
  });

  it("removes the base64 password of AUTH LOGIN and a base64url form", () => {
    expect(redactSecrets(`535 5.7.8 bad ${b64(password)} (${b64(user)})`, [password])).toBe(
      `535 5.7.8 bad [redacted] (${b64(user)})`,
    );
    const url = Buffer.from(`x${password}`).toString("base64url");
    expect(redactSecrets(`token ${url}.`, [password])).toBe("token [redacted].");
  });

  it("removes an XOAUTH2 payload with a token that is not a JWT", () => {
    const token = "EwBwA8l6BAAURSN/FHlDW5xN74t6GIjV8pk6dEjOOBXKdABAA";
    const payload = b64(`user=${user}\u0001auth=Bearer ${token}\u0001\u0001`);
    // Even cut so that it no longer starts with base64("user=").
    const echoed = `535 5.7.3 ${payload.slice(12)}`;
    expect(redactSecrets(echoed, [token])).toBe("535 5.7.3 [redacted]");
  });

  it("removes short passwords and passwords cut across base64 quanta (AUTH PLAIN after any user name)", () => {
    // Under 9 bytes a password has no whole-quanta form of 8 characters; after "\0user\0" it
    // starts inside a quantum. Both were echoed in clear before.
    for (const secret of ["pass", "pass1", "hunter", "hunter2"]) {
      for (const name of [user, `a${user}`, `ab${user}`]) {
        const plain = b64(`\u0000${name}\u0000${secret}`);
        expect(redactSecrets(`535 5.7.8 ${plain}`, [secret])).toBe("535 5.7.8 [redacted]");
      }
      expect(redactSecrets(`334 ${b64(secret)}`, [secret])).toBe("334 [redacted]");
      const url = Buffer.from(`\u0000${secret}`).toString("base64url");
      expect(redactSecrets(`bad ${url}.`, [secret])).toBe("bad [redacted].");
    }
  });

  it("removes a password from any base64 echo of any AUTH PLAIN payload, cut anywhere (property)", () => {
    const printable = fc.string({
      unit: fc.integer({ min: 0x21, max: 0x7e }).map(String.fromCharCode),
    });
    fc.assert(
      fc.property(
        printable.filter((name) => name.length > 0),
        printable.filter((secret) => secret.length >= 4),
        fc.nat({ max: 3 }),
        (name, secret, cut) => {
          const payload = b64(`\u0000${name}\u0000${secret}`).slice(cut);
          const redacted = redactSecrets(`535 5.7.8 ${payload} end`, [secret]);
          // Nothing left in the reply decodes to the password, from any quantum start.
          for (const word of redacted.split(" ")) {
            for (let skip = 0; skip < 4; skip++) {
              expect(Buffer.from(word.slice(skip), "base64").includes(Buffer.from(secret))).toBe(
                false,
              );
            }
          }
          expect(redacted.startsWith("535 5.7.8 ")).toBe(true);
          expect(redacted.endsWith(" end")).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("leaves unrelated base64 alone and ignores secrets too short to match safely", () => {
    const other = b64("nothing secret in here at all");
    expect(redactSecrets(`250 ${other}`, [password, "abc", undefined])).toBe(`250 ${other}`);
  });
});
