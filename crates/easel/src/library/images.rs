//! Image rows: adding a received image (file with embedded metadata + index row, one change event),
//! reading them back, starring, trash and restore.

use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::Serialize;

use super::db::{now_ms, record_change};
use super::files::{relative_image_path, write_atomic};
use super::{Library, TRASH_DIR};
use crate::error::{Error, Result};
use crate::metadata::{self, ImageMeta};
use crate::models::OutputFormat;

/// One image as the gallery, the CLI and MCP see it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImageRecord {
    pub id: String,
    /// Absolute path of the file as it is now (inside `.easel/trash/` while trashed).
    pub path: PathBuf,
    pub created_ms: i64,
    pub prompt: String,
    pub revised_prompt: Option<String>,
    pub model: String,
    pub provider: String,
    pub operation: String,
    pub width: u32,
    pub height: u32,
    pub format: OutputFormat,
    pub bytes: u64,
    pub cost_usd: f64,
    pub session_id: Option<String>,
    pub turn_id: Option<String>,
    pub starred: bool,
    pub trashed: bool,
    pub tags: Vec<String>,
}

pub(super) const COLUMNS: &str = "id, path, created_ms, prompt, revised_prompt, model, provider, operation, width, \
     height, format, bytes, cost_usd, session_id, turn_id, starred, trashed_ms, tags";

pub(super) fn from_row(root: &Path, r: &Row<'_>) -> rusqlite::Result<ImageRecord> {
    let rel: String = r.get(1)?;
    let format: String = r.get(10)?;
    let tags: String = r.get(17)?;
    Ok(ImageRecord {
        id: r.get(0)?,
        path: root.join(rel),
        created_ms: r.get(2)?,
        prompt: r.get(3)?,
        revised_prompt: r.get(4)?,
        model: r.get(5)?,
        provider: r.get(6)?,
        operation: r.get(7)?,
        width: r.get(8)?,
        height: r.get(9)?,
        format: format.parse().unwrap_or(OutputFormat::Png),
        bytes: r.get::<_, i64>(11)? as u64,
        cost_usd: r.get(12)?,
        session_id: r.get(13)?,
        turn_id: r.get(14)?,
        starred: r.get::<_, i64>(15)? != 0,
        trashed: r.get::<_, Option<i64>>(16)?.is_some(),
        tags: tags.split_whitespace().map(str::to_string).collect(),
    })
}

fn created_ms(meta: &ImageMeta) -> i64 {
    meta.created_at
        .parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .unwrap_or_else(|_| now_ms())
}

/// Insert (or replace) the row for a file already in place at `rel`.
pub(super) fn insert_row(
    tx: &Transaction<'_>,
    rel: &str,
    bytes: u64,
    meta: &ImageMeta,
    trashed: Option<(i64, &str)>,
) -> rusqlite::Result<()> {
    let json = metadata::to_json(meta)
        .ok()
        .and_then(|j| String::from_utf8(j).ok())
        .unwrap_or_default();
    let (trashed_ms, original) = match trashed {
        Some((ms, original)) => (Some(ms), original.to_string()),
        None => (None, rel.to_string()),
    };
    tx.execute(
        "INSERT OR REPLACE INTO images (id, path, original_path, created_ms, prompt, revised_prompt, model, provider, \
         operation, width, height, format, bytes, cost_usd, session_id, turn_id, trashed_ms, tags, meta) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
        params![
            meta.id,
            rel,
            original,
            created_ms(meta),
            meta.prompt,
            meta.revised_prompt,
            meta.model,
            meta.provider,
            meta.operation,
            meta.width,
            meta.height,
            meta.format.as_str(),
            bytes as i64,
            meta.cost_usd,
            meta.session_id,
            meta.turn_id,
            trashed_ms,
            meta.tags.join(" "),
            json,
        ],
    )?;
    record_change(tx, "image_added", &meta.id)
}

fn rel_string(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

impl Library {
    /// Save a received image: metadata embedded (PNG) or in a sidecar (JPEG/WebP), file written
    /// atomically and durably, then indexed. The pixels are the provider's bytes, never re-encoded.
    pub fn add_image(&self, bytes: &[u8], meta: &ImageMeta) -> Result<ImageRecord> {
        let at: jiff::Zoned = meta
            .created_at
            .parse::<jiff::Timestamp>()
            .map(|t| t.to_zoned(jiff::tz::TimeZone::system()))
            .unwrap_or_else(|_| jiff::Zoned::now());
        let rel = relative_image_path(&at, &meta.prompt, &meta.id, meta.format.extension());
        let path = self.root.join(&rel);
        let file = metadata::embed(bytes, meta.format, meta).map_err(|e| Error::InvalidInput(e.to_string()))?;
        if meta.format != OutputFormat::Png {
            let json = metadata::to_json(meta).map_err(|e| Error::InvalidInput(e.to_string()))?;
            write_atomic(&metadata::sidecar_path(&path), &json, true)?;
        }
        write_atomic(&path, &file, true)?;
        let rel = rel_string(&rel);
        let indexed = self.db.write(|tx| insert_row(tx, &rel, file.len() as u64, meta, None));
        if let Err(e) = indexed {
            // The file is the source of truth: keep it; `reindex` or the next rescan picks it up.
            tracing::error!(id = meta.id, "image saved but not indexed: {e}");
            return Err(e);
        }
        self.get(&meta.id)
    }

    pub fn get(&self, id: &str) -> Result<ImageRecord> {
        let root = self.root.clone();
        self.db
            .read(|c| {
                c.query_row(&format!("SELECT {COLUMNS} FROM images WHERE id = ?1"), [id], |r| {
                    from_row(&root, r)
                })
                .optional()
            })?
            .ok_or_else(|| Error::UnknownId {
                kind: "image",
                id: id.to_string(),
            })
    }

    /// The full metadata JSON stored for an image.
    pub fn meta(&self, id: &str) -> Result<ImageMeta> {
        let json: Option<String> = self.db.read(|c| {
            c.query_row("SELECT meta FROM images WHERE id = ?1", [id], |r| r.get(0))
                .optional()
        })?;
        let json = json.ok_or_else(|| Error::UnknownId {
            kind: "image",
            id: id.to_string(),
        })?;
        metadata::from_json(json.as_bytes()).map_err(|e| Error::Index(format!("stored metadata of {id}: {e}")))
    }

    pub fn star(&self, id: &str, starred: bool) -> Result<ImageRecord> {
        let n = self.db.write(|tx| {
            let n = tx.execute(
                "UPDATE images SET starred = ?2 WHERE id = ?1",
                params![id, starred as i64],
            )?;
            if n > 0 {
                record_change(tx, "image_changed", id)?;
            }
            Ok(n)
        })?;
        if n == 0 {
            return Err(Error::UnknownId {
                kind: "image",
                id: id.into(),
            });
        }
        self.get(id)
    }

    /// Move the file (and its sidecar) into `.easel/trash/`; restorable until the trash is emptied.
    pub fn trash(&self, id: &str) -> Result<ImageRecord> {
        let record = self.get(id)?;
        if record.trashed {
            return Ok(record);
        }
        let file_name = record.path.file_name().map(|n| n.to_owned()).unwrap_or_default();
        let rel_trash = Path::new(TRASH_DIR).join(&file_name);
        self.move_file(&record.path, &self.root.join(&rel_trash))?;
        let rel = rel_string(&rel_trash);
        self.db.write(|tx| {
            tx.execute(
                "UPDATE images SET path = ?2, trashed_ms = ?3 WHERE id = ?1",
                params![id, rel, now_ms()],
            )?;
            record_change(tx, "image_removed", id)
        })?;
        self.get(id)
    }

    pub fn restore(&self, id: &str) -> Result<ImageRecord> {
        let record = self.get(id)?;
        if !record.trashed {
            return Ok(record);
        }
        let original: String = self
            .db
            .read(|c| c.query_row("SELECT original_path FROM images WHERE id = ?1", [id], |r| r.get(0)))?;
        self.move_file(&record.path, &self.root.join(&original))?;
        self.db.write(|tx| {
            tx.execute(
                "UPDATE images SET path = original_path, trashed_ms = NULL WHERE id = ?1",
                [id],
            )?;
            record_change(tx, "image_added", id)
        })?;
        self.get(id)
    }

    /// Delete every trashed file for good. Returns how many images were removed.
    pub fn empty_trash(&self) -> Result<usize> {
        let root = self.root.clone();
        let trashed: Vec<ImageRecord> = self.db.read(|c| {
            let mut s = c.prepare(&format!("SELECT {COLUMNS} FROM images WHERE trashed_ms IS NOT NULL"))?;
            let rows = s.query_map([], |r| from_row(&root, r))?;
            rows.collect()
        })?;
        for r in &trashed {
            for p in [r.path.clone(), metadata::sidecar_path(&r.path)] {
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io("cannot delete", p, e)),
                }
            }
            self.db.write(|tx| {
                tx.execute("DELETE FROM images WHERE id = ?1", [&r.id])?;
                record_change(tx, "image_removed", &r.id)
            })?;
        }
        Ok(trashed.len())
    }

    fn move_file(&self, from: &Path, to: &Path) -> Result<()> {
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create folder", dir, e))?;
        }
        if to.exists() {
            return Err(Error::InvalidInput(format!(
                "{} already exists; not overwriting it",
                to.display()
            )));
        }
        std::fs::rename(from, to).map_err(|e| Error::io("cannot move", from, e))?;
        let (side_from, side_to) = (metadata::sidecar_path(from), metadata::sidecar_path(to));
        if side_from.exists() {
            std::fs::rename(&side_from, &side_to).map_err(|e| Error::io("cannot move", &side_from, e))?;
        }
        Ok(())
    }

    /// Number of images indexed (trashed included).
    pub fn count(&self) -> Result<u64> {
        self.db
            .read(|c| c.query_row("SELECT count(*) FROM images", [], |r| r.get::<_, i64>(0)))
            .map(|n| n as u64)
    }

    /// `PRAGMA integrity_check` of the index ("ok" when healthy).
    pub fn integrity_check(&self) -> Result<String> {
        self.db.integrity_check()
    }
}
