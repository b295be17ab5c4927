//! Finding images: full-text search (FTS5 over prompt, revised prompt and tags) with filters,
//! newest first, one page at a time.

use rusqlite::types::Value;
use serde::{Deserialize, Serialize};

use super::Library;
use super::images::{COLUMNS, ImageRecord, from_row};
use crate::error::Result;

pub const DEFAULT_PAGE: u32 = 200;
pub const MAX_PAGE: u32 = 1000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
    Cost,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Query {
    /// Words to find (prefix match, all words must appear).
    pub text: Option<String>,
    pub model: Option<String>,
    pub starred: Option<bool>,
    pub session_id: Option<String>,
    /// Created at or after, ms since the epoch.
    pub from_ms: Option<i64>,
    /// Created before, ms since the epoch.
    pub to_ms: Option<i64>,
    /// `true` lists the trash instead of the gallery.
    pub trashed: bool,
    pub sort: Sort,
    /// Page size (default 200, at most 1000).
    pub limit: Option<u32>,
    pub offset: u32,
}

/// A user's words → a safe FTS5 query: each word quoted, prefix-matched, all required.
pub fn fts_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"*", w.to_lowercase()))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// The `WHERE` clause (without the keyword) and its arguments for a query's filters.
fn filters(q: &Query) -> (String, Vec<Value>) {
    let mut sql = String::new();
    let mut args: Vec<Value> = Vec::new();
    sql.push_str(if q.trashed {
        "trashed_ms IS NOT NULL"
    } else {
        "trashed_ms IS NULL"
    });
    if let Some(fts) = q.text.as_deref().and_then(fts_query) {
        sql.push_str(" AND rowid IN (SELECT rowid FROM images_fts WHERE images_fts MATCH ?)");
        args.push(fts.into());
    }
    if let Some(m) = &q.model {
        sql.push_str(" AND model = ?");
        args.push(m.clone().into());
    }
    if let Some(s) = q.starred {
        sql.push_str(" AND starred = ?");
        args.push((s as i64).into());
    }
    if let Some(s) = &q.session_id {
        sql.push_str(" AND session_id = ?");
        args.push(s.clone().into());
    }
    if let Some(t) = q.from_ms {
        sql.push_str(" AND created_ms >= ?");
        args.push(t.into());
    }
    if let Some(t) = q.to_ms {
        sql.push_str(" AND created_ms < ?");
        args.push(t.into());
    }
    (sql, args)
}

impl Library {
    pub fn search(&self, q: &Query) -> Result<Vec<ImageRecord>> {
        let (filter, mut args) = filters(q);
        let mut sql = format!("SELECT {COLUMNS} FROM images WHERE {filter}");
        sql.push_str(match q.sort {
            Sort::Newest => " ORDER BY created_ms DESC, id DESC",
            Sort::Oldest => " ORDER BY created_ms ASC, id ASC",
            Sort::Cost => " ORDER BY cost_usd DESC, created_ms DESC",
        });
        sql.push_str(" LIMIT ? OFFSET ?");
        args.push((q.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as i64).into());
        args.push((q.offset as i64).into());
        let root = self.root.clone();
        self.db.read(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| from_row(&root, r))?;
            rows.collect()
        })
    }

    /// How many images match `q`'s filters in all (its sort, limit and offset are ignored): what a
    /// paged gallery needs to size its scroll area.
    pub fn search_count(&self, q: &Query) -> Result<u64> {
        let (filter, args) = filters(q);
        let sql = format!("SELECT count(*) FROM images WHERE {filter}");
        self.db.read(|c| {
            c.prepare_cached(&sql)?
                .query_row(rusqlite::params_from_iter(args), |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_becomes_a_safe_prefix_query() {
        assert_eq!(fts_query("Red fox").as_deref(), Some("\"red\"* \"fox\"*"));
        assert_eq!(
            fts_query("\"unbalanced AND (").as_deref(),
            Some("\"unbalanced\"* \"and\"*")
        );
        assert_eq!(fts_query("  ,; "), None);
        assert_eq!(fts_query("café").as_deref(), Some("\"café\"*"));
    }
}
