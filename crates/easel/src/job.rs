//! Jobs: every generation or edit is a job, persisted with its state (queued → running → partial n →
//! saving → done / failed / cancelled) so the app, MCP and the CLI can follow it, and so a job cut off
//! by a crash is marked failed on the next start instead of staying "running" forever.
//! [`run`] is the one place a call becomes saved, indexed, costed images (and a session turn).

use std::sync::Arc;

use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use crate::cost;
use crate::error::{Error, Result};
use crate::imaging::InputImage;
use crate::ledger::{Budget, Entry};
use crate::library::db::{now_ms, record_change};
use crate::library::{ImageRecord, Library, new_id};
use crate::metadata::{FORMAT_VERSION, ImageMeta};
use crate::models::{self, ImageParams, Operation};
use crate::openai::{
    Client, Control, EditRequest, GenerateRequest, Generated, Progress, RespondRequest, VariationRequest,
};
use crate::session::{NewTurn, Turn};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Partial,
    Saving,
    Done,
    Failed,
    Cancelled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Partial => "partial",
            JobState::Saving => "saving",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed | JobState::Cancelled)
    }

    fn parse(s: &str) -> JobState {
        [
            JobState::Queued,
            JobState::Running,
            JobState::Partial,
            JobState::Saving,
            JobState::Done,
            JobState::Failed,
            JobState::Cancelled,
        ]
        .into_iter()
        .find(|j| j.as_str() == s)
        .unwrap_or(JobState::Failed)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub state: JobState,
    pub partials: u32,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub session_id: Option<String>,
    pub turn_id: Option<String>,
    pub error: Option<String>,
    pub images: Vec<String>,
}

const JOB_COLUMNS: &str = "id, kind, state, partials, created_ms, updated_ms, session_id, turn_id, error, images";

fn job_row(r: &Row<'_>) -> rusqlite::Result<Job> {
    let state: String = r.get(2)?;
    let images: String = r.get(9)?;
    Ok(Job {
        id: r.get(0)?,
        kind: r.get(1)?,
        state: JobState::parse(&state),
        partials: r.get::<_, i64>(3)? as u32,
        created_ms: r.get(4)?,
        updated_ms: r.get(5)?,
        session_id: r.get(6)?,
        turn_id: r.get(7)?,
        error: r.get(8)?,
        images: serde_json::from_str(&images).unwrap_or_default(),
    })
}

/// Whether the process that owns a job is still alive.
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

impl Library {
    pub fn create_job(&self, kind: &str, session_id: Option<&str>) -> Result<Job> {
        let id = format!("j_{}", new_id());
        let now = now_ms();
        self.db().write(|tx| {
            tx.execute(
                "INSERT INTO jobs (id, kind, state, created_ms, updated_ms, pid, session_id) VALUES (?1, ?2, 'queued', ?3, ?3, ?4, ?5)",
                params![id, kind, now, std::process::id(), session_id],
            )?;
            record_change(tx, "job_changed", &id)
        })?;
        self.get_job(&id)
    }

    pub fn update_job(&self, id: &str, state: JobState, partials: Option<u32>, error: Option<&str>) -> Result<()> {
        self.db().write(|tx| {
            tx.execute(
                "UPDATE jobs SET state = ?2, partials = coalesce(?3, partials), error = coalesce(?4, error), updated_ms = ?5 \
                 WHERE id = ?1",
                params![id, state.as_str(), partials, error, now_ms()],
            )?;
            record_change(tx, "job_changed", id)
        })
    }

    fn finish_job(&self, id: &str, images: &[String], turn_id: Option<&str>) -> Result<()> {
        let images = serde_json::to_string(images).expect("serializable");
        self.db().write(|tx| {
            tx.execute(
                "UPDATE jobs SET state = 'done', images = ?2, turn_id = ?3, updated_ms = ?4 WHERE id = ?1",
                params![id, images, turn_id, now_ms()],
            )?;
            record_change(tx, "job_changed", id)
        })
    }

    pub fn get_job(&self, id: &str) -> Result<Job> {
        self.db()
            .read(|c| {
                c.query_row(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1"), [id], job_row)
                    .optional()
            })?
            .ok_or_else(|| Error::UnknownId {
                kind: "job",
                id: id.to_string(),
            })
    }

    pub fn list_jobs(&self, limit: u32) -> Result<Vec<Job>> {
        self.db().read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {JOB_COLUMNS} FROM jobs ORDER BY created_ms DESC LIMIT ?1"
            ))?;
            let rows = stmt.query_map([limit], job_row)?;
            rows.collect()
        })
    }

    /// Mark jobs left unfinished by a process that no longer runs as failed. Called on open.
    pub fn fail_interrupted_jobs(&self) -> Result<usize> {
        let open: Vec<(String, u32)> = self.db().read(|c| {
            let mut stmt = c.prepare("SELECT id, pid FROM jobs WHERE state NOT IN ('done', 'failed', 'cancelled')")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u32)))?;
            rows.collect()
        })?;
        let dead: Vec<String> = open
            .into_iter()
            .filter(|(_, pid)| !process_alive(*pid))
            .map(|(id, _)| id)
            .collect();
        for id in &dead {
            self.update_job(
                id,
                JobState::Failed,
                None,
                Some("interrupted: the process running it stopped"),
            )?;
        }
        Ok(dead.len())
    }
}

/// The call a job makes.
#[derive(Clone, Debug)]
pub enum Call {
    Generate(GenerateRequest),
    Edit(EditRequest),
    Variation(VariationRequest),
    Respond(RespondRequest),
}

impl Call {
    /// Everything that can be checked without the network: the model table's rules and the mask.
    /// Bad input fails here, before a job exists or a key is looked up.
    pub fn validate(&self) -> Result<&'static models::Model> {
        let model = models::validate(
            self.operation(),
            self.params(),
            self.prompt(),
            self.inputs().len(),
            self.has_mask(),
        )?;
        if let (Some(mask), Some(first)) = (self.mask(), self.inputs().first()) {
            crate::imaging::check_mask(mask, first)?;
        }
        Ok(model)
    }

    pub fn operation(&self) -> Operation {
        match self {
            Call::Generate(_) => Operation::Generate,
            Call::Edit(_) => Operation::Edit,
            Call::Variation(_) => Operation::Variation,
            Call::Respond(r) if r.images.is_empty() => Operation::Generate,
            Call::Respond(_) => Operation::Edit,
        }
    }
    pub fn prompt(&self) -> &str {
        match self {
            Call::Generate(r) => &r.prompt,
            Call::Edit(r) => &r.prompt,
            Call::Variation(_) => "",
            Call::Respond(r) => &r.prompt,
        }
    }
    pub fn params(&self) -> &ImageParams {
        match self {
            Call::Generate(r) => &r.params,
            Call::Edit(r) => &r.params,
            Call::Variation(r) => &r.params,
            Call::Respond(r) => &r.params,
        }
    }
    pub fn inputs(&self) -> &[InputImage] {
        match self {
            Call::Generate(_) => &[],
            Call::Edit(r) => &r.images,
            Call::Variation(r) => std::slice::from_ref(&r.image),
            Call::Respond(r) => &r.images,
        }
    }
    fn has_mask(&self) -> bool {
        self.mask().is_some()
    }

    pub fn mask(&self) -> Option<&InputImage> {
        match self {
            Call::Edit(r) => r.mask.as_ref(),
            Call::Respond(r) => r.mask.as_ref(),
            _ => None,
        }
    }
}

/// Everything a job needs besides the client.
#[derive(Clone, Debug)]
pub struct Work {
    pub call: Call,
    pub provider: String,
    /// Join this session (a new turn is recorded)…
    pub session_id: Option<String>,
    /// …continuing from this turn (a branch when it is not the last one).
    pub parent_turn_id: Option<String>,
    /// Labels of the inputs for the turn and the metadata (library ids or paths).
    pub input_labels: Vec<String>,
    pub budget: Budget,
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub job: Job,
    pub images: Vec<ImageRecord>,
    pub generated: Generated,
    pub turn: Option<Turn>,
    /// The first image's MCP preview, when the job was prepared [`Prepared::with_preview`].
    pub preview: Option<crate::thumbs::Thumb>,
}

/// A job that passed validation, the budget and the session checks, persisted as queued: its id exists
/// before anything is sent, so a caller can hand it out and let [`execute`] finish in the background.
#[derive(Debug)]
pub struct Prepared {
    job: Job,
    work: Work,
    session_id: Option<String>,
    kind: &'static str,
    preview: bool,
}

impl Prepared {
    pub fn job(&self) -> &Job {
        &self.job
    }

    /// Also make the MCP preview of the first image ([`Outcome::preview`]), on another core while the
    /// images are being saved.
    pub fn with_preview(mut self) -> Prepared {
        self.preview = true;
        self
    }

    /// How many partial images the call streams (0 without streaming).
    pub fn partial_images(&self) -> u8 {
        let p = self.work.call.params();
        if p.stream { p.partial_images.unwrap_or(0) } else { 0 }
    }
}

/// Validate, check the budget and the session, then record the job as queued.
/// Bad input and budget refusals fail here, before a job exists or anything is sent.
pub fn prepare(library: &Library, work: Work) -> Result<Prepared> {
    let op = work.call.operation();
    let params = work.call.params();
    let inputs = work.call.inputs().len();
    let model = work.call.validate()?;
    let estimate = cost::estimate(model, params, work.call.prompt().chars().count(), inputs);
    library.check_budget(&work.budget, estimate.usd)?;
    if let Some(s) = &work.session_id {
        library.get_session(s)?;
    }
    if let Some(t) = &work.parent_turn_id {
        let turn = library.turn(t)?;
        if work.session_id.as_deref().is_some_and(|s| s != turn.session_id) {
            return Err(Error::InvalidInput(format!(
                "turn '{t}' belongs to session '{}'",
                turn.session_id
            )));
        }
    }
    let session_id = match (&work.session_id, &work.parent_turn_id) {
        (Some(s), _) => Some(s.clone()),
        (None, Some(t)) => Some(library.turn(t)?.session_id),
        (None, None) => None,
    };
    let kind = match op {
        Operation::Generate => "generate",
        Operation::Edit => "edit",
        Operation::Variation => "variation",
    };
    let job = library.create_job(kind, session_id.as_deref())?;
    Ok(Prepared {
        job,
        work,
        session_id,
        kind,
        preview: false,
    })
}

/// [`prepare`] then [`execute`]: validate, check the budget, run the call, save + index the images,
/// record the turn and the cost.
pub async fn run(library: &Arc<Library>, client: &Client, work: Work, ctl: &Control<'_>) -> Result<Outcome> {
    let prepared = prepare(library, work)?;
    execute(library, client, prepared, ctl).await
}

/// Run a prepared job to its end: the call, then save + index, turn and ledger. The job row follows
/// every step (running, partial n, saving, done / failed / cancelled).
pub async fn execute(
    library: &Arc<Library>,
    client: &Client,
    prepared: Prepared,
    ctl: &Control<'_>,
) -> Result<Outcome> {
    let Prepared {
        job,
        work,
        session_id,
        kind,
        preview,
    } = prepared;
    // The heap keeps image buffers for the next job; it gives them back once jobs stop (`memory`).
    let busy = crate::memory::IdleRelease::begin();
    let params = work.call.params().clone();
    let prompt = work.call.prompt().to_string();
    library.update_job(&job.id, JobState::Running, None, None)?;
    let job_id = job.id.clone();
    let lib = Arc::clone(library);
    let forward = ctl.on_progress;
    let on_progress = move |p: Progress| {
        if let Progress::Partial { index, .. } = &p
            && let Err(e) = lib.update_job(&job_id, JobState::Partial, Some(index + 1), None)
        {
            tracing::warn!("job progress not recorded: {e}");
        }
        forward(p);
    };
    // The preview starts on the first image while the answer is still arriving; it is used only if it
    // was made from exactly the image the call returns (`thumbs::preview_arriving`).
    let (first_image, arriving) = match preview.then(crate::openai::early_image) {
        Some((tx, rx)) => {
            let arriving = tokio::task::spawn_blocking(move || crate::thumbs::preview_arriving(rx));
            (Some(tx), Some(arriving))
        }
        None => (None, None),
    };
    let inner = Control {
        cancel: ctl.cancel.clone(),
        on_progress: &on_progress,
        first_image: first_image.as_ref(),
    };
    let result = match &work.call {
        Call::Generate(r) => client.generate(r, &inner).await,
        Call::Edit(r) => client.edit(r, &inner).await,
        Call::Variation(r) => client.variation(r, &inner).await,
        Call::Respond(r) => client.respond(r, &inner).await,
    };
    // The preview made while the image arrived stands only if the client says those bytes were the image.
    let arrived_whole = first_image.as_ref().is_some_and(|f| f.confirmed());
    drop(first_image);
    let generated = match result {
        Ok(g) => g,
        Err(e) => {
            let state = if matches!(e, Error::Cancelled) {
                JobState::Cancelled
            } else {
                JobState::Failed
            };
            library.update_job(&job.id, state, None, Some(&e.to_string()))?;
            return Err(e);
        }
    };
    library.update_job(&job.id, JobState::Saving, None, None)?;
    // The first image's preview on other cores while the files are saved; its decoded pixels give the
    // thumbnail afterwards, off the result's path.
    let preview_task = generated.images.first().filter(|_| preview).map(|first| {
        let bytes = first.bytes.clone();
        tokio::spawn(async move {
            if let Some(task) = arriving.filter(|_| arrived_whole)
                && let Ok(Some(made)) = task.await
            {
                return Some((made.preview, made.decoded));
            }
            let made = tokio::task::spawn_blocking(move || crate::thumbs::preview_and_decoded(&bytes));
            made.await.ok().and_then(Result::ok)
        })
    });
    let saved = save(
        library,
        &work,
        &job,
        &prompt,
        &params,
        kind,
        &session_id,
        generated.clone(),
    )
    .await;
    let (images, turn) = match saved {
        Ok(saved) => saved,
        Err(e) => {
            library.update_job(&job.id, JobState::Failed, None, Some(&format!("saving failed: {e}")))?;
            return Err(e);
        }
    };
    // The job is finished in the index while the preview may still be in the making.
    let ids: Vec<String> = images.iter().map(|i| i.id.clone()).collect();
    library.finish_job(&job.id, &ids, turn.as_ref().map(|t| t.id.as_str()))?;
    let job = library.get_job(&job.id)?;
    let (preview, decoded) = match preview_task {
        Some(task) => match task.await.ok().flatten() {
            Some((preview, decoded)) => (Some(preview), decoded),
            None => (None, None),
        },
        None => (None, None),
    };
    // Thumbnails in the background, at the lowest priority (the next call may already be under way): the
    // first one from the preview's decoded pixels when there are some; the gallery also makes them on
    // demand.
    let made = usize::from(decoded.is_some());
    let items: Vec<(String, std::path::PathBuf)> = images
        .iter()
        .skip(made)
        .map(|i| (i.id.clone(), i.path.clone()))
        .collect();
    let first = decoded.zip(images.first().map(|i| i.id.clone()));
    let cache = library.thumbs_dir();
    crate::priority::spawn_background("easel-thumbs", move || {
        use crate::thumbs::THUMB_EDGE;
        if let Some((decoded, id)) = first
            && let Err(e) = decoded
                .thumbnail(THUMB_EDGE)
                .and_then(|thumb| crate::thumbs::store(&cache, &id, THUMB_EDGE, &thumb))
        {
            tracing::warn!("thumbnail of {id} not cached: {e}");
        }
        // One after the other on this thread: `generate_many` would hand them to the shared pool, at
        // normal priority.
        for (id, path) in &items {
            if let Err(e) = crate::thumbs::ensure_thumbnail(&cache, id, path, THUMB_EDGE) {
                tracing::warn!("thumbnail of {id} not cached: {e}");
            }
        }
        drop(busy);
    });
    Ok(Outcome {
        job,
        images,
        generated,
        turn,
        preview,
    })
}

#[allow(clippy::too_many_arguments)]
async fn save(
    library: &Arc<Library>,
    work: &Work,
    job: &Job,
    prompt: &str,
    params: &ImageParams,
    kind: &str,
    session_id: &Option<String>,
    generated: Generated,
) -> Result<(Vec<ImageRecord>, Option<Turn>)> {
    library.record_cost(&Entry {
        model: generated.model,
        provider: &work.provider,
        session_id: session_id.as_deref(),
        job_id: Some(&job.id),
        cost_usd: generated.cost_usd,
        estimated: generated.cost_estimated,
        usage: generated.usage.unwrap_or_default(),
    })?;
    let turn = match session_id {
        Some(s) => Some(library.add_turn(
            s,
            NewTurn {
                parent_id: work.parent_turn_id.as_deref(),
                prompt,
                params: params.clone(),
                inputs: work.input_labels.clone(),
                has_mask: work.call.has_mask(),
                cost_usd: generated.cost_usd,
                usage: generated.usage,
                response_id: generated.response_id.clone(),
            },
        )?),
        None => None,
    };
    let n = generated.images.len().max(1) as f64;
    let created_at = jiff::Timestamp::now().to_string();
    let mut records = Vec::new();
    for image in generated.images {
        let meta = ImageMeta {
            easel: FORMAT_VERSION,
            id: new_id(),
            created_at: created_at.clone(),
            prompt: prompt.to_string(),
            revised_prompt: image.revised_prompt.clone(),
            operation: kind.to_string(),
            model: generated.model.to_string(),
            provider: work.provider.clone(),
            params: params.clone(),
            width: image.width,
            height: image.height,
            format: image.format,
            usage: generated.usage,
            cost_usd: generated.cost_usd / n,
            request_id: generated.request_id.clone(),
            response_id: generated.response_id.clone(),
            session_id: session_id.clone(),
            turn_id: turn.as_ref().map(|t| t.id.clone()),
            inputs: work.input_labels.clone(),
            has_mask: work.call.has_mask(),
            tags: vec![],
        };
        let lib = Arc::clone(library);
        let record = tokio::task::spawn_blocking(move || lib.add_image(&image.bytes, &meta))
            .await
            .map_err(|e| Error::Index(format!("saving task failed: {e}")))??;
        records.push(record);
    }
    let turn = match turn {
        Some(t) => Some(library.turn(&t.id)?),
        None => None,
    };
    Ok((records, turn))
}
