import { writeFileSync } from "node:fs";

// The modules that carry mailpath's guarantees, each mutated on its own (one package's tests
// per run). `files` are the sources Stryker mutates; the package's own tests judge them, or
// only the test files matching `tests` (globs from the package's root) where the whole suite
// makes most mutants "static" (loaded at import: rule tables, schemas) and Stryker then runs
// every test for each of them — hours on this machine. Fewer tests can only kill fewer mutants:
// a narrowed module's score is a lower bound.
export const MODULES = {
  "core-classifier": {
    package: "core",
    files: [
      "src/classifier/classify.ts",
      "src/classifier/parse.ts",
      "src/classifier/to-mail-error.ts",
      "src/classifier/network-rules.ts",
      "src/classifier/http-rules.ts",
      "src/classifier/smtp-rules.ts",
      "src/classifier/generic-smtp-rules.ts",
    ],
    // A hint's wording is not a guarantee; a row's code, retryable, delay and matchers are.
    excludedMutations: ["StringLiteral"],
    // The classifier's own tests (the tables make 378 of its mutants static).
    tests: ["src/classifier/**/*.test.ts"],
  },
  "core-resilience": {
    package: "core",
    files: [
      "src/resilience/retry.ts",
      "src/resilience/rate-limiter.ts",
      "src/resilience/circuit-breaker.ts",
      "src/resilience/delays.ts",
      "src/resilience/timeout.ts",
    ],
  },
  "core-routing": {
    package: "core",
    files: ["src/routing/failover.ts", "src/routing/paths.ts", "src/routing/weighted.ts"],
  },
  "core-mailer": {
    package: "core",
    files: ["src/mailer.ts", "src/resilience/attempt-options.ts"],
  },
  "core-message": {
    package: "core",
    files: ["src/message/normalize.ts", "src/message/address.ts", "src/message/content-type.ts"],
    // The message tests, and the two others that call the normalizer (directly, and through
    // send()): the whole suite makes every test run per static mutant (1–1.5 h a run).
    tests: [
      "src/message/**/*.test.ts",
      "src/mutation-survivors.guarantees.test.ts",
      "src/mailer.test.ts",
    ],
  },
  "core-redaction": {
    package: "core",
    files: ["src/errors/redact.ts", "src/errors/safe-cause.ts"],
  },
  "smtp-engine": {
    package: "transport-smtp",
    files: ["src/engine/smtp-engine.ts", "src/engine/options.ts"],
    // The unit tests and the integration tests of the engine's own rules (abort, ambiguity,
    // retry, TLS, AUTH before TLS). Left out: the conformance suite and message-bytes, which
    // open their transport in beforeAll and so make 184 of 392 mutants static (every test run
    // for each: 3.5 min a mutant here, ~9 h a run), and the files about other parts (XOAUTH2
    // with Entra, logging, secrets in errors, UTF-8 Reply-To, the API report).
    tests: [
      "src/options.test.ts",
      "src/engine/**/*.test.ts",
      "src/mutation-survivors*.test.ts",
      "src/smtp-transport.integration.test.ts",
      "src/auth-before-tls.integration.test.ts",
      "src/tls-roots.integration.test.ts",
      // The engine hands a proxy's socket handler to the pool at creation (sendPrepared).
      "src/proxy.integration.test.ts",
    ],
  },
  "graph-transport": {
    package: "transport-graph",
    files: [
      "src/transport.ts",
      "src/large-message.ts",
      "src/errors.ts",
      "src/attachments.ts",
      "src/json-message.ts",
    ],
    // Without three test files: lazy-nodemailer creates a transport in beforeAll (that made 35
    // of createGraphTransport's mutants static: every test for each), the conformance suite
    // (16 s a run) repeats the error mappings transport.integration.test.ts asserts, and
    // api-report checks exports only. Still 886 mutants: Stryker estimated 1.5–2.5 h a run at a
    // load average of 20 (see survivors/graph-transport.md). A narrowed score is a lower bound.
    tests: [
      "src/**/*.test.ts",
      "!src/lazy-nodemailer.test.ts",
      "!src/api-report.test.ts",
      "!src/graph.conformance.integration.test.ts",
    ],
  },
  "mailpath-config": {
    package: "mailpath",
    files: ["src/config/requirements.ts"],
    // Unit tests only: the integration tests make 139 of 197 mutants static (2–3 h a run).
    tests: ["src/**/*.test.ts", "!src/**/*.integration.test.ts"],
  },
};

/**
 * Writes the TypeScript checker's tsconfig for one Stryker run: only the mutated files and
 * what they import (not the tests) are compiled. `path` is under scripts/mutation/.
 */
export function writeCheckerTsconfig(path, files) {
  const tsconfig = {
    extends: "../../tsconfig.base.json",
    compilerOptions: { noEmit: true, declaration: false, rootDir: "../.." },
    files: files.map((file) => `../../${file}`),
  };
  writeFileSync(path, `${JSON.stringify(tsconfig, null, 2)}\n`);
}
