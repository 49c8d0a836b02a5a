// Short secrets in base64 (issue 17, the core-redaction run of 21:24): what the decode pass of
// redactSecrets must find, and the runs its pre-filter looks for, against an oracle written apart.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decidedRuns, redactSecrets } from "./redact.js";

/**
 * The characters of base64 that only `secret` decides, by bit arithmetic: with `align` bytes
 * before it, the secret holds bits [8 align, 8 (align + length)); character i reads bits
 * [6 i, 6 i + 6), so it is decided when that range lies inside the secret's.
 */
function oracleRun(secret: Buffer, align: number): string {
  const first = Math.ceil((8 * align) / 6);
  const last = Math.floor((8 * (align + secret.length)) / 6) - 1;
  const encoded = Buffer.concat([Buffer.alloc(align), secret, Buffer.alloc(3)]).toString("base64");
  return encoded.slice(first, last + 1);
}

const url = (run: string) => run.replace(/\+/g, "-").replace(/\//g, "_");

describe("decidedRuns", () => {
  it("gives, per alignment and alphabet, exactly the characters the secret alone decides", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 8 }), (array) => {
        const secret = Buffer.from(array);
        const expected = new Set<string>();
        for (const align of [0, 1, 2]) {
          expected.add(oracleRun(secret, align));
          expected.add(url(oracleRun(secret, align)));
        }
        expect(new Set(decidedRuns(secret))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("finds every run in the base64 of the secret between any bytes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4, maxLength: 8 }),
        fc.uint8Array({ maxLength: 5 }),
        fc.uint8Array({ maxLength: 5 }),
        (array, before, after) => {
          const secret = Buffer.from(array);
          const text = Buffer.concat([before, secret, after]);
          const standard = text.toString("base64");
          const runs = decidedRuns(secret);
          expect(runs.some((run) => standard.includes(run))).toBe(true);
          expect(runs.some((run) => text.toString("base64url").includes(run))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("redactSecrets and short secrets", () => {
  const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

  it("leaves a word that holds a run of the secret but not the secret, and ends", () => {
    // "cGE1N" is a run of "pa55"; "cGE1Nzzz" decodes to "pa57…".
    expect(decidedRuns(Buffer.from("pa55"))).toContain("cGE1N");
    expect(redactSecrets("535 cGE1Nzzz end", ["pa55"])).toBe("535 cGE1Nzzz end");
  });

  it("finds the shorter of two short secrets in a word too short for the longer one", () => {
    // b64("pass") has 8 characters; "hunter22" needs 11 (and is in the text, so both are looked for).
    const text = `334 ${b64("pass")} ${b64("hunter22")}`;
    expect(redactSecrets(text, ["hunter22", "pass"])).toBe("334 [redacted] [redacted]");
    expect(redactSecrets(text, ["pass", "hunter22"])).toBe("334 [redacted] [redacted]");
  });

  it("removes a word holding one secret and only a run of another", () => {
    // "cGFzcwAA" is "pass\0\0"; "cGE1Nzzz" holds a run of "pa55", not "pa55".
    expect(redactSecrets("535 cGFzcwAAcGE1Nzzz", ["pass", "pa55"])).toBe("535 [redacted]");
  });

  it("finds a 4-byte secret in an unpadded base64url word of exactly 6 characters", () => {
    const word = Buffer.from("pass").toString("base64url");
    expect(word).toHaveLength(6);
    expect(redactSecrets(`bad ${word}.`, ["pass"])).toBe("bad [redacted].");
  });

  it("finds a short secret whose base64 holds + and / in its base64url form", () => {
    // 8 bytes in UTF-8 (c3 bb c3 bf c3 be c3 bb): its runs hold "+" and "/" in base64.
    const secret = "\u00fb\u00ff\u00fe\u00fb";
    const standard = decidedRuns(Buffer.from(secret));
    expect(standard.join("")).toMatch(/[+/]/);
    const echoed = Buffer.from(`\u0000ada\u0000${secret}`).toString("base64url");
    expect(redactSecrets(`535 ${echoed}`, [secret])).toBe("535 [redacted]");
    const plain = Buffer.from(`\u0000ada\u0000${secret}`).toString("base64");
    expect(redactSecrets(`535 ${plain}`, [secret])).toBe("535 [redacted]");
  });
});
