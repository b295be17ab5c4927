//! The generate panel's commands over the core's queue (`easel::queue`): submit, cancel one, cancel
//! all pending, retry, and the live check + estimate of the form. Queue events reach the window as
//! `queue-event` (partial images as small JPEG data URLs).

use std::path::PathBuf;
use std::sync::Arc;

use easel::imaging::InputImage;
use easel::job::{Call, JobState, Work};
use easel::models::{ImageParams, Operation};
use easel::openai::{Client, EditRequest, GenerateRequest};
use easel::queue::{Queue, QueueEvent};
use serde::{Deserialize, Serialize};
use tauri::{Emitter, Manager, Runtime, State};

use crate::commands::{Answer, blocking};
use crate::studio::Studio;

/// The event the generate panel listens to (`onQueueEvent` in `ui/src/api.ts`).
pub const QUEUE_EVENT: &str = "queue-event";

/// The app's queue, managed as Tauri state beside the [`Studio`].
pub struct Generator(pub Queue);

/// The generate panel's form.
#[derive(Debug, Clone, Deserialize)]
pub struct GenerateForm {
    pub prompt: String,
    #[serde(default)]
    pub params: ImageParams,
    /// A provider name from the settings; the default one when absent.
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub session_id: Option<String>,
    /// Continue from this turn (a branch when it is not the session's last).
    #[serde(default)]
    pub parent_turn_id: Option<String>,
    /// Library ids of the images to edit; the mask applies to the first. Empty: generate.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// An OpenAI mask file (the mask painter's export).
    #[serde(default)]
    pub mask_path: Option<PathBuf>,
}

/// A job as the queue tile shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueuedJob {
    pub id: String,
    pub state: JobState,
}

/// What the form would cost, or why it cannot be sent (shown under the form as you type).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormCheck {
    pub estimate_usd: Option<f64>,
    pub problem: Option<String>,
}

/// A queue event for the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QueueEventDto {
    State {
        job_id: String,
        state: JobState,
        error: Option<String>,
        images: Vec<String>,
    },
    Partial {
        job_id: String,
        index: u32,
        data_url: String,
    },
}

impl From<QueueEvent> for QueueEventDto {
    fn from(event: QueueEvent) -> QueueEventDto {
        match event {
            QueueEvent::State {
                job_id,
                state,
                error,
                images,
            } => QueueEventDto::State {
                job_id,
                state,
                error,
                images,
            },
            QueueEvent::Partial { job_id, index, image } => QueueEventDto::Partial {
                job_id,
                index,
                data_url: easel::imaging::data_url(image.format, &image.bytes),
            },
        }
    }
}

/// Reads the inputs and the mask, then builds the job's work (nothing is sent yet).
fn work(studio: &Studio, form: GenerateForm) -> easel::Result<Work> {
    let config = studio.config();
    let provider = config.provider(form.provider.as_deref())?.name.clone();
    let library = studio.library();
    let images = form
        .inputs
        .iter()
        .map(|id| InputImage::from_path(&library.get(id)?.path))
        .collect::<easel::Result<Vec<_>>>()?;
    let mask = form.mask_path.as_deref().map(InputImage::from_path).transpose()?;
    let call = if images.is_empty() {
        if mask.is_some() {
            return Err(easel::Error::InvalidInput(
                "a mask needs an image to edit: pick the image the mask was painted on".into(),
            ));
        }
        Call::Generate(GenerateRequest {
            prompt: form.prompt,
            params: form.params,
            user: None,
        })
    } else {
        Call::Edit(EditRequest {
            prompt: form.prompt,
            images,
            mask,
            params: form.params,
            user: None,
        })
    };
    Ok(Work {
        call,
        provider,
        session_id: form.session_id,
        parent_turn_id: form.parent_turn_id,
        input_labels: form.inputs,
        budget: config.budget,
    })
}

/// The provider's client with its key from the environment or the keychain.
fn client(studio: &Studio, provider: &str) -> easel::Result<Arc<Client>> {
    let env = studio.env();
    Client::for_provider(&studio.config(), Some(provider), |n| env(n)).map(Arc::new)
}

/// Validates the form, checks the budget and queues the job; bad input is the rejection message.
#[tauri::command]
pub async fn generate<R: Runtime>(app: tauri::AppHandle<R>, form: GenerateForm) -> Answer<QueuedJob> {
    blocking(move || {
        let studio = app.state::<Studio>();
        let work = work(&studio, form)?;
        let client = client(&studio, &work.provider)?;
        let job = app.state::<Generator>().0.submit(&studio.library(), client, work)?;
        Ok(QueuedJob {
            id: job.id,
            state: job.state,
        })
    })
    .await
}

/// The live check of the form: the model table's rules (size, quality, n…) and the cost estimate.
#[tauri::command]
pub fn check_form(form: GenerateForm) -> FormCheck {
    let op = if form.inputs.is_empty() {
        Operation::Generate
    } else {
        Operation::Edit
    };
    let checked = easel::models::validate(
        op,
        &form.params,
        &form.prompt,
        form.inputs.len(),
        form.mask_path.is_some(),
    );
    match checked {
        Ok(model) => FormCheck {
            estimate_usd: Some(
                easel::cost::estimate(model, &form.params, form.prompt.chars().count(), form.inputs.len()).usd,
            ),
            problem: None,
        },
        Err(e) => FormCheck {
            estimate_usd: None,
            problem: Some(e.to_string()),
        },
    }
}

/// Cancels a queued or running job; false when it already ended.
#[tauri::command]
pub fn cancel_job(generator: State<'_, Generator>, job_id: String) -> bool {
    generator.0.cancel(&job_id)
}

/// Cancels every job still waiting for a slot; returns how many.
#[tauri::command]
pub fn cancel_pending(generator: State<'_, Generator>) -> usize {
    generator.0.cancel_pending()
}

/// Runs a failed or cancelled job again as a new job.
#[tauri::command]
pub async fn retry_job<R: Runtime>(app: tauri::AppHandle<R>, job_id: String) -> Answer<QueuedJob> {
    blocking(move || {
        let queue = &app.state::<Generator>().0;
        let studio = app.state::<Studio>();
        let job = queue.retry(&studio.library(), &job_id, |work| client(&studio, &work.provider))?;
        Ok(QueuedJob {
            id: job.id,
            state: job.state,
        })
    })
    .await
}

/// Forwards the queue's events to the window.
pub fn forward_queue_events<R: Runtime>(app: tauri::AppHandle<R>) {
    let mut events = app.state::<Generator>().0.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Err(e) = app.emit(QUEUE_EVENT, QueueEventDto::from(event)) {
                        tracing::warn!("cannot send a queue event to the window: {e}");
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!("{n} queue events dropped (the window is slow)");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}
