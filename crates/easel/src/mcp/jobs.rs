//! Image calls that outlive their tool call. Every image call runs in a task of its own; the tool waits
//! up to `wait_seconds`, then answers with the job id while the task goes on, and `wait_job` /
//! `cancel_job` find the task again here. While a tool waits it sends progress notifications (when the
//! client asked for them with a progress token): on every stage change and at least every
//! [`HEARTBEAT`]. A job this process does not run (finished and delivered, or another process's) is
//! read from the library instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::model::{CallToolResult, ProgressNotificationParam, ProgressToken};
use rmcp::{Peer, RoleServer};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::openai::Progress;

/// The longest gap between two progress notifications.
pub const HEARTBEAT: Duration = Duration::from_secs(2);
/// How long a finished result nobody asked for is kept for `wait_job`.
const KEEP_FINISHED: Duration = Duration::from_secs(15 * 60);

/// Where a call is.
#[derive(Clone, Debug)]
pub enum Status {
    /// Still going: what it is doing now ("running", "partial image 2/3", "retrying …").
    Running(String),
    /// The tool result, ready to send.
    Finished(CallToolResult),
}

#[derive(Clone)]
struct Task {
    cancel: CancellationToken,
    status: watch::Receiver<Status>,
    started: Instant,
}

/// The calls of this process by job id. Cheap to clone: clones share the map.
#[derive(Clone, Default)]
pub struct Running(Arc<Mutex<HashMap<String, Task>>>);

impl Running {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Task>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Track a new call; the task reports through the returned sender and stops when `cancel` fires.
    pub fn track(&self, job_id: &str, cancel: CancellationToken) -> watch::Sender<Status> {
        let (tx, status) = watch::channel(Status::Running("queued".into()));
        let mut map = self.map();
        map.retain(|_, t| !is_finished(&t.status) || t.started.elapsed() < KEEP_FINISHED);
        map.insert(
            job_id.to_string(),
            Task {
                cancel,
                status,
                started: Instant::now(),
            },
        );
        tx
    }

    /// The status feed and the cancel switch of a job this process runs (or ran and kept).
    pub fn get(&self, job_id: &str) -> Option<(watch::Receiver<Status>, CancellationToken)> {
        self.map().get(job_id).map(|t| (t.status.clone(), t.cancel.clone()))
    }

    /// Drop a job whose result was delivered.
    pub fn forget(&self, job_id: &str) {
        self.map().remove(job_id);
    }
}

fn is_finished(status: &watch::Receiver<Status>) -> bool {
    matches!(*status.borrow(), Status::Finished(_))
}

/// A progress message for `p`; `partials` is how many partial images the call asked for.
pub fn describe(p: &Progress, partials: u32) -> String {
    match p {
        Progress::Partial { index, .. } if partials > 0 => format!("partial image {}/{partials}", index + 1),
        Progress::Partial { index, .. } => format!("partial image {}", index + 1),
        Progress::Retrying { attempt, wait, reason } => {
            format!("retrying in {:.1} s (attempt {attempt}): {reason}", wait.as_secs_f64())
        }
    }
}

/// Where the progress notifications of one request go.
pub struct Listener {
    pub peer: Peer<RoleServer>,
    pub token: ProgressToken,
}

/// How a wait ended.
pub enum Waited {
    Finished(CallToolResult),
    /// Still running after the wait; the last status.
    StillRunning(String),
    /// The client cancelled the request.
    RequestCancelled,
}

/// Wait up to `limit` for the call behind `status`, notifying `listener` on every change and at least
/// every [`HEARTBEAT`].
pub async fn wait(
    mut status: watch::Receiver<Status>,
    limit: Duration,
    listener: Option<Listener>,
    request: &CancellationToken,
) -> Waited {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + limit;
    let mut notes = 0u32;
    let mut notify = async |now: &str| {
        let Some(l) = &listener else { return };
        notes += 1;
        let message = format!("{now} · {} s", started.elapsed().as_secs());
        let note = ProgressNotificationParam::new(l.token.clone(), f64::from(notes)).with_message(message);
        if let Err(e) = l.peer.notify_progress(note).await {
            tracing::debug!("progress notification not sent: {e}");
        }
    };
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = String::new();
    loop {
        let now = match &*status.borrow_and_update() {
            Status::Finished(result) => return Waited::Finished(result.clone()),
            Status::Running(s) => s.clone(),
        };
        if now != last {
            notify(&now).await;
            last.clone_from(&now);
        }
        tokio::select! {
            biased;
            () = request.cancelled() => return Waited::RequestCancelled,
            changed = status.changed() => {
                if changed.is_err() {
                    // The task ended without a result (it panicked): report what is known.
                    return Waited::StillRunning(now);
                }
            }
            _ = heartbeat.tick() => notify(&now).await,
            () = tokio::time::sleep_until(deadline) => return Waited::StillRunning(now),
        }
    }
}
