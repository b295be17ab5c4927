//! Files on disk: where an image goes and how it gets there atomically (temp file in the same
//! folder → write → fsync → rename → fsync the folder), so a reader never sees a partial file and a
//! crash leaves at most a hidden temp file behind.
//!
//! On Linux a durable write of an image-sized file goes around the page cache (`O_DIRECT`): it has to
//! reach the disk before the fsync returns anyway, and copying it into fresh cache pages first was most
//! of a save's CPU (6 ms of 7.6 for a 2.7 MB PNG on the 2-core VM, against 0.5 ms direct; BENCHMARKS.md).
//! File systems that refuse direct I/O (`EINVAL`: some FUSE and network ones, tmpfs before Linux 6.6) get
//! the ordinary write.

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
    #[cfg(target_os = "linux")]
    if durable && bytes.len() >= DIRECT_MIN_BYTES {
        match direct::write(tmp.path(), bytes) {
            Ok(()) => return Ok((dir, tmp)),
            Err(e) if direct::unsupported(&e) => {
                tracing::debug!("direct write refused ({e}); writing through the page cache");
                tmp.as_file()
                    .set_len(0)
                    .map_err(|e| Error::io("cannot write", tmp.path(), e))?;
            }
            Err(e) => return Err(Error::io("cannot write", tmp.path(), e)),
        }
    }
    tmp.write_all(bytes)
        .map_err(|e| Error::io("cannot write", tmp.path(), e))?;
    if durable {
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::io("cannot flush", tmp.path(), e))?;
    }
    Ok((dir, tmp))
}

/// Durable writes from this size on skip the page cache (Linux; see the module docs).
#[cfg(target_os = "linux")]
const DIRECT_MIN_BYTES: usize = 256 * 1024;

#[cfg(target_os = "linux")]
mod direct {
    use std::io::{self, Write};
    use std::os::unix::fs::OpenOptionsExt;
    use std::path::Path;

    /// Direct I/O wants the buffer, the length and the offset aligned to the device's logical block
    /// (512 or 4096 bytes); 4096 suits both.
    const ALIGN: usize = 4096;

    /// `bytes` into the (empty) file at `path` with `O_DIRECT`, then fsynced: the last block is padded and the
    /// file cut back to its length.
    pub(super) fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_DIRECT)
            .open(path)?;
        let padded = bytes.len().div_ceil(ALIGN) * ALIGN;
        let mut buf = vec![0u8; padded + ALIGN];
        let start = buf.as_ptr().align_offset(ALIGN);
        let aligned = &mut buf[start..start + padded];
        aligned[..bytes.len()].copy_from_slice(bytes);
        (&file).write_all(aligned)?;
        file.set_len(bytes.len() as u64)?;
        file.sync_all()
    }

    /// The file system does not do direct I/O (or not with this alignment).
    pub(super) fn unsupported(e: &io::Error) -> bool {
        e.raw_os_error() == Some(libc::EINVAL)
    }
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
    fn large_durable_writes_are_exact_at_every_length_around_a_block() {
        let dir = tempfile::tempdir().unwrap();
        // Around the direct-write threshold and the 4096-byte blocks it pads to.
        for len in [
            DIRECT_MIN_BYTES - 1,
            DIRECT_MIN_BYTES,
            DIRECT_MIN_BYTES + 1,
            2_700_001,
            3 * 4096 * 100,
        ] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let path = dir.path().join(format!("{len}.png"));
            write_atomic(&path, &bytes, true).unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), bytes, "{len} bytes");
        }
    }

    /// Pages of the file at `path` that are in the page cache.
    #[cfg(target_os = "linux")]
    fn cached_pages(path: &Path) -> usize {
        use std::os::fd::AsRawFd;
        let file = std::fs::File::open(path).unwrap();
        let len = file.metadata().unwrap().len() as usize;
        let pages = len.div_ceil(4096);
        let mut resident = vec![0u8; pages];
        // SAFETY: a read-only shared mapping of a file we keep open, inspected with mincore (which only
        // writes `pages` bytes into `resident`) and unmapped before returning; its memory is never read.
        unsafe {
            let addr = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            );
            assert_ne!(addr, libc::MAP_FAILED);
            assert_eq!(libc::mincore(addr, len, resident.as_mut_ptr()), 0);
            libc::munmap(addr, len);
        }
        resident.iter().filter(|&&r| r & 1 == 1).count()
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn durable_image_writes_skip_the_page_cache() {
        // Next to the test binary, on a disk: /tmp may be tmpfs, which is the page cache itself.
        let exe = std::env::current_exe().unwrap();
        let dir = tempfile::tempdir_in(exe.parent().unwrap()).unwrap();
        let bytes = vec![9u8; 1_000_000];
        let (direct, buffered) = (dir.path().join("direct.png"), dir.path().join("buffered.png"));
        write_atomic(&direct, &bytes, true).unwrap();
        write_atomic(&buffered, &bytes, false).unwrap();
        assert_eq!(cached_pages(&direct), 0, "written around the cache");
        assert_eq!(cached_pages(&buffered), 245, "not durable: an ordinary write");
        assert_eq!(std::fs::read(&direct).unwrap(), bytes);
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
