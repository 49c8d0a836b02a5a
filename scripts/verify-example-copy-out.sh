#!/usr/bin/env bash
# Verifies that an example copied out of the repository installs with plain npm and runs on its
# own, the way examples/README.md describes it:
#   1. build the workspace packages the example depends on;
#   2. copy the example (without node_modules and .env) to a directory outside the repository;
#   3. pack the workspace packages it needs (scripts/pack-packages.mjs: only their published
#      files, `workspace:` ranges replaced by versions) into the copy's vendor/ folder;
#   4. `npm install` those tarballs there, with an npm cache of its own (empty at every run: the
#      result never depends on what an earlier run or `pnpm install` left in a cache);
#   5. run the example's `start` script there against the emulator, with no MAILPATH_* set.
# The copy keeps the example's scripts and its runtime dependencies; its devDependencies (the
# smoke test's vitest) are dropped, as only `npm start` runs. Any failing tool's own output is
# printed.
#
# Usage: scripts/verify-example-copy-out.sh [example] [directory]
#   example    an example under examples/ (default: quickstart)
#   directory  where to copy it (default: a new temporary directory, removed afterwards)
# SKIP_BUILD=1 skips step 1 (when the packages were just built, e.g. by turbo).
set -euo pipefail

example="${1:-quickstart}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source_dir="$root/examples/$example"
[[ -f "$source_dir/package.json" ]] || { echo "no example at $source_dir" >&2; exit 2; }
work="$(mktemp -d)"
if [[ -n "${2:-}" ]]; then
  target="$(mkdir -p "$2" && cd "$2" && pwd)"
else
  target="$work/$example"
fi
trap 'rm -rf "$work"' EXIT

# Runs a command quietly; if it fails, prints everything it said, then fails.
quiet() {
  local log="$work/command.log"
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "failed: $*" >&2
    return 1
  fi
}

# npm gets a cache of its own, so every run starts from nothing; pnpm passes settings npm does
# not know (npm would warn about them).
unset npm_config_verify_deps_before_run
export npm_config_cache="$work/npm-cache" npm_config_update_notifier=false npm_config_fund=false \
  npm_config_audit=false

cd "$root"
if [[ "${SKIP_BUILD:-}" != "1" ]]; then
  echo "== building the packages @mailpath-examples/$example depends on"
  quiet env TURBO_TELEMETRY_DISABLED=1 npx --no-install turbo run build \
    --filter="@mailpath-examples/$example..." --output-logs=errors-only
fi

echo "== copying examples/$example -> $target"
mkdir -p "$target"
tar -C "$source_dir" --exclude=./node_modules --exclude=./.env --exclude=./.turbo -cf - . |
  tar -C "$target" -xf -

echo "== packing the workspace packages it needs into $target/vendor"
# The example's workspace dependencies, then the tarballs of them and of what they depend on.
mapfile -t workspace_deps < <(node -e '
  const { dependencies = {} } = require(process.argv[1]);
  for (const [name, spec] of Object.entries(dependencies)) if (spec.startsWith("workspace:")) console.log(name);
' "$target/package.json")
tarballs_json="$work/tarballs.json"
node "$root/scripts/pack-packages.mjs" --json --out "$target/vendor" "${workspace_deps[@]}" >"$tarballs_json"

# The copy's package.json: no workspace: ranges (npm install adds the tarballs), no devDependencies.
node -e '
  const { readFileSync, writeFileSync } = require("node:fs");
  const file = process.argv[1];
  const manifest = JSON.parse(readFileSync(file, "utf8"));
  for (const [name, spec] of Object.entries(manifest.dependencies ?? {})) {
    if (spec.startsWith("workspace:")) delete manifest.dependencies[name];
  }
  delete manifest.devDependencies;
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
' "$target/package.json"

echo "== npm install (registry dependencies from the registry, into an empty cache)"
mapfile -t files < <(node -e '
  for (const { file } of require(process.argv[1])) console.log("./" + require("node:path").relative(process.argv[2], file));
' "$tarballs_json" "$target")
(cd "$target" && quiet npm install "${files[@]}")
node -e '
  const { dependencies } = require(process.argv[1]);
  console.log(`dependencies: ${JSON.stringify(dependencies)}`);
' "$target/package.json"

echo "== checking the copy stands alone"
if find "$target/node_modules" -type l -lname "$root/*" | grep -q .; then
  echo "the copy links back into the repository:" >&2
  find "$target/node_modules" -type l -lname "$root/*" >&2
  exit 1
fi
for name in "${workspace_deps[@]}"; do
  [[ -f "$target/node_modules/$name/package.json" && ! -L "$target/node_modules/$name" ]] || {
    echo "$name is not installed in the copy's node_modules" >&2
    exit 1
  }
done

echo "== running the copy (npm start) against the emulator"
unset $(env | grep -o '^MAILPATH_[A-Z0-9_]*' || true)
output="$(cd "$target" && npm start --silent 2>&1)" || {
  echo "$output" >&2
  echo "the copied example failed" >&2
  exit 1
}
echo "$output"
case "$example" in
  quickstart) expected="3 messages delivered, one through each path." ;;
  migrate-smtp-to-graph) expected="Roll back at any step" ;;
  scheduled-report) expected="sha256 matches" ;;
  *) expected="" ;;
esac
if [[ -n "$expected" && "$output" != *"$expected"* ]]; then
  echo "the copied example did not print: $expected" >&2
  exit 1
fi
echo "== OK: @mailpath-examples/$example runs outside the repository"
