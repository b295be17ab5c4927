//! The tools. Image tools return text + resource links + at most one inline preview and no
//! structuredContent; list/search/get tools return structuredContent with an output schema.

use std::sync::Arc;

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};

use super::Server;
use super::inputs::{EstimateInput, IdInput, ListInput, SearchInput, StarInput, StartSessionInput};
use super::results::{
    CacheInfo, EstimateInfo, ImageInfo, ImageList, JobInfo, JobList, ProviderInfo, ProviderStatus, SessionDetail,
    SessionInfo, SessionList, Spend, UsageInfo, message,
};
use crate::cost;
use crate::error::{Error, Result};
use crate::keys;
use crate::ledger::GroupBy;
use crate::library::{Library, Query};
use crate::models::{self, Operation};

const SEARCH_DEFAULT: u32 = 20;
const SEARCH_MAX: u32 = 200;
const LIST_DEFAULT: u32 = 50;

/// Run a synchronous library call off the async threads.
pub(super) async fn blocking<T: Send + 'static>(
    library: &Arc<Library>,
    f: impl FnOnce(&Library) -> Result<T> + Send + 'static,
) -> Result<T> {
    let lib = Arc::clone(library);
    tokio::task::spawn_blocking(move || f(&lib))
        .await
        .map_err(|e| Error::Index(format!("library task failed: {e}")))?
}

#[tool_router(vis = "pub(super)")]
impl Server {
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

    /// End a session: it is archived (hidden from list_sessions, kept with all its turns and images) and
    /// can still be read with get_session and continued with continue_session.
    #[tool(
        title = "End session",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn end_session(&self, params: Parameters<IdInput>) -> Result<Json<SessionInfo>, String> {
        let id = params.0.id;
        let session = blocking(&self.library, move |lib| lib.archive_session(&id, true))
            .await
            .map_err(message)?;
        Ok(Json(SessionInfo::from(&session)))
    }

    /// The identical-request cache: whether it is on (settings mcp.cache_requests), how many requests it
    /// holds, how many calls it answered and what they would have cost.
    #[tool(title = "Cache stats", annotations(read_only_hint = true, open_world_hint = false))]
    async fn cache_stats(&self) -> Result<Json<CacheInfo>, String> {
        self.cache_info().await.map(Json)
    }

    /// Empty the identical-request cache, so the next identical request makes new images (the images
    /// already made stay in the library).
    #[tool(
        title = "Clear cache",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn clear_cache(&self) -> Result<Json<CacheInfo>, String> {
        let cleared = blocking(&self.library, |lib| lib.cache_clear())
            .await
            .map_err(message)?;
        tracing::debug!(cleared, "request cache cleared");
        self.cache_info().await.map(Json)
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

impl Server {
    async fn cache_info(&self) -> Result<CacheInfo, String> {
        let stats = blocking(&self.library, |lib| lib.cache_stats())
            .await
            .map_err(message)?;
        Ok(CacheInfo {
            enabled: self.config.mcp.cache_requests,
            entries: stats.entries,
            hits: stats.hits,
            saved_usd: stats.saved_usd,
        })
    }
}
