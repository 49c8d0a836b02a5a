#!/usr/bin/env node
// Packs the public workspace packages (packages/*) into npm tarballs in one folder, the way
// `pnpm publish` would upload them: only their published files, and every `workspace:` range
// replaced by the version it points at. Until the first release nothing is on the npm registry;
// an application installs these tarballs with plain npm instead (docs/getting-started.md).
//
// Usage: node scripts/pack-packages.mjs [--out <dir>] [--json] [package ...]
//   --out      where to write the tarballs (default: tarballs/ at the repository's root)
//   --json     print the list of tarballs as JSON instead of the install instructions
//   package    pack only these packages and the workspace packages they need (dependencies and
//              peer dependencies that are not optional); default: every public package
// The packages must be built first: `pnpm pack:all` builds them, then runs this.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
export const root = fileURLToPath(new URL("..", import.meta.url));

/** The public packages under packages/, by name: { name, version, directory, manifest }. */
export function publicPackages() {
  const packages = new Map();
  for (const entry of readdirSync(join(root, "packages"), { withFileTypes: true })) {
    const file = join(root, "packages", entry.name, "package.json");
    if (!entry.isDirectory() || !existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, "utf8"));
    if (manifest.private) continue;
    const directory = join(root, "packages", entry.name);
    packages.set(manifest.name, {
      name: manifest.name,
      version: manifest.version,
      directory,
      manifest,
    });
  }
  return packages;
}

/**
 * The named packages and every public workspace package they need at run time (dependencies and
 * peer dependencies that are not optional), in name order.
 */
export function closure(names, packages = publicPackages()) {
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name)) return;
    const entry = packages.get(name);
    if (!entry) {
      throw new Error(
        `${name} is not a public package under packages/ (known: ${[...packages.keys()].join(", ")})`,
      );
    }
    seen.add(name);
    const { dependencies = {}, peerDependencies = {}, peerDependenciesMeta = {} } = entry.manifest;
    // An optional peer (mailpath's @mailpath/outbox) is the app's choice: not needed to run.
    const peers = Object.keys(peerDependencies).filter(
      (peer) => !peerDependenciesMeta[peer]?.optional,
    );
    for (const dependency of [...Object.keys(dependencies), ...peers]) {
      if (packages.has(dependency)) visit(dependency);
    }
  };
  names.forEach(visit);
  return [...seen].sort();
}

/** Files a package's manifest points at (exports, main, types, bin): they exist only once it is built. */
function entryFiles(manifest) {
  const files = new Set();
  const collect = (value) => {
    if (typeof value === "string") files.add(value);
    else if (value && typeof value === "object") Object.values(value).forEach(collect);
  };
  collect(manifest.exports);
  collect(manifest.main);
  collect(manifest.types);
  collect(manifest.bin);
  return [...files].filter((file) => !file.includes("*") && !file.endsWith("package.json"));
}

/** How to run pnpm: the one on PATH, or else the version the repository pins, through npx. */
async function pnpmCommand() {
  try {
    await run("pnpm", ["--version"]);
    return ["pnpm", []];
  } catch {
    const { packageManager } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    return ["npx", ["-y", packageManager]];
  }
}

/**
 * Packs packages into `out`.
 * @param options.names packages to pack with their workspace dependencies; default: all public ones
 * @param options.out the folder for the tarballs (created if missing)
 * @returns one entry per tarball: { name, version, file } with `file` an absolute path
 */
export async function packPackages({ names, out = join(root, "tarballs") } = {}) {
  const packages = publicPackages();
  const selected = names?.length ? closure(names, packages) : [...packages.keys()].sort();
  const unbuilt = selected.flatMap((name) => {
    const { directory, manifest } = packages.get(name);
    const missing = entryFiles(manifest).filter((file) => !existsSync(join(directory, file)));
    return missing.length ? [`${name} (missing ${missing.join(", ")})`] : [];
  });
  if (unbuilt.length) {
    throw new Error(
      `not built: ${unbuilt.join("; ")}. Run \`pnpm build\` first (\`pnpm pack:all\` does).`,
    );
  }
  mkdirSync(out, { recursive: true });
  const [command, prefix] = await pnpmCommand();
  const packOne = async (name) => {
    const { directory, version } = packages.get(name);
    try {
      const { stdout } = await run(
        command,
        [...prefix, "pack", "--json", "--pack-destination", out],
        {
          cwd: directory,
          maxBuffer: 20 * 1024 * 1024,
        },
      );
      const { filename } = JSON.parse(stdout);
      return { name, version, file: resolve(directory, filename) };
    } catch (error) {
      const output = [error.stdout, error.stderr].filter(Boolean).join("\n");
      throw new Error(`pnpm pack failed for ${name} in ${directory}:\n${output || error.message}`);
    }
  };
  // Two at a time: each pack is a node process, and CI machines have two cores.
  const results = [];
  for (let index = 0; index < selected.length; index += 2) {
    results.push(...(await Promise.all(selected.slice(index, index + 2).map(packOne))));
  }
  return results;
}

/** The `npm install` lines that put `mailpath` (and, as a dev dependency, the emulator) into an app. */
export function installCommands(tarballs, relativeTo) {
  const byName = new Map(tarballs.map((tarball) => [tarball.name, tarball]));
  const path = (name) => {
    const { file } = byName.get(name);
    if (!relativeTo) return file;
    const path = relative(relativeTo, file);
    return path.startsWith(".") ? path : `./${path}`;
  };
  const lines = [];
  const runtime = byName.has("mailpath") ? closure(["mailpath"]) : [];
  if (runtime.length) lines.push(`npm install ${runtime.map(path).join(" ")}`);
  if (byName.has("@mailpath/emulator")) {
    const dev = closure(["@mailpath/emulator"]).filter((name) => !runtime.includes(name));
    lines.push(`npm install --save-dev ${dev.map(path).join(" ")}`);
  }
  return lines;
}

async function main(argv) {
  const names = [];
  let out;
  let json = false;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument === "--out") out = resolve(argv[++index] ?? "");
    else if (argument === "--json") json = true;
    else if (argument === "--help" || argument === "-h") {
      console.log("Usage: node scripts/pack-packages.mjs [--out <dir>] [--json] [package ...]");
      return;
    } else if (argument.startsWith("-")) throw new Error(`unknown option ${argument}`);
    else names.push(argument);
  }
  const tarballs = await packPackages({ names, out });
  if (json) {
    console.log(JSON.stringify(tarballs, null, 2));
    return;
  }
  console.log(`Packed ${tarballs.length} packages:`);
  for (const { file } of tarballs) console.log(`  ${file}`);
  const commands = installCommands(tarballs);
  if (commands.length) {
    console.log("\nNothing is on the npm registry before the first release. In your app, run:");
    for (const line of commands) console.log(`  ${line}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}
