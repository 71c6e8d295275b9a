// The rows of a result set, made from its columns in one loop per column and one per row: the wasm side
// flattens each column of a scalar type (src/value/columns.rs), packs them all into one byte buffer and
// hands it over with the names and a layout in one call, instead of crossing into JS for every column,
// cell or property (src/bindings/results.rs installs this through `__setRowBuilder`). The layout and the
// kinds below are the ones src/bindings/results.rs writes; keep them in step.
const VALUES = 0; // a JS array of the cells, made by the wasm side (containers and the like): `at` indexes `others`
const BOOL = 1; // a byte per cell
const NUMBER = 2; // a float64 per cell
const INT64 = 3; // a BigInt64 per cell
const DATE = 4; // a float64 of milliseconds since the epoch per cell
const TEXT = 5; // UTF-8, and a uint32 per cell of where it ends (relative to `at`)
const BYTES = 6; // bytes, and a uint32 per cell of where it ends (relative to `at`)
const UINT64 = 7; // a BigUint64 per cell

const HEAD = 4; // layout, the first uint32 words of `data`: [words, rows, flags, index], then COLUMN words per column
const COLUMN = 6; // [name end, type end, kind, at, ends at, nulls at]
const NONE = 0xffffffff; // no index, no ends, no nulls

// `ignoreBOM`: a cell that starts with U+FEFF keeps it (the default decoder would drop it). The bytes are
// valid UTF-8 already: the wasm side checked them.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * One column's cells as JS values, read from `data` as `layout[k..k + 4]` says (`[kind, at, ends at,
 * nulls at]`); a cell marked in the nulls is `null`. The views of `data` stay in here: every cell is a
 * value or a copy of its own, so that a row kept alive does not keep the whole buffer alive.
 */
function cellsOf(layout, k, data, others, count) {
  const kind = layout[k];
  const at = layout[k + 1];
  if (kind === VALUES) return others[at];
  const buffer = data.buffer;
  const base = data.byteOffset;
  const out = new Array(count);
  switch (kind) {
    case BOOL: for (let i = 0; i < count; i++) out[i] = data[at + i] !== 0; break;
    case NUMBER: { const v = new Float64Array(buffer, base + at, count); for (let i = 0; i < count; i++) out[i] = v[i]; break; }
    case INT64: { const v = new BigInt64Array(buffer, base + at, count); for (let i = 0; i < count; i++) out[i] = v[i]; break; }
    case UINT64: { const v = new BigUint64Array(buffer, base + at, count); for (let i = 0; i < count; i++) out[i] = v[i]; break; }
    case DATE: { const v = new Float64Array(buffer, base + at, count); for (let i = 0; i < count; i++) out[i] = new Date(v[i]); break; }
    case TEXT: case BYTES: {
      const ends = new Uint32Array(buffer, base + layout[k + 2], count);
      // Bytes: each cell its own copy, as a value the caller may keep or change.
      if (kind === TEXT) for (let i = 0, from = at; i < count; i++) { const to = at + ends[i]; out[i] = utf8.decode(data.subarray(from, to)); from = to; }
      else for (let i = 0, from = at; i < count; i++) { const to = at + ends[i]; out[i] = data.slice(from, to); from = to; }
      break;
    }
    default: throw new TypeError(`unknown column kind ${kind}`);
  }
  const nulls = layout[k + 3];
  if (nulls !== NONE) for (let i = 0; i < count; i++) if (data[nulls + i] !== 0) out[i] = null;
  return out;
}

const AS_ARRAYS = 1; // flags: rows as arrays
const TRUNCATED = 2; // flags: the server cut the result set

/**
 * A result set as `{ columns, rows, truncated }` (+ `index` for a streamed part): `text` holds each
 * column's name and type name one after another (the layout says where each ends), `data` the layout and
 * then the flat columns, `others` the columns the wasm side made as arrays (or undefined).
 */
export function buildResultSet(text, data, others) {
  const words = data[0] | (data[1] << 8) | (data[2] << 16) | (data[3] << 24);
  const layout = new Uint32Array(data.buffer, data.byteOffset, words);
  const count = layout[1];
  const flags = layout[2];
  const width = (layout.length - HEAD) / COLUMN;
  const described = new Array(width);
  const names = new Array(width);
  const cells = new Array(width);
  for (let c = 0, k = HEAD, from = 0; c < width; c++, k += COLUMN) {
    const name = text.slice(from, layout[k]);
    from = layout[k + 1];
    names[c] = name;
    described[c] = { name, type: text.slice(layout[k], from) };
    cells[c] = cellsOf(layout, k + 2, data, others, count);
  }
  const rows = buildRows(count, names, cells, (flags & AS_ARRAYS) !== 0);
  const set = { columns: described, rows, truncated: (flags & TRUNCATED) !== 0 };
  if (layout[3] !== NONE) set.index = layout[3];
  return set;
}

/** `count` rows from the columns' `cells` (named by `names`): objects keyed by name, or arrays in column order. */
function buildRows(count, names, cells, asArrays) {
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
