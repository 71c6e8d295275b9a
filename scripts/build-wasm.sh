#!/usr/bin/env bash
# Builds the wasm module and its JS glue into pkg/ (size-tuned profile, wasm-bindgen --target web), and the
# published entry points into dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${WASM_PROFILE:-wasm-release}"
# Source paths in the wasm (the locations of panics, which carry file names) are written relative to the
# repository and to the registry's source directory, not as this machine's absolute paths: the package
# does not name the directory it was built in, and is the same from any checkout (and 1.8 KB smaller).
# Passed for the wasm target only (build scripts are built without them), separated by 0x1f.
remap="--remap-path-prefix=$PWD/="
for dir in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
  remap="$remap"$'\x1f'"--remap-path-prefix=$dir="
done
CARGO_ENCODED_RUSTFLAGS="$remap" cargo build --target wasm32-unknown-unknown -p ydb-wasm --profile "$profile" --lib
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
# The glue's default wasm URL (used only when init is given none) is made '../pkg/ydb_wasm_bg.wasm', which
# names the same file from pkg/ and from dist/: bundled into dist/ as it is, it would point bundlers and the
# installed-package test at a dist/ydb_wasm_bg.wasm that does not exist. Patched here, checked.
default_url="new URL('ydb_wasm_bg.wasm', import.meta.url)"
if [ "$(grep -cF "$default_url" pkg/ydb_wasm.js)" != 1 ]; then
  echo "build-wasm.sh: the glue's default wasm URL changed; update the patch" >&2
  exit 1
fi
sed -i "s#$default_url#new URL('../pkg/ydb_wasm_bg.wasm', import.meta.url)#" pkg/ydb_wasm.js
# The glue checks every method's receiver (and each class argument) against the live instance with the
# same three lines, 63 times: one helper instead (the bundled Node entry 63.3 -> 56.6 KB raw, 69 bytes smaller gzipped,
# and less JS to parse at import). Same test, same message (js/crash.js reads it). Patched here, checked.
node - <<'JS'
const fs = require('fs');
const file = 'pkg/ydb_wasm.js';
const glue = fs.readFileSync(file, 'utf8');
const check = /if \(\(?(\w+)\)?\.__wbg_inst !== undefined && \(?\1\)?\.__wbg_inst !== __wbg_instance_id\) \{\n\s*throw new Error\('Invalid stale object from previous Wasm instance'\);\n\s*\}/g;
const count = (glue.match(check) || []).length;
if (count < 50 || glue.includes('function __wbg_check_instance')) {
  console.error(`build-wasm.sh: the glue's stale-object checks changed (${count} found); update the patch`);
  process.exit(1);
}
const helper = "function __wbg_check_instance(obj) {\n    if (obj.__wbg_inst !== undefined && obj.__wbg_inst !== __wbg_instance_id) {\n        throw new Error('Invalid stale object from previous Wasm instance');\n    }\n}\n";
fs.writeFileSync(file, glue.replace(check, '__wbg_check_instance($1);') + helper);
JS
if [ ! -x node_modules/.bin/esbuild ] || [ ! -x node_modules/.bin/wasm-opt ]; then
  npm install --no-audit --no-fund >&2
fi
# wasm-opt (npm binaryen 132; Debian's 108 breaks the module): -O2 at shrink level 1, with no inlining of
# functions that have one caller, then the functions sorted by name (similar code side by side) and names,
# debug info and producers stripped. Measured against the plain rustc output: 4 % smaller raw, 2.8 % smaller
# gzipped. -Oz, -Os and -O2 as they are shrink the raw module 6-12 % but grow the gzipped one 4-5 %: the
# one-caller inlining alone does that (the code it leaves is less repetitive).
if [ "$profile" != dev ]; then
  node_modules/.bin/wasm-opt pkg/ydb_wasm_bg.wasm -O2 -s 1 --one-caller-inline-max-function-size 0 \
    --reorder-functions-by-name --strip-debug --strip-producers --strip-target-features -o pkg/ydb_wasm_bg.wasm
fi
# Short import and export names in the wasm and its glue alike (wasm-bindgen's carry 16-hex-digit hashes
# that gzip cannot shrink): the wasm 2.8 KB smaller gzipped, the glue too. Checked by the script.
node scripts/shorten-wasm-names.mjs pkg/ydb_wasm_bg.wasm pkg/ydb_wasm.js
# The published entry points, dist/{node,deno,worker,browser}.mjs: each runtime's entry (js/*.mjs) bundled
# with js/api.js, its helpers and the glue into one minified module. What a program loads shrinks by about
# 40 % gzipped, and Node imports one module instead of seven. The sources stay readable in js/ (and run as
# they are: the repository's own runtime tests import some of them directly); --keep-names keeps the class
# and function names that error messages, `inspect` and crash reports print. The wasm stays in pkg/ and is
# referred to as ../pkg/ydb_wasm_bg.wasm, which holds from dist/ as from js/.
version=$(node -p 'require("./package.json").version')
rm -rf dist
for entry in node deno worker browser; do
  platform=neutral
  if [ "$entry" = node ]; then platform=node; fi
  node_modules/.bin/esbuild "js/$entry.mjs" --bundle --minify --keep-names --format=esm --platform="$platform" \
    --external:'*.wasm' --legal-comments=none --log-level=warning --outfile="dist/$entry.mjs" \
    --banner:js="// ydb-wasm $version (Apache-2.0): js/$entry.mjs bundled with the wasm-bindgen glue by scripts/build-wasm.sh; readable sources in the repository's js/."
done
wasm_gz=$(gzip -9c pkg/ydb_wasm_bg.wasm | wc -c)
js_gz=$(gzip -9c dist/node.mjs | wc -c)
echo "built pkg/ and dist/: $(wc -c < pkg/ydb_wasm_bg.wasm) bytes wasm, $wasm_gz gzipped; wasm + JS (Node entry, dist/node.mjs) $((wasm_gz + js_gz)) bytes gzipped"
