// Cloudflare Workers / workerd entry. Workers may not compile wasm from bytes at run time, so the
// module is imported (the runtime or the bundler compiles it at upload) and only instantiated here.
import wasmModule from '../pkg/ydb_wasm_bg.wasm';
import { bind } from './api.js';
import * as wasm from '../pkg/ydb_wasm.js';

wasm.initSync({ module: wasmModule });
bind(wasm);

export * from './api.js';
