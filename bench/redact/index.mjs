// redact: how long secret scrubbing takes on 100 kB texts built to make a backtracking regex
// go quadratic (issue 9, defect 6: it must stay well under 10 ms each). A script that prints
// figures, not a test; the test (packages/core/src/errors/redact.test.ts) checks the output.
//
//   pnpm --filter @mailpath/bench redact           (after `pnpm build`)
//   SIZE=200000 node bench/redact/index.mjs
import { redactSecrets, scrubText } from "@mailpath/core";

const SIZE = Number(process.env.SIZE ?? 100 * 1024);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const fill = (unit) => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);

const inputs = {
  "scheme run before ://": `${fill("a.")}://x`,
  "many -eyJ": fill("-eyJ"),
  "JWT-like segments": fill("-eyJaaaaaaaaa.aaaaaaaaa"),
  "many x://a:": fill("x://a:"),
  "many URL passwords": fill("a://b:c@"),
  "many dXNlcj1": fill("+dXNlcj1"),
  "Bearer and spaces": `Bearer${" ".repeat(SIZE)}`,
  "Bearer long token": `Bearer ${fill("a")}`,
  "pass= long value": `pass=${fill("a")}`,
  "unclosed private key": `-----BEGIN PRIVATE KEY-----${fill("-----END A")}`,
  "bad address": `${fill("ab.c-")}@contoso.com`,
  "server reply": `550 5.1.1 ${fill("<ada@contoso.com>: Recipient address rejected; ")}`,
  // Every word decoded: each holds the short password's runs (an AUTH PLAIN echo, repeated).
  "short password echoes": fill(
    `${Buffer.from("\u0000ada@contoso.com\u0000pa55").toString("base64")} `,
  ),
};
const secrets = [
  "Correct-Horse-Battery-5taple",
  "EwBwA8l6BAAURSN/FHlDW5xN74t6GIjV8pk6dEjOOBXKdABAA",
  // A short password (under 9 bytes): words holding one of its quanta are decoded to look for it.
  "pa55",
];

// The first run is shown apart: V8 interprets a regex before it compiles it, and an error
// text is often the first one a process scrubs.
console.log(`scrubText / redactSecrets on ${SIZE} characters: first run, best of ${ROUNDS} (ms)`);
let worst = 0;
const time = (run) => {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / 1e6;
};
const ms = (value) => value.toFixed(2).padStart(7);
for (const [name, text] of Object.entries(inputs)) {
  const firstScrub = time(() => scrubText(text));
  const firstRedact = time(() => redactSecrets(text, secrets));
  let scrub = Infinity;
  let redact = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    scrub = Math.min(
      scrub,
      time(() => scrubText(text)),
    );
    redact = Math.min(
      redact,
      time(() => redactSecrets(text, secrets)),
    );
  }
  worst = Math.max(worst, firstScrub, firstRedact);
  console.log(
    `${name.padEnd(24)} scrubText ${ms(firstScrub)} ${ms(scrub)}  redactSecrets ${ms(firstRedact)} ${ms(redact)}`,
  );
}
console.log(`worst first run: ${worst.toFixed(2)} ms`);
