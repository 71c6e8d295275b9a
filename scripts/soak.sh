#!/usr/bin/env bash
# The long run of the resilience suites: the SLO workload (one node with injected faults, then three nodes
# in balanced mode with nodes stopping and starting) for MINUTES minutes each, and a bank-transfer run
# sized to match, against a release build of the dev server. Usage: scripts/soak.sh [MINUTES] (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-10}"
bash scripts/setup.sh
cargo build --release -p ydb-devserver
bash scripts/build-wasm.sh
export YDB_DEVSERVER_BIN=target/release/ydb-devserver
export RESILIENCE_LOAD_MS=$((minutes * 60 * 1000))
export RESILIENCE_TRANSFERS=$((minutes * 2000))
node --test --test-reporter=spec tests/node/resilience.test.mjs
