//! Request parameter validation against the model table, producing a resolved [`Job`].

use crate::error::{ApiError, ApiResult};
use crate::images::Format;
use crate::models::{self, Family, Model, Sizes};
pub use crate::params::Params;

/// Which operation the parameters belong to; decides the allowed keys and defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Generations,
    Edits,
    Variations,
    /// The Responses API `image_generation` tool object.
    Tool,
}

/// Where the request arrived: Azure resolves `model` from deployment names and bans WebP.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub azure: bool,
    /// `/openai/deployments/{deployment}/…`: the model comes from the path.
    pub deployment: Option<String>,
}

/// A fully validated image request with every `auto` except the size resolved.
#[derive(Clone, Debug)]
pub struct Job {
    pub model: &'static Model,
    pub prompt: String,
    pub n: u32,
    /// `None` means `auto`.
    pub size: Option<(u32, u32)>,
    pub quality: &'static str,
    pub format: Format,
    pub compression: u8,
    pub transparent: bool,
    pub stream: bool,
    pub partial_images: u32,
    /// dall-e: answer with `url` rather than `b64_json`.
    pub url_output: bool,
    pub high_fidelity: bool,
}

const GPT_ONLY: &[&str] = &[
    "background",
    "output_format",
    "output_compression",
    "moderation",
    "partial_images",
    "input_fidelity",
];

fn allowed_keys(endpoint: Endpoint) -> &'static [&'static str] {
    match endpoint {
        Endpoint::Generations => &[
            "prompt",
            "model",
            "n",
            "size",
            "quality",
            "background",
            "output_format",
            "output_compression",
            "moderation",
            "stream",
            "partial_images",
            "response_format",
            "style",
            "user",
        ],
        Endpoint::Edits => &[
            "prompt",
            "model",
            "n",
            "size",
            "quality",
            "background",
            "output_format",
            "output_compression",
            "moderation",
            "input_fidelity",
            "stream",
            "partial_images",
            "response_format",
            "user",
        ],
        Endpoint::Variations => &["model", "n", "response_format", "size", "user"],
        Endpoint::Tool => &[
            "type",
            "model",
            "quality",
            "size",
            "output_format",
            "output_compression",
            "moderation",
            "background",
            "input_fidelity",
            "input_image_mask",
            "partial_images",
            "action",
        ],
    }
}

/// Reject keys that are neither allowed for `endpoint` nor in `extra` (file parts etc.).
pub fn reject_unknown(p: &Params, endpoint: Endpoint, extra: &[&str]) -> ApiResult<()> {
    let allowed = allowed_keys(endpoint);
    match p
        .keys()
        .into_iter()
        .find(|k| !allowed.contains(k) && !extra.contains(k))
    {
        Some(k) => Err(ApiError::unknown_parameter(&p.name(k))),
        None => Ok(()),
    }
}

fn resolve_model(p: &Params, endpoint: Endpoint, origin: &Origin) -> ApiResult<&'static Model> {
    let fallback = || models::lookup("gpt-image-2").expect("gpt-image-2 is in the table");
    if let Some(deployment) = &origin.deployment {
        return Ok(models::lookup(deployment).unwrap_or_else(fallback));
    }
    let model = match (p.string("model")?, endpoint) {
        (Some(name), _) if origin.azure => models::lookup(&name).unwrap_or_else(fallback),
        (Some(name), _) => models::lookup(&name).ok_or_else(|| ApiError::model_not_found(&name))?,
        (None, Endpoint::Generations)
            if GPT_ONLY.iter().any(|k| p.has(k)) || matches!(p.boolean("stream"), Ok(Some(true))) =>
        {
            models::lookup("gpt-image-1").expect("in table")
        }
        (None, Endpoint::Generations | Endpoint::Variations) => models::lookup("dall-e-2").expect("in table"),
        (None, Endpoint::Edits) => models::lookup("gpt-image-1.5").expect("in table"),
        (None, Endpoint::Tool) => models::lookup("gpt-image-1").expect("in table"),
    };
    let supported = match endpoint {
        Endpoint::Generations => true,
        Endpoint::Edits => model.edits,
        Endpoint::Variations => model.variations,
        Endpoint::Tool => model.is_gpt(),
    };
    if !supported {
        let ok: Vec<&str> = models::MODELS
            .iter()
            .filter(|m| match endpoint {
                Endpoint::Edits => m.edits,
                Endpoint::Variations => m.variations,
                _ => m.is_gpt(),
            })
            .map(|m| m.id)
            .collect();
        return Err(ApiError::invalid_value(&p.name("model"), model.id, &ok));
    }
    Ok(model)
}

fn prompt(p: &Params, model: &Model) -> ApiResult<String> {
    let prompt = p.string("prompt")?.ok_or_else(|| ApiError::missing("prompt"))?;
    let len = prompt.chars().count();
    if len == 0 {
        return Err(ApiError::invalid(
            "prompt",
            "empty_string",
            "Invalid 'prompt': empty string. Expected a string with minimum length 1, but got an empty string instead.",
        ));
    }
    if len > model.max_prompt {
        return Err(ApiError::invalid(
            "prompt",
            "string_above_max_length",
            format!(
                "Invalid 'prompt': string too long. Expected a string with maximum length {}, but got a string with length {len} instead.",
                model.max_prompt
            ),
        ));
    }
    Ok(prompt)
}

fn size(p: &Params, model: &Model) -> ApiResult<Option<(u32, u32)>> {
    let default = if model.is_gpt() { "auto" } else { "1024x1024" };
    let value = p.string("size")?.unwrap_or_else(|| default.to_string());
    let param = p.name("size");
    match model.sizes {
        Sizes::Presets(list) => {
            if !list.contains(&value.as_str()) {
                return Err(ApiError::invalid_value(&param, &value, list));
            }
            Ok(models::parse_size(&value))
        }
        Sizes::Flexible if value == "auto" => Ok(None),
        Sizes::Flexible => {
            let reason = match models::parse_size(&value) {
                Some((w, h)) => match models::flexible_size_error(w, h) {
                    None => return Ok(Some((w, h))),
                    Some(reason) => reason,
                },
                None => "expected 'auto' or WIDTHxHEIGHT".to_string(),
            };
            Err(ApiError::invalid(
                &param,
                "invalid_value",
                format!(
                    "Invalid size '{value}': {reason}. Supported values are 'auto' or WIDTHxHEIGHT where \
                     both edges are multiples of 16, the longest edge is at most {} pixels, the aspect \
                     ratio is at most 3:1, and the total pixel count is between {} and {}.",
                    models::FLEX_MAX_EDGE,
                    models::FLEX_MIN_PIXELS,
                    models::FLEX_MAX_PIXELS
                ),
            ))
        }
    }
}

/// Validate image parameters for `endpoint`. `extra` lists additional keys the caller handles.
pub fn job(p: &Params, endpoint: Endpoint, origin: &Origin, extra: &[&str]) -> ApiResult<Job> {
    reject_unknown(p, endpoint, extra)?;
    let model = resolve_model(p, endpoint, origin)?;
    let prompt = match endpoint {
        Endpoint::Variations | Endpoint::Tool => String::new(),
        _ => prompt(p, model)?,
    };
    let n = p.ranged("n", 1, model.max_n as i64)?.unwrap_or(1) as u32;
    let size = size(p, model)?;
    let quality_in = p.choice("quality", model.qualities)?;
    let quality = match (model.family, quality_in.as_deref()) {
        (Family::Gpt, Some("low")) => "low",
        (Family::Gpt, Some("high")) => "high",
        (Family::Gpt, _) => "medium",
        (Family::DallE3, Some("hd")) => "hd",
        _ => "standard",
    };

    if !model.is_gpt() {
        if let Some(key) = GPT_ONLY.iter().find(|k| p.has(k)) {
            return Err(ApiError::unsupported(&p.name(key), model.id));
        }
        if p.boolean("stream")? == Some(true) {
            return Err(ApiError::unsupported("stream", model.id));
        }
    }
    let response_format = p.choice("response_format", &["url", "b64_json"])?;
    if model.is_gpt() && response_format.is_some() {
        return Err(ApiError::unsupported("response_format", model.id));
    }
    let style = p.choice("style", &["vivid", "natural"])?;
    if style.is_some() && model.family != Family::DallE3 {
        return Err(ApiError::unsupported("style", model.id));
    }

    let formats: &[&str] = if origin.azure {
        &["png", "jpeg"]
    } else {
        &["png", "jpeg", "webp"]
    };
    let format = p
        .choice("output_format", formats)?
        .and_then(|f| Format::parse(&f))
        .unwrap_or(Format::Png);
    let compression = p.ranged("output_compression", 0, 100)?.unwrap_or(100) as u8;
    if format == Format::Png && compression < 100 {
        return Err(ApiError::invalid(
            &p.name("output_compression"),
            "invalid_value",
            "Compression less than 100 is not supported for PNG output format.",
        ));
    }
    let background = p.choice("background", &["transparent", "opaque", "auto"])?;
    let transparent = background.as_deref() == Some("transparent");
    if transparent && !model.transparent {
        return Err(ApiError::invalid(
            &p.name("background"),
            "invalid_value",
            format!(
                "Invalid value: 'transparent'. Transparent background is not supported for model '{}'. Supported values are: 'opaque' and 'auto'.",
                model.id
            ),
        ));
    }
    if transparent && format == Format::Jpeg {
        return Err(ApiError::invalid(
            &p.name("background"),
            "invalid_value",
            "Transparent background requires output_format 'png' or 'webp'.",
        ));
    }
    p.choice("moderation", &["low", "auto"])?;
    p.string("user")?;
    let fidelity = p.choice("input_fidelity", &["high", "low"])?;
    if fidelity.is_some() && !model.input_fidelity {
        return Err(ApiError::unsupported(&p.name("input_fidelity"), model.id));
    }

    let stream = p.boolean("stream")?.unwrap_or(false);
    let partial_images = p.ranged("partial_images", 0, 3)?.unwrap_or(0) as u32;
    if partial_images > 0 && !stream && endpoint != Endpoint::Tool {
        return Err(ApiError::invalid(
            "partial_images",
            "invalid_value",
            "Invalid 'partial_images': partial images can only be requested with 'stream': true.",
        ));
    }

    Ok(Job {
        model,
        prompt,
        n,
        size,
        quality,
        format,
        compression,
        transparent,
        stream,
        partial_images,
        url_output: !model.is_gpt() && response_format.as_deref() != Some("b64_json"),
        high_fidelity: model.always_high_fidelity || fidelity.as_deref() == Some("high"),
    })
}

impl Job {
    /// The concrete output size: the requested one, else `fallback` (an edit input's size) if
    /// the model allows it, else 1024x1024.
    pub fn resolved_size(&self, fallback: Option<(u32, u32)>) -> (u32, u32) {
        self.size
            .or_else(|| fallback.filter(|(w, h)| models::size_allowed(self.model, *w, *h)))
            .unwrap_or((1024, 1024))
    }
}
