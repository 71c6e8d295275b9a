//! gRPC-web framing: the 5-byte frame header, data frames, and the trailer frame.
//!
//! A gRPC-web body is a sequence of frames: one flag byte (bit 7 set marks the trailer frame) and a
//! big-endian u32 length, then that many bytes. Data frames carry protobuf messages; the last frame
//! carries the trailers (`grpc-status`, `grpc-message`) as HTTP/1 header lines. `fetch` hands us the
//! body in chunks of any size, so the decoder buffers across chunk boundaries — including a trailer
//! frame split anywhere (the bug that made us own the transport instead of using
//! tonic-web-wasm-client). Pure Rust: no JS here.

use crate::error::{Error, Result};

/// Flag bit of a trailer frame.
const TRAILER_FLAG: u8 = 0x80;
/// Flag bit of a compressed frame (we never ask for compression, so never accept it).
const COMPRESSED_FLAG: u8 = 0x01;
/// The largest frame we accept: a guard against a corrupt length, not a protocol limit.
pub const MAX_FRAME_LEN: usize = 256 * 1024 * 1024;

/// Wraps an encoded message into one uncompressed data frame.
pub fn encode_frame(message: &impl prost::Message) -> Vec<u8> {
    let len = message.encoded_len();
    let mut out = Vec::with_capacity(5 + len);
    out.push(0);
    out.extend_from_slice(&(len as u32).to_be_bytes());
    // Encoding into a Vec cannot run out of room.
    let _ = message.encode(&mut out);
    out
}

/// The metadata header in which YDB sends hints to the client.
pub const SERVER_HINTS: &str = "x-ydb-server-hints";

/// The trailers of a gRPC answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trailers {
    pub grpc_status: Option<u32>,
    pub grpc_message: Option<String>,
    /// `x-ydb-server-hints: session-close`: the server asks the client to stop using the session after
    /// this answer (a node about to shut down, for one).
    pub session_close: bool,
}

impl Trailers {
    /// Parses the header lines of a trailer frame (`name: value\r\n` …).
    pub fn parse(block: &[u8]) -> Trailers {
        let mut trailers = Trailers::default();
        for line in block.split(|b| *b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let Some(colon) = line.iter().position(|b| *b == b':') else { continue };
            let (name, value) = line.split_at(colon);
            let value = String::from_utf8_lossy(value.get(1..).unwrap_or_default());
            trailers.set(&String::from_utf8_lossy(name), value.trim());
        }
        trailers
    }

    /// Records one header if it is a gRPC status header (names are case-insensitive).
    pub fn set(&mut self, name: &str, value: &str) {
        if name.eq_ignore_ascii_case("grpc-status") {
            self.grpc_status = value.trim().parse().ok();
        } else if name.eq_ignore_ascii_case("grpc-message") {
            self.grpc_message = Some(percent_decode(value));
        } else if name.eq_ignore_ascii_case(SERVER_HINTS) {
            self.session_close |= value.split(',').any(|hint| hint.trim() == "session-close");
        }
    }
}

/// `grpc-message` is percent-encoded on the wire.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One decoded frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    Data(Vec<u8>),
    Trailers(Trailers),
}

/// Incremental decoder: push body chunks as they arrive, pull complete frames.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    /// Start of the unread part of `buf` (compacted lazily to avoid shifting on every frame).
    pos: usize,
}

impl FrameDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a chunk of the body.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        } else if self.pos > 64 * 1024 && self.pos * 2 > self.buf.len() {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// The next complete frame, `None` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let Some(header) = rest.get(..5) else { return Ok(None) };
        let flag = header.first().copied().unwrap_or_default();
        let len = u32::from_be_bytes([
            header.get(1).copied().unwrap_or_default(),
            header.get(2).copied().unwrap_or_default(),
            header.get(3).copied().unwrap_or_default(),
            header.get(4).copied().unwrap_or_default(),
        ]) as usize;
        if len > MAX_FRAME_LEN {
            return Err(Error::protocol(format!("gRPC-web frame of {len} bytes exceeds the limit")));
        }
        if flag & COMPRESSED_FLAG != 0 {
            return Err(Error::protocol("compressed gRPC-web frame, but no compression was negotiated"));
        }
        let Some(body) = rest.get(5..5 + len) else { return Ok(None) };
        let frame =
            if flag & TRAILER_FLAG != 0 { Frame::Trailers(Trailers::parse(body)) } else { Frame::Data(body.to_vec()) };
        self.pos += 5 + len;
        Ok(Some(frame))
    }

    /// True when every pushed byte belongs to a returned frame.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::ydb::discovery::WhoAmIRequest;

    fn trailer_frame(text: &str) -> Vec<u8> {
        let mut f = vec![TRAILER_FLAG];
        f.extend_from_slice(&(text.len() as u32).to_be_bytes());
        f.extend_from_slice(text.as_bytes());
        f
    }

    fn body() -> Vec<u8> {
        let mut b = encode_frame(&WhoAmIRequest { include_groups: true });
        b.extend(encode_frame(&WhoAmIRequest { include_groups: false }));
        b.extend(trailer_frame("grpc-status: 0\r\ngrpc-message: all%20good\r\n"));
        b
    }

    fn decode_in_chunks(bytes: &[u8], chunk: usize) -> Vec<Frame> {
        let mut d = FrameDecoder::new();
        let mut frames = Vec::new();
        for c in bytes.chunks(chunk) {
            d.push(c);
            while let Some(f) = d.next_frame().expect("valid frames") {
                frames.push(f);
            }
        }
        assert!(d.is_empty());
        frames
    }

    #[test]
    fn frames_survive_any_chunking_including_a_split_trailer() {
        let whole = decode_in_chunks(&body(), usize::MAX);
        assert_eq!(whole.len(), 3);
        assert_eq!(
            whole.last(),
            Some(&Frame::Trailers(Trailers {
                grpc_status: Some(0),
                grpc_message: Some("all good".into()),
                session_close: false
            }))
        );
        for chunk in 1..body().len() {
            assert_eq!(decode_in_chunks(&body(), chunk), whole, "chunk size {chunk}");
        }
    }

    #[test]
    fn an_incomplete_frame_waits_for_more_bytes() {
        let mut d = FrameDecoder::new();
        let b = body();
        d.push(&b[..3]);
        assert_eq!(d.next_frame().expect("ok"), None);
        assert!(!d.is_empty());
    }

    #[test]
    fn an_absurd_length_is_an_error_not_an_allocation() {
        let mut d = FrameDecoder::new();
        d.push(&[0, 0xff, 0xff, 0xff, 0xff]);
        assert!(d.next_frame().is_err());
    }

    #[test]
    fn trailer_names_are_case_insensitive() {
        let t = Trailers::parse(b"Grpc-Status: 14\r\nGRPC-MESSAGE: down\r\n");
        assert_eq!(t.grpc_status, Some(14));
        assert_eq!(t.grpc_message.as_deref(), Some("down"));
    }

    #[test]
    fn the_session_close_hint_is_read_among_other_hints() {
        assert!(!Trailers::parse(b"grpc-status: 0\r\n").session_close);
        assert!(Trailers::parse(b"grpc-status: 0\r\nx-ydb-server-hints: session-close\r\n").session_close);
        assert!(Trailers::parse(b"X-Ydb-Server-Hints: other, session-close\r\n").session_close);
        assert!(!Trailers::parse(b"x-ydb-server-hints: session-closed\r\n").session_close);
    }

    #[test]
    fn a_bad_percent_escape_is_kept_verbatim() {
        assert_eq!(percent_decode("100%zz%41"), "100%zzA");
    }
}
