// The envelope sendPrepared hands straight to the pool (plainEnvelope) against the one
// nodemailer's composer makes of the same addresses (MimeNode#setEnvelope, which the
// `sendMail` path runs): whenever plainEnvelope answers, the two are the same, so the fast path
// changes nothing on the wire; and the common addresses take it.
import { createRequire } from "node:module";
import { type NormalizedMessage, normalizeMessage } from "@mailpath/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { plainEnvelope } from "./smtp-engine.js";

interface MimeNodeLike {
  setEnvelope(envelope: { from: string; to: string[] }): MimeNodeLike;
  getEnvelope(): { from: string | false; to: string[] };
}
const require = createRequire(import.meta.url);
const MimeNode = require("nodemailer/lib/mime-node") as new () => MimeNodeLike;

const RUNS = Number(process.env.MAILPATH_FC_RUNS ?? 500);

function nodemailerEnvelope(message: NormalizedMessage) {
  return new MimeNode()
    .setEnvelope({ from: message.from.address, to: [...message.recipients] })
    .getEnvelope();
}

const atext = fc.constantFrom(..."abcXYZ019!#$%&'*+/=?^_`{|}~-".split(""));
const atom = fc.string({ unit: atext, minLength: 1, maxLength: 6 });
const dotAtom = fc.array(atom, { minLength: 1, maxLength: 3 }).map((atoms) => atoms.join("."));
const label = fc.string({
  unit: fc.constantFrom(..."aZk09-".split("")),
  minLength: 1,
  maxLength: 8,
});
const letterLabel = fc
  .tuple(
    fc.constantFrom(..."abcXYZ".split("")),
    fc.string({ unit: fc.constantFrom(..."aZ0-".split("")), maxLength: 6 }),
  )
  .map(([first, rest]) => first + rest);
/** Dot-atom local parts at ASCII domains whose last label starts with a letter. */
const plainAddress = fc
  .tuple(dotAtom, fc.array(label, { maxLength: 2 }), letterLabel)
  .map(([local, labels, last]) => `${local}@${[...labels, last].join(".")}`);
/** Anything an address might hold that nodemailer rewrites: dots out of place, quotes, IDN, numbers, literals. */
const oddAddress = fc
  .tuple(
    fc.oneof(
      dotAtom,
      fc.constantFrom(".ada", "ada.", "a..b", '"ada lovelace"', '"a\\"b"', "ädä", "ada+x"),
    ),
    fc.oneof(
      fc
        .tuple(fc.array(label, { maxLength: 2 }), letterLabel)
        .map(([l, last]) => [...l, last].join(".")),
      fc.constantFrom(
        "127.1",
        "10.0.0.1",
        "[10.0.0.1]",
        "[IPv6:::1]",
        "xn--jgeva-dua.ee",
        "xn--zz.com",
        "jõgeva.ee",
        "CONTOSO.COM",
        "a-.b-.com",
        "0x7f.com",
        "contoso.0x7f",
        "ex.123",
      ),
    ),
  )
  .map(([local, domain]) => `${local}@${domain}`);

/** A normalized message with these addresses, or undefined when core refuses one. */
function messageOf(from: string, to: string[]): NormalizedMessage | undefined {
  try {
    return normalizeMessage({ from, to, subject: "s", text: "t" });
  } catch {
    return undefined;
  }
}

describe("plainEnvelope", () => {
  it("is nodemailer's envelope whenever it answers, for any addresses core accepts", () => {
    let answered = 0;
    fc.assert(
      fc.property(
        fc.oneof(plainAddress, oddAddress),
        fc.array(fc.oneof(plainAddress, oddAddress), { minLength: 1, maxLength: 4 }),
        (from, to) => {
          const message = messageOf(from, to);
          fc.pre(message !== undefined);
          if (message === undefined) return;
          const envelope = plainEnvelope(message);
          if (envelope === undefined) return;
          answered++;
          expect(envelope).toEqual(nodemailerEnvelope(message));
        },
      ),
      { numRuns: RUNS },
    );
    // The property held on answers, not only on refusals.
    expect(answered).toBeGreaterThan(RUNS / 10);
  });

  it("answers for dot-atom addresses at ASCII domains, so common messages take the fast path", () => {
    fc.assert(
      fc.property(
        plainAddress,
        fc.array(plainAddress, { minLength: 1, maxLength: 4 }),
        (from, to) => {
          const message = messageOf(from, to);
          fc.pre(message !== undefined);
          if (message === undefined) return;
          expect(plainEnvelope(message)).toEqual(nodemailerEnvelope(message));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it.each([
    ["Ada@Contoso.COM", "Ada@contoso.com"],
    ["notifications@contoso.onmicrosoft.com", "notifications@contoso.onmicrosoft.com"],
  ])("keeps the local part and lowers the domain: %s", (address, expected) => {
    const message = normalizeMessage({ from: address, to: address, subject: "s", text: "t" });
    expect(plainEnvelope(message)).toEqual({ from: expected, to: [expected] });
  });

  // Addresses core accepts and nodemailer rewrites (punycode, quoting, a hex label).
  it.each(["ada@jõgeva.ee", '"ada lovelace"@contoso.com', "ädä@contoso.com", "ada@contoso.0x7f"])(
    "leaves %s to nodemailer",
    (address) => {
      const message = normalizeMessage({
        from: "app@contoso.com",
        to: address,
        subject: "s",
        text: "t",
      });
      expect(plainEnvelope(message)).toBeUndefined();
    },
  );
});
