import { describe, expect, it } from "vitest";
import { formatAddress, isValidAddress, parseAddressInput } from "./address.js";

describe("parseAddressInput", () => {
  it.each([
    ["ada@contoso.com", { address: "ada@contoso.com" }],
    ["Ada Lovelace <ada@contoso.com>", { address: "ada@contoso.com", name: "Ada Lovelace" }],
    ['"Lovelace, Ada" <ada@contoso.com>', { address: "ada@contoso.com", name: "Lovelace, Ada" }],
    [
      '"Ada \\"The Countess\\"" <ada@contoso.com>',
      { address: "ada@contoso.com", name: 'Ada "The Countess"' },
    ],
    ["Zoë Ümlaut <zoe@contoso.com>", { address: "zoe@contoso.com", name: "Zoë Ümlaut" }],
    ["山田太郎 <taro@contoso.com>", { address: "taro@contoso.com", name: "山田太郎" }],
    ["<bare@contoso.com>", { address: "bare@contoso.com" }],
  ])("parses %s", (input, expected) => {
    expect(parseAddressInput(input)).toEqual([{ ok: true, value: expected }]);
  });

  it("splits a comma-separated list outside quotes", () => {
    const parsed = parseAddressInput(
      '"Lovelace, Ada" <ada@contoso.com>, grace@contoso.com; alan@contoso.com',
    );
    expect(parsed.map((entry) => entry.ok && entry.value.address)).toEqual([
      "ada@contoso.com",
      "grace@contoso.com",
      "alan@contoso.com",
    ]);
  });

  it("accepts an object with a name", () => {
    expect(parseAddressInput({ address: " ada@contoso.com ", name: "Ada" })).toEqual([
      { ok: true, value: { address: "ada@contoso.com", name: "Ada" } },
    ]);
  });

  it.each([
    "ada",
    "ada@",
    "@contoso.com",
    "ada@contoso",
    "Ada <ada@contoso.com",
    "ada@@contoso.com",
    "a b@contoso.com",
  ])("refuses the malformed address %s", (input) => {
    expect(parseAddressInput(input).every((entry) => !entry.ok)).toBe(true);
  });

  it("refuses a display name with a line break", () => {
    expect(
      parseAddressInput({ address: "ada@contoso.com", name: "Ada\r\nBcc: x@evil.com" })[0]!.ok,
    ).toBe(false);
  });
});

describe("isValidAddress", () => {
  it("accepts plus addressing and internationalised domains", () => {
    expect(isValidAddress("ada+alerts@contoso.com")).toBe(true);
    expect(isValidAddress("info@bücher.de")).toBe(true);
  });
});

describe("formatAddress", () => {
  it("quotes names with specials", () => {
    expect(formatAddress({ address: "ada@contoso.com", name: "Lovelace, Ada" })).toBe(
      '"Lovelace, Ada" <ada@contoso.com>',
    );
    expect(formatAddress({ address: "ada@contoso.com", name: "Ada" })).toBe(
      "Ada <ada@contoso.com>",
    );
    expect(formatAddress({ address: "ada@contoso.com" })).toBe("ada@contoso.com");
  });
});
