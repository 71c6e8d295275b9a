// Node.js entry: reads the wasm from the package folder and instantiates it synchronously, once.
// node:fs comes from process.getBuiltinModule (Node 20.16+ and 22.3+, Bun), not from an import: importing
// node:fs as an ES module evaluates all of its exports, and with them Node's stream modules — about a
// tenth of the whole import's time.
import { bind } from './api.js';
import * as wasm from '../pkg/ydb_wasm.js';

const fs = globalThis.process?.getBuiltinModule?.('node:fs');
if (!fs) throw new Error('ydb-wasm needs Node.js 20.16 or newer (22.3 or newer in Node 22): process.getBuiltinModule');
wasm.initSync({ module: fs.readFileSync(new URL('../pkg/ydb_wasm_bg.wasm', import.meta.url)) });
bind(wasm);

export * from './api.js';
