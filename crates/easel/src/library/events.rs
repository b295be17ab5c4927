//! One event stream for every change to the library, from this process or another one: each write
//! appends to the `changes` table in the same transaction, and [`Library::watch`] tails it. A change
//! made by another process on the same library shows up within one poll interval.
//!
//! Every write to the index lands in its WAL file, so a poll first looks at the WAL's size and modification
//! time and queries only when they changed, or when the last write was recent (file times are coarse: two
//! writes in the same clock tick look alike). An idle process then runs no SQLite at all between changes,
//! which keeps its code out of memory once `memory` has let it go.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::broadcast;

use super::Library;
use super::db::{changes_since, last_change};
use crate::error::Result;

/// How often the change feed is polled (a `stat` of the WAL; a single indexed `SELECT` when it changed).
pub const POLL_INTERVAL: Duration = Duration::from_millis(150);

/// For this long after the WAL was last written, every poll queries, whatever the WAL's stamp says.
const RECENT_WRITE: Duration = Duration::from_secs(1);

/// The WAL's size and modification time; `None` when it cannot be read (then every poll queries).
type WalStamp = Option<(u64, std::time::SystemTime)>;

fn wal_stamp(wal: &std::path::Path) -> WalStamp {
    let meta = std::fs::metadata(wal).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

/// Whether a poll must query: the WAL changed since the last query, was written recently, or is unknown.
fn must_query(stamp: WalStamp, queried: WalStamp) -> bool {
    let Some((_, modified)) = stamp else { return true };
    let recent = modified.elapsed().map_or(true, |age| age < RECENT_WRITE);
    recent || stamp != queried
}

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
        let wal = self.db.wal_path();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(POLL_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut queried: WalStamp = None;
            loop {
                tick.tick().await;
                if tx.receiver_count() == 0 {
                    break;
                }
                // A stat of one local file: microseconds, fine on the runtime's thread.
                let stamp = wal_stamp(&wal);
                if !must_query(stamp, queried) {
                    continue;
                }
                // Taken before the query: a write during it changes the stamp, so the next poll looks again.
                queried = stamp;
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

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;

    #[test]
    fn a_poll_queries_only_when_the_wal_changed_or_was_just_written() {
        let old = SystemTime::now() - Duration::from_secs(60);
        let just_now = SystemTime::now();
        assert!(must_query(None, None), "no WAL to look at: query");
        assert!(must_query(Some((4096, old)), None), "first poll");
        assert!(
            !must_query(Some((4096, old)), Some((4096, old))),
            "nothing written since"
        );
        assert!(must_query(Some((8192, old)), Some((4096, old))), "grew");
        let later = old + Duration::from_millis(5);
        assert!(must_query(Some((4096, later)), Some((4096, old))), "rewritten in place");
        assert!(
            must_query(Some((4096, just_now)), Some((4096, just_now))),
            "written within the last second: a second write may share the time stamp"
        );
        let future = SystemTime::now() + Duration::from_secs(3600);
        assert!(
            must_query(Some((4096, future)), Some((4096, future))),
            "a clock that went back"
        );
    }
}
