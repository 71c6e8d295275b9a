// Node.js entry: reads the wasm from the package folder and instantiates it synchronously, once.
import { readFileSync } from 'node:fs';
import { bind } from './api.js';
import * as wasm from '../pkg/ydb_wasm.js';

wasm.initSync({ module: readFileSync(new URL('../pkg/ydb_wasm_bg.wasm', import.meta.url)) });
bind(wasm);

export * from './api.js';
