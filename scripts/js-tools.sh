#!/usr/bin/env bash
# Installs the npm tools of the installed-package test and the API reference (scripts/js-tools/: Bun,
# esbuild, Vite, TypeDoc and the TypeScript 6 it needs) into target/js-tools/, once per lockfile: they
# live outside the root's node_modules because TypeDoc needs TypeScript's compiler API, which the root's
# TypeScript 7 no longer has. Prints the directory. Run again after changing scripts/js-tools/.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=target/js-tools
if ! cmp -s scripts/js-tools/package-lock.json "$dir/package-lock.json.installed" 2>/dev/null; then
  rm -rf "$dir"
  mkdir -p "$dir"
  cp scripts/js-tools/package.json scripts/js-tools/package-lock.json "$dir/"
  npm ci --prefix "$dir" --no-audit --no-fund >&2
  cp scripts/js-tools/package-lock.json "$dir/package-lock.json.installed"
fi
echo "$PWD/$dir"
