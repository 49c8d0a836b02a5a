// plainEnvelope (smtp-engine.ts, issue 16): which envelopes go straight to nodemailer's pool.
// Its answer must be the envelope nodemailer's composer (MimeNode#setEnvelope) would make of the
// same addresses, or undefined. Example addresses, one for each part of its pattern and its
// recipient cap, so the mutation run (which leaves the property tests out) judges each part;
// plain-envelope.property.test.ts holds the same promise over generated addresses.
import { createRequire } from "node:module";
import { type NormalizedMessage, normalizeMessage } from "@mailpath/core";
import { describe, expect, it } from "vitest";
import { plainEnvelope } from "./smtp-engine.js";

interface MimeNodeLike {
  setEnvelope(envelope: { from: string; to: string[] }): MimeNodeLike;
  getEnvelope(): { from: string | false; to: string[] };
}
const require = createRequire(import.meta.url);
const MimeNode = require("nodemailer/lib/mime-node") as new () => MimeNodeLike;

const base = normalizeMessage({
  from: "app@contoso.com",
  to: "ada@contoso.com",
  subject: "s",
  text: "t",
});
/** A message with these envelope addresses (plainEnvelope reads only these two fields). */
const withAddresses = (from: string, recipients: string[]): NormalizedMessage => ({
  ...base,
  from: { address: from },
  recipients,
});
const nodemailerEnvelope = (from: string, to: string[]) =>
  new MimeNode().setEnvelope({ from, to }).getEnvelope();

describe("plainEnvelope", () => {
  // Each exercises a part of the pattern: several atoms with dots, one-letter and long atoms,
  // every atext sign, subdomains, hyphens and digits in labels, upper-case domains.
  it.each([
    "ada@contoso.com",
    "a@b.co",
    "ada.king.lovelace@mail.eu.contoso.com",
    "a.b@c.d",
    "x!#$%&'*+/=?^_`{|}~-y@contoso.com",
    "Ada@Contoso.COM",
    "ada@mail-1.x9-y.Z-9",
  ])("answers nodemailer's own envelope for %s", (address) => {
    const envelope = plainEnvelope(withAddresses(address, [address, "bob@contoso.com"]));
    expect(envelope).toBeDefined();
    expect(envelope).toEqual(nodemailerEnvelope(address, [address, "bob@contoso.com"]));
  });

  // Addresses nodemailer quotes, punycodes, rewrites or keeps with a case the pattern would
  // lose: each must be left to nodemailer's composer.
  it.each([
    "a b@contoso.com",
    "ada@contoso.c_m",
    "ada@contoso.com x",
    "<ada@contoso.com>",
    "ada@contoso.0x7f",
    "ada@127.1",
    "ada@[10.0.0.1]",
    '"ada"@contoso.com',
    ".ada@contoso.com",
    "ada.@contoso.com",
    "a..b@contoso.com",
    "ada@.contoso.com",
    "ada@contoso..com",
    "ada@contoso.com.",
    "ada@jõgeva.ee",
    "ädä@contoso.com",
    "ada",
  ])("leaves %s to nodemailer, as sender or as recipient", (address) => {
    expect(plainEnvelope(withAddresses(address, ["bob@contoso.com"]))).toBeUndefined();
    expect(plainEnvelope(withAddresses("app@contoso.com", ["bob@contoso.com", address]))).toBe(
      undefined,
    );
  });

  it("answers up to nodemailer's cap of 100,000 recipients, not over it", () => {
    const recipients = Array.from({ length: 100_000 }, (_, index) => `r${index}@contoso.com`);
    expect(plainEnvelope(withAddresses("app@contoso.com", recipients))?.to).toHaveLength(100_000);
    expect(
      plainEnvelope(withAddresses("app@contoso.com", [...recipients, "one-more@contoso.com"])),
    ).toBeUndefined();
  });
});
