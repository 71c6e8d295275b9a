#!/usr/bin/env bash
# The main job: sets up what is missing, builds the dev server and the wasm package, starts a dev server
# and runs the Node quick start against it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build -p ydb-devserver
bash scripts/build-wasm.sh
source scripts/devserver.sh
start_devserver
node examples/node/quickstart.mjs
