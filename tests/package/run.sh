#!/usr/bin/env bash
# The installed-package test (tests/package/installed.mjs): packs the npm tarball, installs it into a
# temp project outside the repository and runs the quick start and the runtime scenario from there in
# Node, Deno, Bun, workerd and Chromium. Uses the dev server at YDB_ENDPOINT, or starts one (as
# scripts/test.sh does) when it is unset; needs `cargo build -p ydb-devserver` and the root's npm install.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${YDB_ENDPOINT:-}" ]; then
  source scripts/devserver.sh
  start_devserver
fi
node tests/package/installed.mjs
