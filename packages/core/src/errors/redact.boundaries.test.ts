// The edges of the scrubbers (issue 17: mutants of redact.ts that every other test let live).
import { describe, expect, it } from "vitest";
import { redactSecrets, scrubText } from "./redact.js";

const jwt = (first: number, second: number) =>
  `eyJ${"a".repeat(first)}.${"b".repeat(second)}.sig_nature`;

describe("scrubText: JWTs", () => {
  it("scrubs a JWT at the start of the text and after a non-word character", () => {
    expect(scrubText(jwt(8, 8))).toBe("[redacted]");
    expect(scrubText(`token=${jwt(8, 8)} end`)).toBe("token=[redacted] end");
  });

  it("needs at least 8 characters in the first two segments", () => {
    expect(scrubText(`x ${jwt(7, 8)}`)).toBe(`x ${jwt(7, 8)}`);
    expect(scrubText(`x ${jwt(8, 7)}`)).toBe(`x ${jwt(8, 7)}`);
    expect(scrubText(`x ${jwt(8, 8)}`)).toBe("x [redacted]");
  });

  it.each(["A", "Z", "a", "z", "0", "9", "_"])(
    "leaves eyJ… alone inside a word (after %s)",
    (before) => {
      expect(scrubText(`${before}${jwt(8, 8)}`)).toBe(`${before}${jwt(8, 8)}`);
    },
  );
});

describe("scrubText: bearer tokens", () => {
  it("needs white space after Bearer and at least 8 token characters", () => {
    expect(scrubText("Bearer abcdefgh")).toBe("Bearer [redacted]");
    expect(scrubText("Bearer abcdefg")).toBe("Bearer abcdefg");
    expect(scrubText("Bearerabcdefghij")).toBe("Bearerabcdefghij");
    expect(scrubText("bearer\tabcdefgh and Bearer 12345678")).toBe(
      "bearer\t[redacted] and Bearer [redacted]",
    );
  });
});

describe("redactSecrets", () => {
  it("redacts a secret of 4 characters, not one of 3", () => {
    expect(redactSecrets("pw is abcd.", ["abcd"])).toBe("pw is [redacted].");
    expect(redactSecrets("pw is abc.", ["abc"])).toBe("pw is abc.");
  });

  it("redacts the secret's base64url form (a server echoing it URL-safe)", () => {
    const secret = "??>>??>>??>>??>>";
    const urlSafe = Buffer.from(`\0user\0${secret}`).toString("base64url");
    expect(urlSafe).toMatch(/[-_]/);
    expect(redactSecrets(`echo ${urlSafe} end`, [secret])).toBe("echo [redacted] end");
    const standard = Buffer.from(`\0user\0${secret}`).toString("base64");
    expect(redactSecrets(`echo ${standard} end`, [secret])).toBe("echo [redacted] end");
  });

  it("redacts the base64 of a secret at every byte offset", () => {
    const secret = "correct-horse-battery";
    for (const prefix of ["", "a", "ab", "abc"]) {
      const encoded = Buffer.from(`${prefix}${secret}`).toString("base64");
      expect(redactSecrets(`x ${encoded} y`, [secret]), prefix).toBe("x [redacted] y");
    }
  });
});
