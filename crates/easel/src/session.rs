//! Sessions: a tree of turns. A turn is one prompt with its parameters, inputs, optional mask,
//! outputs (images whose `turn_id` points at it), usage and cost; its parent is the turn it continued
//! from, so continuing from any turn (not only the last) makes a branch.

use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use crate::cost::Usage;
use crate::error::{Error, Result};
use crate::library::Library;
use crate::library::db::{now_ms, record_change};
use crate::models::ImageParams;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Session {
    pub id: String,
    pub name: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub archived: bool,
    pub turns: u32,
    pub cost_usd: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Turn {
    pub id: String,
    pub session_id: String,
    pub parent_id: Option<String>,
    pub prompt: String,
    pub params: ImageParams,
    /// Input images (library ids, or paths for files from outside the library).
    pub inputs: Vec<String>,
    pub has_mask: bool,
    pub created_ms: i64,
    pub cost_usd: f64,
    pub usage: Option<Usage>,
    pub response_id: Option<String>,
    /// Ids of the images this turn produced.
    pub images: Vec<String>,
}

/// A session with all its turns in creation order; `parent_id` links make the tree.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SessionTree {
    pub session: Session,
    pub turns: Vec<Turn>,
}

/// What a new turn records.
#[derive(Clone, Debug, Default)]
pub struct NewTurn<'a> {
    pub parent_id: Option<&'a str>,
    pub prompt: &'a str,
    pub params: ImageParams,
    pub inputs: Vec<String>,
    pub has_mask: bool,
    pub cost_usd: f64,
    pub usage: Option<Usage>,
    pub response_id: Option<String>,
}

const SESSION_COLUMNS: &str = "s.id, s.name, s.created_ms, s.updated_ms, s.archived, \
     (SELECT count(*) FROM turns t WHERE t.session_id = s.id), \
     (SELECT coalesce(sum(t.cost_usd), 0) FROM turns t WHERE t.session_id = s.id)";

fn session_row(r: &Row<'_>) -> rusqlite::Result<Session> {
    Ok(Session {
        id: r.get(0)?,
        name: r.get(1)?,
        created_ms: r.get(2)?,
        updated_ms: r.get(3)?,
        archived: r.get::<_, i64>(4)? != 0,
        turns: r.get::<_, i64>(5)? as u32,
        cost_usd: r.get(6)?,
    })
}

const TURN_COLUMNS: &str = "id, session_id, parent_id, prompt, params, inputs, has_mask, created_ms, cost_usd, usage, \
     response_id, (SELECT group_concat(i.id, ' ') FROM images i WHERE i.turn_id = turns.id)";

fn turn_row(r: &Row<'_>) -> rusqlite::Result<Turn> {
    let json = |i: usize, text: String| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, format!("bad JSON: {text}").into())
    };
    let params_text: String = r.get(4)?;
    let inputs_text: String = r.get(5)?;
    let usage_text: Option<String> = r.get(9)?;
    let images: Option<String> = r.get(11)?;
    Ok(Turn {
        id: r.get(0)?,
        session_id: r.get(1)?,
        parent_id: r.get(2)?,
        prompt: r.get(3)?,
        params: serde_json::from_str(&params_text).map_err(|_| json(4, params_text.clone()))?,
        inputs: serde_json::from_str(&inputs_text).map_err(|_| json(5, inputs_text.clone()))?,
        has_mask: r.get::<_, i64>(6)? != 0,
        created_ms: r.get(7)?,
        cost_usd: r.get(8)?,
        usage: usage_text.and_then(|u| serde_json::from_str(&u).ok()),
        response_id: r.get(10)?,
        images: images
            .map(|s| s.split(' ').map(str::to_string).collect())
            .unwrap_or_default(),
    })
}

fn unknown(kind: &'static str, id: &str) -> Error {
    Error::UnknownId {
        kind,
        id: id.to_string(),
    }
}

impl Library {
    pub fn create_session(&self, name: &str) -> Result<Session> {
        let id = format!("s_{}", crate::library::new_id());
        let name = if name.trim().is_empty() {
            "Untitled session"
        } else {
            name.trim()
        };
        let now = now_ms();
        self.db().write(|tx| {
            tx.execute(
                "INSERT INTO sessions (id, name, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?3)",
                params![id, name, now],
            )?;
            record_change(tx, "session_changed", &id)
        })?;
        self.get_session(&id)
    }

    pub fn get_session(&self, id: &str) -> Result<Session> {
        self.db()
            .read(|c| {
                c.query_row(
                    &format!("SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.id = ?1"),
                    [id],
                    session_row,
                )
                .optional()
            })?
            .ok_or_else(|| unknown("session", id))
    }

    /// Sessions, most recently active first.
    pub fn list_sessions(&self, include_archived: bool, limit: u32) -> Result<Vec<Session>> {
        self.db().read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.archived = 0 OR ?1 ORDER BY s.updated_ms DESC LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![include_archived, limit], session_row)?;
            rows.collect()
        })
    }

    pub fn rename_session(&self, id: &str, name: &str) -> Result<Session> {
        self.update_session(
            id,
            "UPDATE sessions SET name = ?2, updated_ms = ?3 WHERE id = ?1",
            name.trim(),
        )
    }

    pub fn archive_session(&self, id: &str, archived: bool) -> Result<Session> {
        self.update_session(
            id,
            "UPDATE sessions SET archived = ?2, updated_ms = ?3 WHERE id = ?1",
            archived,
        )
    }

    fn update_session(&self, id: &str, sql: &str, value: impl rusqlite::ToSql) -> Result<Session> {
        let n = self.db().write(|tx| {
            let n = tx.execute(sql, params![id, value, now_ms()])?;
            if n > 0 {
                record_change(tx, "session_changed", id)?;
            }
            Ok(n)
        })?;
        if n == 0 {
            return Err(unknown("session", id));
        }
        self.get_session(id)
    }

    /// Record a turn. `parent_id`, when given, must be a turn of the same session (a branch from it).
    pub fn add_turn(&self, session_id: &str, turn: NewTurn<'_>) -> Result<Turn> {
        self.get_session(session_id)?;
        if let Some(parent) = turn.parent_id {
            let owner = self.turn(parent)?.session_id;
            if owner != session_id {
                return Err(Error::InvalidInput(format!(
                    "turn '{parent}' belongs to session '{owner}', not '{session_id}'"
                )));
            }
        }
        let id = format!("t_{}", crate::library::new_id());
        let now = now_ms();
        let params_json = serde_json::to_string(&turn.params).expect("serializable");
        let inputs_json = serde_json::to_string(&turn.inputs).expect("serializable");
        let usage_json = turn.usage.map(|u| serde_json::to_string(&u).expect("serializable"));
        self.db().write(|tx| {
            tx.execute(
                "INSERT INTO turns (id, session_id, parent_id, prompt, params, inputs, has_mask, created_ms, cost_usd, \
                 usage, response_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    id,
                    session_id,
                    turn.parent_id,
                    turn.prompt,
                    params_json,
                    inputs_json,
                    turn.has_mask,
                    now,
                    turn.cost_usd,
                    usage_json,
                    turn.response_id
                ],
            )?;
            tx.execute(
                "UPDATE sessions SET updated_ms = ?2 WHERE id = ?1",
                params![session_id, now],
            )?;
            record_change(tx, "session_changed", session_id)
        })?;
        self.turn(&id)
    }

    pub fn turn(&self, id: &str) -> Result<Turn> {
        self.db()
            .read(|c| {
                c.query_row(
                    &format!("SELECT {TURN_COLUMNS} FROM turns WHERE id = ?1"),
                    [id],
                    turn_row,
                )
                .optional()
            })?
            .ok_or_else(|| unknown("turn", id))
    }

    /// The session and its whole turn tree.
    pub fn session_tree(&self, id: &str) -> Result<SessionTree> {
        let session = self.get_session(id)?;
        let turns = self.db().read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {TURN_COLUMNS} FROM turns WHERE session_id = ?1 ORDER BY created_ms, rowid"
            ))?;
            let rows = stmt.query_map([id], turn_row)?;
            rows.collect()
        })?;
        Ok(SessionTree { session, turns })
    }

    /// The most recent turn of a session (where "continue" goes by default).
    pub fn last_turn(&self, session_id: &str) -> Result<Option<Turn>> {
        Ok(self.session_tree(session_id)?.turns.pop())
    }
}
