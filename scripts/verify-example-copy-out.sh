#!/usr/bin/env bash
# Verifies that an example copied out of the repository installs and runs on its own, offline:
#   1. build the workspace packages the example depends on;
#   2. `pnpm deploy` the example into a directory outside the repository: its node_modules then
#      holds packed copies of mailpath and @mailpath/* (only their published files) and their
#      dependencies from the pnpm store, nothing linked back into the repository;
#   3. replace `workspace:*` in the copy's package.json with the packages' versions, as a copy
#      made after the packages are published would have;
#   4. run the example's `start` script there against the emulator, with no MAILPATH_* set.
#
# Usage: scripts/verify-example-copy-out.sh [example] [directory]
#   example    an example under examples/ (default: quickstart)
#   directory  where to copy it (default: a new temporary directory, removed afterwards)
# SKIP_BUILD=1 skips step 1 (when the packages were just built, e.g. by turbo).
set -euo pipefail

example="${1:-quickstart}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -n "${2:-}" ]]; then
  target="$2"
  cleanup=""
else
  parent="$(mktemp -d)"
  target="$parent/$example"
  cleanup="$parent"
fi
trap '[[ -n "$cleanup" ]] && rm -rf "$cleanup"' EXIT
pnpm() { npx -y --prefer-offline pnpm@10.34.9 "$@"; }

cd "$root"
if [[ "${SKIP_BUILD:-}" != "1" ]]; then
  echo "== building the packages @mailpath-examples/$example depends on"
  TURBO_TELEMETRY_DISABLED=1 npx --prefer-offline turbo run build \
    --filter="@mailpath-examples/$example..." --output-logs=errors-only
fi

echo "== pnpm deploy @mailpath-examples/$example -> $target"
# --legacy: this workspace does not use inject-workspace-packages; the result is the same
# self-contained directory.
pnpm --filter "@mailpath-examples/$example" deploy --legacy --prod --offline "$target" >/dev/null

echo "== checking the copy stands alone"
if find "$target/node_modules" -type l -lname "$root/*" | grep -q .; then
  echo "the copy links back into the repository:" >&2
  find "$target/node_modules" -type l -lname "$root/*" >&2
  exit 1
fi
node --input-type=module - "$target" "$root" <<'NODE'
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const [target, root] = process.argv.slice(2);
const file = join(target, "package.json");
const manifest = JSON.parse(readFileSync(file, "utf8"));
const directories = { mailpath: "mailpath" };
for (const field of ["dependencies", "devDependencies"]) {
  for (const [name, spec] of Object.entries(manifest[field] ?? {})) {
    if (!spec.startsWith("workspace:")) continue;
    const directory = directories[name] ?? name.replace("@mailpath/", "");
    const { version } = JSON.parse(readFileSync(join(root, "packages", directory, "package.json"), "utf8"));
    manifest[field][name] = `^${version}`;
  }
}
writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`dependencies: ${JSON.stringify(manifest.dependencies)}`);
NODE

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
