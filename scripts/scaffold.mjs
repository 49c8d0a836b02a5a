// One-off scaffold of package manifests (kept for reference of the shared shape).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";

const core = { "@mailpath/core": "workspace:^" };
const pkgs = {
  core: {
    name: "@mailpath/core",
    description:
      "Message model, Transport contract, MailError taxonomy, Exchange classifier and the resilient createMailer pipeline of mailpath.",
    deps: { "p-queue": "9.3.5", opossum: "9.0.0" },
    dev: { "@types/opossum": "8.1.9" },
    subpaths: ["testing"],
  },
  entra: {
    name: "@mailpath/entra",
    description:
      "Microsoft Entra token providers (client secret or certificate) with one cache and single-flight refresh, for mailpath's SMTP XOAUTH2 and Graph transports.",
    deps: { "@azure/msal-node": "7.2.3" },
    peer: core,
  },
  "transport-smtp": {
    name: "@mailpath/transport-smtp",
    description:
      "SMTP AUTH client submission to Exchange Online (smtp.office365.com:587, STARTTLS, Basic or XOAUTH2) for mailpath.",
    deps: { nodemailer: "10.6.0" },
    peer: core,
  },
  "transport-relay": {
    name: "@mailpath/transport-relay",
    description:
      "SMTP relay connector / direct send to Exchange Online's MX endpoint for mailpath.",
    deps: { nodemailer: "10.6.0" },
    peer: core,
  },
  "transport-graph": {
    name: "@mailpath/transport-graph",
    description:
      "Microsoft Graph sendMail transport for mailpath: JSON or MIME, upload sessions for large attachments, no hidden retries.",
    deps: {
      "@microsoft/microsoft-graph-client": "3.0.7",
      "@mailpath/entra": "workspace:^",
      nodemailer: "10.6.0",
      undici: "7.30.2",
    },
    peer: core,
  },
  emulator: {
    name: "@mailpath/emulator",
    description:
      "A local Exchange Online for tests: SMTP submission, relay (MX), Entra token and Graph endpoints over real TLS, with tenant policies, limits and fault injection.",
    deps: {
      "smtp-server": "3.21.6",
      mailparser: "3.14.2",
      selfsigned: "5.5.0",
      jose: "6.2.18",
      "@mailpath/core": "workspace:^",
    },
    bin: { "mailpath-emulator": "./dist/cli.js" },
  },
  conformance: {
    name: "@mailpath/conformance",
    description: "describeTransportConformance(): the suite every mailpath transport passes.",
    peer: { ...core, vitest: ">=4.1.0 <5" },
  },
  mailpath: {
    name: "mailpath",
    description:
      "Send mail through Microsoft 365 by SMTP AUTH, relay connector or Graph, switched by configuration, with retry, rate limiting and a circuit breaker.",
    deps: {
      "@mailpath/core": "workspace:^",
      "@mailpath/entra": "workspace:^",
      "@mailpath/transport-smtp": "workspace:^",
      "@mailpath/transport-relay": "workspace:^",
      "@mailpath/transport-graph": "workspace:^",
      zod: "4.6.7",
    },
  },
};
for (const [dir, p] of Object.entries(pkgs)) {
  const exportsMap = { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" } };
  for (const sub of p.subpaths ?? [])
    exportsMap[`./${sub}`] = {
      types: `./dist/${sub}/index.d.ts`,
      default: `./dist/${sub}/index.js`,
    };
  exportsMap["./package.json"] = "./package.json";
  const manifest = {
    name: p.name,
    version: "0.1.0",
    description: p.description,
    license: "MIT",
    type: "module",
    repository: {
      type: "git",
      url: "https://github.com/mailpath/mailpath.git",
      directory: `packages/${dir}`,
    },
    keywords: ["email", "microsoft-365", "exchange-online", "smtp", "graph", "mail"],
    engines: { node: ">=20.19" },
    sideEffects: false,
    exports: exportsMap,
    main: "./dist/index.js",
    types: "./dist/index.d.ts",
    ...(p.bin ? { bin: p.bin } : {}),
    files: ["dist", "!dist/**/*.test.*", "!dist/**/*.tsbuildinfo", "README.md", "LICENSE"],
    scripts: {
      build: "tsc -p tsconfig.build.json",
      typecheck: "tsc -p tsconfig.json --noEmit",
      test: "vitest run",
      publint: "publint --strict && attw --pack . --profile esm-only",
    },
    ...(p.deps ? { dependencies: p.deps } : {}),
    ...(p.peer ? { peerDependencies: p.peer } : {}),
    devDependencies: {
      ...(p.dev ?? {}),
      ...(p.peer
        ? Object.fromEntries(
            Object.entries(p.peer).map(([k, v]) => [k, k === "vitest" ? "4.1.12" : v]),
          )
        : {}),
    },
    publishConfig: { access: "public" },
  };
  const base = `packages/${dir}`;
  mkdirSync(`${base}/src`, { recursive: true });
  writeFileSync(`${base}/package.json`, JSON.stringify(manifest, null, 2) + "\n");
  writeFileSync(
    `${base}/tsconfig.json`,
    JSON.stringify(
      {
        extends: "../../tsconfig.base.json",
        compilerOptions: { rootDir: "src", outDir: "dist" },
        include: ["src"],
      },
      null,
      2,
    ) + "\n",
  );
  writeFileSync(
    `${base}/tsconfig.build.json`,
    JSON.stringify(
      {
        extends: "./tsconfig.json",
        compilerOptions: { noEmit: false },
        exclude: ["src/**/*.test.ts", "src/**/*.test-d.ts", "src/**/test-support/**"],
      },
      null,
      2,
    ) + "\n",
  );
  writeFileSync(
    `${base}/vitest.config.ts`,
    `import { defineProject } from "vitest/config";\nimport { sharedTestConfig } from "../../vitest.shared.js";\n\nexport default defineProject(sharedTestConfig(import.meta.url));\n`,
  );
  if (!existsSync(`${base}/LICENSE`)) writeFileSync(`${base}/LICENSE`, "");
}
