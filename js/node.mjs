// Node.js entry: loads the wasm module from the package folder, synchronously, once.
import { readFileSync } from 'node:fs';
import { bind } from './api.js';
import { initSync } from '../pkg/ydb_wasm.js';
import * as wasm from '../pkg/ydb_wasm.js';

initSync({ module: readFileSync(new URL('../pkg/ydb_wasm_bg.wasm', import.meta.url)) });
const api = bind(wasm);

export const {
  Driver, SessionPool, Session, TxContext, QuerySessionPool, QuerySession, QueryResultStream, retryOperation,
} = api;
export * from './api.js';
