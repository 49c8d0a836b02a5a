// What a user does before the first release (docs/getting-started.md, "Install"): pack the
// packages into tarballs, install them with plain npm into an app outside the workspace, and send.
// The app (app/send.mjs, app/send.cjs) sends once through each path against the emulator, from an
// ES module and from CommonJS. npm gets an empty cache of its own: nothing depends on what an
// earlier run left behind; registry dependencies come from the npm registry.
import { execFile } from "node:child_process";
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installCommands } from "../../scripts/pack-packages.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const packScript = join(root, "scripts/pack-packages.mjs");

/** Runs a command; rejects with everything it printed (the tool's own words) when it fails. */
function run(command, args, options) {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { maxBuffer: 20 * 1024 * 1024, ...options },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        const how = error.killed
          ? `killed (${error.signal}) after ${options.timeout} ms`
          : `exit ${error.code}`;
        reject(
          new Error(
            `${command} ${args.join(" ")}: ${how}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
          ),
        );
      },
    );
  });
}

/** The environment for npm and the app: no MAILPATH_* from the caller, npm's cache in the run's folder. */
function environment(cache) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith("MAILPATH_") && name !== "npm_config_verify_deps_before_run",
    ),
  );
  return {
    ...env,
    npm_config_cache: cache,
    // The run's own cache starts empty; the second npm install may reuse what the first fetched.
    npm_config_prefer_offline: "true",
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
  };
}

describe("mailpath installed from packed tarballs with npm", () => {
  let work;
  let app;
  let env;
  let commands;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "mailpath-consumer-"));
    expect(relative(root, work).startsWith(".."), `${work} must be outside ${root}`).toBe(true);
    app = join(work, "app");
    cpSync(fileURLToPath(new URL("app", import.meta.url)), app, { recursive: true });
    writeFileSync(
      join(app, "package.json"),
      `${JSON.stringify({ name: "consumer-app", private: true }, null, 2)}\n`,
    );
    env = environment(join(work, "npm-cache"));

    // The packages were built before the tests (turbo's ^build); pack what the app needs.
    const tarballs = join(work, "tarballs");
    const { stdout } = await run(
      process.execPath,
      [packScript, "--json", "--out", tarballs, "mailpath", "@mailpath/emulator"],
      {
        cwd: root,
        timeout: 120_000,
      },
    );
    // The npm install lines pack:all prints, relative to the app, run as printed.
    commands = installCommands(JSON.parse(stdout), app);
    for (const line of commands) {
      const [command, ...args] = line.split(" ");
      await run(command, args, { cwd: app, env, timeout: 240_000 });
    }
  }, 420_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("installs with the npm install lines docs/getting-started.md shows", () => {
    // Each line as [options, tarball names]: the docs write the tarballs under $MAILPATH/tarballs/.
    const parse = (line) => {
      const words = line.split(/\s+/).slice(2);
      return [
        words.filter((word) => word.startsWith("-")),
        words
          .filter((word) => !word.startsWith("-"))
          .map((word) => basename(word))
          .sort(),
      ];
    };
    const guide = readFileSync(join(root, "docs/getting-started.md"), "utf8").replaceAll(
      "\\\n",
      " ",
    );
    const documented = guide
      .split("\n")
      .filter((line) => /^npm install .*\$MAILPATH\/tarballs\//.test(line))
      .map((line) => parse(line.replace(/#.*/, "").trim()));
    const expected = commands.map((line) =>
      line.replaceAll(/\S*\/(mailpath[^/\s]*\.tgz)/g, "$MAILPATH/tarballs/$1"),
    );
    expect(
      documented,
      `docs/getting-started.md must show the npm install lines pnpm pack:all prints:\n${expected.join("\n")}`,
    ).toEqual(commands.map(parse));
  });

  it("records the tarballs as the app's dependencies and installs copies, not links", () => {
    const manifest = JSON.parse(readFileSync(join(app, "package.json"), "utf8"));
    expect(manifest.dependencies.mailpath).toMatch(
      /^file:\.\.\/tarballs\/mailpath-\d+\.\d+\.\d+.*\.tgz$/,
    );
    expect(manifest.devDependencies["@mailpath/emulator"]).toMatch(
      /^file:\.\.\/tarballs\/mailpath-emulator-/,
    );
    for (const name of ["mailpath", "@mailpath/core", "@mailpath/emulator"]) {
      const directory = join(app, "node_modules", name);
      expect(lstatSync(directory).isSymbolicLink(), name).toBe(false);
      expect(existsSync(join(directory, "dist/index.js")), name).toBe(true);
      expect(existsSync(join(directory, "src")), `${name} ships only dist`).toBe(false);
    }
  });

  for (const [format, file] of [
    ["an ES module", "send.mjs"],
    ["CommonJS (require of the ES modules)", "send.cjs"],
  ]) {
    it(`sends once through smtp, relay and graph from ${format}`, async () => {
      const { stdout } = await run(process.execPath, [file], { cwd: app, env, timeout: 60_000 });
      const lines = stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      const sends = lines.filter((line) => line.path);
      expect(sends).toEqual([
        { path: "smtp", transport: "smtp", delivered: 1 },
        { path: "relay", transport: "relay", delivered: 1 },
        { path: "graph", transport: "graph", delivered: 1 },
      ]);
      // Loaded from the app's node_modules, not from the workspace.
      const { resolved } = lines.find((line) => line.resolved);
      for (const location of resolved) {
        const path = location.startsWith("file:") ? fileURLToPath(location) : location;
        expect(relative(join(app, "node_modules"), path).startsWith(".."), path).toBe(false);
      }
    });
  }
});
