//! The tools. Image tools return text + resource links + at most one inline preview and no
//! structuredContent; list/search/get tools return structuredContent with an output schema.

use std::sync::Arc;

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use tokio_util::sync::CancellationToken;

use super::Server;
use super::inputs::{
    ContinueInput, EditInput, EstimateInput, GenerateInput, IdInput, ImageOptions, ListInput, ReturnMode, SearchInput,
    StarInput, StartSessionInput,
};
use super::results::{
    self, EstimateInfo, ImageInfo, ImageList, JobInfo, JobList, ProviderInfo, ProviderStatus, SessionDetail,
    SessionInfo, SessionList, Spend, UsageInfo, message, tool_error,
};
use super::sources::{self, Source};
use crate::cost;
use crate::error::{Error, Result};
use crate::imaging::{InputImage, check_mask};
use crate::job::{self, Call, Work};
use crate::keys;
use crate::ledger::GroupBy;
use crate::library::{Library, Query};
use crate::models::{self, ImageParams, Operation};
use crate::openai::{Control, EditRequest, GenerateRequest, Progress};

const SEARCH_DEFAULT: u32 = 20;
const SEARCH_MAX: u32 = 200;
const LIST_DEFAULT: u32 = 50;

/// Run a synchronous library call off the async threads.
async fn blocking<T: Send + 'static>(
    library: &Arc<Library>,
    f: impl FnOnce(&Library) -> Result<T> + Send + 'static,
) -> Result<T> {
    let lib = Arc::clone(library);
    tokio::task::spawn_blocking(move || f(&lib))
        .await
        .map_err(|e| Error::Index(format!("library task failed: {e}")))?
}

/// `options` over `base`: only what the caller gave changes.
fn apply(mut p: ImageParams, o: &ImageOptions) -> Result<ImageParams> {
    if let Some(m) = &o.model {
        p.model = m.trim().to_string();
    }
    if let Some(s) = &o.size {
        p.size = s.parse()?;
    }
    if let Some(q) = &o.quality {
        p.quality = q.parse()?;
    }
    if let Some(n) = o.n {
        p.n = n;
    }
    if let Some(f) = &o.output_format {
        p.output_format = f.parse()?;
    }
    if let Some(b) = &o.background {
        p.background = b.parse()?;
    }
    Ok(p)
}

/// What an image call needs besides the request itself.
struct Target {
    session_id: Option<String>,
    from_turn: Option<String>,
    labels: Vec<String>,
    mode: ReturnMode,
}

fn ignore_progress(_: Progress) {}

impl Server {
    fn params(&self, o: &ImageOptions) -> Result<ImageParams> {
        apply(self.config.defaults.clone(), o)
    }

    /// Validate, find the key, run the job, and shape the result. Every failure is a tool error.
    async fn make(&self, call: Call, target: Target, cancel: CancellationToken) -> CallToolResult {
        match self.try_make(call, target, cancel).await {
            Ok(result) => result,
            Err(e) => tool_error(&e),
        }
    }

    async fn try_make(&self, call: Call, target: Target, cancel: CancellationToken) -> Result<CallToolResult> {
        // Bad parameters (and a mask of the wrong size) are reported even when no key is set.
        call.validate()?;
        let client = self.client().await?;
        let work = Work {
            call,
            provider: client.provider().name.clone(),
            session_id: target.session_id,
            parent_turn_id: target.from_turn,
            input_labels: target.labels,
            budget: self.config.budget,
        };
        let ctl = Control {
            cancel,
            on_progress: &ignore_progress,
        };
        let outcome = job::run(&self.library, client, work, &ctl).await?;
        results::images(
            &self.library,
            &outcome.images,
            outcome.turn.as_ref(),
            outcome.generated.cost_usd,
            target.mode,
        )
        .await
    }

    fn resolve_all(
        &self,
        images: &[String],
        mask: Option<&str>,
    ) -> Result<(Vec<InputImage>, Option<InputImage>, Vec<String>)> {
        if images.is_empty() {
            return Err(Error::InvalidInput(
                "images is empty: pass 1-16 images (library ids, absolute paths, file:// URLs, data URLs or base64)"
                    .into(),
            ));
        }
        let mut inputs = Vec::with_capacity(images.len());
        let mut labels = Vec::with_capacity(images.len());
        for (i, reference) in images.iter().enumerate() {
            let Source { image, label } = sources::resolve(&self.library, reference, &format!("image {}", i + 1))?;
            inputs.push(image);
            labels.push(label);
        }
        let mask = match mask {
            Some(m) => {
                let Source { image, .. } = sources::resolve(&self.library, m, "mask")?;
                check_mask(&image, &inputs[0])?;
                Some(image)
            }
            None => None,
        };
        Ok((inputs, mask, labels))
    }

    async fn continue_call(&self, input: ContinueInput) -> Result<(Call, Target)> {
        let session_id = input.session_id.clone();
        let from = input.from_turn.clone();
        let parent = blocking(&self.library, move |lib| {
            lib.get_session(&session_id)?;
            match from {
                Some(t) => lib.turn(&t).map(Some),
                None => lib.last_turn(&session_id),
            }
        })
        .await?
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "session '{}' has no turns yet: call generate_image with session_id '{}' first",
                input.session_id, input.session_id
            ))
        })?;
        if parent.session_id != input.session_id {
            return Err(Error::InvalidInput(format!(
                "turn '{}' belongs to session '{}', not '{}'",
                parent.id, parent.session_id, input.session_id
            )));
        }
        let image_id = parent.images.first().cloned().ok_or_else(|| {
            Error::InvalidInput(format!(
                "turn '{}' has no saved image to continue from; pick another turn with get_session",
                parent.id
            ))
        })?;
        let (images, _, labels) = self.resolve_all(std::slice::from_ref(&image_id), None)?;
        // Carry the parent's look forward; a model that cannot edit falls back to the default.
        let mut base = parent.params.clone();
        base.n = 1;
        base.stream = false;
        base.partial_images = None;
        if models::lookup(&base.model).is_none_or(|m| !m.supports(Operation::Edit)) {
            base.model = self.config.defaults.model.clone();
        }
        let params = apply(base, &input.options)?;
        let call = Call::Edit(EditRequest {
            prompt: input.prompt,
            images,
            mask: None,
            params,
            user: None,
        });
        let target = Target {
            session_id: Some(input.session_id),
            from_turn: Some(parent.id),
            labels,
            mode: input.return_mode,
        };
        Ok((call, target))
    }
}

#[tool_router(vis = "pub(super)")]
impl Server {
    /// Generate images from a text prompt with an OpenAI gpt-image model and save them to the library.
    /// Returns the id, absolute path, size, model and cost of each image, a link to the full image, and a
    /// small preview. Optionally records the call as a turn of a session.
    #[tool(
        title = "Generate image",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn generate_image(&self, params: Parameters<GenerateInput>, ct: CancellationToken) -> CallToolResult {
        let input = params.0;
        let image_params = match self.params(&input.options) {
            Ok(p) => p,
            Err(e) => return tool_error(&e),
        };
        let call = Call::Generate(GenerateRequest {
            prompt: input.prompt,
            params: image_params,
            user: None,
        });
        let target = Target {
            session_id: input.session_id,
            from_turn: input.from_turn,
            labels: vec![],
            mode: input.return_mode,
        };
        self.make(call, target, ct).await
    }

    /// Edit one or more images with a prompt (optionally only inside a mask) and save the results to the
    /// library. Images are library ids, absolute paths, file:// URLs, data URLs or raw base64.
    #[tool(
        title = "Edit image",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn edit_image(&self, params: Parameters<EditInput>, ct: CancellationToken) -> CallToolResult {
        let input = params.0;
        let prepared = self.params(&input.options).and_then(|p| {
            let (images, mask, labels) = self.resolve_all(&input.images, input.mask.as_deref())?;
            Ok((p, images, mask, labels))
        });
        let (image_params, images, mask, labels) = match prepared {
            Ok(v) => v,
            Err(e) => return tool_error(&e),
        };
        let call = Call::Edit(EditRequest {
            prompt: input.prompt,
            images,
            mask,
            params: image_params,
            user: None,
        });
        let target = Target {
            session_id: input.session_id,
            from_turn: input.from_turn,
            labels,
            mode: input.return_mode,
        };
        self.make(call, target, ct).await
    }

    /// Continue a session: edit the first image of a turn (default: the last turn) with a new prompt and
    /// record the result as a child turn. Continuing from an earlier turn makes a branch.
    #[tool(
        title = "Continue session",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn continue_session(&self, params: Parameters<ContinueInput>, ct: CancellationToken) -> CallToolResult {
        match self.continue_call(params.0).await {
            Ok((call, target)) => self.make(call, target, ct).await,
            Err(e) => tool_error(&e),
        }
    }

    /// Search the image library by words in prompts, revised prompts and tags, newest first.
    #[tool(title = "Search images", annotations(read_only_hint = true, open_world_hint = false))]
    async fn search_images(&self, params: Parameters<SearchInput>) -> Result<Json<ImageList>, String> {
        let input = params.0;
        let query = Query {
            text: Some(input.query).filter(|q| !q.trim().is_empty()),
            model: input.model,
            starred: input.starred,
            limit: Some(input.limit.unwrap_or(SEARCH_DEFAULT).clamp(1, SEARCH_MAX)),
            ..Query::default()
        };
        let found = blocking(&self.library, move |lib| lib.search(&query))
            .await
            .map_err(message)?;
        Ok(Json(ImageList {
            images: found.iter().map(ImageInfo::from).collect(),
        }))
    }

    /// One library image: prompt, model, size, cost, path, session and turn, star and trash state.
    #[tool(title = "Get image", annotations(read_only_hint = true, open_world_hint = false))]
    async fn get_image(&self, params: Parameters<IdInput>) -> Result<Json<ImageInfo>, String> {
        let id = params.0.id;
        let record = blocking(&self.library, move |lib| lib.get(&id))
            .await
            .map_err(message)?;
        Ok(Json(ImageInfo::from(&record)))
    }

    /// Star or unstar a library image.
    #[tool(
        title = "Star image",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn star_image(&self, params: Parameters<StarInput>) -> Result<Json<ImageInfo>, String> {
        let StarInput { id, starred } = params.0;
        let record = blocking(&self.library, move |lib| lib.star(&id, starred))
            .await
            .map_err(message)?;
        Ok(Json(ImageInfo::from(&record)))
    }

    /// Move a library image to the trash (the user can restore it from the app until the trash is emptied).
    #[tool(
        title = "Delete image",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn delete_image(&self, params: Parameters<IdInput>) -> Result<Json<ImageInfo>, String> {
        let id = params.0.id;
        let record = blocking(&self.library, move |lib| lib.trash(&id))
            .await
            .map_err(message)?;
        Ok(Json(ImageInfo::from(&record)))
    }

    /// Sessions (iterative edit histories), most recently active first.
    #[tool(title = "List sessions", annotations(read_only_hint = true, open_world_hint = false))]
    async fn list_sessions(&self, params: Parameters<ListInput>) -> Result<Json<SessionList>, String> {
        let limit = params.0.limit.unwrap_or(LIST_DEFAULT).clamp(1, 1000);
        let sessions = blocking(&self.library, move |lib| lib.list_sessions(false, limit))
            .await
            .map_err(message)?;
        Ok(Json(SessionList {
            sessions: sessions.iter().map(SessionInfo::from).collect(),
        }))
    }

    /// A session with its whole turn tree: every prompt, its parent turn and the images it produced.
    #[tool(title = "Get session", annotations(read_only_hint = true, open_world_hint = false))]
    async fn get_session(&self, params: Parameters<IdInput>) -> Result<Json<SessionDetail>, String> {
        let id = params.0.id;
        let tree = blocking(&self.library, move |lib| lib.session_tree(&id))
            .await
            .map_err(message)?;
        Ok(Json(SessionDetail::from(&tree)))
    }

    /// Start a named session; pass its id to generate_image, then refine with continue_session.
    #[tool(
        title = "Start session",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn start_session(&self, params: Parameters<StartSessionInput>) -> Result<Json<SessionInfo>, String> {
        let name = params.0.name;
        let session = blocking(&self.library, move |lib| lib.create_session(&name))
            .await
            .map_err(message)?;
        Ok(Json(SessionInfo::from(&session)))
    }

    /// The expected cost in USD of a generate (or, with input_images, an edit) call, before making it.
    #[tool(title = "Estimate cost", annotations(read_only_hint = true, open_world_hint = false))]
    async fn estimate_cost(&self, params: Parameters<EstimateInput>) -> Result<Json<EstimateInfo>, String> {
        let input = params.0;
        let p = self.params(&input.options).map_err(message)?;
        let inputs = usize::from(input.input_images.unwrap_or(0));
        let op = if inputs > 0 {
            Operation::Edit
        } else {
            Operation::Generate
        };
        let prompt = if input.prompt.trim().is_empty() {
            "estimate"
        } else {
            input.prompt.as_str()
        };
        let model = models::validate(op, &p, prompt, inputs, false).map_err(|e| message(e.into()))?;
        let estimate = cost::estimate(model, &p, prompt.chars().count(), inputs);
        Ok(Json(EstimateInfo {
            usd: estimate.usd,
            model: model.id.to_string(),
            size: p.size.to_string(),
            assumed_quality: estimate.assumed_quality.to_string(),
            n: p.n,
            input_text_tokens: estimate.usage.input_text_tokens,
            input_image_tokens: estimate.usage.input_image_tokens,
            output_image_tokens: estimate.usage.output_image_tokens,
        }))
    }

    /// Spend so far: today, this month, the budget caps, and totals per day and per model.
    #[tool(title = "Get usage", annotations(read_only_hint = true, open_world_hint = false))]
    async fn get_usage(&self) -> Result<Json<UsageInfo>, String> {
        let budget = self.config.budget;
        blocking(&self.library, move |lib| {
            let (today_usd, month_usd) = lib.spent()?;
            let spend = |by| -> Result<Vec<Spend>> {
                Ok(lib
                    .cost_totals(by, 60)?
                    .into_iter()
                    .map(|t| Spend {
                        key: t.key,
                        cost_usd: t.cost_usd,
                        calls: t.calls,
                    })
                    .collect())
            };
            Ok(UsageInfo {
                today_usd,
                month_usd,
                daily_cap_usd: budget.daily_usd,
                monthly_cap_usd: budget.monthly_usd,
                by_day: spend(GroupBy::Day)?,
                by_model: spend(GroupBy::Model)?,
            })
        })
        .await
        .map(Json)
        .map_err(message)
    }

    /// One job (a generate or edit call) and its state: queued, running, partial, saving, done, failed or cancelled.
    #[tool(title = "Get job", annotations(read_only_hint = true, open_world_hint = false))]
    async fn get_job(&self, params: Parameters<IdInput>) -> Result<Json<JobInfo>, String> {
        let id = params.0.id;
        let job = blocking(&self.library, move |lib| lib.get_job(&id))
            .await
            .map_err(message)?;
        Ok(Json(JobInfo::from(&job)))
    }

    /// Recent jobs, newest first.
    #[tool(title = "List jobs", annotations(read_only_hint = true, open_world_hint = false))]
    async fn list_jobs(&self, params: Parameters<ListInput>) -> Result<Json<JobList>, String> {
        let limit = params.0.limit.unwrap_or(LIST_DEFAULT).clamp(1, 1000);
        let jobs = blocking(&self.library, move |lib| lib.list_jobs(limit))
            .await
            .map_err(message)?;
        Ok(Json(JobList {
            jobs: jobs.iter().map(JobInfo::from).collect(),
        }))
    }

    /// The configured providers: name, kind, base URL, and whether an API key is found and where (never the key).
    #[tool(
        title = "Provider status",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn provider_status(&self) -> Result<Json<ProviderStatus>, String> {
        let config = Arc::clone(&self.config);
        let env = Arc::clone(&self.env);
        let status = tokio::task::spawn_blocking(move || {
            let providers = config
                .providers
                .iter()
                .map(|p| {
                    let env_var = p.api_key_env.as_deref().filter(|v| env(v).is_some());
                    let (found, source) = match env_var {
                        Some(var) => (true, format!("environment ({var})")),
                        None => match keys::keychain_get(&p.name) {
                            Ok(Some(_)) => (true, "keychain".to_string()),
                            Ok(None) => (false, set_hint(p.api_key_env.as_deref(), &p.name)),
                            Err(e) => (false, format!("{}; {e}", set_hint(p.api_key_env.as_deref(), &p.name))),
                        },
                    };
                    ProviderInfo {
                        name: p.name.clone(),
                        kind: serde_json::to_value(p.kind)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                        base_url: p.base_url.clone(),
                        is_default: p.name == config.default_provider,
                        key_found: found,
                        key_source: source,
                    }
                })
                .collect();
            ProviderStatus {
                providers,
                library: config.library_root.display().to_string(),
            }
        })
        .await
        .map_err(|e| format!("Error: provider check failed: {e}"))?;
        Ok(Json(status))
    }
}

fn set_hint(env: Option<&str>, provider: &str) -> String {
    match env {
        Some(var) => format!("not found: set {var} or run `easel keys set {provider}`"),
        None => format!("not found: run `easel keys set {provider}`"),
    }
}
