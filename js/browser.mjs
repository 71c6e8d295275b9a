// Browser entry (and the default for other fetch-capable runtimes): streams and compiles the wasm
// from next to this file, with a top-level await so importers get a ready module.
import { bind } from './api.js';
import * as wasm from '../pkg/ydb_wasm.js';

await wasm.default({ module_or_path: new URL('../pkg/ydb_wasm_bg.wasm', import.meta.url) });
bind(wasm);

export * from './api.js';
