// Renames the wasm module's imports and exports to short names, in the module and in its glue alike
// (run by scripts/build-wasm.sh after wasm-opt).
//
// wasm-bindgen names each import after the JS it calls plus a 16-hex-digit hash
// (`__wbg_aborted_31456edf1be00084`), and each export after the Rust item it exports
// (`querysession_executeQuery`, `wasm_bindgen__convert__closures_____invoke__h795d7a0fe86d5bb1`). Every
// name is written once in the wasm and once or twice in the glue (esbuild's --keep-names repeats the
// import shims' names), and the hashes do not compress: about 3 KB of the gzipped package. Nothing reads
// these names but the glue, which reaches imports as the keys of its import object (`name: function`)
// and exports as `wasm.name`; both are renamed here, and the script fails if any old name is left over.
//
// usage: node scripts/shorten-wasm-names.mjs pkg/ydb_wasm_bg.wasm pkg/ydb_wasm.js
import fs from 'node:fs';

const [wasmFile, glueFile] = process.argv.slice(2);
const wasm = fs.readFileSync(wasmFile);
let glue = fs.readFileSync(glueFile, 'utf8');

function fail(message) {
  console.error(`shorten-wasm-names: ${message}`);
  process.exit(1);
}

// --- reading and writing the parts of the binary format this needs ---
function readU32(buf, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, at];
  }
}

function u32(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Buffer.from(out);
}

function readName(buf, at) {
  const [len, from] = readU32(buf, at);
  return [buf.toString('utf8', from, from + len), from + len];
}

function name(text) {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([u32(bytes.length), bytes]);
}

/** Skips a limits entry (of a table or a memory). */
function skipLimits(buf, at) {
  const flags = buf[at++];
  [, at] = readU32(buf, at);
  if (flags & 1) [, at] = readU32(buf, at);
  return at;
}

/** The end of an import's description (kind byte at `at`). */
function skipImportDesc(buf, at) {
  const kind = buf[at++];
  switch (kind) {
    case 0: // function: type index
      return readU32(buf, at)[1];
    case 1: // table: reference type, limits
      return skipLimits(buf, at + 1);
    case 2: // memory: limits
      return skipLimits(buf, at);
    case 3: // global: value type, mutability
      return at + 2;
    case 4: // tag: attribute, type index
      return readU32(buf, at + 1)[1];
    default:
      return fail(`unknown import kind ${kind}`);
  }
}

// --- short names: a, b, …, Z, aa, ab, … (never a JS keyword: at most `do`, `if`, `in` could be hit) ---
const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const reserved = new Set(['do', 'if', 'in']);
function* shortNames() {
  for (const a of letters) yield a;
  for (const a of letters) for (const b of letters) if (!reserved.has(a + b)) yield a + b;
}

// --- the module's sections, with the import and export sections rewritten ---
if (wasm.readUInt32LE(0) !== 0x6d736100) fail(`${wasmFile} is not a wasm module`);
const parts = [wasm.subarray(0, 8)];
const renamedImports = new Map();
const renamedExports = new Map();
let at = 8;
while (at < wasm.length) {
  const id = wasm[at];
  const [size, from] = readU32(wasm, at + 1);
  const body = wasm.subarray(from, from + size);
  if (id === 2 || id === 7) {
    const names = shortNames();
    const [count, first] = readU32(body, 0);
    const out = [u32(count)];
    let p = first;
    for (let i = 0; i < count; i++) {
      if (id === 2) {
        const [module, afterModule] = readName(body, p);
        const [field, afterField] = readName(body, afterModule);
        const end = skipImportDesc(body, afterField);
        const short = names.next().value;
        renamedImports.set(field, short);
        out.push(name(module), name(short), body.subarray(afterField, end));
        p = end;
      } else {
        const [field, afterField] = readName(body, p);
        const end = readU32(body, afterField + 1)[1];
        const short = names.next().value;
        renamedExports.set(field, short);
        out.push(name(short), body.subarray(afterField, end));
        p = end;
      }
    }
    if (p !== body.length) fail(`section ${id} was not read to its end`);
    const section = Buffer.concat(out);
    parts.push(Buffer.from([id]), u32(section.length), section);
  } else {
    parts.push(wasm.subarray(at, from + size));
  }
  at = from + size;
}

const escape = (text) => text.replace(/\$/g, '\\$');

// --- the glue: import object keys (`name: function(`), export uses (`wasm.name`) ---
// Each import becomes a method (`a(arg0) {`): a method's name is its own, so esbuild's --keep-names has no
// `name` to restore and does not wrap it (it wraps `a: function` in a call that sets the name, 0.5 KB
// gzipped for the glue's ~120 imports). Called by the wasm with no receiver, a method runs as the
// function did.
for (const [old, short] of renamedImports) {
  const key = new RegExp(`(?<![\\w$])${escape(old)}: function\\(`, 'g');
  const found = glue.match(key)?.length ?? 0;
  if (found !== 1) fail(`import ${old}: found ${found} times as a key of the glue's import object`);
  glue = glue.replace(key, `${short}(`);
}
for (const [old, short] of renamedExports) {
  glue = glue.replace(new RegExp(`(?<=\\bwasm\\.)${escape(old)}(?![\\w$])`, 'g'), short);
}
// Left over: an import named anywhere (it was a key), an export still read as `wasm.name`. (The JS
// functions the glue exports keep their names, such as `__wasmMemoryBytes`: they are not the module's.)
const stray = [
  ...[...renamedImports.keys()].filter((old) => new RegExp(`(?<![\\w$])${escape(old)}(?![\\w$])`).test(glue)),
  ...[...renamedExports.keys()].filter((old) => new RegExp(`\\bwasm\\.${escape(old)}(?![\\w$])`).test(glue)),
];
if (stray.length) fail(`the glue still names ${stray.join(', ')}`);

fs.writeFileSync(wasmFile, Buffer.concat(parts));
fs.writeFileSync(glueFile, glue);
