#!/usr/bin/env bash
# A long run of the decoders' property tests (the fuzzing of issue 10): the gRPC-web frame decoder, the
# answers the client decodes, and YDB types from protobuf and from YQL text. The ordinary `cargo test`
# runs the same properties with proptest's default of 256 cases each; this runs CASES each (default
# 100000) in the release profile and prints how many inputs were tried. A failing case is shrunk,
# printed, and saved under proptest-regressions/ — commit that file: every later run replays it first.
#
#   bash scripts/fuzz.sh [CASES]        e.g. bash scripts/fuzz.sh 1000000
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${1:-${PROPTEST_CASES:-100000}}"
# Every property lives in a module named `properties`; each one passes only after `cases` inputs.
properties=$(cargo test -q -p ydb-wasm --release --lib -- --list ::properties:: | grep -c ': test$')
echo "fuzz: $properties properties, $cases cases each"
start=$(date +%s)
PROPTEST_CASES="$cases" cargo test -q -p ydb-wasm --release --lib -- ::properties::
echo "fuzz: $((properties * cases)) inputs tried in $(($(date +%s) - start)) s, no failure"
