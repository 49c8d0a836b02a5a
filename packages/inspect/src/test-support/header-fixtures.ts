// What the header fixtures under test/fixtures are known to say, shared by analyzeHeaders'
// tests and the CLI's `mailpath headers` tests.

/** The X-Forefront-Antispam-Report verdict of exchange-online-pass.eml: clean, not bulk. */
export const EXCHANGE_ONLINE_PASS_SPAM = {
  scl: 1,
  bcl: 0,
  sfv: "NSPM",
  cat: "NONE",
  country: "US",
} as const;
