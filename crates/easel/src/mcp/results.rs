//! What tools send back: the image result (text + resource_link + at most one inline preview) and the
//! structured outputs of the list/search/get tools, with their schemas (the DTOs of the MCP edge).

use std::sync::Arc;

use rmcp::model::{CallToolResult, ContentBlock, Resource};
use schemars::JsonSchema;
use serde::Serialize;

use super::inputs::ReturnMode;
use crate::error::{Error, Result};
use crate::imaging::encode_base64;
use crate::job::Job;
use crate::library::{ImageRecord, Library};
use crate::session::{Session, SessionTree, Turn};
use crate::thumbs::Thumb;

/// A domain failure as a tool error: the core's message is written for the caller to act on.
pub fn tool_error(e: &Error) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(format!("Error: {e}"))])
}

/// The message of a failed list/get tool (rmcp turns it into an `isError` result).
pub fn message(e: Error) -> String {
    format!("Error: {e}")
}

pub fn image_uri(id: &str) -> String {
    format!("easel://image/{id}")
}

pub fn link(record: &ImageRecord) -> ContentBlock {
    let name = record
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| record.id.clone());
    ContentBlock::resource_link(
        Resource::new(image_uri(&record.id), name)
            .with_mime_type(record.format.mime())
            .with_size(record.bytes)
            .with_description(format!("{}x{} {} image", record.width, record.height, record.model)),
    )
}

/// The result of an image-making tool. Text first (what the model reads), then a link per image, then
/// pixels as `mode` asks: one preview of the first image, every original, or none.
/// `preview`, when given, is the first image's preview made already (see `job::Prepared::with_preview`).
pub async fn images(
    library: &Arc<Library>,
    images: &[ImageRecord],
    turn: Option<&Turn>,
    cost_usd: f64,
    mode: ReturnMode,
    preview: Option<Thumb>,
) -> Result<CallToolResult> {
    let mut text = format!(
        "Saved {} image(s) · cost ${cost_usd:.4}{}\n",
        images.len(),
        turn.map(|t| format!(" · session {} · turn {}", t.session_id, t.id))
            .unwrap_or_default()
    );
    for r in images {
        text.push_str(&format!(
            "- id {} · {} · {}x{} {} · model {}\n",
            r.id,
            r.path.display(),
            r.width,
            r.height,
            r.format,
            r.model
        ));
    }
    if let Some(revised) = images.first().and_then(|r| r.revised_prompt.as_deref()) {
        text.push_str(&format!("Revised prompt: {revised}\n"));
    }
    let mut content = vec![ContentBlock::text(text)];
    content.extend(images.iter().map(link));
    match mode {
        ReturnMode::Link => {}
        ReturnMode::Preview => {
            if let Some(first) = images.first() {
                let thumb = match preview {
                    Some(made) => made,
                    None => {
                        let lib = Arc::clone(library);
                        let id = first.id.clone();
                        tokio::task::spawn_blocking(move || lib.preview(&id))
                            .await
                            .map_err(|e| Error::Index(format!("preview task failed: {e}")))??
                    }
                };
                content.push(ContentBlock::image(encode_base64(&thumb.bytes), thumb.format.mime()));
            }
        }
        ReturnMode::Full => {
            for r in images {
                let bytes = tokio::fs::read(&r.path)
                    .await
                    .map_err(|e| Error::io("cannot read", &r.path, e))?;
                content.push(ContentBlock::image(encode_base64(&bytes), r.format.mime()));
            }
        }
    }
    Ok(CallToolResult::success(content))
}

/// One image in list/get results.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ImageInfo {
    pub id: String,
    /// Absolute path of the file.
    pub path: String,
    /// `easel://image/{id}`: read it for the full image, `…/preview` for a small JPEG.
    pub uri: String,
    pub prompt: String,
    pub revised_prompt: Option<String>,
    pub model: String,
    pub operation: String,
    pub width: u32,
    pub height: u32,
    pub format: String,
    pub bytes: u64,
    pub cost_usd: f64,
    /// Creation time, ms since the Unix epoch.
    pub created_ms: i64,
    pub session_id: Option<String>,
    pub turn_id: Option<String>,
    pub starred: bool,
    pub trashed: bool,
    pub tags: Vec<String>,
}

impl From<&ImageRecord> for ImageInfo {
    fn from(r: &ImageRecord) -> Self {
        ImageInfo {
            id: r.id.clone(),
            path: r.path.display().to_string(),
            uri: image_uri(&r.id),
            prompt: r.prompt.clone(),
            revised_prompt: r.revised_prompt.clone(),
            model: r.model.clone(),
            operation: r.operation.clone(),
            width: r.width,
            height: r.height,
            format: r.format.as_str().to_string(),
            bytes: r.bytes,
            cost_usd: r.cost_usd,
            created_ms: r.created_ms,
            session_id: r.session_id.clone(),
            turn_id: r.turn_id.clone(),
            starred: r.starred,
            trashed: r.trashed,
            tags: r.tags.clone(),
        }
    }
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ImageList {
    pub images: Vec<ImageInfo>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct SessionInfo {
    pub id: String,
    pub name: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub archived: bool,
    pub turns: u32,
    pub cost_usd: f64,
}

impl From<&Session> for SessionInfo {
    fn from(s: &Session) -> Self {
        SessionInfo {
            id: s.id.clone(),
            name: s.name.clone(),
            created_ms: s.created_ms,
            updated_ms: s.updated_ms,
            archived: s.archived,
            turns: s.turns,
            cost_usd: s.cost_usd,
        }
    }
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct SessionList {
    pub sessions: Vec<SessionInfo>,
}

/// One turn: a prompt, what it was made from, and the images it produced.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct TurnInfo {
    pub id: String,
    /// The turn this one continued from; turns sharing a parent are branches.
    pub parent_id: Option<String>,
    pub prompt: String,
    pub model: String,
    pub size: String,
    pub quality: String,
    /// Input images (library ids or paths).
    pub inputs: Vec<String>,
    pub has_mask: bool,
    pub created_ms: i64,
    pub cost_usd: f64,
    /// Ids of the images this turn produced.
    pub images: Vec<String>,
}

impl From<&Turn> for TurnInfo {
    fn from(t: &Turn) -> Self {
        TurnInfo {
            id: t.id.clone(),
            parent_id: t.parent_id.clone(),
            prompt: t.prompt.clone(),
            model: t.params.model.clone(),
            size: t.params.size.to_string(),
            quality: t.params.quality.to_string(),
            inputs: t.inputs.clone(),
            has_mask: t.has_mask,
            created_ms: t.created_ms,
            cost_usd: t.cost_usd,
            images: t.images.clone(),
        }
    }
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct SessionDetail {
    pub session: SessionInfo,
    /// Every turn in creation order; `parent_id` links make the tree.
    pub turns: Vec<TurnInfo>,
}

impl From<&SessionTree> for SessionDetail {
    fn from(t: &SessionTree) -> Self {
        SessionDetail {
            session: SessionInfo::from(&t.session),
            turns: t.turns.iter().map(TurnInfo::from).collect(),
        }
    }
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct JobInfo {
    pub id: String,
    /// generate, edit or variation.
    pub kind: String,
    /// queued, running, partial, saving, done, failed or cancelled.
    pub state: String,
    /// Partial images received so far (streaming).
    pub partials: u32,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub session_id: Option<String>,
    pub turn_id: Option<String>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// Ids of the saved images, once done.
    pub images: Vec<String>,
}

impl From<&Job> for JobInfo {
    fn from(j: &Job) -> Self {
        JobInfo {
            id: j.id.clone(),
            kind: j.kind.clone(),
            state: j.state.as_str().to_string(),
            partials: j.partials,
            created_ms: j.created_ms,
            updated_ms: j.updated_ms,
            session_id: j.session_id.clone(),
            turn_id: j.turn_id.clone(),
            error: j.error.clone(),
            images: j.images.clone(),
        }
    }
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct JobList {
    pub jobs: Vec<JobInfo>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct EstimateInfo {
    /// Expected cost in USD.
    pub usd: f64,
    pub model: String,
    pub size: String,
    /// The quality the price assumes (`auto` resolved).
    pub assumed_quality: String,
    pub n: u8,
    pub input_text_tokens: u64,
    pub input_image_tokens: u64,
    pub output_image_tokens: u64,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Spend {
    /// A day (YYYY-MM-DD), a month (YYYY-MM) or a model id.
    pub key: String,
    pub cost_usd: f64,
    pub calls: u64,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct UsageInfo {
    pub today_usd: f64,
    pub month_usd: f64,
    pub daily_cap_usd: Option<f64>,
    pub monthly_cap_usd: Option<f64>,
    /// Spend per day, most recent first.
    pub by_day: Vec<Spend>,
    /// Spend per model.
    pub by_model: Vec<Spend>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ProviderInfo {
    pub name: String,
    /// openai, azure or compatible.
    pub kind: String,
    pub base_url: String,
    pub is_default: bool,
    pub key_found: bool,
    /// Where the key was found: "environment (OPENAI_API_KEY)", "keychain", or how to set one.
    pub key_source: String,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ProviderStatus {
    pub providers: Vec<ProviderInfo>,
    pub library: String,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct CacheInfo {
    /// Whether identical requests are answered from the cache (settings: mcp.cache_requests).
    pub enabled: bool,
    /// Requests remembered.
    pub entries: u64,
    /// Calls answered from the cache, all time.
    pub hits: u64,
    /// What those calls would have cost, in USD.
    pub saved_usd: f64,
}
