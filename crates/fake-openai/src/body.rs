//! Response bodies: JSON with multi-megabyte base64 spliced in without re-serialising it, SSE
//! framing, and scripted bodies that pause or drop the connection.

use std::collections::VecDeque;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use serde_json::Value;

/// A JSON placeholder that [`splice`] replaces with `blobs[index]`.
pub fn blob(index: usize) -> Value {
    Value::String(format!("\u{1}blob:{index}\u{1}"))
}

const OPEN: &[u8] = b"\"\\u0001blob:";
const CLOSE: &[u8] = b"\\u0001\"";

/// Serialise `value`, replacing each [`blob`] placeholder with the matching JSON string.
/// Blobs must not need JSON escaping (base64 does not).
pub fn splice(value: &Value, blobs: &[Bytes]) -> Vec<u8> {
    spliced_parts(value, blobs).concat()
}

/// [`splice`] as consecutive parts, the blobs among them shared rather than copied: a multi-megabyte
/// answer goes out without being copied into one buffer first.
pub fn spliced_parts(value: &Value, blobs: &[Bytes]) -> Vec<Bytes> {
    let text = Bytes::from(serde_json::to_vec(value).expect("JSON values always serialise"));
    let mut parts = Vec::new();
    let mut rest = text.clone();
    while let Some(start) = find(&rest, OPEN) {
        let after = start + OPEN.len();
        let Some(end) = find(&rest[after..], CLOSE) else { break };
        let index = std::str::from_utf8(&rest[after..after + end])
            .ok()
            .and_then(|s| s.parse::<usize>().ok());
        match index.and_then(|i| blobs.get(i)) {
            Some(b) => {
                parts.push(rest.slice(..start + 1)); // up to and with the opening quote
                parts.push(b.clone());
                parts.push(Bytes::from_static(b"\""));
            }
            None => {
                parts.push(rest.slice(..start));
                parts.push(Bytes::from_static(b"null"));
            }
        }
        rest = rest.slice(after + end + CLOSE.len()..);
    }
    parts.push(rest);
    parts.retain(|p| !p.is_empty());
    parts
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One SSE event: `event: <type>\ndata: <json>\n\n`.
pub fn sse_event(event: &str, data: &Value, blobs: &[Bytes]) -> Bytes {
    let json = splice(data, blobs);
    let mut out = Vec::with_capacity(json.len() + event.len() + 16);
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(event.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    out.extend_from_slice(&json);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// One step of a scripted body.
pub enum Step {
    Data(Bytes),
    Sleep(Duration),
    /// Fail the body: the server drops the connection without finishing the response.
    Abort,
}

/// One SSE event handed to the connection: its type, and when, on the monotonic clock (for
/// benchmarks in the same process) and on the wall clock (for another process on the same machine,
/// such as a desktop app's window).
#[derive(Clone, Debug)]
pub struct Sent {
    pub event: String,
    pub at: std::time::Instant,
    pub wall: std::time::SystemTime,
}

impl Sent {
    /// Milliseconds since the Unix epoch (fractional), the unit of JavaScript's `Date.now()`.
    pub fn wall_ms(&self) -> f64 {
        self.wall
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }
}

/// Every SSE event handed to a connection so far, in order.
pub type SentLog = std::sync::Arc<std::sync::Mutex<Vec<Sent>>>;

/// The `event:` name of one framed SSE event.
fn event_name(bytes: &[u8]) -> String {
    let line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    String::from_utf8_lossy(line.strip_prefix(b"event: ").unwrap_or_default()).into_owned()
}

/// A streaming body that plays `steps` in order, noting in `sent` when each data step goes out.
pub fn scripted(steps: Vec<Step>, sent: Option<SentLog>) -> Body {
    let stream = futures_util::stream::unfold(VecDeque::from(steps), move |mut queue| {
        let sent = sent.clone();
        async move {
            loop {
                match queue.pop_front()? {
                    Step::Sleep(d) => tokio::time::sleep(d).await,
                    Step::Data(bytes) => {
                        if let Some(log) = &sent {
                            log.lock().unwrap_or_else(|e| e.into_inner()).push(Sent {
                                event: event_name(&bytes),
                                at: std::time::Instant::now(),
                                wall: std::time::SystemTime::now(),
                            });
                        }
                        return Some((Ok(bytes), queue));
                    }
                    Step::Abort => {
                        queue.clear();
                        let err = std::io::Error::new(
                            std::io::ErrorKind::ConnectionAborted,
                            "fake-openai: truncated by fault",
                        );
                        return Some((Err(err), queue));
                    }
                }
            }
        }
    });
    Body::from_stream(stream)
}

/// A 200 JSON answer; with `truncate`, the declared length is sent but the body stops halfway
/// and the connection drops.
pub fn json_response(value: &Value, blobs: &[Bytes], truncate: bool) -> Response {
    let parts = spliced_parts(value, blobs);
    let len: usize = parts.iter().map(Bytes::len).sum();
    let body = if truncate {
        let mut bytes = Bytes::from(parts.concat());
        let half = bytes.split_to(len / 2);
        scripted(vec![Step::Data(half), Step::Abort], None)
    } else {
        scripted(parts.into_iter().map(Step::Data).collect(), None)
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    response
}

/// A `text/event-stream` answer playing `steps`.
pub fn sse_response(steps: Vec<Step>, sent: SentLog) -> Response {
    let mut response = Response::new(scripted(steps, Some(sent)));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn splices_blobs_in_place() {
        let value = json!({"data": [{"b64_json": blob(0)}, {"b64_json": blob(1)}], "n": 2});
        let out = splice(&value, &[Bytes::from("QUJD"), Bytes::from("REVG")]);
        let parsed: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(parsed["data"][0]["b64_json"], "QUJD");
        assert_eq!(parsed["data"][1]["b64_json"], "REVG");
        assert_eq!(parsed["n"], 2);
        let parts = spliced_parts(&value, &[Bytes::from("QUJD"), Bytes::from("REVG")]);
        assert_eq!(parts.concat(), out);
        assert!(
            parts.iter().any(|p| p == "QUJD"),
            "blobs go out as parts of their own: {parts:?}"
        );
        let unknown = splice(&json!({"a": blob(7)}), &[]);
        assert_eq!(unknown, b"{\"a\":null}");
    }

    #[test]
    fn sse_framing() {
        let ev = sse_event("x.y", &json!({"type": "x.y"}), &[]);
        assert_eq!(&ev[..], b"event: x.y\ndata: {\"type\":\"x.y\"}\n\n");
    }
}
