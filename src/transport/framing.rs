//! gRPC-web framing: the 5-byte frame header, data frames, and the trailer frame.
//!
//! A gRPC-web body is a sequence of frames: one flag byte (bit 7 set marks the trailer frame) and a
//! big-endian u32 length, then that many bytes. Data frames carry protobuf messages; the last frame
//! carries the trailers (`grpc-status`, `grpc-message`) as HTTP/1 header lines. `fetch` hands us the
//! body in chunks of any size, so the decoder buffers across chunk boundaries — including a trailer
//! frame split anywhere (the bug that made us own the transport instead of using
//! tonic-web-wasm-client). Pure Rust: no JS here.

use crate::error::{Error, Result, Status};

/// Flag bit of a trailer frame.
const TRAILER_FLAG: u8 = 0x80;
/// Flag bit of a compressed frame (we never ask for compression, so never accept it).
const COMPRESSED_FLAG: u8 = 0x01;
/// The largest frame we accept: a guard against a corrupt length, not a protocol limit. The decoder
/// never reserves memory for a declared length; it only buffers what arrives, and refuses a header
/// that declares more than this (a 4 GiB length is refused after its 5 header bytes).
pub const MAX_FRAME_LEN: usize = 256 * 1024 * 1024;
/// The largest trailer frame we accept: trailers are a few header lines (HTTP servers cap a header
/// block at tens of KiB), so 1 MiB is generous and bounds what a unary answer may hold besides its message.
pub const MAX_TRAILERS_LEN: usize = 1024 * 1024;
/// The largest whole body of a unary answer: one message frame and one trailer frame at their limits.
/// The body is read at once, so a longer one is refused before it is copied into wasm memory.
pub const MAX_UNARY_BODY_LEN: usize = 5 + MAX_FRAME_LEN + 5 + MAX_TRAILERS_LEN;

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
            let value = text(value.get(1..).unwrap_or_default());
            trailers.set(&text(name), value.trim());
        }
        trailers
    }

    /// Records one header if it is a gRPC status header (names are case-insensitive).
    pub fn set(&mut self, name: &str, value: &str) {
        if name.eq_ignore_ascii_case("grpc-status") {
            self.grpc_status = status_code(value.trim());
        } else if name.eq_ignore_ascii_case("grpc-message") {
            self.grpc_message = Some(percent_decode(value));
        } else if name.eq_ignore_ascii_case(SERVER_HINTS) {
            self.session_close |= value.split(',').any(|hint| hint.trim() == "session-close");
        }
    }
}

// Every answer's trailers go through `text` and `status_code`: V8 compiles a wasm function at its first
// call, and the library's lossy UTF-8 conversion and integer parsing (1.4 KB between them) then stay
// uncompiled on a first query unless a trailer is not UTF-8.

/// The bytes as text, lossily only when they are not UTF-8.
fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => std::borrow::Cow::Owned(crate::substring::utf8_lossy(bytes)),
    }
}

/// A `grpc-status` value as `str::parse::<u32>` reads it (digits, an optional leading `+`, no overflow).
fn status_code(v: &str) -> Option<u32> {
    let digits = v.strip_prefix('+').unwrap_or(v);
    if digits.is_empty() {
        return None;
    }
    digits.bytes().try_fold(0u32, |n, b| match b {
        b'0'..=b'9' => n.checked_mul(10)?.checked_add(u32::from(b - b'0')),
        _ => None,
    })
}

/// `grpc-message` is percent-encoded on the wire.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(crate::digits::hex);
            if let Some(v) = hex.and_then(|v| u8::try_from(v).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    crate::substring::utf8_lossy(&out)
}

/// One decoded frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    Data(Vec<u8>),
    Trailers(Trailers),
}

/// Incremental decoder: push body chunks as they arrive, pull complete frames.
///
/// It never trusts a declared length for anything but waiting: memory grows only with the bytes
/// pushed. A trailer frame must carry a numeric `grpc-status` (a trailer without one would end a
/// stream as if it had succeeded), and it must be the last frame.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    /// Start of the unread part of `buf` (compacted lazily to avoid shifting on every frame).
    pos: usize,
    /// The trailer frame has been returned: any byte after it is an error.
    ended: bool,
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
        if self.ended && !rest.is_empty() {
            return Err(Error::protocol("bytes after the gRPC-web trailer frame"));
        }
        let Some(&[flag, l0, l1, l2, l3]) = rest.get(..5) else { return Ok(None) };
        let len = u32::from_be_bytes([l0, l1, l2, l3]) as usize;
        let trailer = flag & TRAILER_FLAG != 0;
        let limit = if trailer { MAX_TRAILERS_LEN } else { MAX_FRAME_LEN };
        if len > limit {
            return Err(Error::protocol(format!("gRPC-web frame of {len} bytes exceeds the limit of {limit}")));
        }
        if flag & COMPRESSED_FLAG != 0 {
            return Err(Error::protocol("compressed gRPC-web frame, but no compression was negotiated"));
        }
        let Some(body) = rest.get(5..5 + len) else { return Ok(None) };
        let frame = if trailer {
            let trailers = Trailers::parse(body);
            if trailers.grpc_status.is_none() {
                return Err(Error::protocol("a gRPC-web trailer frame without a valid grpc-status"));
            }
            self.ended = true;
            Frame::Trailers(trailers)
        } else {
            Frame::Data(body.to_vec())
        };
        self.pos += 5 + len;
        Ok(Some(frame))
    }

    /// True when every pushed byte belongs to a returned frame.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }
}

/// Splits the whole body of a unary answer into its message (absent in an error answer) and its
/// trailers. A body without a trailer frame was cut short: the request may have run, so that is a
/// lost connection; two messages, or bytes after the trailers, are a protocol error.
pub fn split_unary_body(body: &[u8]) -> Result<(Option<Vec<u8>>, Trailers)> {
    if body.len() > MAX_UNARY_BODY_LEN {
        return Err(Error::protocol(format!("an answer of {} bytes exceeds the limit", body.len())));
    }
    let mut decoder = FrameDecoder::new();
    decoder.push(body);
    let mut message = None;
    while let Some(frame) = decoder.next_frame()? {
        match frame {
            Frame::Data(bytes) if message.is_none() => message = Some(bytes),
            Frame::Data(_) => return Err(Error::protocol("more than one answer")),
            Frame::Trailers(t) => {
                // The decoder refuses any byte after the trailers; ask it once more to find them.
                decoder.next_frame()?;
                return Ok((message, t));
            }
        }
    }
    Err(Error::transport(Status::ConnectionLost, "the answer ended without a gRPC status"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn status_codes_read_as_str_parse_reads_them() {
        for v in ["0", "16", "+5", "", "+", "-0", "1 2", "4294967295", "4294967296", "00012", "x", "٣"] {
            assert_eq!(super::status_code(v), v.parse::<u32>().ok(), "{v:?}");
        }
        assert_eq!(super::text(b"grpc-status"), "grpc-status");
        assert_eq!(super::text(b"a\xffb"), "a\u{fffd}b");
    }

    use super::*;
    use crate::proto::ydb::discovery::WhoAmIRequest;

    /// The reference encoder, written from the gRPC-web spec apart from the decoder: a flag byte, a
    /// big-endian u32 length, the bytes.
    pub(super) fn frame(flag: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![flag];
        f.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    fn body() -> Vec<u8> {
        let mut b = encode_frame(&WhoAmIRequest { include_groups: true });
        b.extend(encode_frame(&WhoAmIRequest { include_groups: false }));
        b.extend(frame(TRAILER_FLAG, b"grpc-status: 0\r\ngrpc-message: all%20good\r\n"));
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
    fn a_unary_body_past_its_limit_is_refused_unread() {
        // Zeroed pages are not touched: the length alone decides.
        let body = vec![0u8; MAX_UNARY_BODY_LEN + 1];
        let e = split_unary_body(&body).expect_err("too long");
        assert!(e.message.contains("exceeds the limit"), "{}", e.message);
        assert!(split_unary_body(&frame(TRAILER_FLAG, b"grpc-status: 0\r\n")).is_ok());
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

/// Property tests: any body, cut into any chunks, decodes to exactly what a reference encoder wrote, or
/// to an error — never a panic, a hang or an allocation the bytes did not pay for. `PROPTEST_CASES`
/// sets the number of cases (`scripts/fuzz.sh` runs many).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::tests::frame;
    use super::*;
    use crate::transport::fuzzing::{edits, mangle, noise};
    use proptest::prelude::*;

    fn percent_encode(s: &str) -> String {
        s.bytes()
            .map(|b| {
                if b == b'%' || !b.is_ascii_graphic() && b != b' ' {
                    format!("%{b:02X}")
                } else {
                    (b as char).to_string()
                }
            })
            .collect()
    }

    fn trailer_text(t: &Trailers) -> String {
        let mut text = String::new();
        if let Some(s) = t.grpc_status {
            text += &format!("grpc-status: {s}\r\n");
        }
        if let Some(m) = &t.grpc_message {
            text += &format!("grpc-message: {}\r\n", percent_encode(m));
        }
        if t.session_close {
            text += "x-ydb-server-hints: session-close\r\n";
        }
        text
    }

    /// Payload sizes: mostly small, sometimes past the decoder's 64 KiB compaction threshold.
    fn payload() -> impl Strategy<Value = Vec<u8>> {
        (prop_oneof![12 => 0usize..600, 1 => 60_000usize..140_000], any::<u64>()).prop_map(|(n, seed)| noise(n, seed))
    }

    fn trailers() -> impl Strategy<Value = Trailers> {
        (0u32..20, proptest::option::of("[ -~]{0,40}"), any::<bool>()).prop_map(|(status, message, session_close)| {
            Trailers { grpc_status: Some(status), grpc_message: message.map(|m| m.trim().to_string()), session_close }
        })
    }

    fn chunk_sizes() -> impl Strategy<Value = Vec<usize>> {
        prop::collection::vec(prop_oneof![1usize..8, 1usize..200, 1usize..20_000], 1..16)
    }

    /// What the decoder made of a body fed in chunks of the given sizes (cycled): the frames it
    /// returned, and whether it stopped on an error. Checks on the way that it holds no more memory
    /// than the bytes pushed paid for.
    fn decode(body: &[u8], sizes: &[usize]) -> (Vec<Frame>, bool) {
        let mut d = FrameDecoder::new();
        let mut frames = Vec::new();
        let mut pushed = 0;
        let mut rest = body;
        for &size in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (chunk, tail) = rest.split_at(size.min(rest.len()));
            rest = tail;
            d.push(chunk);
            pushed += chunk.len();
            assert!(d.buf.capacity() <= 2 * pushed.max(8), "{} bytes held for {pushed} pushed", d.buf.capacity());
            loop {
                match d.next_frame() {
                    Ok(Some(f)) => frames.push(f),
                    Ok(None) => break,
                    Err(_) => return (frames, true),
                }
            }
        }
        (frames, false)
    }

    fn expected_frames(payloads: &[Vec<u8>], trailers: &Trailers) -> Vec<Frame> {
        payloads.iter().cloned().map(Frame::Data).chain([Frame::Trailers(trailers.clone())]).collect()
    }

    fn body_of(payloads: &[Vec<u8>], trailers: &Trailers) -> Vec<u8> {
        let mut body: Vec<u8> = payloads.iter().flat_map(|p| frame(0, p)).collect();
        body.extend(frame(TRAILER_FLAG, trailer_text(trailers).as_bytes()));
        body
    }

    /// A valid body with some bytes changed, cut or added: what a broken proxy or a bit flip delivers.
    fn mangled_body() -> impl Strategy<Value = Vec<u8>> {
        (prop::collection::vec(payload(), 0..4), trailers(), edits())
            .prop_map(|(payloads, trailers, edits)| mangle(body_of(&payloads, &trailers), &edits))
    }

    proptest! {
        #[test]
        fn valid_bodies_decode_to_exactly_their_frames_in_any_chunking(
            payloads in prop::collection::vec(payload(), 0..6),
            trailers in trailers(),
            sizes in chunk_sizes(),
        ) {
            let body = body_of(&payloads, &trailers);
            let (frames, failed) = decode(&body, &sizes);
            prop_assert!(!failed);
            prop_assert_eq!(frames, expected_frames(&payloads, &trailers));
        }

        #[test]
        fn a_valid_unary_body_splits_into_its_message_and_trailers(
            message in proptest::option::of(payload()),
            trailers in trailers(),
        ) {
            let body = body_of(message.as_slice(), &trailers);
            prop_assert_eq!(split_unary_body(&body).ok(), Some((message, trailers)));
        }

        #[test]
        fn any_bytes_in_any_chunks_decode_alike_and_never_panic(
            body in prop_oneof![prop::collection::vec(any::<u8>(), 0..4096), mangled_body()],
            sizes in chunk_sizes(),
        ) {
            let (whole, whole_failed) = decode(&body, &[usize::MAX]);
            let (chunked, chunked_failed) = decode(&body, &sizes);
            // Each frame takes at least its 5 header bytes: the decoder cannot loop without consuming.
            prop_assert!(whole.len() <= body.len() / 5);
            prop_assert_eq!(&chunked, &whole);
            prop_assert_eq!(chunked_failed, whole_failed);
            // A unary answer is accepted only with its trailers as its last frame.
            if let Ok((message, trailers)) = split_unary_body(&body) {
                prop_assert!(!whole_failed);
                let frames: Vec<Frame> =
                    message.into_iter().map(Frame::Data).chain([Frame::Trailers(trailers)]).collect();
                prop_assert_eq!(whole, frames);
            }
        }

        #[test]
        fn a_length_past_the_limit_is_refused_at_its_header(
            payloads in prop::collection::vec(payload(), 0..3),
            trailer in any::<bool>(),
            excess in 1u64..(1 << 32),
            sizes in chunk_sizes(),
        ) {
            let limit = if trailer { MAX_TRAILERS_LEN } else { MAX_FRAME_LEN } as u64;
            let len = (limit + excess).min(u64::from(u32::MAX)) as u32;
            let mut body: Vec<u8> = payloads.iter().flat_map(|p| frame(0, p)).collect();
            body.push(if trailer { TRAILER_FLAG } else { 0 });
            body.extend_from_slice(&len.to_be_bytes());
            // The header alone, with no byte of the declared body, already fails.
            let (frames, failed) = decode(&body, &sizes);
            prop_assert!(failed);
            prop_assert_eq!(frames, payloads.into_iter().map(Frame::Data).collect::<Vec<_>>());
        }

        #[test]
        fn a_truncated_body_never_yields_its_trailers(
            payloads in prop::collection::vec(payload(), 0..4),
            trailers in trailers(),
            cut in any::<prop::sample::Index>(),
            sizes in chunk_sizes(),
        ) {
            let body = body_of(&payloads, &trailers);
            let cut = cut.index(body.len());
            let (frames, failed) = decode(&body[..cut], &sizes);
            prop_assert!(!failed);
            let expected = expected_frames(&payloads, &trailers);
            prop_assert!(frames.len() < expected.len());
            prop_assert_eq!(&frames[..], &expected[..frames.len()]);
            if payloads.len() <= 1 {
                let e = split_unary_body(&body[..cut]).expect_err("a cut answer");
                prop_assert_eq!(e.status, Status::ConnectionLost);
            }
        }

        #[test]
        fn a_trailer_frame_without_a_numeric_status_or_with_bytes_after_it_is_an_error(
            payloads in prop::collection::vec(payload(), 0..3),
            lines in prop::collection::vec(prop_oneof![
                "grpc-status: *[^0-9\r\n][ -~]{0,5}",
                "grpc-status: [0-9]{11,14}",
                "grpc-message: [ -~]{0,20}",
                "[a-z-]{0,12}: [ -~]{0,20}",
                "[ -~]{0,30}",
            ], 0..5),
            mut after in prop::collection::vec(any::<u8>(), 0..8),
            sizes in chunk_sizes(),
        ) {
            let text: String = lines.iter().map(|l| format!("{l}\r\n")).collect();
            let mut body: Vec<u8> = payloads.iter().flat_map(|p| frame(0, p)).collect();
            // As gRPC reads trailers: the last `grpc-status` line decides, and it must be a number.
            let status = lines
                .iter()
                .filter_map(|l| l.split_once(':'))
                .rfind(|(name, _)| name.eq_ignore_ascii_case("grpc-status"));
            let bad_trailers = status.is_none_or(|(_, v)| v.trim().parse::<u32>().is_err());
            body.extend(frame(TRAILER_FLAG, text.as_bytes()));
            if !bad_trailers && after.is_empty() {
                // Good trailers: the error to find is a byte after them.
                after.push(0);
            }
            body.extend(&after);
            let (frames, failed) = decode(&body, &sizes);
            prop_assert!(failed);
            let data: Vec<Frame> = payloads.iter().cloned().map(Frame::Data).collect();
            if bad_trailers {
                prop_assert_eq!(frames, data);
            }
            prop_assert!(split_unary_body(&body).is_err());
        }
    }
}
