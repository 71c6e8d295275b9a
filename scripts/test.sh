#!/usr/bin/env bash
# The whole test suite: lint, native tests (units, proto compatibility, dev server), the wasm client's
# tests in Node against a dev server, the package's JS tests and examples, and the official Python SDK
# (our referee tests and the SDK's own integration suite) and the official JS SDK (@ydbjs) as the dev
# server's referees. Any failure fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s\n' "$*"; }

step setup
bash scripts/setup.sh --python --runtimes

step "format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p ydb-wasm --target wasm32-unknown-unknown --all-targets -- -D warnings
# Exported methods take strings as JsValue: wasm-bindgen's glue passes a non-string given for a String
# parameter to wasm with a bogus length, and the instance traps (found by the bad-input table).
if grep -nE 'pub fn [a-z_]+\(&self, [^)]*: (String|&str)\b' src/bindings/*.rs; then
  echo "an exported method takes String/&str: take JsValue and check it in Rust" >&2
  exit 1
fi

step "TypeScript declarations: tsc --strict over the examples"
node_modules/.bin/tsc -p tsconfig.json

step "native tests"
cargo test --workspace
cargo build -p ydb-devserver

step "wasm package"
bash scripts/build-wasm.sh

source scripts/devserver.sh
start_devserver

step "wasm tests in Node (wasm-bindgen-test, gRPC-web over fetch)"
YDB_TEST_ENDPOINT="$YDB_ENDPOINT" CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p ydb-wasm --target wasm32-unknown-unknown --test wasm

step "wasm tests in headless Chromium (wasm-bindgen-test over WebDriver, CORS to the dev server)"
YDB_TEST_ENDPOINT="$YDB_ENDPOINT" CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=/usr/bin/chromedriver \
  WASM_BINDGEN_TEST_WEBDRIVER_JSON=tests/runtimes/webdriver.json \
  cargo test -p ydb-wasm --target wasm32-unknown-unknown --test wasm

step "JS package tests in Node"
node --test tests/node/

step "examples"
for example in examples/node/*.mjs; do
  echo "--- $example"
  node "$example"
done
for example in examples/deno/*.mjs; do
  echo "--- $example"
  node_modules/.bin/deno run --allow-net=127.0.0.1 --allow-read=. --allow-env=YDB_ENDPOINT,YDB_DATABASE "$example"
done
bun="$(bash scripts/js-tools.sh)/node_modules/.bin/bun"
for example in examples/bun/*.mjs; do
  echo "--- $example"
  "$bun" "$example"
done

step "the runtime scenario in Node, Deno, Bun, workerd and Chromium"
node tests/runtimes/node.mjs
node_modules/.bin/deno run --allow-net=127.0.0.1 --allow-read=. --allow-env=YDB_ENDPOINT tests/runtimes/deno.mjs
"$bun" tests/runtimes/bun.mjs
WORKERD=node_modules/.bin/workerd node tests/runtimes/workerd.mjs
node tests/runtimes/chromium.mjs

step "cloud credentials (a service-account key against the dev server's IAM) in Node, Deno, Bun, workerd and Chromium"
BUN="$bun" WORKERD=node_modules/.bin/workerd node tests/runtimes/credentials.mjs

step "official Python SDK against the dev server"
YDB_DEVSERVER_BIN=target/debug/ydb-devserver target/venv/bin/python -m pytest -q tests/python

step "the official Python SDK's own integration tests against the dev server (failures outside tests/python-suite/expected-failures.txt fail)"
bash tests/python-suite/run.sh

step "official JS SDK (@ydbjs, plain gRPC) against the dev server"
[ -d tests/ydbjs/node_modules ] || npm install --prefix tests/ydbjs --no-audit --no-fund
YDB_DEVSERVER_BIN=target/debug/ydb-devserver node tests/ydbjs/referee.mjs

step "benchmarks, smoke run (small sizes, debug dev server; asserts nothing about speed)"
YDB_DEVSERVER_BIN=target/debug/ydb-devserver bash bench/run.sh --quick

step "the npm package as installed (Node, Deno, Bun, workerd, Chromium, TypeScript) and its API reference"
bash tests/package/run.sh
npm run docs --silent

step "all tests passed"
