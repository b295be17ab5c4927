//! The `easel:` URI scheme: gallery thumbnails and full images, by library id only. The web content can
//! never name a path, so nothing outside the library can be read through it. Thumbnails are made on
//! demand (and cached by the core); the MIME type is sniffed from the bytes, since a cached thumbnail
//! is JPEG or WebP under one file name.
//!
//! `easel://localhost/thumb/<id>` and `easel://localhost/image/<id>` (`http://easel.localhost/…` on
//! Windows), as `convertFileSrc('thumb/<id>', 'easel')` builds them in the UI.

use std::sync::Arc;

use easel::library::Library;
use easel::models::OutputFormat;
use easel::thumbs::THUMB_EDGE;
use tauri::http::{Response, StatusCode, header};

pub const SCHEME: &str = "easel";

/// What a request asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Media<'a> {
    Thumb(&'a str),
    Image(&'a str),
}

impl<'a> Media<'a> {
    /// `/thumb/<id>` or `/image/<id>` (already percent-decoded); ids are letters, digits, `-` and `_` only.
    pub fn parse(path: &'a str) -> Option<Media<'a>> {
        let (kind, id) = path.trim_start_matches('/').split_once('/')?;
        let valid =
            !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return None;
        }
        match kind {
            "thumb" => Some(Media::Thumb(id)),
            "image" => Some(Media::Image(id)),
            _ => None,
        }
    }
}

/// `convertFileSrc` percent-encodes its argument (`thumb/x` → `thumb%2Fx`); undo that. `None` for
/// malformed escapes or a result that is not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The bytes and MIME type for `media`.
pub fn load(library: &Library, media: &Media<'_>) -> easel::Result<(Vec<u8>, &'static str)> {
    let path = match media {
        Media::Thumb(id) => library.thumbnail(id, THUMB_EDGE)?,
        Media::Image(id) => library.get(id)?.path,
    };
    let bytes = std::fs::read(&path).map_err(|e| easel::Error::io("cannot read", &path, e))?;
    let mime = OutputFormat::sniff(&bytes).map_or("application/octet-stream", |f| f.mime());
    Ok((bytes, mime))
}

/// Answers one request (on a blocking thread: it may decode and resize an image).
pub fn respond(library: Arc<Library>, path: &str) -> Response<Vec<u8>> {
    let answer = |status: StatusCode, mime: &str, body: Vec<u8>| {
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, mime)
            // an id always names the same bytes
            .header(header::CACHE_CONTROL, "max-age=31536000, immutable")
            .body(body)
            .expect("a valid response")
    };
    let decoded = percent_decode(path).unwrap_or_default();
    let Some(media) = Media::parse(&decoded) else {
        return answer(
            StatusCode::BAD_REQUEST,
            "text/plain",
            b"not an Easel media path".to_vec(),
        );
    };
    match load(&library, &media) {
        Ok((bytes, mime)) => answer(StatusCode::OK, mime, bytes),
        Err(easel::Error::UnknownId { .. }) => answer(StatusCode::NOT_FOUND, "text/plain", b"no such image".to_vec()),
        Err(e) => {
            tracing::warn!("media {path}: {e}");
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain",
                e.to_string().into_bytes(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convert_file_src_paths_are_decoded() {
        assert_eq!(percent_decode("/thumb%2Fabc").as_deref(), Some("/thumb/abc"));
        assert_eq!(percent_decode("/image/abc").as_deref(), Some("/image/abc"));
        assert_eq!(percent_decode("/thumb%2F%2E%2E"), Some("/thumb/..".into()));
        assert_eq!(percent_decode("/bad%zz"), None);
        assert_eq!(percent_decode("/cut%2"), None);
    }

    #[test]
    fn only_ids_of_the_two_kinds_are_accepted() {
        assert_eq!(Media::parse("/thumb/abc_12-x"), Some(Media::Thumb("abc_12-x")));
        assert_eq!(Media::parse("/image/abc"), Some(Media::Image("abc")));
        for bad in [
            "/thumb/",
            "/thumb/../x",
            "/image/a/b",
            "/file/abc",
            "/thumb/%2e%2e",
            "thumb",
            "/",
        ] {
            assert_eq!(Media::parse(bad), None, "{bad}");
        }
    }
}
