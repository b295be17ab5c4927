//! The first image of a JSON answer, base64-decoded while the answer is still arriving.
//!
//! A 1024² PNG answer is ~3.7 MB of JSON, nearly all of it one `b64_json` string. Waiting for the whole
//! body, then parsing it, then decoding it puts the transfer and the parse in front of whatever looks at
//! the pixels (the MCP preview's PNG inflate, the longest step of a call). [`Scan`] finds the first
//! `"b64_json"` string in the bytes received so far and decodes it in whole 4-character groups as they
//! come, handing the pieces to the receiving end of an [`EarlyImage`].
//!
//! This is a look-ahead, not the parse: the answer is still parsed whole with serde_json. When the parse's
//! first image string is exactly the span the scan decoded (same place in the body, same length), the scan's
//! bytes are that image (no second decode) and the [`EarlyImage`] is confirmed; otherwise the parse decodes
//! as before and whatever was made from the pieces must be thrown away. Anything that does not look like
//! plain base64 (an escape, another character) ends the stream early, unconfirmed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};

use bytes::Bytes;

/// The sending end of [`early_image`], lent to a call through [`super::Control::first_image`].
pub struct EarlyImage {
    tx: Mutex<Option<mpsc::Sender<Bytes>>>,
    confirmed: AtomicBool,
}

/// A pair: the client sends the first image's bytes in pieces; the receiver sees the end of the stream when
/// the string ended, the scan gave up, or the [`EarlyImage`] was dropped.
pub fn early_image() -> (EarlyImage, mpsc::Receiver<Bytes>) {
    let (tx, rx) = mpsc::channel();
    let early = EarlyImage {
        tx: Mutex::new(Some(tx)),
        confirmed: AtomicBool::new(false),
    };
    (early, rx)
}

impl EarlyImage {
    fn send(&self, bytes: Bytes) {
        let mut tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        if tx.as_ref().is_some_and(|t| t.send(bytes).is_err()) {
            *tx = None;
        }
    }

    /// No more bytes: the receiver sees the end of the stream.
    pub fn end(&self) {
        self.tx.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    /// Whether the call's first image is exactly the bytes that were sent, in full: only then may anything
    /// made from them stand for that image.
    pub fn confirmed(&self) -> bool {
        self.confirmed.load(Ordering::Acquire)
    }
}

const KEY: &[u8] = b"\"b64_json\"";
/// Base64 text decoded per piece at least (fewer, larger messages), except the string's last piece.
const PIECE: usize = 64 * 1024;

/// The scan of a growing body: where it stands, where the string's text began, what it decoded.
pub(super) struct Scan {
    state: State,
    text_start: usize,
    pieces: Vec<Bytes>,
}

#[derive(Debug, PartialEq, Eq)]
enum State {
    /// Looking for the key from this offset.
    Seeking(usize),
    /// Inside the string: base64 text from `at` is not decoded yet; up to `clean` it has no quote or
    /// backslash.
    Decoding { at: usize, clean: usize },
    /// The whole string was decoded and sent; its closing quote is at this offset.
    Complete(usize),
    /// Gave up (or the answer ended first): what was sent is not the whole image.
    Stopped,
}

impl Scan {
    pub fn new() -> Scan {
        Scan {
            state: State::Seeking(0),
            text_start: 0,
            pieces: Vec::new(),
        }
    }

    /// Look at `body` (everything received so far, a prefix of the answer) and send what can be decoded.
    pub fn advance(&mut self, body: &[u8], out: &EarlyImage) {
        loop {
            match self.state {
                State::Seeking(from) => match memchr::memmem::find(&body[from..], KEY) {
                    None => {
                        self.state = State::Seeking(body.len().saturating_sub(KEY.len() - 1).max(from));
                        return;
                    }
                    Some(at) => match string_start(&body[from + at + KEY.len()..]) {
                        Start::Later => {
                            self.state = State::Seeking(from + at);
                            return;
                        }
                        Start::No => self.state = State::Seeking(from + at + 1),
                        Start::At(skip) => {
                            let at = from + at + KEY.len() + skip;
                            self.text_start = at;
                            self.state = State::Decoding { at, clean: at };
                        }
                    },
                },
                State::Decoding { at, clean } => {
                    let text = &body[at..];
                    let stop = memchr::memchr2(b'"', b'\\', &body[clean..]).map(|i| clean - at + i);
                    match stop {
                        Some(end) if text[end] == b'"' => match base64_simd::forgiving_decode_to_vec(&text[..end]) {
                            Ok(bytes) => {
                                self.send(Bytes::from(bytes), out);
                                self.state = State::Complete(at + end);
                                out.end();
                            }
                            Err(_) => self.stop(out),
                        },
                        Some(_) => self.stop(out),
                        None if text.len() >= PIECE => {
                            let whole = text.len() / 4 * 4;
                            // No padding mid-string: the parse's forgiving decode refuses it there too.
                            match base64_simd::STANDARD_NO_PAD.decode_to_vec(&text[..whole]) {
                                Ok(bytes) => {
                                    self.send(Bytes::from(bytes), out);
                                    self.state = State::Decoding {
                                        at: at + whole,
                                        clean: body.len(),
                                    };
                                }
                                Err(_) => self.stop(out),
                            }
                        }
                        None => self.state = State::Decoding { at, clean: body.len() },
                    }
                    return;
                }
                State::Complete(_) | State::Stopped => return,
            }
        }
    }

    fn send(&mut self, piece: Bytes, out: &EarlyImage) {
        self.pieces.push(piece.clone());
        out.send(piece);
    }

    fn stop(&mut self, out: &EarlyImage) {
        self.state = State::Stopped;
        self.pieces = Vec::new();
        out.end();
    }

    /// The answer ended: whatever was not sent will not be.
    pub fn finish(&mut self, out: &EarlyImage) {
        if !matches!(self.state, State::Complete(_)) {
            self.stop(out);
        }
    }

    /// The decoded bytes of `text`, the parse's first image string, if it is the very span this scan
    /// decoded in `body`; the [`EarlyImage`] is then confirmed. `None` leaves decoding to the caller.
    pub fn image_for(&mut self, body: &[u8], text: &[u8], out: &EarlyImage) -> Option<Bytes> {
        let State::Complete(end) = self.state else {
            return None;
        };
        let span = body.get(self.text_start..end)?;
        if text.as_ptr() != span.as_ptr() || text.len() != span.len() {
            return None;
        }
        let pieces = std::mem::take(&mut self.pieces);
        self.state = State::Stopped;
        let bytes = match <[Bytes; 1]>::try_from(pieces) {
            Ok([one]) => one,
            Err(pieces) => Bytes::from(pieces.concat()),
        };
        out.confirmed.store(true, Ordering::Release);
        Some(bytes)
    }
}

enum Start {
    /// The string's text starts this many bytes after the key.
    At(usize),
    /// Not a key followed by a string.
    No,
    /// Not enough bytes yet to tell.
    Later,
}

/// After `"b64_json"`: optional whitespace, `:`, optional whitespace, `"`.
fn string_start(after: &[u8]) -> Start {
    let mut expect = [b':', b'"'].into_iter().peekable();
    for (i, &b) in after.iter().enumerate() {
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            continue;
        }
        match expect.next() {
            Some(e) if e == b => {
                if expect.peek().is_none() {
                    return Start::At(i + 1);
                }
            }
            _ => return Start::No,
        }
    }
    Start::Later
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        base64_simd::STANDARD.encode_to_string(bytes)
    }

    /// Feed `body` to a scan `step` bytes at a time; what the receiver got.
    fn scanned(body: &[u8], step: usize) -> Vec<u8> {
        let (tx, rx) = early_image();
        let mut scan = Scan::new();
        let mut end = 0;
        while end < body.len() {
            end = (end + step).min(body.len());
            scan.advance(&body[..end], &tx);
        }
        scan.finish(&tx);
        rx.iter().flatten().collect()
    }

    fn image(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    #[test]
    fn the_first_image_arrives_whole_however_the_body_is_cut() {
        for len in [0, 1, 2, 3, 4, 5, 200_000, 200_001, 200_002] {
            let img = image(len);
            let body = format!(
                r#"{{"created":1,"data":[{{"b64_json":"{}"}},{{"b64_json":"QUJD"}}],"usage":{{}}}}"#,
                b64(&img)
            );
            for step in [1, 7, 4096, 65_537, body.len()] {
                if len > 5 && step < 4096 {
                    continue; // byte-at-a-time over 270 KB of text is slow and adds nothing
                }
                assert_eq!(scanned(body.as_bytes(), step), img, "len {len}, step {step}");
            }
        }
    }

    #[test]
    fn pretty_printed_and_unpadded_answers_are_read() {
        let img = image(100_001);
        let text = b64(&img);
        let body = format!(
            "{{\n  \"data\": [\n    {{\n      \"b64_json\" :\n \"{}\"\n    }}\n  ]\n}}",
            text.trim_end_matches('=')
        );
        assert_eq!(scanned(body.as_bytes(), 1000), img);
    }

    #[test]
    fn anything_but_plain_base64_ends_the_stream_short() {
        let img = image(300_000);
        let text = b64(&img);
        // JSON allows `\/` for `/`; the scan does not unescape, it stops.
        let escaped = text.replacen('/', "\\/", 1);
        let cut = escaped.find('\\').unwrap() / 4 * 4;
        for (body, at_most) in [
            (format!(r#"{{"data":[{{"b64_json":"{escaped}"}}]}}"#), cut),
            (
                format!(
                    r#"{{"data":[{{"b64_json":"{}*{}"}}]}}"#,
                    &text[..100_000],
                    &text[100_000..]
                ),
                100_000,
            ),
        ] {
            let got = scanned(body.as_bytes(), 70_000);
            assert!(
                got.len() < img.len() && got.len() <= at_most / 4 * 3,
                "{} bytes",
                got.len()
            );
            assert_eq!(got[..], img[..got.len()]);
        }
    }

    #[test]
    fn the_parsed_first_image_takes_the_scanned_bytes_only_when_it_is_the_scanned_span() {
        let img = image(150_000);
        let body = format!(r#"{{"data":[{{"b64_json":"{}"}},{{"b64_json":"QUJD"}}]}}"#, b64(&img));
        let body = body.as_bytes();
        let scan = |body: &[u8]| {
            let (tx, rx) = early_image();
            let mut scan = Scan::new();
            for end in (0..body.len()).step_by(30_000).chain([body.len()]) {
                scan.advance(&body[..end], &tx);
            }
            scan.finish(&tx);
            (scan, tx, rx)
        };
        let parsed: super::super::wire::ImagesResponse = serde_json::from_slice(body).unwrap();
        let text = |i: usize| match &parsed.data[i].b64_json.as_ref().unwrap().0 {
            std::borrow::Cow::Borrowed(t) => *t,
            std::borrow::Cow::Owned(_) => panic!("the string was copied, not borrowed"),
        };

        // Another string, or the same text somewhere else: not the scanned span.
        let (mut other, tx, _rx) = scan(body);
        assert_eq!(other.image_for(body, text(1), &tx), None);
        let copy = text(0).to_vec();
        assert_eq!(other.image_for(body, &copy, &tx), None);
        assert!(!tx.confirmed());

        let (mut first, tx, rx) = scan(body);
        assert_eq!(first.image_for(body, text(0), &tx).as_deref(), Some(&img[..]));
        assert!(tx.confirmed());
        assert_eq!(
            rx.iter().flatten().collect::<Vec<u8>>(),
            img,
            "the receiver got the same bytes"
        );

        // An answer that ended inside the string is never complete.
        let (mut cut, tx, _rx) = scan(&body[..body.len() / 2]);
        assert_eq!(cut.image_for(body, text(0), &tx), None);
        assert!(!tx.confirmed());
    }

    #[test]
    fn padding_inside_the_string_stops_the_scan_as_the_parse_would_refuse_it() {
        let text = format!("{}QQ=={}", "AAAA".repeat(16_383), "AAAA".repeat(100));
        assert!(base64_simd::forgiving_decode_to_vec(text.as_bytes()).is_err());
        let body = format!(r#"{{"data":[{{"b64_json":"{text}"}}]}}"#);
        let cut = body.find("QQ==").unwrap() + 4;
        let (tx, _rx) = early_image();
        let mut scan = Scan::new();
        scan.advance(&body.as_bytes()[..cut], &tx);
        scan.advance(body.as_bytes(), &tx);
        scan.finish(&tx);
        assert_eq!(scan.state, State::Stopped);
    }

    #[test]
    fn keys_that_are_not_followed_by_a_string_are_passed_over() {
        let img = image(10);
        let body = format!(
            r#"{{"note":"\"b64_json\" is below","b64_json":null,"data":[{{"b64_json":"{}"}}]}}"#,
            b64(&img)
        );
        assert_eq!(scanned(body.as_bytes(), 3), img);
        assert_eq!(scanned(br#"{"data":[{"url":"https://x/y.png"}]}"#, 5), Vec::<u8>::new());
    }
}
