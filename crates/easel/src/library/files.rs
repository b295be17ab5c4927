//! Files on disk: where an image goes and how it gets there atomically (temp file in the same
//! folder → write → fsync → rename → fsync the folder), so a reader never sees a partial file and a
//! crash leaves at most a hidden temp file behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::openai::ImageOut;

/// Prefix of in-flight temp files; anything with it is never a finished image.
pub const TEMP_PREFIX: &str = ".easel-tmp-";

/// Write `bytes` to `path` atomically. `durable` adds the fsyncs (file and folder).
/// Never replaces an existing file: a name clash is an error, not a silent overwrite.
pub fn write_atomic(path: &Path, bytes: &[u8], durable: bool) -> Result<()> {
    let (dir, tmp) = written_temp(path, bytes, durable)?;
    tmp.persist_noclobber(path)
        .map_err(|e| Error::io("cannot move the finished file to", path, e.error))?;
    if durable {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Replace `path` (or create it) atomically: readers see the old file or the new one, never a mix.
/// For small files that are rewritten whole, such as settings; the file is fsynced before the rename.
pub fn replace_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let (_, tmp) = written_temp(path, bytes, true)?;
    tmp.persist(path)
        .map_err(|e| Error::io("cannot replace", path, e.error))?;
    Ok(())
}

/// A temp file holding `bytes` in `path`'s folder (created if missing), fsynced when `durable`.
fn written_temp<'p>(path: &'p Path, bytes: &[u8], durable: bool) -> Result<(&'p Path, tempfile::NamedTempFile)> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create folder", dir, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .map_err(|e| Error::io("cannot create a temporary file in", dir, e))?;
    tmp.write_all(bytes)
        .map_err(|e| Error::io("cannot write", tmp.path(), e))?;
    if durable {
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::io("cannot flush", tmp.path(), e))?;
    }
    Ok((dir, tmp))
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("cannot flush folder", dir, e))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<()> {
    Ok(())
}

/// An image written to the library.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Saved {
    pub id: String,
    pub path: PathBuf,
}

/// Save received images under `root` with the library layout, each atomically and durably.
/// The bytes are written exactly as received (never recompressed).
pub fn save_images(root: &Path, prompt: &str, images: &[ImageOut]) -> Result<Vec<Saved>> {
    let now = jiff::Zoned::now();
    images
        .iter()
        .map(|image| {
            let id = new_id();
            let path = root.join(relative_image_path(&now, prompt, &id, image.format.extension()));
            write_atomic(&path, &image.bytes, true)?;
            Ok(Saved { id, path })
        })
        .collect()
}

/// A new short image id: 12 lowercase base32 characters (60 random bits).
pub fn new_id() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let mut v = fastrand::u64(..);
    (0..12)
        .map(|_| {
            let c = ALPHABET[(v & 31) as usize] as char;
            v >>= 5;
            c
        })
        .collect()
}

/// A file-name-safe summary of the prompt: lowercase ASCII words joined by '-', at most 40 characters.
pub fn slug(prompt: &str) -> String {
    let mut out = String::new();
    for word in prompt
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_ascii_lowercase();
        let extra = if out.is_empty() { word.len() } else { word.len() + 1 };
        if out.len() + extra > 40 {
            if out.is_empty() {
                out.push_str(&word[..40]);
            }
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word);
    }
    if out.is_empty() { "image".into() } else { out }
}

/// `YYYY/MM/<YYYYMMDD-HHMMSS>-<slug>-<id>.<ext>`, relative to the library root, in local time.
pub fn relative_image_path(at: &jiff::Zoned, prompt: &str, id: &str, ext: &str) -> PathBuf {
    PathBuf::from(at.strftime("%Y").to_string())
        .join(at.strftime("%m").to_string())
        .join(format!("{}-{}-{id}.{ext}", at.strftime("%Y%m%d-%H%M%S"), slug(prompt)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_safe_and_short() {
        assert_eq!(slug("A red fox, in the snow!"), "a-red-fox-in-the-snow");
        assert_eq!(slug("   "), "image");
        assert_eq!(slug("日本の猫"), "image");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        let long = slug(&"word ".repeat(50));
        assert!(long.len() <= 40 && !long.ends_with('-'), "{long}");
        assert_eq!(slug(&"x".repeat(100)).len(), 40);
    }

    #[test]
    fn paths_follow_the_layout() {
        let at: jiff::Zoned = "2026-11-22T04:05:06[UTC]".parse().unwrap();
        let p = relative_image_path(&at, "A cat", "abc123def456", "png");
        assert_eq!(p, PathBuf::from("2026/11/20261122-040506-a-cat-abc123def456.png"));
        let id = new_id();
        assert_eq!(id.len(), 12);
        assert_ne!(id, new_id());
    }

    #[test]
    fn atomic_write_never_clobbers_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2026/11/a.png");
        write_atomic(&path, b"one", true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        let e = write_atomic(&path, b"two", false).unwrap_err().to_string();
        assert!(e.contains("cannot move"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"one", "existing file untouched");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(leftovers, vec!["a.png".to_string()]);
    }
}
