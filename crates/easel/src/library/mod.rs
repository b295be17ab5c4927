//! The library: the single source of truth that the app, the MCP server and the CLI share.
//! Images are ordinary files under the root (`files`), each carrying its own metadata; the SQLite
//! index under `.easel/` (`db`) is derived from them and can be rebuilt (`reindex`).

pub(crate) mod db;
mod events;
mod files;
mod images;
mod imports;
mod masks;
mod query;
mod reconcile;
mod reindex;

use std::path::{Path, PathBuf};

pub use events::{Event, POLL_INTERVAL};
pub use files::{Saved, TEMP_PREFIX, new_id, relative_image_path, replace_atomic, save_images, slug, write_atomic};
pub use images::ImageRecord;
pub use imports::IMPORT_OPERATION;
pub use masks::SavedMask;
pub use query::{Query, Sort, fts_query};
pub use reconcile::{FileWatcher, RescanReport, STALE_TEMP_AGE};
pub use reindex::ReindexReport;

use crate::error::{Error, Result};

/// Easel's own folder inside the library root.
pub const EASEL_DIR: &str = ".easel";
/// Trashed files live here (relative to the root) until the trash is emptied.
pub const TRASH_DIR: &str = ".easel/trash";

pub struct Library {
    root: PathBuf,
    db: db::Db,
}

impl Library {
    /// Open (creating if needed) the library at `root` and its index.
    pub fn open(root: &Path) -> Result<Library> {
        let easel = root.join(EASEL_DIR);
        std::fs::create_dir_all(&easel).map_err(|e| Error::io("cannot create the library folder", &easel, e))?;
        let db = db::Db::open(&easel.join("library.db"))?;
        let library = Library {
            root: root.to_path_buf(),
            db,
        };
        let interrupted = library.fail_interrupted_jobs()?;
        if interrupted > 0 {
            tracing::warn!(interrupted, "jobs left running by a stopped process were marked failed");
        }
        Ok(library)
    }

    /// Open for a rebuild: when the index itself is unusable (not a database, corrupt), move it aside
    /// as `library.db.damaged-<time>` (with its `-wal`/`-shm`) and start a fresh one. Returns where the
    /// damaged index went, if it was moved. Follow with [`Library::reindex`].
    pub fn open_rebuilding(root: &Path) -> Result<(Library, Option<PathBuf>)> {
        match Library::open(root) {
            Ok(lib) => Ok((lib, None)),
            Err(Error::Index(reason)) => {
                let db = root.join(EASEL_DIR).join("library.db");
                let stamp = jiff::Zoned::now().strftime("%Y%m%d-%H%M%S").to_string();
                let aside = root.join(EASEL_DIR).join(format!("library.db.damaged-{stamp}"));
                tracing::warn!("moving the unusable index aside ({reason})");
                for suffix in ["", "-wal", "-shm"] {
                    let from = PathBuf::from(format!("{}{suffix}", db.display()));
                    if from.exists() {
                        let to = PathBuf::from(format!("{}{suffix}", aside.display()));
                        std::fs::rename(&from, &to)
                            .map_err(|e| Error::io("cannot move the damaged index", &from, e))?;
                    }
                }
                Ok((Library::open(root)?, Some(aside)))
            }
            Err(e) => Err(e),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn db(&self) -> &db::Db {
        &self.db
    }

    /// `<root>/.easel/thumbs`, the thumbnail cache.
    pub fn thumbs_dir(&self) -> PathBuf {
        self.root.join(EASEL_DIR).join("thumbs")
    }

    /// The cached thumbnail of an image (long edge `edge`), made on demand.
    pub fn thumbnail(&self, id: &str, edge: u32) -> Result<PathBuf> {
        let record = self.get(id)?;
        crate::thumbs::ensure_thumbnail(&self.thumbs_dir(), id, &record.path, edge)
            .map_err(|e| Error::InvalidInput(format!("thumbnail of {id}: {e}")))
    }

    /// A small inline preview (≤ 1568 px, ≤ 700 KB) for MCP results.
    pub fn preview(&self, id: &str) -> Result<crate::thumbs::Thumb> {
        let record = self.get(id)?;
        let bytes = std::fs::read(&record.path).map_err(|e| Error::io("cannot read", &record.path, e))?;
        crate::thumbs::preview(&bytes).map_err(|e| Error::InvalidInput(format!("preview of {id}: {e}")))
    }
}
