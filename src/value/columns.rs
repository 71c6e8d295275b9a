//! Result rows turned into columns: the cells of each column of a scalar type gathered into one flat
//! vector (numbers, 64-bit integers, milliseconds, UTF-8 runs), so that the JS side builds its rows from
//! a few typed arrays in one tight loop instead of crossing from wasm to JS for every cell — a crossing
//! and a slot in wasm-bindgen's reference table per cell was most of the cost of reading a big result.
//! The cells are read straight from the rows' protobuf bytes (kept by [`super::rows`]): no `Ydb.Value` is
//! built for a scalar cell.
//!
//! Which JS value each flat kind becomes is the bindings' business (`bindings::results` and
//! `js/rows.js`); this module only guarantees that the numbers are the ones the mapping table asks for
//! (a Timestamp's milliseconds are its microseconds floored, as a `Date` holds them). Columns of other
//! types (containers, nested optionals, Void and Null, types this client does not know) keep their
//! values, which the caller converts one by one.

use super::rows::Rows;
use super::{scalars, Primitive as P, YdbType};
use crate::error::{Error, Result};
use crate::proto::ydb::Value;
use prost::Message;

const MS_PER_DAY: f64 = 86_400_000.0;

/// How the cells of one column are flattened, decided once per column from its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flat {
    Bool,
    /// Int8–Int32, Uint8–Uint32, Float, Double.
    Number,
    /// Int64, Interval and Interval64.
    Int64,
    Uint64,
    /// Timestamp and Timestamp64 as microseconds (`timestamps: 'bigint'`): either wire form, kept in
    /// 64 bits of Timestamp64's sign (`true`) or Timestamp's.
    Micros(bool),
    /// Date and Date32 (days) as milliseconds since the epoch.
    DateMillis,
    /// Datetime and Datetime64 (seconds) as milliseconds since the epoch.
    DatetimeMillis,
    /// Timestamp and Timestamp64 (microseconds) as whole milliseconds, floored.
    TimestampMillis,
    /// Utf8, Json, JsonDocument, DyNumber and the Tz types.
    Text,
    /// String and Yson.
    Bytes,
    Uuid,
    /// Decimal of this scale, as its exact text.
    Decimal(u32),
}

impl Flat {
    /// The flat kind of a column of type `t`, if it has one; `timestamps_as_micros` reads Timestamp and
    /// Timestamp64 as microsecond integers instead of milliseconds. An optional scalar is flat too (its
    /// nulls are marked beside the cells); an optional of an optional is not.
    pub fn of(t: &YdbType, timestamps_as_micros: bool) -> Option<(Flat, bool)> {
        match t {
            YdbType::Optional(inner) => Flat::scalar(inner, timestamps_as_micros).map(|f| (f, true)),
            t => Flat::scalar(t, timestamps_as_micros).map(|f| (f, false)),
        }
    }

    fn scalar(t: &YdbType, timestamps_as_micros: bool) -> Option<Flat> {
        Some(match t {
            YdbType::Primitive(p) => match p {
                P::Bool => Flat::Bool,
                P::Int8 | P::Uint8 | P::Int16 | P::Uint16 | P::Int32 | P::Uint32 | P::Float | P::Double => Flat::Number,
                P::Int64 | P::Interval | P::Interval64 => Flat::Int64,
                P::Uint64 => Flat::Uint64,
                P::Timestamp if timestamps_as_micros => Flat::Micros(false),
                P::Timestamp64 if timestamps_as_micros => Flat::Micros(true),
                P::Timestamp | P::Timestamp64 => Flat::TimestampMillis,
                P::Date | P::Date32 => Flat::DateMillis,
                P::Datetime | P::Datetime64 => Flat::DatetimeMillis,
                P::Utf8 | P::Json | P::JsonDocument | P::DyNumber | P::TzDate | P::TzDatetime | P::TzTimestamp => {
                    Flat::Text
                }
                P::String | P::Yson => Flat::Bytes,
                P::Uuid => Flat::Uuid,
            },
            YdbType::Decimal { scale, .. } => Flat::Decimal(*scale),
            YdbType::Tagged(_, inner) => Flat::scalar(inner, timestamps_as_micros)?,
            _ => return None,
        })
    }
}

/// One column's cells, flat.
#[derive(Debug, Clone, PartialEq)]
pub enum Cells {
    Bool(Vec<u8>),
    Number(Vec<f64>),
    Int64(Vec<i64>),
    Uint64(Vec<u64>),
    /// Milliseconds since the epoch, for a `Date`.
    Millis(Vec<f64>),
    /// The cells' UTF-8 one after another, and where each cell ends in it.
    Text {
        bytes: Vec<u8>,
        ends: Vec<u32>,
    },
    /// The cells' bytes one after another, and where each cell ends in it.
    Bytes {
        bytes: Vec<u8>,
        ends: Vec<u32>,
    },
}

/// A flat column: its cells, and which of them are null (`1`), if the column is optional. A null cell
/// holds a zero or an empty run in `cells`.
#[derive(Debug, Clone, PartialEq)]
pub struct FlatColumn {
    pub cells: Cells,
    pub nulls: Option<Vec<u8>>,
}

/// A column of the rows: flat, or the values themselves (in row order) when its type has no flat kind.
pub enum Column {
    Flat(FlatColumn),
    Values(Vec<Value>),
}

/// The columns of `rows`, whose types are `types` (one per cell of each row), read straight from the
/// rows' encoding. A row with another number of cells, a cell whose value is not of its column's type,
/// or bytes that are no protobuf, is a protocol error.
pub fn columns(types: &[YdbType], rows: &Rows, timestamps_as_micros: bool) -> Result<Vec<Column>> {
    // Room for every cell up front, up to a bound: the row and column counts are the server's, and a
    // hostile answer of many empty rows and many columns must not have us allocate their product (a
    // failed allocation traps). Past the bound the columns grow with the cells actually read.
    let capacity = rows.len().min(MAX_PREALLOCATED_CELLS / types.len().max(1));
    let mut out: Vec<(Column, Option<(Flat, bool)>)> = types
        .iter()
        .map(|t| {
            let flat = Flat::of(t, timestamps_as_micros);
            let column = match flat {
                Some((kind, optional)) => Column::Flat(FlatColumn::new(kind, optional, capacity)),
                None => Column::Values(Vec::with_capacity(capacity)),
            };
            (column, flat)
        })
        .collect();
    let short = || Error::protocol("a row with a different number of cells than columns");
    for mut row in rows.iter() {
        let mut cells = out.iter_mut();
        while !row.is_empty() {
            let (tag, wire) = key(&mut row)?;
            if tag != ITEMS {
                skip(wire, &mut row)?;
                continue;
            }
            let cell = delimited(wire, &mut row)?;
            match cells.next().ok_or_else(short)? {
                (Column::Flat(c), Some((kind, _))) => c.push(*kind, &Cell::read(cell)?)?,
                (Column::Values(v), _) => v.push(Value::decode(cell).map_err(undecodable)?),
                (Column::Flat(_), None) => {}
            }
        }
        if cells.next().is_some() {
            return Err(short());
        }
    }
    Ok(out.into_iter().map(|(c, _)| c).collect())
}

/// How many cells [`columns`] makes room for before reading any.
const MAX_PREALLOCATED_CELLS: usize = 1 << 20;

// The fields of `Ydb.Value` (ydb_value.proto) and the wire types of protobuf.
const ITEMS: u64 = 12;
const VARINT: u64 = 0;
const FIXED64: u64 = 1;
const DELIMITED: u64 = 2;
const FIXED32: u64 = 5;

fn undecodable(e: prost::DecodeError) -> Error {
    Error::protocol(format!("an undecodable row: {e}"))
}

fn malformed(what: &str) -> Error {
    Error::protocol(format!("an undecodable row: {what}"))
}

/// A base-128 varint taken off the front of `buf`.
fn varint(buf: &mut &[u8]) -> Result<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = buf.split_first().ok_or_else(|| malformed("a cell past its end"))?;
        *buf = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Ok(value);
        }
    }
    Err(malformed("a varint of more than ten bytes"))
}

/// A field's key taken off the front of `buf`: its number and wire type.
fn key(buf: &mut &[u8]) -> Result<(u64, u64)> {
    let key = varint(buf)?;
    if key >> 3 == 0 {
        return Err(malformed("field number 0"));
    }
    Ok((key >> 3, key & 7))
}

/// Skips a field of a type no cell reads (groups, long deprecated, are refused).
fn skip(wire: u64, buf: &mut &[u8]) -> Result<()> {
    match wire {
        VARINT => varint(buf).map(drop),
        FIXED64 => take::<8>(buf).map(drop),
        FIXED32 => take::<4>(buf).map(drop),
        _ => delimited(wire, buf).map(drop),
    }
}

/// The payload of a length-delimited field, taken off the front of `buf`.
fn delimited<'a>(wire: u64, buf: &mut &'a [u8]) -> Result<&'a [u8]> {
    if wire != DELIMITED {
        return Err(malformed("a field of the wrong wire type"));
    }
    let len = usize::try_from(varint(buf)?).ok().filter(|&l| l <= buf.len());
    let (payload, rest) = buf.split_at(len.ok_or_else(|| malformed("a cell past its end"))?);
    *buf = rest;
    Ok(payload)
}

/// `N` bytes taken off the front of `buf`.
fn take<const N: usize>(buf: &mut &[u8]) -> Result<[u8; N]> {
    let (head, rest) = buf.split_first_chunk::<N>().ok_or_else(|| malformed("a cell past its end"))?;
    *buf = rest;
    Ok(*head)
}

/// One cell of a scalar type as the wire has it: its `value` oneof (the last one given, as protobuf
/// reads a oneof) and `high_128`.
#[derive(Default)]
struct Cell<'a> {
    value: Option<Scalar<'a>>,
    high_128: u64,
}

enum Scalar<'a> {
    Bool(bool),
    Int32(i32),
    Uint32(u32),
    Int64(i64),
    Uint64(u64),
    Float(f32),
    Double(f64),
    Bytes(&'a [u8]),
    Text(&'a str),
    Null,
    Low128(u64),
    /// A nested value: nothing a scalar column holds.
    Other,
}

impl<'a> Cell<'a> {
    fn read(mut buf: &'a [u8]) -> Result<Cell<'a>> {
        let mut cell = Cell::default();
        while !buf.is_empty() {
            let (tag, wire) = key(&mut buf)?;
            let want = |w: u64| if w == wire { Ok(()) } else { Err(malformed("a field of the wrong wire type")) };
            let b = &mut buf;
            let scalar = match tag {
                1 => want(VARINT).and_then(|()| Ok(Scalar::Bool(varint(b)? != 0)))?,
                2 => want(FIXED32).and_then(|()| Ok(Scalar::Int32(i32::from_le_bytes(take(b)?))))?,
                3 => want(FIXED32).and_then(|()| Ok(Scalar::Uint32(u32::from_le_bytes(take(b)?))))?,
                4 => want(FIXED64).and_then(|()| Ok(Scalar::Int64(i64::from_le_bytes(take(b)?))))?,
                5 => want(FIXED64).and_then(|()| Ok(Scalar::Uint64(u64::from_le_bytes(take(b)?))))?,
                6 => want(FIXED32).and_then(|()| Ok(Scalar::Float(f32::from_le_bytes(take(b)?))))?,
                7 => want(FIXED64).and_then(|()| Ok(Scalar::Double(f64::from_le_bytes(take(b)?))))?,
                8 => Scalar::Bytes(delimited(wire, b)?),
                9 => Scalar::Text(
                    std::str::from_utf8(delimited(wire, b)?).map_err(|_| malformed("text that is not UTF-8"))?,
                ),
                10 => want(VARINT).and_then(|()| varint(b).map(|_| Scalar::Null))?,
                11 => delimited(wire, b).map(|_| Scalar::Other)?,
                15 => want(FIXED64).and_then(|()| Ok(Scalar::Low128(u64::from_le_bytes(take(b)?))))?,
                16 => {
                    want(FIXED64)?;
                    cell.high_128 = u64::from_le_bytes(take(b)?);
                    continue;
                }
                // Items, pairs, the variant index and fields unknown here are no part of the value.
                _ => {
                    skip(wire, b)?;
                    continue;
                }
            };
            cell.value = Some(scalar);
        }
        Ok(cell)
    }
}

fn mismatch() -> Error {
    Error::protocol("a value does not match its column type")
}

impl FlatColumn {
    fn new(kind: Flat, optional: bool, rows: usize) -> FlatColumn {
        let cells = match kind {
            Flat::Bool => Cells::Bool(Vec::with_capacity(rows)),
            Flat::Number => Cells::Number(Vec::with_capacity(rows)),
            Flat::Int64 | Flat::Micros(true) => Cells::Int64(Vec::with_capacity(rows)),
            Flat::Uint64 | Flat::Micros(false) => Cells::Uint64(Vec::with_capacity(rows)),
            Flat::DateMillis | Flat::DatetimeMillis | Flat::TimestampMillis => Cells::Millis(Vec::with_capacity(rows)),
            Flat::Text | Flat::Uuid | Flat::Decimal(_) => {
                Cells::Text { bytes: Vec::new(), ends: Vec::with_capacity(rows) }
            }
            Flat::Bytes => Cells::Bytes { bytes: Vec::new(), ends: Vec::with_capacity(rows) },
        };
        FlatColumn { cells, nulls: optional.then(|| Vec::with_capacity(rows)) }
    }

    fn push(&mut self, kind: Flat, v: &Cell) -> Result<()> {
        use Scalar as S;
        if let Some(nulls) = &mut self.nulls {
            let null = matches!(v.value, Some(S::Null));
            nulls.push(u8::from(null));
            if null {
                return self.push_empty();
            }
        }
        match (&mut self.cells, kind, &v.value) {
            (Cells::Bool(c), _, Some(S::Bool(b))) => c.push(u8::from(*b)),
            (Cells::Number(c), _, Some(S::Int32(x))) => c.push(f64::from(*x)),
            (Cells::Number(c), _, Some(S::Uint32(x))) => c.push(f64::from(*x)),
            (Cells::Number(c), _, Some(S::Float(x))) => c.push(f64::from(*x)),
            (Cells::Number(c), _, Some(S::Double(x))) => c.push(*x),
            (Cells::Int64(c), _, Some(S::Int64(x))) => c.push(*x),
            (Cells::Uint64(c), _, Some(S::Uint64(x))) => c.push(*x),
            // A timestamp in the other wire form than its type's, if it fits.
            (Cells::Int64(c), Flat::Micros(_), Some(S::Uint64(x))) => {
                c.push(i64::try_from(*x).map_err(|_| mismatch())?)
            }
            (Cells::Uint64(c), Flat::Micros(_), Some(S::Int64(x))) => {
                c.push(u64::try_from(*x).map_err(|_| mismatch())?)
            }
            (Cells::Millis(c), Flat::DateMillis, Some(S::Uint32(d))) => c.push(f64::from(*d) * MS_PER_DAY),
            (Cells::Millis(c), Flat::DateMillis, Some(S::Int32(d))) => c.push(f64::from(*d) * MS_PER_DAY),
            (Cells::Millis(c), Flat::DatetimeMillis, Some(S::Uint32(s))) => c.push(f64::from(*s) * 1000.0),
            (Cells::Millis(c), Flat::DatetimeMillis, Some(S::Int64(s))) => c.push(*s as f64 * 1000.0),
            (Cells::Millis(c), Flat::TimestampMillis, Some(S::Uint64(us))) => c.push((us / 1000) as f64),
            (Cells::Millis(c), Flat::TimestampMillis, Some(S::Int64(us))) => c.push(us.div_euclid(1000) as f64),
            (Cells::Text { bytes, ends }, Flat::Text, Some(S::Text(s))) => run(bytes, ends, s.as_bytes())?,
            (Cells::Text { bytes, ends }, Flat::Uuid, Some(S::Low128(lo))) => {
                run(bytes, ends, scalars::format_uuid(*lo, v.high_128).as_bytes())?
            }
            (Cells::Text { bytes, ends }, Flat::Decimal(scale), Some(S::Low128(lo))) => {
                let text = scalars::format_decimal(scalars::join_128(*lo, v.high_128), scale);
                run(bytes, ends, text.as_bytes())?
            }
            (Cells::Bytes { bytes, ends }, _, Some(S::Bytes(b))) => run(bytes, ends, b)?,
            _ => return Err(mismatch()),
        }
        Ok(())
    }

    /// The placeholder of a null cell.
    fn push_empty(&mut self) -> Result<()> {
        match &mut self.cells {
            Cells::Bool(c) => c.push(0),
            Cells::Number(c) | Cells::Millis(c) => c.push(0.0),
            Cells::Int64(c) => c.push(0),
            Cells::Uint64(c) => c.push(0),
            Cells::Text { bytes, ends } | Cells::Bytes { bytes, ends } => run(bytes, ends, &[])?,
        }
        Ok(())
    }
}

/// Appends one cell's bytes to a run and notes where it ends. The ends are 32-bit, as JS indexes
/// arrays; a column beyond 4 GiB (more than wasm's memory) is refused rather than wrapped.
fn run(bytes: &mut Vec<u8>, ends: &mut Vec<u32>, cell: &[u8]) -> Result<()> {
    bytes.extend_from_slice(cell);
    ends.push(u32::try_from(bytes.len()).map_err(|_| Error::protocol("a result column larger than 4 GiB"))?);
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::proto::ydb::value::Value as V;

    fn v(value: V) -> Value {
        Value { value: Some(value), ..Default::default() }
    }

    fn row(cells: Vec<Value>) -> Value {
        Value { items: cells, ..Default::default() }
    }

    fn null() -> Value {
        v(V::NullFlagValue(0))
    }

    fn flat(c: &Column) -> &FlatColumn {
        match c {
            Column::Flat(f) => f,
            Column::Values(_) => panic!("not flat"),
        }
    }

    /// The columns of `rows`, encoded as a server sends them.
    fn read(types: &[YdbType], rows: &[Value], micros: bool) -> Result<Vec<Column>> {
        columns(types, &rows.iter().cloned().collect(), micros)
    }

    fn ty(text: &str) -> YdbType {
        YdbType::parse(text).unwrap()
    }

    #[test]
    fn the_slo_shape_is_flattened_column_by_column() {
        let types: Vec<YdbType> = ["Uint64", "Utf8", "Double", "Timestamp"].iter().map(|t| ty(t)).collect();
        let rows = vec![
            row(vec![
                v(V::Uint64Value(u64::MAX)),
                v(V::TextValue("héllo".into())),
                v(V::DoubleValue(0.5)),
                v(V::Uint64Value(1_999)),
            ]),
            row(vec![
                v(V::Uint64Value(7)),
                v(V::TextValue(String::new())),
                v(V::DoubleValue(-1.0)),
                v(V::Uint64Value(1_700_000_000_123_456)),
            ]),
        ];
        let cols = read(&types, &rows, false).unwrap();
        assert_eq!(flat(&cols[0]).cells, Cells::Uint64(vec![u64::MAX, 7]));
        assert_eq!(flat(&cols[1]).cells, Cells::Text { bytes: "héllo".as_bytes().to_vec(), ends: vec![6, 6] });
        assert_eq!(flat(&cols[2]).cells, Cells::Number(vec![0.5, -1.0]));
        assert_eq!(flat(&cols[3]).cells, Cells::Millis(vec![1.0, 1_700_000_000_123.0]), "microseconds floored to ms");
        assert!(cols.iter().all(|c| flat(c).nulls.is_none()));
        let micros = read(&types, &rows, true).unwrap();
        assert_eq!(flat(&micros[3]).cells, Cells::Uint64(vec![1_999, 1_700_000_000_123_456]));
    }

    #[test]
    fn dates_and_wide_timestamps_become_milliseconds_floored_toward_the_past() {
        let types = [ty("Date32"), ty("Datetime"), ty("Timestamp64")];
        let rows = vec![row(vec![v(V::Int32Value(-1)), v(V::Uint32Value(2)), v(V::Int64Value(-1))])];
        let cols = read(&types, &rows, false).unwrap();
        assert_eq!(flat(&cols[0]).cells, Cells::Millis(vec![-86_400_000.0]));
        assert_eq!(flat(&cols[1]).cells, Cells::Millis(vec![2000.0]));
        assert_eq!(flat(&cols[2]).cells, Cells::Millis(vec![-1.0]));
    }

    #[test]
    fn optional_scalars_mark_their_nulls_and_hold_placeholders() {
        let types = [ty("Optional<Int64>"), ty("Optional<String>"), ty("Optional<Decimal(22,9)>")];
        let rows = vec![
            row(vec![null(), v(V::BytesValue(vec![1, 2])), v(V::Low128(1_500_000_000))]),
            row(vec![v(V::Int64Value(-5)), null(), null()]),
        ];
        let cols = read(&types, &rows, false).unwrap();
        assert_eq!(flat(&cols[0]).cells, Cells::Int64(vec![0, -5]));
        assert_eq!(flat(&cols[0]).nulls, Some(vec![1, 0]));
        assert_eq!(flat(&cols[1]).cells, Cells::Bytes { bytes: vec![1, 2], ends: vec![2, 2] });
        assert_eq!(flat(&cols[1]).nulls, Some(vec![0, 1]));
        assert_eq!(flat(&cols[2]).cells, Cells::Text { bytes: b"1.5".to_vec(), ends: vec![3, 3] });
    }

    #[test]
    fn containers_and_nested_optionals_keep_their_values() {
        let types = [ty("List<Int32>"), ty("Optional<Optional<Int32>>"), ty("Void")];
        let list = Value { items: vec![v(V::Int32Value(1))], ..Default::default() };
        let rows = vec![row(vec![list.clone(), null(), Value::default()])];
        let cols = read(&types, &rows, false).unwrap();
        assert!(cols.iter().all(|c| matches!(c, Column::Values(v) if v.len() == 1)));
        match &cols[0] {
            Column::Values(v) => assert_eq!(v[0], list),
            Column::Flat(_) => unreachable!(),
        }
    }

    #[test]
    fn cells_are_read_as_protobuf_reads_them() {
        // A cell's items, pairs and variant index are not its value; of two values the last one counts.
        let mut cell = v(V::Int32Value(1)).encode_to_vec();
        cell.extend(
            Value { items: vec![v(V::BoolValue(true))], variant_index: 3, ..Default::default() }.encode_to_vec(),
        );
        cell.extend(v(V::Int32Value(2)).encode_to_vec());
        let row = Value { items: vec![Value::decode(cell.as_slice()).unwrap()], ..Default::default() };
        assert_eq!(flat(&read(&[ty("Int32")], &[row], false).unwrap()[0]).cells, Cells::Number(vec![2.0]));
    }

    #[test]
    fn bytes_that_are_no_row_are_an_error_not_a_panic() {
        let types = [ty("Utf8"), ty("Uint64")];
        let good = Value { items: vec![v(V::TextValue("abc".into())), v(V::Uint64Value(1))], ..Default::default() };
        let bytes = good.encode_to_vec();
        for cut in 0..bytes.len() {
            let mut rows = Rows::default();
            rows.extend(raw_rows(&bytes[..cut]));
            assert!(columns(&types, &rows, false).is_err(), "cut at {cut}");
        }
        let mut bad_utf8 = bytes.clone();
        if let Some(b) = bad_utf8.iter_mut().find(|b| **b == b'a') {
            *b = 0xff;
        }
        assert!(columns(&types, &raw_rows(&bad_utf8), false).is_err());
    }

    /// One row of exactly these bytes.
    fn raw_rows(row: &[u8]) -> Rows {
        let mut set = Vec::new();
        prost::encoding::bytes::encode(2, &row.to_vec(), &mut set);
        super::super::rows::ResultSet::decode(set.as_slice()).unwrap().rows
    }

    #[test]
    fn a_cell_of_another_type_or_a_short_row_is_a_protocol_error() {
        let types = [ty("Uint64")];
        let wrong = vec![row(vec![v(V::TextValue("x".into()))])];
        assert!(read(&types, &wrong, false).is_err());
        let short = vec![row(vec![])];
        assert!(read(&types, &short, false).is_err());
        assert!(read(&types, &[row(vec![v(V::Int64Value(1))])], false).is_err(), "Uint64 takes only uint64_value");
        assert!(read(&[ty("Int64")], &[row(vec![v(V::Uint64Value(1))])], false).is_err());
        let negative = vec![row(vec![v(V::Int64Value(-1))])];
        assert!(read(&[ty("Timestamp")], &negative, true).is_err(), "a Timestamp's micros cannot hold it");
        assert!(read(&[ty("Uuid")], &[row(vec![v(V::TextValue("x".into()))])], false).is_err());
    }
}
