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
# --experimental-reset-state-function: a new Driver after a crash gets a fresh instance, and objects of
# the dead one are refused instead of reaching it (js/crash.js). (--force-enable-abort-handler would
# also mark the instance dead inside the glue, but its catch wrappers need wasm GC types that Node 20
# refuses to compile.)
wasm-bindgen --target web --experimental-reset-state-function --out-dir pkg --out-name ydb_wasm \
  "$dir/ydb_wasm.wasm"
# A callback of a replaced instance (a timer, a fetch it awaited) must do nothing: the glue would throw
# into the runtime instead, where Node treats it as an unhandled rejection. Patched here, checked.
stale='throw new Error('"'"'Cannot invoke closure from previous WASM instance'"'"');'
if [ "$(grep -cF "$stale" pkg/ydb_wasm.js)" != 1 ]; then
  echo "build-wasm.sh: the glue's stale-closure check changed; update the patch" >&2
  exit 1
fi
sed -i "s/$stale/return; \/\/ a callback of a replaced (crashed) instance: ignored (scripts\/build-wasm.sh)/" pkg/ydb_wasm.js
wasm_gz=$(gzip -9c pkg/ydb_wasm_bg.wasm | wc -c)
js_gz=$(cat pkg/ydb_wasm.js js/api.js js/credentials.js js/crash.js js/errors.js js/observe.js js/rows.js js/node.mjs | gzip -9c | wc -c)
echo "built pkg/: $(wc -c < pkg/ydb_wasm_bg.wasm) bytes wasm, $wasm_gz gzipped; wasm + JS (Node entry) $((wasm_gz + js_gz)) bytes gzipped"
