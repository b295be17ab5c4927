//! The image tools (generate, edit, variation, continue) and the job tools that follow them (wait_job,
//! cancel_job). An image call is validated and budget-checked up front (errors come back at once), then
//! runs as a job in a task of its own ([`super::jobs`]): the tool answers with the images when the job
//! ends within `wait_seconds`, or with the job id otherwise while the job keeps going.

use std::time::Duration;

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};
use tokio_util::sync::CancellationToken;

use super::Server;
use super::inputs::{
    ContinueInput, Delivery, EditInput, GenerateInput, ImageOptions, ReturnMode, VariationInput, WaitInput,
};
use super::jobs::{self, Listener, Status, Waited};
use super::peer;
use super::results::{self, JobInfo, message, tool_error};
use super::sources::{self, Source};
use super::tools::blocking;
use crate::cost;
use crate::download;
use crate::error::{Error, Result};
use crate::imaging::{InputImage, check_mask};
use crate::job::{self, Call, JobState, Prepared, Work};
use crate::models::{self, ImageParams, Operation};
use crate::openai::{Control, EditRequest, GenerateRequest, Progress, VariationRequest};

/// How long an image tool waits for its job by default before answering with the job id.
pub const WAIT_DEFAULT_S: u32 = 45;
/// The longest wait a caller may ask for (MCP clients time requests out after a few minutes).
const WAIT_MAX_S: u32 = 600;
/// How often `wait_job` looks at a job that another process runs.
const POLL: Duration = Duration::from_millis(200);

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
    if let Some(k) = o.partial_images {
        p.stream = k > 0;
        p.partial_images = (k > 0).then_some(k);
    }
    Ok(p)
}

/// What an image call needs besides the request itself.
struct Target {
    session_id: Option<String>,
    from_turn: Option<String>,
    labels: Vec<String>,
    delivery: Delivery,
}

fn wait_limit(seconds: Option<u32>) -> Duration {
    Duration::from_secs(u64::from(seconds.unwrap_or(WAIT_DEFAULT_S).min(WAIT_MAX_S)))
}

fn listener(ctx: &RequestContext<RoleServer>) -> Option<Listener> {
    ctx.meta.get_progress_token().map(|token| Listener {
        peer: ctx.peer.clone(),
        token,
    })
}

fn handed_off(job_id: &str, waited: Duration, status: &str) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(format!(
        "Job {job_id} is still running after {} s ({status}) and keeps going in the background. \
         Call wait_job with id \"{job_id}\" to get its images (get_job shows its state, cancel_job stops it).",
        waited.as_secs()
    ))])
}

impl Server {
    pub(super) fn params(&self, o: &ImageOptions) -> Result<ImageParams> {
        apply(self.config.defaults.clone(), o)
    }

    /// Validate, find the key, prepare the job, run it in its own task and wait for it (see the module
    /// docs). Every failure is a tool error.
    async fn make(&self, call: Call, target: Target, ctx: RequestContext<RoleServer>) -> CallToolResult {
        let cache_key = (self.config.mcp.cache_requests && target.session_id.is_none() && target.from_turn.is_none())
            .then(|| crate::cache::key(&call));
        if let Some(key) = &cache_key {
            match self.cached(key, target.delivery.return_mode).await {
                Ok(Some(result)) => return result,
                Ok(None) => {}
                Err(e) => tracing::warn!("request cache: {e}"),
            }
        }
        let prepared = match self.prepare(call, &target, &ctx).await {
            Ok(p) => p,
            Err(e) => return tool_error(&e),
        };
        let job_id = prepared.job().id.clone();
        let copy_to = target.delivery.save_to.clone().map(|folder| (ctx.peer.clone(), folder));
        let mode = target.delivery.return_mode;
        let prepared = if mode == ReturnMode::Preview {
            prepared.with_preview()
        } else {
            prepared
        };
        let status = self.launch(prepared, mode, copy_to, cache_key);
        self.await_job(&job_id, status, wait_limit(target.delivery.wait_seconds), &ctx)
            .await
    }

    async fn prepare(&self, call: Call, target: &Target, ctx: &RequestContext<RoleServer>) -> Result<Prepared> {
        // Bad parameters (and a mask of the wrong size) are reported even when no key is set.
        let model = call.validate()?;
        if let Some(folder) = &target.delivery.save_to {
            peer::safe_relative(folder)?;
        }
        let client = self.client().await?;
        let estimate = cost::estimate(model, call.params(), call.prompt().chars().count(), call.inputs().len());
        let threshold = self.config.mcp.confirm_above_usd;
        peer::confirm_cost(&ctx.peer, "This image call", estimate.usd, threshold).await?;
        let work = Work {
            call,
            provider: client.provider().name.clone(),
            session_id: target.session_id.clone(),
            parent_turn_id: target.from_turn.clone(),
            input_labels: target.labels.clone(),
            budget: self.config.budget,
        };
        blocking(&self.library, move |lib| job::prepare(lib, work)).await
    }

    /// Run `prepared` in a task of its own; its status (and at the end its tool result) on the returned feed.
    /// With `copy_to`, the images are also copied into that folder of the client's first root.
    /// With `cache_key`, the images are remembered for identical requests.
    fn launch(
        &self,
        prepared: Prepared,
        mode: ReturnMode,
        copy_to: Option<(rmcp::Peer<RoleServer>, String)>,
        cache_key: Option<String>,
    ) -> tokio::sync::watch::Receiver<Status> {
        let cancel = CancellationToken::new();
        let job_id = prepared.job().id.clone();
        let tx = self.running.track(&job_id, cancel.clone());
        let status = tx.subscribe();
        let partials = u32::from(prepared.partial_images());
        let server = self.clone();
        tokio::spawn(async move {
            tx.send_replace(Status::Running("running".into()));
            let feed = tx.clone();
            let on_progress = move |p: Progress| {
                feed.send_replace(Status::Running(jobs::describe(&p, partials)));
            };
            let result = match server.client().await {
                Ok(client) => {
                    let ctl = Control {
                        cancel,
                        on_progress: &on_progress,
                        first_image: None,
                    };
                    match job::execute(&server.library, client, prepared, &ctl).await {
                        Ok(o) => {
                            tx.send_replace(Status::Running("saved; shaping the result".into()));
                            let cost = o.generated.cost_usd;
                            if let Some(key) = cache_key {
                                let ids: Vec<String> = o.images.iter().map(|i| i.id.clone()).collect();
                                let stored =
                                    blocking(&server.library, move |lib| lib.cache_put(&key, &ids, cost)).await;
                                if let Err(e) = stored {
                                    tracing::warn!("request cache: {e}");
                                }
                            }
                            let (images, turn) = (&o.images, o.turn.as_ref());
                            let result = results::images(&server.library, images, turn, cost, mode, o.preview).await;
                            match (result, copy_to) {
                                (Ok(mut r), Some((peer, folder))) => {
                                    let note = match peer::save_to_root(&peer, &folder, &o.images).await {
                                        Ok(paths) => format!(
                                            "Copied to your workspace: {}",
                                            paths
                                                .iter()
                                                .map(|p| p.display().to_string())
                                                .collect::<Vec<_>>()
                                                .join(", ")
                                        ),
                                        Err(e) => format!("Not copied to your workspace: {e}"),
                                    };
                                    r.content.push(ContentBlock::text(note));
                                    Ok(r)
                                }
                                (result, _) => result,
                            }
                        }
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(e),
            };
            tx.send_replace(Status::Finished(result.unwrap_or_else(|e| tool_error(&e))));
        });
        status
    }

    /// Wait for a job of this process; hand out its id when it outlives `limit`.
    async fn await_job(
        &self,
        job_id: &str,
        status: tokio::sync::watch::Receiver<Status>,
        limit: Duration,
        ctx: &RequestContext<RoleServer>,
    ) -> CallToolResult {
        match jobs::wait(status, limit, listener(ctx), &ctx.ct).await {
            Waited::Finished(result) => {
                self.running.forget(job_id);
                result
            }
            Waited::StillRunning(now) => handed_off(job_id, limit, &now),
            Waited::RequestCancelled => {
                // The client gave up on this call: stop the upstream request too.
                if let Some((_, cancel)) = self.running.get(job_id) {
                    cancel.cancel();
                }
                tool_error(&Error::Cancelled)
            }
        }
    }

    /// The result of an identical earlier request, when the cache has one.
    async fn cached(&self, key: &str, mode: ReturnMode) -> Result<Option<CallToolResult>> {
        let key = key.to_string();
        let Some((images, cost)) = blocking(&self.library, move |lib| lib.cache_get(&key)).await? else {
            return Ok(None);
        };
        let mut result = results::images(&self.library, &images, None, 0.0, mode, None).await?;
        result.content.insert(
            0,
            ContentBlock::text(format!(
                "From the request cache: an identical request made these images before (it cost ${cost:.4}; \
                 this answer cost nothing). Change the prompt or a parameter for new ones, or call clear_cache."
            )),
        );
        Ok(Some(result))
    }

    /// A job this process does not run: poll the library until it ends or `limit` passes.
    async fn await_stored_job(&self, job_id: &str, limit: Duration, mode: ReturnMode) -> Result<CallToolResult> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let id = job_id.to_string();
            let job = blocking(&self.library, move |lib| lib.get_job(&id)).await?;
            match job.state {
                JobState::Done => {
                    let (ids, turn_id) = (job.images.clone(), job.turn_id.clone());
                    let (images, turn) = blocking(&self.library, move |lib| {
                        let images = ids.iter().map(|i| lib.get(i)).collect::<Result<Vec<_>>>()?;
                        let turn = turn_id.map(|t| lib.turn(&t)).transpose()?;
                        Ok((images, turn))
                    })
                    .await?;
                    let cost = images.iter().map(|i| i.cost_usd).sum();
                    return results::images(&self.library, &images, turn.as_ref(), cost, mode, None).await;
                }
                JobState::Failed | JobState::Cancelled => {
                    return Err(Error::InvalidInput(format!(
                        "job {job_id} {}: {}",
                        job.state.as_str(),
                        job.error.as_deref().unwrap_or("no reason recorded")
                    )));
                }
                _ if tokio::time::Instant::now() >= deadline => {
                    return Ok(handed_off(job_id, limit, job.state.as_str()));
                }
                _ => tokio::time::sleep(POLL).await,
            }
        }
    }

    /// The input images (and mask) of a call. With `resize_mask`, a mask of another size is scaled to the
    /// first image; without, a size mismatch is an error that says so.
    async fn resolve_all(
        &self,
        images: &[String],
        mask: Option<&str>,
        resize_mask: bool,
    ) -> Result<(Vec<InputImage>, Option<InputImage>, Vec<String>)> {
        if images.is_empty() {
            return Err(Error::InvalidInput(
                "images is empty: pass 1-16 images (library ids, paths, file:// or https URLs, data URLs or base64)"
                    .into(),
            ));
        }
        let mut inputs = Vec::with_capacity(images.len());
        let mut labels = Vec::with_capacity(images.len());
        for (i, reference) in images.iter().enumerate() {
            let Source { image, label } = self.source(reference, format!("image {}", i + 1)).await?;
            inputs.push(image);
            labels.push(label);
        }
        let mask = match mask {
            Some(m) => {
                let Source { mut image, .. } = self.source(m, "mask".into()).await?;
                let first = &inputs[0];
                if resize_mask && (image.width, image.height) != (first.width, first.height) {
                    let fitted = crate::mask::mask_from_png(&image.bytes, first.width, first.height, true)?;
                    image = InputImage::from_bytes(image.name.clone(), fitted)?;
                }
                check_mask(&image, first)?;
                Some(image)
            }
            None => None,
        };
        Ok((inputs, mask, labels))
    }

    /// One input image: https URLs are downloaded (SSRF-guarded), everything else read locally.
    async fn source(&self, reference: &str, what: String) -> Result<Source> {
        let r = reference.trim().to_string();
        if r.starts_with("https://") || r.starts_with("http://") {
            let bytes = download::fetch(&r, self.config.mcp.allow_private_urls, &what).await?;
            return Ok(Source {
                image: InputImage::from_bytes(what, bytes)?,
                label: r,
            });
        }
        blocking(&self.library, move |lib| sources::resolve(lib, &r, &what)).await
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
        let (images, _, labels) = self.resolve_all(std::slice::from_ref(&image_id), None, false).await?;
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
            delivery: input.delivery,
        };
        Ok((call, target))
    }
}

#[tool_router(router = call_router, vis = "pub(super)")]
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
    async fn generate_image(
        &self,
        params: Parameters<GenerateInput>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let input = params.0;
        let image_params = match self.params(&input.options) {
            Ok(p) => p,
            Err(e) => return tool_error(&e),
        };
        let prompt = if input.enhance_prompt {
            match peer::enhance_prompt(&ctx.peer, &input.prompt).await {
                Ok(p) => p,
                Err(e) => return tool_error(&e),
            }
        } else {
            input.prompt
        };
        let call = Call::Generate(GenerateRequest {
            prompt,
            params: image_params,
            user: None,
        });
        let target = Target {
            session_id: input.session_id,
            from_turn: input.from_turn,
            labels: vec![],
            delivery: input.delivery,
        };
        self.make(call, target, ctx).await
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
    async fn edit_image(&self, params: Parameters<EditInput>, ctx: RequestContext<RoleServer>) -> CallToolResult {
        let input = params.0;
        let prepared = match self.params(&input.options) {
            Ok(p) => self
                .resolve_all(&input.images, input.mask.as_deref(), input.resize_mask)
                .await
                .map(|(images, mask, labels)| (p, images, mask, labels)),
            Err(e) => Err(e),
        };
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
            delivery: input.delivery,
        };
        self.make(call, target, ctx).await
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
    async fn continue_session(
        &self,
        params: Parameters<ContinueInput>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        match self.continue_call(params.0).await {
            Ok((call, target)) => self.make(call, target, ctx).await,
            Err(e) => tool_error(&e),
        }
    }

    /// Variations of one image (dall-e-2 only: a square PNG under 4 MB), saved to the library.
    #[tool(
        title = "Create variation",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn create_variation(
        &self,
        params: Parameters<VariationInput>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let input = params.0;
        let prepared = async {
            let mut p = self.config.defaults.clone();
            p.model = input.model.clone().unwrap_or_else(|| "dall-e-2".into());
            p.size = match &input.size {
                Some(s) => s.parse()?,
                None => "1024x1024".parse()?,
            };
            p.n = input.n.unwrap_or(1);
            p.output_format = "png".parse()?;
            let (images, _, labels) = self
                .resolve_all(std::slice::from_ref(&input.image), None, false)
                .await?;
            Ok::<_, Error>((p, images, labels))
        }
        .await;
        let (params, mut images, labels) = match prepared {
            Ok(v) => v,
            Err(e) => return tool_error(&e),
        };
        let call = Call::Variation(VariationRequest {
            image: images.remove(0),
            params,
            user: None,
        });
        let target = Target {
            session_id: input.session_id,
            from_turn: None,
            labels,
            delivery: input.delivery,
        };
        self.make(call, target, ctx).await
    }

    /// Wait for a job that an image tool handed out (it answers with a job id when a call outlives
    /// wait_seconds), then return its images like the original call would have.
    #[tool(title = "Wait for job", annotations(read_only_hint = true, open_world_hint = false))]
    async fn wait_job(&self, params: Parameters<WaitInput>, ctx: RequestContext<RoleServer>) -> CallToolResult {
        let input = params.0;
        let limit = wait_limit(input.wait_seconds);
        if let Some((status, _)) = self.running.get(&input.id) {
            return self.await_job(&input.id, status, limit, &ctx).await;
        }
        self.await_stored_job(&input.id, limit, input.return_mode)
            .await
            .unwrap_or_else(|e| tool_error(&e))
    }

    /// Cancel a running job: the upstream request is dropped and the job ends as cancelled (nothing is saved
    /// or charged beyond what the provider already did).
    #[tool(
        title = "Cancel job",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn cancel_job(&self, params: Parameters<super::inputs::IdInput>) -> Result<Json<JobInfo>, String> {
        let id = params.0.id;
        if let Some((status, cancel)) = self.running.get(&id) {
            cancel.cancel();
            // The task ends within moments once its request is dropped.
            let _ = jobs::wait(status, Duration::from_secs(10), None, &CancellationToken::new()).await;
            self.running.forget(&id);
        } else {
            let lookup = id.clone();
            let job = blocking(&self.library, move |lib| lib.get_job(&lookup))
                .await
                .map_err(message)?;
            if !job.state.is_final() {
                return Err(message(Error::InvalidInput(format!(
                    "job {id} is run by another Easel process (the app, the CLI or another MCP server); \
                     cancel it there, or wait for it with wait_job"
                ))));
            }
        }
        let job = blocking(&self.library, move |lib| lib.get_job(&id))
            .await
            .map_err(message)?;
        Ok(Json(JobInfo::from(&job)))
    }
}
