//! The app's generation queue: jobs submitted from the generate panel run a few at a time, stream their
//! partial images to whoever listens, and can be cancelled (queued or running), cancelled all at once
//! while pending, and retried after a failure.
//!
//! A job's row in the library follows every step ([`crate::job::execute`]); this module adds what only
//! the process that runs the job knows: its place in the queue, its cancel switch, the work to retry
//! and the partial images, sent as small JPEGs on [`Queue::subscribe`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{Semaphore, broadcast};
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::job::{self, Job, JobState, Work};
use crate::library::Library;
use crate::openai::{Client, Control, Progress};
use crate::thumbs::{self, Thumb};

/// Jobs running upstream at once; the rest wait in the queue.
pub const DEFAULT_CONCURRENCY: usize = 2;
/// Long edge of the partial images sent to the queue tiles.
pub const PARTIAL_EDGE: u32 = 512;
const EVENT_BUFFER: usize = 256;

/// What the queue tells its listeners.
#[derive(Clone, Debug)]
pub enum QueueEvent {
    /// A job moved to `state`; `images` are the library ids of a finished job.
    State {
        job_id: String,
        state: JobState,
        error: Option<String>,
        images: Vec<String>,
    },
    /// Partial image `index` (0-based) of a streaming job, shrunk to [`PARTIAL_EDGE`].
    Partial { job_id: String, index: u32, image: Thumb },
}

struct Entry {
    cancel: CancellationToken,
    /// Kept until the job ends well, so a failed or cancelled one can run again.
    work: Work,
    state: JobState,
}

/// The queue of this process. Cheap to clone: clones share the jobs. Each job is saved into the library
/// it was submitted with (the app can switch libraries while jobs run).
#[derive(Clone)]
pub struct Queue {
    slots: Arc<Semaphore>,
    jobs: Arc<Mutex<HashMap<String, Entry>>>,
    events: broadcast::Sender<QueueEvent>,
}

impl Queue {
    pub fn new(concurrency: usize) -> Queue {
        Queue {
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            jobs: Arc::default(),
            events: broadcast::channel(EVENT_BUFFER).0,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<QueueEvent> {
        self.events.subscribe()
    }

    fn jobs(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Validates `work` and checks the budget (errors come back here, nothing is queued), records the job
    /// as queued and returns it; the job runs when a slot is free. Call from within a Tokio runtime.
    pub fn submit(&self, library: &Arc<Library>, client: Arc<Client>, work: Work) -> Result<Job> {
        let prepared = job::prepare(library, work.clone())?;
        let job = prepared.job().clone();
        let cancel = CancellationToken::new();
        self.jobs().insert(
            job.id.clone(),
            Entry {
                cancel: cancel.clone(),
                work,
                state: JobState::Queued,
            },
        );
        self.send_state(&job.id, JobState::Queued, None, vec![]);
        let (queue, library) = (self.clone(), Arc::clone(library));
        tokio::spawn(async move { queue.run(library, client, prepared, cancel).await });
        Ok(job)
    }

    async fn run(self, library: Arc<Library>, client: Arc<Client>, prepared: job::Prepared, cancel: CancellationToken) {
        let job_id = prepared.job().id.clone();
        let permit = tokio::select! {
            permit = Arc::clone(&self.slots).acquire_owned() => permit.ok(),
            () = cancel.cancelled() => None,
        };
        let Some(_permit) = permit else {
            let _ = library.update_job(&job_id, JobState::Cancelled, None, Some("cancelled while queued"));
            self.finish(
                &job_id,
                JobState::Cancelled,
                Some("cancelled while queued".into()),
                vec![],
            );
            return;
        };
        self.set_state(&job_id, JobState::Running);
        let partials = self.partial_shrinker(&job_id);
        let on_progress = {
            let queue = self.clone();
            let job_id = job_id.clone();
            move |p: Progress| {
                if let Progress::Partial { index, image } = p {
                    queue.set_state(&job_id, JobState::Partial);
                    let _ = partials.send((index, image.bytes));
                }
            }
        };
        let control = Control {
            cancel,
            on_progress: &on_progress,
            first_image: None,
        };
        match job::execute(&library, &client, prepared, &control).await {
            Ok(outcome) => {
                let ids = outcome.images.into_iter().map(|i| i.id).collect();
                self.finish(&job_id, JobState::Done, None, ids);
            }
            Err(Error::Cancelled) => self.finish(&job_id, JobState::Cancelled, None, vec![]),
            Err(e) => self.finish(&job_id, JobState::Failed, Some(e.to_string()), vec![]),
        }
    }

    /// Where a job's partial images go to be shrunk, one after the other on a blocking thread (the stream
    /// keeps flowing), so they reach the listeners in the order they came; ends with the job's sender.
    fn partial_shrinker(&self, job_id: &str) -> tokio::sync::mpsc::UnboundedSender<(u32, bytes::Bytes)> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u32, bytes::Bytes)>();
        let events = self.events.clone();
        let job_id = job_id.to_string();
        tokio::spawn(async move {
            while let Some((index, bytes)) = rx.recv().await {
                let shrunk = tokio::task::spawn_blocking(move || thumbs::thumbnail(&bytes, PARTIAL_EDGE))
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|made| made.map_err(|e| e.to_string()));
                match shrunk {
                    Ok(image) => {
                        let job_id = job_id.clone();
                        let _ = events.send(QueueEvent::Partial { job_id, index, image });
                    }
                    Err(e) => tracing::warn!("partial image {index} of job {job_id} not shown: {e}"),
                }
            }
        });
        tx
    }

    /// Records a job's new (not final) state and tells the subscribers.
    fn set_state(&self, job_id: &str, state: JobState) {
        if let Some(entry) = self.jobs().get_mut(job_id) {
            entry.state = state;
        }
        self.send_state(job_id, state, None, vec![]);
    }

    fn finish(&self, job_id: &str, state: JobState, error: Option<String>, images: Vec<String>) {
        {
            let mut jobs = self.jobs();
            if state == JobState::Done {
                jobs.remove(job_id);
            } else if let Some(entry) = jobs.get_mut(job_id) {
                entry.state = state;
            }
        }
        self.send_state(job_id, state, error, images);
    }

    fn send_state(&self, job_id: &str, state: JobState, error: Option<String>, images: Vec<String>) {
        let _ = self.events.send(QueueEvent::State {
            job_id: job_id.to_string(),
            state,
            error,
            images,
        });
    }

    /// Cancels a queued or running job of this queue; false when it is not one (unknown or ended).
    pub fn cancel(&self, job_id: &str) -> bool {
        match self.jobs().get(job_id) {
            Some(entry) if !entry.state.is_final() => {
                entry.cancel.cancel();
                true
            }
            _ => false,
        }
    }

    /// Cancels every job still waiting for a slot (running ones go on); returns how many.
    pub fn cancel_pending(&self) -> usize {
        let jobs = self.jobs();
        let pending = jobs
            .values()
            .filter(|e| e.state == JobState::Queued && !e.cancel.is_cancelled());
        pending.map(|e| e.cancel.cancel()).count()
    }

    /// Runs a failed or cancelled job's work again as a new job, with the client `client` gives for
    /// that work (its provider's).
    pub fn retry(
        &self,
        library: &Arc<Library>,
        job_id: &str,
        client: impl FnOnce(&Work) -> Result<Arc<Client>>,
    ) -> Result<Job> {
        let work = {
            let jobs = self.jobs();
            match jobs.get(job_id) {
                Some(e) if matches!(e.state, JobState::Failed | JobState::Cancelled) => e.work.clone(),
                Some(_) => {
                    return Err(Error::InvalidInput(format!(
                        "job '{job_id}' has not failed: only a failed or cancelled job can be retried"
                    )));
                }
                None => {
                    return Err(Error::UnknownId {
                        kind: "queued job",
                        id: job_id.to_string(),
                    });
                }
            }
        };
        let job = self.submit(library, client(&work)?, work)?;
        self.jobs().remove(job_id);
        Ok(job)
    }

    /// The jobs this queue holds (queued, running, failed or cancelled) with their states.
    pub fn pending(&self) -> Vec<(String, JobState)> {
        self.jobs().iter().map(|(id, e)| (id.clone(), e.state)).collect()
    }
}
