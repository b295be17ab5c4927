//! Rebuilding the index from the files alone: every image under the root (and in the trash) is read
//! for its embedded metadata (or sidecar) and indexed again. Unreadable, truncated or foreign files
//! are skipped and reported, never fatal.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::db::{now_ms, record_change};
use super::files::TEMP_PREFIX;
use super::images::insert_row;
use super::{EASEL_DIR, Library, TRASH_DIR};
use crate::error::Result;
use crate::metadata::{self, ImageMeta};
use crate::models::OutputFormat;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ReindexReport {
    pub indexed: usize,
    /// Files that were not indexed, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
}

/// Image files under `dir`, skipping Easel's own folder (except the trash) and temp files.
pub(super) fn image_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(TEMP_PREFIX) {
            continue;
        }
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let in_easel = rel.starts_with(EASEL_DIR);
            if !in_easel || rel.starts_with(TRASH_DIR) || Path::new(TRASH_DIR).starts_with(rel) {
                image_files(root, &path, out);
            }
        } else if kind.is_file()
            && path
                .extension()
                .and_then(|e| e.to_str())
                .and_then(OutputFormat::from_extension)
                .is_some()
        {
            out.push(path);
        }
    }
}

/// Cheap structural check that an image file is complete (no pixel decode).
pub fn check_complete(bytes: &[u8]) -> std::result::Result<OutputFormat, String> {
    let format = OutputFormat::sniff(bytes).ok_or("not a PNG, JPEG or WebP image")?;
    let complete = match format {
        OutputFormat::Png => bytes.len() >= 12 && &bytes[bytes.len() - 8..bytes.len() - 4] == b"IEND",
        OutputFormat::Jpeg => bytes.ends_with(&[0xFF, 0xD9]),
        OutputFormat::Webp => {
            bytes.len() >= 12
                && u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize + 8 <= bytes.len()
        }
    };
    if !complete {
        return Err(format!("truncated {format} file"));
    }
    crate::imaging::dimensions(bytes).ok_or_else(|| format!("unreadable {format} header"))?;
    Ok(format)
}

pub(super) fn read_one(path: &Path) -> std::result::Result<(ImageMeta, u64), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    check_complete(&bytes)?;
    let meta = metadata::read_for_file(path)
        .map_err(|e| format!("corrupt Easel metadata: {e}"))?
        .ok_or("no Easel metadata (not made by Easel)")?;
    Ok((meta, bytes.len() as u64))
}

impl Library {
    /// Drop the image index and rebuild it from the files. Stars and tags survive only where they are
    /// stored in the files' metadata.
    pub fn reindex(&self) -> Result<ReindexReport> {
        let mut files = Vec::new();
        image_files(&self.root, &self.root, &mut files);
        files.sort();
        let mut report = ReindexReport::default();
        let mut found: Vec<(PathBuf, (ImageMeta, u64))> = Vec::new();
        let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for path in files {
            match read_one(&path) {
                Ok((meta, bytes)) => {
                    // Two files with one id (a copy): index the one named after the id, report the other.
                    let own_name = |p: &Path| {
                        p.file_stem()
                            .and_then(|s| s.to_str())
                            .is_some_and(|s| s.ends_with(&format!("-{}", meta.id)))
                    };
                    match seen.get(&meta.id) {
                        Some(&i) => {
                            let keep_new = own_name(&path) && !own_name(&found[i].0);
                            let dup = if keep_new {
                                std::mem::replace(&mut found[i], (path, (meta, bytes))).0
                            } else {
                                path
                            };
                            report
                                .skipped
                                .push((dup, "duplicate of another file with the same Easel id (a copy?)".into()));
                        }
                        None => {
                            seen.insert(meta.id.clone(), found.len());
                            found.push((path, (meta, bytes)));
                        }
                    }
                }
                Err(reason) => {
                    tracing::warn!(path = %path.display(), "reindex skipped: {reason}");
                    report.skipped.push((path, reason));
                }
            }
        }
        let trash = Path::new(TRASH_DIR);
        self.db.write(|tx| {
            tx.execute("DELETE FROM images", [])?;
            for (path, (meta, bytes)) in &found {
                let rel = path.strip_prefix(&self.root).unwrap_or(path);
                let rel_str = rel.to_string_lossy().replace('\\', "/");
                // Trashed files keep their name, which starts with YYYYMMDD: that gives back YYYY/MM.
                let name = rel
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let original = match (name.get(0..4), name.get(4..6)) {
                    (Some(y), Some(m)) if name.len() > 8 => format!("{y}/{m}/{name}"),
                    _ => name.clone(),
                };
                let trashed = rel.starts_with(trash).then_some((now_ms(), original.as_str()));
                insert_row(tx, &rel_str, *bytes, meta, trashed)?;
            }
            record_change(tx, "reindexed", "*")
        })?;
        report.indexed = found.len();
        Ok(report)
    }
}
