//! One event stream for every change to the library, from this process or another one: each write
//! appends to the `changes` table in the same transaction, and [`Library::watch`] tails it. A change
//! made by another process on the same library shows up within one poll interval.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::broadcast;

use super::Library;
use super::db::{changes_since, last_change};
use crate::error::Result;

/// How often the change feed is polled (a single indexed `SELECT`).
pub const POLL_INTERVAL: Duration = Duration::from_millis(150);

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    ImageAdded {
        id: String,
    },
    ImageChanged {
        id: String,
    },
    ImageRemoved {
        id: String,
    },
    SessionChanged {
        id: String,
    },
    JobChanged {
        id: String,
    },
    BudgetChanged,
    /// The whole index was rebuilt: reload everything.
    Reindexed,
}

impl Event {
    fn from_change(kind: &str, id: String) -> Option<Event> {
        Some(match kind {
            "image_added" => Event::ImageAdded { id },
            "image_changed" => Event::ImageChanged { id },
            "image_removed" => Event::ImageRemoved { id },
            "session_changed" => Event::SessionChanged { id },
            "job_changed" => Event::JobChanged { id },
            "budget_changed" => Event::BudgetChanged,
            "reindexed" => Event::Reindexed,
            _ => return None,
        })
    }
}

impl Library {
    /// The sequence number of the newest change (start tailing from here).
    pub fn last_change(&self) -> Result<i64> {
        self.db.read(last_change)
    }

    /// Changes after `seq` (at most `limit`), oldest first, with their sequence numbers.
    pub fn changes_since(&self, seq: i64, limit: i64) -> Result<Vec<(i64, Event)>> {
        let rows = self.db.read(|c| changes_since(c, seq, limit))?;
        Ok(rows
            .into_iter()
            .filter_map(|(seq, kind, id)| Event::from_change(&kind, id).map(|e| (seq, e)))
            .collect())
    }

    /// Tail the change feed on the current tokio runtime; the task ends when every receiver is gone.
    pub fn watch(self: &Arc<Self>) -> Result<broadcast::Receiver<Event>> {
        let (tx, rx) = broadcast::channel(1024);
        let mut seq = self.last_change()?;
        let library = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(POLL_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if tx.receiver_count() == 0 {
                    break;
                }
                let lib = Arc::clone(&library);
                let batch = tokio::task::spawn_blocking(move || lib.changes_since(seq, 500)).await;
                match batch {
                    Ok(Ok(changes)) => {
                        for (s, event) in changes {
                            seq = s;
                            let _ = tx.send(event);
                        }
                    }
                    Ok(Err(e)) => tracing::warn!("library change feed: {e}"),
                    Err(e) => tracing::warn!("library change feed task: {e}"),
                }
            }
        });
        Ok(rx)
    }
}
