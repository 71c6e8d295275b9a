// What the benchmarks (bench/) use of the official JS SDK, resolved from this folder's node_modules (the
// versions package.json pins), so that bench/ needs no install of its own.
export { Driver } from '@ydbjs/core';
export { query } from '@ydbjs/query';
export { Uint64 } from '@ydbjs/value/primitive';
