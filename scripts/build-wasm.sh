#!/usr/bin/env bash
# Builds the wasm module and its JS glue into pkg/ (size-tuned profile, wasm-bindgen --target web).
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${WASM_PROFILE:-wasm-release}"
cargo build --target wasm32-unknown-unknown -p ydb-wasm --profile "$profile" --lib
# Cargo puts the `dev` profile in `debug/`.
out="$profile"
if [ "$profile" = dev ]; then out=debug; fi
dir="target/wasm32-unknown-unknown/$out"
wasm-bindgen --target web --out-dir pkg --out-name ydb_wasm "$dir/ydb_wasm.wasm"
wasm_gz=$(gzip -9c pkg/ydb_wasm_bg.wasm | wc -c)
js_gz=$(cat pkg/ydb_wasm.js js/api.js js/errors.js js/node.mjs | gzip -9c | wc -c)
echo "built pkg/: $(wc -c < pkg/ydb_wasm_bg.wasm) bytes wasm, $wasm_gz gzipped; wasm + JS (Node entry) $((wasm_gz + js_gz)) bytes gzipped"
