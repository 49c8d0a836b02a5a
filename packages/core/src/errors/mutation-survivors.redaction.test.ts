// Mutants of redact.ts and safe-cause.ts that the other error tests let live (issue 17,
// scripts/mutation/survivors/core-redaction.md): what a copied cause keeps and drops, and the
// edges of the base64 forms and the XOAUTH2 scrubber.
import { describe, expect, it } from "vitest";
import { redactSecrets, scrubText } from "./redact.js";
import { safeCause } from "./safe-cause.js";

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJlLXZhbHVl";

describe("safeCause: the fields it keeps", () => {
  it("keeps every errno-style and status field, strings scrubbed", () => {
    const fields = {
      code: "ECONNRESET",
      errno: -104,
      syscall: "read",
      address: "52.96.0.1",
      port: 587,
      hostname: "smtp.office365.com",
      responseCode: 421,
      response: `421 4.7.0 Bearer ${TOKEN}`,
      command: "DATA",
      status: 429,
      statusCode: 503,
      errorCode: "ErrorExceededMessageLimit",
      subError: "throttled",
    };
    const expected = { ...fields, response: "421 4.7.0 Bearer [redacted]" };
    expect(safeCause(Object.assign(new Error("reset"), fields))).toMatchObject(expected);
    expect(safeCause({ ...fields })).toEqual(expected);
  });

  it("drops a kept field's value that is an object (an HTTP response with its headers)", () => {
    const response = { headers: { authorization: `Bearer ${TOKEN}` }, body: "client_secret=x" };
    const caught = Object.assign(new Error("bad gateway"), { response, status: 502 });
    const copy = safeCause(caught) as Record<string, unknown>;
    expect(copy).not.toHaveProperty("response");
    expect(copy.status).toBe(502);
    expect(safeCause({ message: "m", address: { host: "h", pass: "pw" } })).toEqual({
      message: "m",
    });
  });
});

describe("safeCause: an Error's name, stack and errors", () => {
  it("gives an Error whose name is no string the name Error", () => {
    const odd = new Error("odd");
    Object.defineProperty(odd, "name", { value: 7 });
    const copy = safeCause(odd) as Error;
    expect(copy.name).toBe("Error");
    expect(Object.hasOwn(copy, "name")).toBe(false);
  });

  it("defines a subclass's name so that it can be deleted again (configurable)", () => {
    const copy = safeCause(Object.assign(new Error("x"), { name: "SocketError" })) as Error;
    expect(copy.name).toBe("SocketError");
    expect(delete (copy as { name?: string }).name).toBe(true);
    expect(copy.name).toBe("Error");
  });

  it("shows no stack for an Error whose stack is no string", () => {
    const odd = new Error("odd");
    Object.defineProperty(odd, "stack", { value: { frames: ["password=hunter22"] } });
    const copy = safeCause(odd) as Error;
    expect(Object.hasOwn(copy, "stack")).toBe(true);
    expect(copy.stack).toBeUndefined();
  });

  it("copies the first ten errors of an AggregateError", () => {
    const errors = Array.from({ length: 12 }, (_, index) => new Error(`address ${index}`));
    const copy = safeCause(new AggregateError(errors, "every address failed")) as {
      errors: Error[];
    };
    expect(copy.errors.map((error) => error.message)).toEqual(
      errors.slice(0, 10).map((error) => error.message),
    );
  });

  it("cuts an AggregateError that holds itself, five levels down", () => {
    const loop = new AggregateError([], "loop");
    loop.errors.push(loop);
    let copy = safeCause(loop) as { errors: unknown[] } | string;
    let levels = 0;
    while (typeof copy !== "string") {
      copy = copy.errors[0] as { errors: unknown[] } | string;
      levels += 1;
    }
    expect(copy).toBe("[cause chain cut]");
    expect(levels).toBe(5);
  });
});

describe("redactSecrets: the base64 forms", () => {
  it("redacts the base64 of a 6-character secret (forms of exactly 8 characters)", () => {
    // AUTH LOGIN's password alone, and at a byte offset of 3 (the same 8-character form).
    const secret = "Pa55w0";
    for (const prefix of ["", "abc"]) {
      const login = b64(`${prefix}${secret}`);
      expect(redactSecrets(`535 5.7.8 ${login} end`, [secret]), prefix).toBe(
        "535 5.7.8 [redacted] end",
      );
    }
  });

  it("leaves base64 that shares only a short part with a short secret's base64", () => {
    // "abcd" encodes to YWJjZA==; its 4-character forms (YWJj, YmNk) would match here.
    const unrelated = b64("abcxyz-bcdxyz-unrelated");
    expect(unrelated).toContain("YWJj");
    expect(redactSecrets(`250 ${unrelated}`, ["abcd"])).toBe(`250 ${unrelated}`);
  });
});

describe("redactSecrets: several forms in one text", () => {
  it("redacts each word that holds one of the secret's forms, when several forms are there", () => {
    // A reply echoing AUTH LOGIN's password and an AUTH PLAIN payload: two forms, two words.
    const secret = "Correct-Horse-Battery-5taple";
    const text = `535 ${b64(secret)} and ${b64(`\u0000me@contoso.com\u0000${secret}`)} end`;
    expect(redactSecrets(text, [secret])).toBe("535 [redacted] and [redacted] end");
  });
});

describe("scrubText: XOAUTH2", () => {
  it("needs 16 base64 characters after the start, and a word boundary before it", () => {
    expect(scrubText(`x dXNlcj1${"A".repeat(16)} y`)).toBe("x [redacted] y");
    expect(scrubText(`x dXNlcj1${"A".repeat(15)} y`)).toBe(`x dXNlcj1${"A".repeat(15)} y`);
    expect(scrubText(`xdXNlcj1${"A".repeat(16)}`)).toBe(`xdXNlcj1${"A".repeat(16)}`);
  });
});

describe("scrubText: PEM private keys", () => {
  it("ends an RSA or EC key at its END line and keeps the text after it", () => {
    for (const kind of ["RSA ", "EC ", "ENCRYPTED "]) {
      const key = `-----BEGIN ${kind}PRIVATE KEY-----\nMIIEow\n-----END ${kind}PRIVATE KEY-----`;
      expect(scrubText(`tls: ${key} from smtp.office365.com`)).toBe(
        `tls: [redacted ${kind}private key] from smtp.office365.com`,
      );
    }
  });
});

describe("the paths no other test took", () => {
  it("copies an Error whose message getter throws, with an empty message", () => {
    const hostile = new Error("x");
    Object.defineProperty(hostile, "message", {
      get() {
        throw new Error("no");
      },
    });
    expect((safeCause(hostile) as Error).message).toBe("");
  });

  it("scrubs token-shaped text when no secrets are given", () => {
    expect(redactSecrets(`401 Bearer ${TOKEN}`)).toBe("401 Bearer [redacted]");
  });
});
