//! Keeping the index in step with the folder when files change outside Easel: a full rescan (run in
//! the background at start) and a file watcher (notify + debouncer) that reconciles just the paths
//! that changed. Files are the source of truth: a missing file drops its row; a new Easel file (or a
//! moved one) is indexed from its own metadata; foreign files are left alone.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::db::record_change;
use super::images::insert_row;
use super::reindex::{image_files, read_one};
use super::{EASEL_DIR, Library, TRASH_DIR};
use crate::error::{Error, Result};

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RescanReport {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Temp files of interrupted writes (older than [`STALE_TEMP_AGE`]) that were deleted.
    pub stale_temps: usize,
}

/// A temp file this old belongs to a write that will never finish (its process was killed).
pub const STALE_TEMP_AGE: Duration = Duration::from_secs(3600);

/// Delete `.easel-tmp-*` files older than [`STALE_TEMP_AGE`] anywhere under `dir`.
fn remove_stale_temps(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            removed += remove_stale_temps(&path);
        } else if entry.file_name().to_string_lossy().starts_with(super::TEMP_PREFIX)
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > STALE_TEMP_AGE))
            && std::fs::remove_file(&path).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// Holds the watcher; dropping it stops watching.
pub struct FileWatcher {
    _debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
}

fn rel_string(rel: &Path) -> String {
    rel.to_string_lossy().replace('\\', "/")
}

impl Library {
    /// Compare every image file with the index: index new Easel files, drop rows whose file is gone.
    pub fn rescan(&self) -> Result<RescanReport> {
        let mut files = Vec::new();
        image_files(&self.root, &self.root, &mut files);
        let on_disk: HashSet<String> = files
            .iter()
            .filter_map(|p| p.strip_prefix(&self.root).ok().map(rel_string))
            .collect();
        let indexed: Vec<(String, String)> = self.db.read(|c| {
            let mut stmt = c.prepare("SELECT id, path FROM images")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })?;
        let known: HashSet<&str> = indexed.iter().map(|(_, p)| p.as_str()).collect();
        let mut changed: Vec<PathBuf> = files
            .into_iter()
            .filter(|p| {
                p.strip_prefix(&self.root)
                    .is_ok_and(|r| !known.contains(rel_string(r).as_str()))
            })
            .collect();
        changed.extend(
            indexed
                .iter()
                .filter(|(_, p)| !on_disk.contains(p))
                .map(|(_, p)| self.root.join(p)),
        );
        let mut report = self.reconcile_paths(&changed)?;
        report.stale_temps = remove_stale_temps(&self.root);
        Ok(report)
    }

    /// Reconcile specific paths (what the watcher reports).
    pub fn reconcile_paths(&self, paths: &[PathBuf]) -> Result<RescanReport> {
        let mut report = RescanReport::default();
        for path in paths {
            let Ok(rel) = path.strip_prefix(&self.root) else {
                continue;
            };
            let in_easel = rel.starts_with(EASEL_DIR) && !rel.starts_with(TRASH_DIR);
            let is_image = path
                .extension()
                .and_then(|e| e.to_str())
                .and_then(crate::models::OutputFormat::from_extension)
                .is_some();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if in_easel || !is_image || name.starts_with(super::TEMP_PREFIX) {
                continue;
            }
            let rel = rel_string(rel);
            if path.exists() {
                let Ok((meta, bytes)) = read_one(path) else { continue };
                let trashed = rel.starts_with(TRASH_DIR);
                let existing: Option<String> = self.db.read(|c| {
                    c.query_row("SELECT path FROM images WHERE id = ?1", [&meta.id], |r| r.get(0))
                        .optional()
                })?;
                if existing.as_deref() == Some(rel.as_str()) {
                    continue;
                }
                if existing.as_deref().is_some_and(|old| self.root.join(old).exists()) {
                    // The indexed file is still there: this one is a copy, not a move. Leave the row alone.
                    continue;
                }
                // New, or moved within the library: (re)index from the file's own metadata.
                let original = if trashed {
                    existing.clone().unwrap_or_else(|| rel.clone())
                } else {
                    rel.clone()
                };
                self.db.write(|tx| {
                    let when = trashed.then_some((super::db::now_ms(), original.as_str()));
                    insert_row(tx, &rel, bytes, &meta, when)
                })?;
                report.added.push(meta.id);
            } else {
                let gone: Option<String> = self.db.read(|c| {
                    c.query_row("SELECT id FROM images WHERE path = ?1", [&rel], |r| r.get(0))
                        .optional()
                })?;
                if let Some(id) = gone {
                    self.db.write(|tx| {
                        tx.execute("DELETE FROM images WHERE id = ?1", params![id])?;
                        record_change(tx, "image_removed", &id)
                    })?;
                    report.removed.push(id);
                }
            }
        }
        Ok(report)
    }

    /// Watch the library folder; changes made outside Easel are reconciled within about half a second
    /// (and then reach every [`Library::watch`] subscriber through the change feed).
    pub fn watch_files(self: &Arc<Self>) -> Result<FileWatcher> {
        let library = Arc::clone(self);
        let mut debouncer = new_debouncer(Duration::from_millis(300), None, move |res: DebounceEventResult| {
            let Ok(events) = res else { return };
            let paths: Vec<PathBuf> = events.into_iter().flat_map(|e| e.event.paths).collect();
            if let Err(e) = library.reconcile_paths(&paths) {
                tracing::warn!("library watcher: {e}");
            }
        })
        .map_err(|e| Error::Index(format!("cannot watch the library folder: {e}")))?;
        debouncer
            .watch(&self.root, RecursiveMode::Recursive)
            .map_err(|e| Error::Index(format!("cannot watch {}: {e}", self.root.display())))?;
        Ok(FileWatcher { _debouncer: debouncer })
    }
}
