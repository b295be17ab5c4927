//! The index: SQLite in WAL mode at `<root>/.easel/library.db`, shared by every process that opens
//! the library (the app, a stdio MCP server launched by a client, the CLI). Schema changes are
//! numbered migrations applied under an immediate transaction, so two processes never race them.
//! Every write appends to `changes`, the feed other processes tail to learn what happened.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};

use crate::error::{Error, Result};

/// Migration N brings the schema from version N to N + 1. Append only; never edit a shipped one.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE images (
    id             TEXT PRIMARY KEY,
    path           TEXT NOT NULL UNIQUE,      -- relative to the root; under .easel/trash/ while trashed
    original_path  TEXT NOT NULL,             -- where it lives when not trashed
    created_ms     INTEGER NOT NULL,
    prompt         TEXT NOT NULL,
    revised_prompt TEXT,
    model          TEXT NOT NULL,
    provider       TEXT NOT NULL,
    operation      TEXT NOT NULL,
    width          INTEGER NOT NULL,
    height         INTEGER NOT NULL,
    format         TEXT NOT NULL,
    bytes          INTEGER NOT NULL,
    cost_usd       REAL NOT NULL DEFAULT 0,
    session_id     TEXT,
    turn_id        TEXT,
    starred        INTEGER NOT NULL DEFAULT 0,
    trashed_ms     INTEGER,
    tags           TEXT NOT NULL DEFAULT '',
    meta           TEXT NOT NULL               -- the full embedded metadata JSON
);
CREATE INDEX images_newest ON images (trashed_ms, created_ms DESC);
CREATE INDEX images_model ON images (model, created_ms DESC);
CREATE INDEX images_session ON images (session_id, created_ms);
CREATE INDEX images_starred ON images (starred, created_ms DESC);

CREATE VIRTUAL TABLE images_fts USING fts5(
    prompt, revised_prompt, tags,
    content = 'images', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'    -- search-as-you-type: short prefixes without expanding every matching term
);
CREATE TRIGGER images_fts_insert AFTER INSERT ON images BEGIN
    INSERT INTO images_fts (rowid, prompt, revised_prompt, tags)
    VALUES (new.rowid, new.prompt, coalesce(new.revised_prompt, ''), new.tags);
END;
CREATE TRIGGER images_fts_delete AFTER DELETE ON images BEGIN
    INSERT INTO images_fts (images_fts, rowid, prompt, revised_prompt, tags)
    VALUES ('delete', old.rowid, old.prompt, coalesce(old.revised_prompt, ''), old.tags);
END;
CREATE TRIGGER images_fts_update AFTER UPDATE OF prompt, revised_prompt, tags ON images BEGIN
    INSERT INTO images_fts (images_fts, rowid, prompt, revised_prompt, tags)
    VALUES ('delete', old.rowid, old.prompt, coalesce(old.revised_prompt, ''), old.tags);
    INSERT INTO images_fts (rowid, prompt, revised_prompt, tags)
    VALUES (new.rowid, new.prompt, coalesce(new.revised_prompt, ''), new.tags);
END;

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    archived   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE turns (
    id          TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions (id),
    parent_id   TEXT REFERENCES turns (id),
    prompt      TEXT NOT NULL,
    params      TEXT NOT NULL,                -- ImageParams JSON
    inputs      TEXT NOT NULL DEFAULT '[]',   -- input image ids/paths JSON
    has_mask    INTEGER NOT NULL DEFAULT 0,
    created_ms  INTEGER NOT NULL,
    cost_usd    REAL NOT NULL DEFAULT 0,
    usage       TEXT,
    response_id TEXT
);
CREATE INDEX turns_session ON turns (session_id, created_ms);

CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    state       TEXT NOT NULL,
    partials    INTEGER NOT NULL DEFAULT 0,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL,
    pid         INTEGER NOT NULL,
    session_id  TEXT,
    turn_id     TEXT,
    error       TEXT,
    images      TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX jobs_state ON jobs (state);

CREATE TABLE ledger (
    id                  INTEGER PRIMARY KEY,
    at_ms               INTEGER NOT NULL,
    day                 TEXT NOT NULL,        -- local YYYY-MM-DD
    month               TEXT NOT NULL,        -- local YYYY-MM
    model               TEXT NOT NULL,
    provider            TEXT NOT NULL,
    session_id          TEXT,
    job_id              TEXT,
    cost_usd            REAL NOT NULL,
    estimated           INTEGER NOT NULL DEFAULT 0,
    input_text_tokens   INTEGER NOT NULL DEFAULT 0,
    input_image_tokens  INTEGER NOT NULL DEFAULT 0,
    output_image_tokens INTEGER NOT NULL DEFAULT 0,
    output_text_tokens  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ledger_day ON ledger (day);
CREATE INDEX ledger_month ON ledger (month);

CREATE TABLE changes (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    kind  TEXT NOT NULL,
    id    TEXT NOT NULL
);
"#,
    r#"
-- The opt-in cache of identical requests (see cache.rs): request key -> the images it made.
CREATE TABLE request_cache (
    key        TEXT PRIMARY KEY,
    images     TEXT NOT NULL,            -- JSON array of image ids
    cost_usd   REAL NOT NULL,
    created_ms INTEGER NOT NULL,
    hits       INTEGER NOT NULL DEFAULT 0
);
"#,
];

pub struct Db {
    conn: Mutex<Connection>,
    /// SQLite's write-ahead log beside the database (`<db>-wal`), where every write lands first.
    wal: PathBuf,
}

pub fn db_error(e: rusqlite::Error) -> Error {
    Error::Index(e.to_string())
}

pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

impl Db {
    pub fn open(path: &Path) -> Result<Db> {
        let unusable = |e: rusqlite::Error| {
            Error::Index(format!(
                "cannot use the index {}: {e}; `easel reindex` rebuilds it from the image files",
                path.display()
            ))
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(unusable)?;
        conn.busy_timeout(Duration::from_secs(15)).map_err(unusable)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(unusable)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(unusable)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(unusable)?;
        // `INSERT OR REPLACE` must fire the delete triggers too, or the FTS index keeps stale rows.
        conn.pragma_update(None, "recursive_triggers", "ON").map_err(unusable)?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let mut db = Db {
            conn: Mutex::new(conn),
            wal: PathBuf::from(wal),
        };
        db.migrate()?;
        Ok(db)
    }

    /// The write-ahead log's path: its size and time change with every write, from any process.
    pub fn wal_path(&self) -> PathBuf {
        self.wal.clone()
    }

    fn migrate(&mut self) -> Result<()> {
        let conn = self.conn.get_mut().expect("not poisoned");
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db_error)?;
        let version: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(db_error)?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(Error::Index(format!(
                "the library index is version {version}, newer than this Easel understands ({known}); update Easel"
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql)
                .map_err(|e| Error::Index(format!("migration {} failed: {e}", i + 1)))?;
        }
        tx.pragma_update(None, "user_version", known).map_err(db_error)?;
        tx.commit().map_err(db_error)
    }

    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back on drop).
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Run `f` in an immediate write transaction and commit.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db_error)?;
        let out = f(&tx).map_err(db_error)?;
        tx.commit().map_err(db_error)?;
        Ok(out)
    }

    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        f(&self.lock()).map_err(db_error)
    }

    pub fn integrity_check(&self) -> Result<String> {
        self.read(|c| c.query_row("PRAGMA integrity_check", [], |r| r.get(0)))
    }
}

/// Append to the change feed (inside the caller's transaction).
pub fn record_change(tx: &Transaction<'_>, kind: &str, id: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO changes (at_ms, kind, id) VALUES (?1, ?2, ?3)",
        params![now_ms(), kind, id],
    )?;
    Ok(())
}

/// Changes after `seq`, oldest first.
pub fn changes_since(conn: &Connection, seq: i64, limit: i64) -> rusqlite::Result<Vec<(i64, String, String)>> {
    let mut stmt = conn.prepare_cached("SELECT seq, kind, id FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
    let rows = stmt.query_map(params![seq, limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

pub fn last_change(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |r| r.get(0))
        .optional()
        .map(|v| v.unwrap_or(0))
}
