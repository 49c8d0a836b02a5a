// Addresses at their edges (issue 17, core-message survivors): the length limits of an
// address, its local part, a domain label and a display name, where a list is split, how a
// refused address is shown, and when a display name is quoted.
import { describe, expect, it } from "vitest";
import { formatAddress, isValidAddress, parseAddressInput, toAddressList } from "./address.js";

const reasons = (input: Parameters<typeof parseAddressInput>[0]) =>
  parseAddressInput(input).map((entry) => (entry.ok ? entry.value : entry.reason));

/** Each address of `valid` is taken and each of `invalid` refused (the failures are named). */
function expectVerdicts({ valid, invalid }: { valid: string[]; invalid: string[] }) {
  expect(valid.filter((address) => !isValidAddress(address))).toEqual([]);
  expect(invalid.filter((address) => isValidAddress(address))).toEqual([]);
}

describe("isValidAddress at its limits", () => {
  it("takes a local part of 64 characters, not 65", () => {
    expectVerdicts({
      valid: [`${"a".repeat(64)}@contoso.com`],
      invalid: [`${"a".repeat(65)}@contoso.com`],
    });
  });

  it("the same limits hold for a non-ASCII address (an accented local part, an IDN domain)", () => {
    const labels = (count: number) => Array.from({ length: count }, () => "ü".repeat(49));
    // 64 + 1 + 5 × 50 − 1 + 6 = 320, then 321 with a longer top level.
    const at320 = `${"a".repeat(64)}@${labels(5).join(".")}.dddde`;
    expect(at320.length).toBe(320);
    expectVerdicts({
      valid: [`${"é".repeat(64)}@contoso.com`, `ada@${"ü".repeat(63)}.de`, at320, "ü@bücher.de"],
      invalid: [
        `${"é".repeat(65)}@contoso.com`,
        `ada@${"ü".repeat(64)}.de`,
        `${at320.slice(0, -1)}ee`,
        "@bücher.de",
        "ada@bücher",
        "ada@bücher.123",
      ],
    });
  });

  it("takes an address of 320 characters, not 321", () => {
    const domain = (length: number) =>
      `${Array.from({ length: Math.ceil(length / 50) }, () => "d".repeat(49)).join(".")}`.slice(
        0,
        length - 4,
      );
    const at320 = `${"a".repeat(64)}@${domain(255)}.com`;
    const at321 = `${"a".repeat(64)}@${domain(256)}.com`;
    expect([at320.length, at321.length]).toEqual([320, 321]);
    expectVerdicts({ valid: [at320], invalid: [at321] });
  });

  it("takes a domain label of 63 characters, not 64, and no label starting or ending with a hyphen", () => {
    expectVerdicts({
      valid: [`ada@${"d".repeat(63)}.com`, "ada@con-toso.com", "ada@a.co"],
      invalid: [`ada@${"d".repeat(64)}.com`, "ada@-contoso.com", "ada@contoso-.com"],
    });
  });

  it("needs one character before the @ and one after it, a dot in the domain and a non-numeric top level", () => {
    expectVerdicts({
      valid: ["a@contoso.com", "ada@contoso.c0m"],
      invalid: ["@contoso.com", "ada@", "ada@localhost", "ada@10.0.0.1", "ada@contoso..com"],
    });
  });

  it("takes a quoted local part with a space or an @, but no white space or brackets outside quotes", () => {
    expectVerdicts({
      valid: ['"ada lovelace"@contoso.com', '"ada@home"@contoso.com', "ada.lovelace@contoso.com"],
      invalid: [
        "ada lovelace@contoso.com",
        "ada\t@contoso.com",
        "<ada>@contoso.com",
        "ada..lovelace@contoso.com",
        ".ada@contoso.com",
      ],
    });
  });

  it("refuses a control character anywhere, inside quotes too", () => {
    expectVerdicts({ valid: [], invalid: ['"ada\u0000"@contoso.com', "ada@contoso.com\u007f"] });
  });
});

describe("a list in one string", () => {
  it("is split on commas and semicolons outside quotes and angle brackets", () => {
    expect(reasons('"A; B" <a@contoso.com>;b@contoso.com , <c,d@contoso.com>')).toEqual([
      { address: "a@contoso.com", name: "A; B" },
      { address: "b@contoso.com" },
      '"c,d@contoso.com" is not a valid mail address',
    ]);
  });

  it("keeps an escaped quote inside a quoted name from ending it", () => {
    expect(reasons('"Ada \\", Countess" <ada@contoso.com>, bob@contoso.com')).toEqual([
      { address: "ada@contoso.com", name: 'Ada ", Countess' },
      { address: "bob@contoso.com" },
    ]);
  });

  it("skips empty entries, and is refused when nothing is left", () => {
    expect(reasons(" , ada@contoso.com ,, ")).toEqual([{ address: "ada@contoso.com" }]);
    expect(reasons(" ; , ")).toEqual(["is empty"]);
    expect(reasons("")).toEqual(["is empty"]);
  });
});

describe("one address in a string", () => {
  it("refuses text after the closing bracket, or no closing bracket", () => {
    expect(reasons("Ada <ada@contoso.com> x")).toEqual([
      '"Ada <ada@contoso.com> x" has an unclosed or misplaced "<…>"',
    ]);
    expect(reasons("Ada <ada@contoso.com")).toEqual([
      '"Ada <ada@contoso.com" has an unclosed or misplaced "<…>"',
    ]);
    expect(reasons("Ada <ada@contoso.com>  ")).toEqual([
      { address: "ada@contoso.com", name: "Ada" },
    ]);
  });

  it("reads the last bracketed part as the address, white space around it trimmed", () => {
    expect(reasons("Ada <x> < ada@contoso.com >")).toEqual([
      { address: "ada@contoso.com", name: "Ada <x>" },
    ]);
  });

  it("keeps a one-character quote as the name, and unquotes only a closed pair", () => {
    expect(reasons('" <ada@contoso.com>')).toEqual([{ address: "ada@contoso.com", name: '"' }]);
    expect(reasons('"Ada" <ada@contoso.com>')).toEqual([
      { address: "ada@contoso.com", name: "Ada" },
    ]);
    expect(reasons('"" <ada@contoso.com>')).toEqual([{ address: "ada@contoso.com" }]);
  });

  it("refuses a line break anywhere, before looking at the address", () => {
    expect(reasons("Ada\n <ada@contoso.com>")).toEqual(["contains a line break"]);
    expect(reasons("ada@con\rtoso.com")).toEqual(["contains a line break"]);
  });

  it("shows control characters of a refused address as \\uXXXX", () => {
    expect(reasons("ad\u0000a@contoso.com")).toEqual([
      '"ad\\u0000a@contoso.com" is not a valid mail address',
    ]);
    expect(reasons({ address: "ad\u001ba@contoso.com" })).toEqual([
      '"ad\\u001ba@contoso.com" is not a valid mail address',
    ]);
  });
});

describe("a display name", () => {
  it("takes 900 octets, not 901 (UTF-8 octets, not characters)", () => {
    expect(reasons({ address: "ada@contoso.com", name: "a".repeat(900) })).toEqual([
      { address: "ada@contoso.com", name: "a".repeat(900) },
    ]);
    expect(reasons({ address: "ada@contoso.com", name: "a".repeat(901) })).toEqual([
      "display name is longer than 900 octets",
    ]);
    expect(reasons({ address: "ada@contoso.com", name: "é".repeat(451) })).toEqual([
      "display name is longer than 900 octets",
    ]);
    expect(reasons(`${"b".repeat(901)} <ada@contoso.com>`)).toEqual([
      "display name is longer than 900 octets",
    ]);
  });

  it("takes a tab but no other control character, and no line break", () => {
    expect(reasons({ address: "ada@contoso.com", name: "Ada\tL" })).toEqual([
      { address: "ada@contoso.com", name: "Ada\tL" },
    ]);
    expect(reasons({ address: "ada@contoso.com", name: "Ada\u0000" })).toEqual([
      "display name contains NUL or another control character",
    ]);
    expect(reasons({ address: "ada@contoso.com", name: "Ada\nL" })).toEqual([
      "display name contains a line break",
    ]);
    expect(reasons("Ada\u0007 <ada@contoso.com>")).toEqual([
      "display name contains NUL or another control character",
    ]);
  });

  it("that is blank is left out", () => {
    expect(reasons({ address: "ada@contoso.com", name: "  " })).toEqual([
      { address: "ada@contoso.com" },
    ]);
  });
});

describe("an address object", () => {
  it("needs a string address and, if any, a string name", () => {
    expect(reasons({ address: 7 } as never)).toEqual(["must be a string or { address, name? }"]);
    expect(reasons({ address: "ada@contoso.com", name: 7 } as never)).toEqual([
      "display name must be a string",
    ]);
    expect(reasons(null as never)).toEqual(["must be a string or { address, name? }"]);
    expect(reasons(42 as never)).toEqual(["must be a string or { address, name? }"]);
  });
});

describe("toAddressList", () => {
  it("is empty for undefined and null, one entry for one, the array itself for many", () => {
    expect(toAddressList(undefined)).toEqual([]);
    expect(toAddressList(null as never)).toEqual([]);
    expect(toAddressList("ada@contoso.com")).toEqual(["ada@contoso.com"]);
    const many = ["a@contoso.com", "b@contoso.com"];
    expect(toAddressList(many)).toBe(many);
  });
});

describe("formatAddress", () => {
  it.each([",", ".", ":", ";", "<", ">", "@", "(", ")", "[", "]", '"', "\\"])(
    "quotes a name with %s",
    (special) => {
      expect(formatAddress({ address: "a@contoso.com", name: `A${special}B` })).toMatch(/^"/);
    },
  );

  it("escapes quotes and backslashes inside the quotes", () => {
    expect(formatAddress({ address: "a@contoso.com", name: 'Ada "A\\L"' })).toBe(
      '"Ada \\"A\\\\L\\"" <a@contoso.com>',
    );
  });
});

// Survivors of the first core-message run on this machine (2026-12-05): the non-ASCII path
// (LOCAL_PART, DOMAIN_LABEL) where only ASCII addresses were tried, and the ASCII fast path
// taking an address the full check refuses.
describe("a non-ASCII address takes what an ASCII one does", () => {
  it("dot-separated words of several letters in the local part", () => {
    expectVerdicts({
      valid: ["zoë.lovelace@contoso.com", "ada.lövelace.jr@contoso.com", "ü.ö@bücher.de"],
      invalid: ["zoë..lovelace@contoso.com", "zoë.@contoso.com", "zoë.(x)@contoso.com"],
    });
  });

  it("a one-character domain label, and digits inside a label", () => {
    expectVerdicts({
      valid: ["zoë@x.contoso.com", "ada@ä.de", "info@shop24-bücher.de", "info@bü3cher.de"],
      invalid: ["ada@bü_cher.de", "zoë@x..contoso.com"],
    });
  });

  it("a top level with digits that is not all digits", () => {
    expectVerdicts({
      valid: [
        "zoë@contoso.a1",
        "zoë@contoso.9a",
        "ada@contoso.a1",
        "ada@contoso.9a",
        "zoë@mail.2.contoso.com",
        "ada@mail.2.contoso.com",
      ],
      invalid: ["zoë@contoso.91", "ada@contoso.91"],
    });
  });

  it("an @, which the full check looks for as the ASCII one does", () => {
    expectVerdicts({ valid: [], invalid: ["zoë.contoso.com", "bücher.de", "zoë@", "@bücher.de"] });
  });
});

describe("the ASCII fast path refuses what the full check refuses", () => {
  it("a local part of specials only, a dot with nothing after it, an underscore or space in the domain", () => {
    expectVerdicts({
      valid: [],
      invalid: [
        '""@contoso.com',
        "()@contoso.com",
        "@@contoso.com",
        "ada..@contoso.com",
        "ada.()@contoso.com",
        "ada@con_toso.com",
        "ada@x_y.com",
        "ada@con toso.com",
        // Inside the last label (the top-level domain), which the fast path spells apart.
        "ada@contoso.c_m",
        "ada@contoso.c m",
      ],
    });
  });
});

describe("a list with an unclosed quote", () => {
  it("keeps a trailing backslash as it is (nothing after it to escape)", () => {
    expect(reasons('bob@contoso.com, "Ada\\')).toEqual([
      { address: "bob@contoso.com" },
      '""Ada\\" is not a valid mail address',
    ]);
  });
});

describe("a quote on one side of a display name only", () => {
  it("is kept as part of the name, at the start or at the end", () => {
    expect(reasons('"Ada <ada@contoso.com>')).toEqual([
      { address: "ada@contoso.com", name: '"Ada' },
    ]);
    expect(reasons('Ada" <ada@contoso.com>')).toEqual([
      { address: "ada@contoso.com", name: 'Ada"' },
    ]);
  });
});

describe("an entry that is undefined", () => {
  it("is refused with a reason, not a TypeError (an address list with a hole)", () => {
    expect(reasons(undefined as never)).toEqual(["must be a string or { address, name? }"]);
    expect(reasons(true as never)).toEqual(["must be a string or { address, name? }"]);
  });
});

describe("a list separated by semicolons only, and blank input", () => {
  it("is split on the semicolons; white space alone is empty", () => {
    expect(reasons("ada@contoso.com; bob@contoso.com")).toEqual([
      { address: "ada@contoso.com" },
      { address: "bob@contoso.com" },
    ]);
    expect(reasons("   ")).toEqual(["is empty"]);
  });
});
