// Deno entry: reads the wasm next to the package (needs --allow-read for the package folder).
import { bind } from './api.js';
import * as wasm from '../pkg/ydb_wasm.js';

wasm.initSync({ module: Deno.readFileSync(new URL('../pkg/ydb_wasm_bg.wasm', import.meta.url)) });
bind(wasm);

export * from './api.js';
