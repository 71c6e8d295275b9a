#!/usr/bin/env bash
# The client benchmarks (bench/run.mjs) on a release dev server: builds what is missing (the wasm package,
# the release dev server, the @ydbjs peer's node_modules, the bench's own undici), then runs them.
# Flags: --quick, --long.
# YDB_DEVSERVER_BIN picks another dev server binary (CI's smoke run uses the debug one).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f pkg/ydb_wasm_bg.wasm ] || bash scripts/build-wasm.sh
if [ -z "${YDB_DEVSERVER_BIN:-}" ]; then
  cargo build --release -p ydb-devserver
fi
[ -d tests/ydbjs/node_modules ] || npm install --prefix tests/ydbjs --no-audit --no-fund
[ -d bench/deps/node_modules/undici ] || npm ci --prefix bench/deps --no-audit --no-fund
exec node --expose-gc bench/run.mjs "$@"
