//! What the fake received: [`Recorded`] requests, their multipart [`Part`]s, and the log.

use std::sync::Mutex;
use std::time::Instant;

use axum::http::request::Parts as HttpParts;
use bytes::Bytes;
use serde_json::{Value, json};

/// One API request as received, plus the status the fake answered with.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Header names are lower-cased.
    pub headers: Vec<(String, String)>,
    /// Raw body as received.
    pub body: Bytes,
    /// Parsed body when the content type is JSON and it parses.
    pub json: Option<Value>,
    /// Parsed multipart parts, in order.
    pub parts: Vec<Part>,
    pub received_at: Instant,
    pub status: u16,
}

/// One multipart part.
#[derive(Clone, Debug)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Bytes,
}

impl Recorded {
    /// A header's value, looked up case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All multipart parts with this name, in order.
    pub fn parts_named(&self, name: &str) -> Vec<&Part> {
        self.parts.iter().filter(|p| p.name == name).collect()
    }

    /// A multipart text field's value (the first part with this name).
    pub fn text(&self, name: &str) -> Option<String> {
        self.parts
            .iter()
            .find(|p| p.name == name)
            .map(|p| String::from_utf8_lossy(&p.data).into_owned())
    }

    pub(crate) fn is_multipart(&self) -> bool {
        self.header("content-type")
            .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("multipart/form-data"))
    }

    pub(crate) fn is_json(&self) -> bool {
        self.header("content-type")
            .is_some_and(|ct| ct.to_ascii_lowercase().contains("json"))
    }

    /// The admin view: like the struct, but parts by length and pixel size instead of bytes.
    pub(crate) fn summary(&self) -> Value {
        let mut headers = serde_json::Map::new();
        for (k, v) in &self.headers {
            match headers.get_mut(k) {
                Some(Value::String(prev)) => *prev = format!("{prev}, {v}"),
                _ => {
                    headers.insert(k.clone(), json!(v));
                }
            }
        }
        let parts: Vec<Value> = self
            .parts
            .iter()
            .map(|p| {
                let mut obj = json!({
                    "name": p.name,
                    "filename": p.filename,
                    "content_type": p.content_type,
                    "len": p.data.len(),
                });
                if p.filename.is_some() || p.content_type.is_some() {
                    let reader = image::ImageReader::new(std::io::Cursor::new(&p.data[..]));
                    if let Ok((w, h)) = reader
                        .with_guessed_format()
                        .and_then(|r| r.into_dimensions().map_err(|e| std::io::Error::other(e.to_string())))
                    {
                        obj["width"] = json!(w);
                        obj["height"] = json!(h);
                    }
                }
                obj
            })
            .collect();
        json!({
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": headers,
            "json": self.json,
            "parts": parts,
            "status": self.status,
        })
    }
}

/// Capture a request: headers, raw body, JSON and multipart parses. The multipart error, if
/// any, is returned so the handler can answer 400.
pub(crate) async fn capture(head: &HttpParts, body: Bytes) -> (Recorded, Option<String>) {
    let headers = head
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut rec = Recorded {
        method: head.method.to_string(),
        path: head.uri.path().to_string(),
        query: head.uri.query().map(str::to_string),
        headers,
        body,
        json: None,
        parts: Vec::new(),
        received_at: Instant::now(),
        status: 0,
    };
    let mut multipart_error = None;
    if rec.is_multipart() {
        match parse_multipart(&rec).await {
            Ok(parts) => rec.parts = parts,
            Err(e) => multipart_error = Some(e),
        }
    } else if rec.is_json() {
        rec.json = serde_json::from_slice(&rec.body).ok();
    }
    (rec, multipart_error)
}

async fn parse_multipart(rec: &Recorded) -> Result<Vec<Part>, String> {
    let content_type = rec.header("content-type").unwrap_or_default();
    let boundary = multer::parse_boundary(content_type).map_err(|e| e.to_string())?;
    let body = rec.body.clone();
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut parts = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| e.to_string())? {
        let name = field.name().unwrap_or_default().to_string();
        let filename = field.file_name().map(str::to_string);
        let content_type = field.content_type().map(|m| m.to_string());
        let data = field.bytes().await.map_err(|e| e.to_string())?;
        parts.push(Part {
            name,
            filename,
            content_type,
            data,
        });
    }
    Ok(parts)
}

/// The in-order request log. Entries are pushed on arrival and get their status on answer.
#[derive(Default)]
pub(crate) struct Log {
    entries: Mutex<(u64, Vec<(u64, Recorded)>)>,
}

impl Log {
    pub fn push(&self, rec: Recorded) -> u64 {
        let mut guard = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        guard.0 += 1;
        let seq = guard.0;
        guard.1.push((seq, rec));
        seq
    }

    pub fn set_status(&self, seq: u64, status: u16) {
        let mut guard = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, rec)) = guard.1.iter_mut().find(|(s, _)| *s == seq) {
            rec.status = status;
        }
    }

    pub fn all(&self) -> Vec<Recorded> {
        let guard = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        guard.1.iter().map(|(_, r)| r.clone()).collect()
    }

    pub fn clear(&self) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).1.clear();
    }
}
