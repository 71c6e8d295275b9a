//! `Ydb.ResultSet` with its rows left encoded until they are read.
//!
//! prost would decode every cell into a `Ydb.Value` of its own (a struct with a oneof and two vectors),
//! then drop them all again after the cells were read once: for big results that was a third of the
//! client's work. This type takes the place of the generated one (build.rs maps `.Ydb.ResultSet` here),
//! decodes the columns as prost does, and keeps each row as the bytes the server sent, which
//! [`super::columns`] reads column by column straight into flat vectors. The wire format is unchanged.

use crate::proto::ydb::{Column, Value};
use prost::bytes::{Buf, BufMut};
use prost::encoding::{self, DecodeContext, WireType};
use prost::{DecodeError, Message};

/// A result set (or one streamed part of it): its columns, its rows as sent, and whether the server cut it.
#[derive(Clone, PartialEq, Default, Debug)]
pub struct ResultSet {
    pub columns: Vec<Column>,
    pub rows: Rows,
    pub truncated: bool,
}

/// Rows as the server encoded them, one `Ydb.Value` message after another.
#[derive(Clone, PartialEq, Default, Debug)]
pub struct Rows {
    bytes: Vec<u8>,
    /// Where each row ends in `bytes`.
    ends: Vec<usize>,
}

impl Rows {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Each row's encoded `Ydb.Value`.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).map(|(from, &to)| self.bytes.get(from..to).unwrap_or_default())
    }

    /// The rows decoded as values (for tests and small answers; results are read through
    /// [`super::columns`]).
    pub fn decode(&self) -> Result<Vec<Value>, DecodeError> {
        self.iter().map(Value::decode).collect()
    }

    /// Appends the rows of another part.
    pub fn extend(&mut self, other: Rows) {
        let base = self.bytes.len();
        self.bytes.extend_from_slice(&other.bytes);
        self.ends.extend(other.ends.into_iter().map(|end| base + end));
    }

    fn push(&mut self, row: impl FnOnce(&mut Vec<u8>)) {
        row(&mut self.bytes);
        self.ends.push(self.bytes.len());
    }
}

impl FromIterator<Value> for Rows {
    fn from_iter<I: IntoIterator<Item = Value>>(values: I) -> Rows {
        let mut rows = Rows::default();
        for v in values {
            rows.push(|bytes| v.encode_raw(bytes));
        }
        rows
    }
}

impl Message for ResultSet {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        encoding::message::encode_repeated(1, &self.columns, buf);
        for row in self.rows.iter() {
            encoding::encode_key(2, WireType::LengthDelimited, buf);
            encoding::encode_varint(row.len() as u64, buf);
            buf.put_slice(row);
        }
        if self.truncated {
            encoding::bool::encode(3, &self.truncated, buf);
        }
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        match tag {
            1 => encoding::message::merge_repeated(wire_type, &mut self.columns, buf, ctx),
            2 => {
                encoding::check_wire_type(WireType::LengthDelimited, wire_type)?;
                let len = usize::try_from(encoding::decode_varint(buf)?).ok().filter(|&l| l <= buf.remaining());
                // prost has no public constructor of a decode error's kinds; this is its BufferUnderflow.
                #[allow(deprecated)]
                let len = len.ok_or_else(|| DecodeError::new("buffer underflow"))?;
                // Copied straight into the run of rows, chunk by chunk as the buffer holds it.
                self.rows.push(|bytes| {
                    let mut row = Buf::take(&mut *buf, len);
                    while row.has_remaining() {
                        let chunk = row.chunk();
                        let n = chunk.len();
                        bytes.extend_from_slice(chunk);
                        row.advance(n);
                    }
                });
                Ok(())
            }
            3 => encoding::bool::merge(wire_type, &mut self.truncated, buf, ctx),
            _ => encoding::skip_field(wire_type, tag, buf, ctx),
        }
    }

    fn encoded_len(&self) -> usize {
        let rows: usize = self.rows.iter().map(|r| 1 + encoding::encoded_len_varint(r.len() as u64) + r.len()).sum();
        encoding::message::encoded_len_repeated(1, &self.columns) + rows + if self.truncated { 2 } else { 0 }
    }

    fn clear(&mut self) {
        *self = ResultSet::default();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::proto::ydb::value::Value as V;

    /// The generated message as it was, to check the wire format against.
    #[derive(Clone, PartialEq, prost::Message)]
    struct Generated {
        #[prost(message, repeated, tag = "1")]
        columns: Vec<Column>,
        #[prost(message, repeated, tag = "2")]
        rows: Vec<Value>,
        #[prost(bool, tag = "3")]
        truncated: bool,
        #[prost(int32, tag = "4")]
        format: i32,
    }

    fn text(s: &str) -> Value {
        Value { value: Some(V::TextValue(s.into())), ..Default::default() }
    }

    fn row(cells: Vec<Value>) -> Value {
        Value { items: cells, ..Default::default() }
    }

    #[test]
    fn rows_stay_as_sent_and_decode_to_the_same_values() {
        let rows = vec![row(vec![text("a"), text("")]), row(vec![]), row(vec![text("héllo")])];
        let generated = Generated {
            columns: vec![Column { name: "c".into(), r#type: None }],
            rows: rows.clone(),
            truncated: true,
            format: 1,
        };
        let ours = ResultSet::decode(generated.encode_to_vec().as_slice()).unwrap();
        assert_eq!(ours.columns, generated.columns);
        assert!(ours.truncated);
        assert_eq!(ours.rows.len(), 3);
        assert_eq!(ours.rows.decode().unwrap(), rows);
        // Encoded again, it is what the generated message reads (the format is not kept: nothing reads it).
        let back = Generated::decode(ours.encode_to_vec().as_slice()).unwrap();
        assert_eq!(back, Generated { format: 0, ..generated });
        assert_eq!(ours.encoded_len(), ours.encode_to_vec().len());
    }

    #[test]
    fn parts_extend_one_another_in_order() {
        let mut a: Rows = vec![row(vec![text("1")])].into_iter().collect();
        let b: Rows = vec![row(vec![text("2")]), row(vec![text("3")])].into_iter().collect();
        a.extend(b);
        let texts: Vec<Value> = a.decode().unwrap().into_iter().flat_map(|r| r.items).collect();
        assert_eq!(texts, vec![text("1"), text("2"), text("3")]);
    }

    #[test]
    fn a_row_longer_than_its_message_is_an_error_not_a_panic() {
        let mut bytes = Vec::new();
        encoding::encode_key(2, WireType::LengthDelimited, &mut bytes);
        encoding::encode_varint(1000, &mut bytes);
        bytes.extend_from_slice(&[0; 10]);
        assert!(ResultSet::decode(bytes.as_slice()).is_err());
        assert!(ResultSet::decode(&[0x10, 0x01][..]).is_err(), "rows must be length-delimited");
    }
}
