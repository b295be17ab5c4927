//! Tool inputs as MCP clients send them: the JSON schemas every client sees (doc comments become
//! descriptions). Strings are parsed into core types by the tools, so a bad value comes back as a
//! tool error that names the allowed values.

use schemars::JsonSchema;
use serde::Deserialize;

/// How much of an image a result carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnMode {
    /// One small JPEG preview (≤ 1568 px) plus a link: the whole result stays under 1 MB.
    #[default]
    Preview,
    /// The original image bytes inline (can be several MB).
    Full,
    /// Only the link and the text: no pixels.
    Link,
}

/// Image parameters shared by generate, edit and the estimate. Omitted values use the settings' defaults.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
pub struct ImageOptions {
    /// Model id, e.g. gpt-image-2, gpt-image-1.5, gpt-image-1, gpt-image-1-mini, dall-e-3.
    #[serde(default)]
    pub model: Option<String>,
    /// "auto" or WIDTHxHEIGHT such as 1024x1024, 1536x1024, 1024x1536 (gpt-image-2: any multiple of 16).
    #[serde(default)]
    pub size: Option<String>,
    /// auto, low, medium or high (dall-e-3: standard or hd).
    #[serde(default)]
    pub quality: Option<String>,
    /// Number of images, 1-10.
    #[serde(default)]
    #[schemars(range(min = 1, max = 10))]
    pub n: Option<u8>,
    /// png, jpeg or webp.
    #[serde(default)]
    pub output_format: Option<String>,
    /// auto, transparent (png/webp only) or opaque.
    #[serde(default)]
    pub background: Option<String>,
    /// Stream 1-3 partial images while the final one renders (progress notifications report them); 0 or
    /// omitted: no streaming.
    #[serde(default)]
    #[schemars(range(max = 3))]
    pub partial_images: Option<u8>,
}

/// How an image tool answers.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
pub struct Delivery {
    /// preview (default), full or link.
    #[serde(default, rename = "return")]
    pub return_mode: ReturnMode,
    /// Seconds to wait for the images (default 45). A call still running then answers with a job id and
    /// keeps going: get its images with wait_job.
    #[serde(default)]
    #[schemars(range(max = 600))]
    pub wait_seconds: Option<u32>,
    /// Also copy the images into this folder of your workspace, e.g. "assets" (relative to the client's
    /// first root; needs a client that shares its roots).
    #[serde(default)]
    pub save_to: Option<String>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct GenerateInput {
    /// What to draw. Be specific about subject, style, composition and text to render.
    pub prompt: String,
    /// Let your own model rewrite the prompt with more detail first (needs a client with sampling).
    #[serde(default)]
    pub enhance_prompt: bool,
    #[serde(flatten)]
    pub options: ImageOptions,
    /// Record the call as a new turn of this session (from start_session or list_sessions).
    #[serde(default)]
    pub session_id: Option<String>,
    /// Continue from this turn of a session (any turn, which makes a branch); implies its session.
    #[serde(default)]
    pub from_turn: Option<String>,
    #[serde(flatten)]
    pub delivery: Delivery,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct EditInput {
    /// What to change, or what the result should look like.
    pub prompt: String,
    /// 1-16 input images. Each is a library id, a path (absolute, or relative to the server's working
    /// directory), a file:// URL, an https URL (public hosts only, up to 50 MB), a data: URL or raw base64.
    pub images: Vec<String>,
    /// Optional mask for the first image, given the same ways: a PNG of the same size whose transparent
    /// pixels (alpha 0) mark the area to change.
    #[serde(default)]
    pub mask: Option<String>,
    /// Scale a mask of another size to the first image instead of refusing it.
    #[serde(default)]
    pub resize_mask: bool,
    #[serde(flatten)]
    pub options: ImageOptions,
    /// Record the call as a new turn of this session.
    #[serde(default)]
    pub session_id: Option<String>,
    /// Continue from this turn of a session; implies its session.
    #[serde(default)]
    pub from_turn: Option<String>,
    #[serde(flatten)]
    pub delivery: Delivery,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ContinueInput {
    /// Session id (from start_session or list_sessions).
    pub session_id: String,
    /// What to change in the image of the turn continued from.
    pub prompt: String,
    /// Turn to continue from (default: the session's last turn). An earlier turn makes a branch.
    #[serde(default)]
    pub from_turn: Option<String>,
    #[serde(flatten)]
    pub options: ImageOptions,
    #[serde(flatten)]
    pub delivery: Delivery,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct VariationInput {
    /// The source image (library id, absolute path, file:// URL, data: URL or raw base64): a square PNG
    /// under 4 MB.
    pub image: String,
    /// dall-e-2 (the only model with variations; the default).
    #[serde(default)]
    pub model: Option<String>,
    /// 256x256, 512x512 or 1024x1024 (default).
    #[serde(default)]
    pub size: Option<String>,
    /// Number of variations, 1-10.
    #[serde(default)]
    #[schemars(range(min = 1, max = 10))]
    pub n: Option<u8>,
    /// Record the call as a new turn of this session.
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(flatten)]
    pub delivery: Delivery,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct WaitInput {
    /// The job id (j_…) an image tool answered with.
    pub id: String,
    /// Seconds to wait (default 45); still running then → the same job id again.
    #[serde(default)]
    #[schemars(range(max = 600))]
    pub wait_seconds: Option<u32>,
    /// preview (default), full or link — for a job whose result this server no longer holds.
    #[serde(default, rename = "return")]
    pub return_mode: ReturnMode,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct EstimateInput {
    /// The prompt (its length counts toward input tokens).
    #[serde(default)]
    pub prompt: String,
    #[serde(flatten)]
    pub options: ImageOptions,
    /// Number of input images, for an edit estimate.
    #[serde(default)]
    #[schemars(range(max = 16))]
    pub input_images: Option<u8>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct SearchInput {
    /// Words to find in prompts, revised prompts and tags (prefix match, all words). Empty lists the newest.
    #[serde(default)]
    pub query: String,
    /// Only images made by this model.
    #[serde(default)]
    pub model: Option<String>,
    /// true: only starred images; false: only unstarred ones.
    #[serde(default)]
    pub starred: Option<bool>,
    /// Maximum number of results (default 20, at most 200).
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct IdInput {
    /// The id (images: from a result or search_images; sessions: s_…; jobs: j_…).
    pub id: String,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct StarInput {
    /// Image id.
    pub id: String,
    /// true to star, false to unstar.
    pub starred: bool,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct StartSessionInput {
    /// A short name for the session, e.g. "logo for the bakery".
    #[serde(default)]
    pub name: String,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ListInput {
    /// Maximum number of items (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
}
