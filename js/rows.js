// The rows of a result set, made from its columns in one loop per column and one per row: the wasm side
// flattens each column of a scalar type into a typed array (src/value/columns.rs) and hands them all over
// in one call, instead of crossing into JS for every cell (src/bindings/results.rs installs this through
// `__setRowBuilder`). The kinds below are the ones src/bindings/results.rs numbers; keep them in step.
const VALUES = 0; // [kind, values]: a JS array of the cells, made by the wasm side (containers and the like)
const BOOL = 1; // [kind, Uint8Array, , nulls]
const NUMBER = 2; // [kind, Float64Array, , nulls]
const BIGINT = 3; // [kind, BigInt64Array | BigUint64Array, , nulls]
const DATE = 4; // [kind, Float64Array of milliseconds since the epoch, , nulls]
const TEXT = 5; // [kind, Uint8Array of UTF-8, Uint32Array of where each cell ends, nulls]
const BYTES = 6; // [kind, Uint8Array, Uint32Array of where each cell ends, nulls]

// `ignoreBOM`: a cell that starts with U+FEFF keeps it (the default decoder would drop it). The bytes are
// valid UTF-8 already: the wasm side checked them.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** One column's cells as JS values; a cell marked in `nulls` is `null`. */
function cellsOf([kind, cells, ends, nulls], count) {
  if (kind === VALUES) return cells;
  const out = new Array(count);
  switch (kind) {
    case BOOL: for (let i = 0; i < count; i++) out[i] = cells[i] !== 0; break;
    case NUMBER: case BIGINT: for (let i = 0; i < count; i++) out[i] = cells[i]; break;
    case DATE: for (let i = 0; i < count; i++) out[i] = new Date(cells[i]); break;
    case TEXT: for (let i = 0, from = 0; i < count; i++) { out[i] = utf8.decode(cells.subarray(from, ends[i])); from = ends[i]; } break;
    // Each cell its own copy, as a value the caller may keep or change.
    case BYTES: for (let i = 0, from = 0; i < count; i++) { out[i] = cells.slice(from, ends[i]); from = ends[i]; } break;
    default: throw new TypeError(`unknown column kind ${kind}`);
  }
  if (nulls !== undefined) for (let i = 0; i < count; i++) if (nulls[i] !== 0) out[i] = null;
  return out;
}

const AS_ARRAYS = 1; // flags: rows as arrays
const TRUNCATED = 2; // flags: the server cut the result set

/**
 * A result set as `{ columns, rows, truncated }` (+ `index` for a streamed part): `columns` as `{ name,
 * type }` from `names` and `types`, `count` rows made from `columns` (see `buildRows`).
 */
export function buildResultSet(count, names, types, columns, flags, index) {
  const described = new Array(names.length);
  for (let c = 0; c < names.length; c++) described[c] = { name: names[c], type: types[c] };
  const rows = buildRows(count, names, columns, (flags & AS_ARRAYS) !== 0);
  const set = { columns: described, rows, truncated: (flags & TRUNCATED) !== 0 };
  if (index !== undefined) set.index = index;
  return set;
}

/** `count` rows from `columns` (named by `names`): objects keyed by name, or arrays in column order. */
function buildRows(count, names, columns, asArrays) {
  const cells = columns.map((c) => cellsOf(c, count));
  const width = cells.length;
  const rows = new Array(count);
  if (asArrays) {
    for (let i = 0; i < count; i++) {
      const row = new Array(width);
      for (let c = 0; c < width; c++) row[c] = cells[c][i];
      rows[i] = row;
    }
  } else {
    for (let i = 0; i < count; i++) {
      const row = {};
      for (let c = 0; c < width; c++) row[names[c]] = cells[c][i];
      rows[i] = row;
    }
  }
  return rows;
}
