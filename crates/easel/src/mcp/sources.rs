//! Where an MCP client's input images come from: a library id, an absolute or relative path, a `file://`
//! URL, a `data:` URL or raw base64 (https URLs: [`crate::download`], called by the tools). Each becomes a checked [`InputImage`] plus the label a turn records.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::imaging::{InputImage, decode_base64, parse_data_url};
use crate::library::Library;

/// A resolved input: the image and how the turn and metadata name it (library id or path).
pub struct Source {
    pub image: InputImage,
    pub label: String,
}

pub fn resolve(library: &Library, reference: &str, what: &str) -> Result<Source> {
    let r = reference.trim();
    if r.is_empty() {
        return Err(Error::InvalidInput(format!("{what} is empty")));
    }
    if r.starts_with("data:") {
        let (_, bytes) =
            parse_data_url(r).map_err(|e| Error::InvalidInput(format!("{what} is not a usable data URL: {e}")))?;
        return Ok(Source {
            image: InputImage::from_bytes(what, bytes)?,
            label: what.to_string(),
        });
    }
    if let Some(rest) = r.strip_prefix("file://") {
        let path = PathBuf::from(percent_decode(rest.strip_prefix("localhost").unwrap_or(rest)));
        return from_path(&path, what);
    }
    if r.starts_with("http://") || r.starts_with("https://") {
        // The tools fetch URLs themselves (`download::fetch`, async) before they get here.
        return Err(Error::InvalidInput(format!(
            "{what}: URLs are fetched by the tools, not here"
        )));
    }
    let path = Path::new(r);
    if path.is_absolute() {
        return from_path(path, what);
    }
    // A relative path names its file by extension (base64 has no '.'); it is relative to the server's
    // working directory (the project folder for Claude Code and Cursor).
    let image_ext = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["png", "jpg", "jpeg", "webp"].contains(&e.to_ascii_lowercase().as_str()));
    if image_ext {
        let cwd = std::env::current_dir().map_err(|e| Error::io("cannot read", "the working directory", e))?;
        return from_path(&cwd.join(path), what);
    }
    if r.len() <= 64 && !r.contains(['/', '\\']) {
        return match library.get(r) {
            Ok(record) => Ok(Source {
                image: InputImage::from_path(&record.path)?,
                label: record.id,
            }),
            Err(Error::UnknownId { .. }) => Err(Error::InvalidInput(format!(
                "{what} '{r}' is not a library image id; pass an id from search_images, an absolute path, a file:// URL, a data URL or base64"
            ))),
            Err(e) => Err(e),
        };
    }
    match decode_base64(r) {
        Ok(bytes) => Ok(Source {
            image: InputImage::from_bytes(what, bytes)?,
            label: what.to_string(),
        }),
        Err(_) => Err(Error::InvalidInput(format!(
            "{what} is neither a library id, a path to a .png/.jpg/.webp file, a file:// or https URL, a data URL nor base64"
        ))),
    }
}

fn from_path(path: &Path, what: &str) -> Result<Source> {
    if !path.is_absolute() {
        return Err(Error::InvalidInput(format!(
            "{what}: '{}' is not an absolute path",
            path.display()
        )));
    }
    Ok(Source {
        image: InputImage::from_path(path)?,
        label: path.display().to_string(),
    })
}

/// `%XX` escapes of a file URL path; anything malformed is kept as written.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn file_url_escapes_are_decoded() {
        assert_eq!(percent_decode("/tmp/a%20b.png"), "/tmp/a b.png");
        assert_eq!(percent_decode("/tmp/100%.png"), "/tmp/100%.png");
    }
}
