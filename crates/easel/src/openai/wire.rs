//! Wire DTOs for the OpenAI image endpoints: exactly what goes on and comes off the network.
//! Conversions to domain types live next to the code that uses them.

use std::borrow::Cow;

use serde::de::{Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use crate::cost::Usage;
use crate::models::{Background, ImageParams, Model, Moderation, Quality};

/// DALL·E-era models take a different, smaller parameter set (no format, background, moderation, stream).
pub fn is_dalle(model: &Model) -> bool {
    model.id.starts_with("dall-e")
}

/// `POST /images/generations` body.
#[derive(Serialize)]
pub struct GenerationBody<'a> {
    pub prompt: &'a str,
    pub model: &'a str,
    pub n: u8,
    pub size: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<Quality>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background: Option<Background>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_format: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_compression: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderation: Option<Moderation>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial_images: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<&'a str>,
}

impl<'a> GenerationBody<'a> {
    pub fn new(model: &Model, model_name: &'a str, prompt: &'a str, p: &ImageParams, user: Option<&'a str>) -> Self {
        let dalle = is_dalle(model);
        GenerationBody {
            prompt,
            model: model_name,
            n: p.n,
            size: p.size.to_string(),
            quality: (p.quality != Quality::Auto).then_some(p.quality),
            background: (!dalle && p.background != Background::Auto).then_some(p.background),
            output_format: (!dalle).then(|| p.output_format.as_str()),
            output_compression: if dalle { None } else { p.output_compression },
            moderation: (!dalle && p.moderation != Moderation::Auto).then_some(p.moderation),
            stream: p.stream,
            partial_images: if p.stream { p.partial_images } else { None },
            response_format: dalle.then_some("b64_json"),
            user,
        }
    }
}

/// Text fields of the multipart edit form, in the order they are sent (files follow).
pub fn edit_fields(
    model: &Model,
    model_name: &str,
    prompt: &str,
    p: &ImageParams,
    user: Option<&str>,
) -> Vec<(&'static str, String)> {
    let dalle = is_dalle(model);
    let mut f = vec![
        ("model", model_name.to_string()),
        ("prompt", prompt.to_string()),
        ("n", p.n.to_string()),
    ];
    f.push(("size", p.size.to_string()));
    if p.quality != Quality::Auto {
        f.push(("quality", p.quality.as_str().into()));
    }
    if dalle {
        f.push(("response_format", "b64_json".into()));
    } else {
        if p.background != Background::Auto {
            f.push(("background", p.background.as_str().into()));
        }
        f.push(("output_format", p.output_format.as_str().into()));
        if let Some(c) = p.output_compression {
            f.push(("output_compression", c.to_string()));
        }
        if let Some(fid) = p.input_fidelity {
            f.push(("input_fidelity", fid.as_str().into()));
        }
        if p.stream {
            f.push(("stream", "true".into()));
            if let Some(k) = p.partial_images {
                f.push(("partial_images", k.to_string()));
            }
        }
    }
    if let Some(u) = user {
        f.push(("user", u.to_string()));
    }
    f
}

/// A base64 image string as it stands in the body: borrowed when it has no escapes, and not checked as
/// UTF-8 (read as bytes: base64 is ASCII, and its decoder refuses anything else). Read this way serde_json
/// also lets raw control characters through, which strict JSON forbids in strings; the forgiving base64
/// decode then skips whitespace among them, as it does in pasted input. A `Cow<str>` field would
/// be copied: serde borrows a `Cow` only as a field of its own, never inside an `Option`.
pub struct Base64<'a>(pub Cow<'a, [u8]>);

impl<'de: 'a, 'a> Deserialize<'de> for Base64<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Base64<'a>, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = Base64<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a base64 string")
            }
            fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<Base64<'de>, E> {
                Ok(Base64(Cow::Borrowed(v)))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Base64<'de>, E> {
                Ok(Base64(Cow::Borrowed(v.as_bytes())))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Base64<'de>, E> {
                Ok(Base64(Cow::Owned(v.to_vec())))
            }
            fn visit_str<E>(self, v: &str) -> Result<Base64<'de>, E> {
                Ok(Base64(Cow::Owned(v.as_bytes().to_vec())))
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Base64<'de>, E> {
                Ok(Base64(Cow::Owned(v)))
            }
            fn visit_string<E>(self, v: String) -> Result<Base64<'de>, E> {
                Ok(Base64(Cow::Owned(v.into_bytes())))
            }
        }
        deserializer.deserialize_bytes(Text)
    }
}

/// `ImagesResponse`. The image strings are borrowed from the body when they contain no escapes ([`Base64`]).
#[derive(Deserialize)]
pub struct ImagesResponse<'a> {
    #[serde(default, borrow)]
    pub data: Vec<ImageItem<'a>>,
    #[serde(default)]
    pub background: Option<String>,
    #[serde(default)]
    pub output_format: Option<String>,
    #[serde(default)]
    pub size: Option<String>,
    #[serde(default)]
    pub quality: Option<String>,
    #[serde(default)]
    pub usage: Option<WireUsage>,
}

#[derive(Deserialize)]
pub struct ImageItem<'a> {
    #[serde(default, borrow)]
    pub b64_json: Option<Base64<'a>>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub revised_prompt: Option<String>,
}

/// `ImageGenUsage` / `ImagesUsage`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct WireUsage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub input_tokens_details: Option<InputDetails>,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub output_tokens_details: Option<OutputDetails>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct InputDetails {
    #[serde(default)]
    pub text_tokens: Option<u64>,
    #[serde(default)]
    pub image_tokens: Option<u64>,
    #[serde(default)]
    pub cached_tokens: Option<u64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct OutputDetails {
    #[serde(default)]
    pub image_tokens: Option<u64>,
    #[serde(default)]
    pub text_tokens: Option<u64>,
}

impl From<WireUsage> for Usage {
    fn from(w: WireUsage) -> Usage {
        let input = w.input_tokens_details.unwrap_or_default();
        let output = w.output_tokens_details.unwrap_or_default();
        let input_image = input.image_tokens.unwrap_or(0);
        let output_text = output.text_tokens.unwrap_or(0);
        Usage {
            input_text_tokens: input.text_tokens.unwrap_or(w.input_tokens.saturating_sub(input_image)),
            input_image_tokens: input_image,
            cached_input_tokens: input.cached_tokens.unwrap_or(0),
            output_image_tokens: output
                .image_tokens
                .unwrap_or(w.output_tokens.saturating_sub(output_text)),
            output_text_tokens: output_text,
        }
    }
}

/// `{"error": {...}}`, the body of every non-2xx answer and of in-stream failures.
#[derive(Debug, Default, Deserialize)]
pub struct ErrorEnvelope {
    #[serde(default)]
    pub error: Option<ApiError>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ApiError {
    #[serde(default)]
    pub message: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub param: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub moderation_details: Option<ModerationDetails>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ModerationDetails {
    #[serde(default)]
    pub moderation_stage: Option<String>,
    #[serde(default)]
    pub categories: Vec<String>,
}

/// One event of an Images or Responses stream: only the fields Easel reads.
#[derive(Deserialize)]
pub struct StreamEvent<'a> {
    #[serde(rename = "type", default)]
    pub kind: Cow<'a, str>,
    #[serde(default, borrow)]
    pub b64_json: Option<Base64<'a>>,
    #[serde(default, borrow)]
    pub partial_image_b64: Option<Base64<'a>>,
    #[serde(default)]
    pub partial_image_index: Option<u32>,
    #[serde(default)]
    pub size: Option<String>,
    #[serde(default)]
    pub quality: Option<String>,
    #[serde(default)]
    pub background: Option<String>,
    #[serde(default)]
    pub output_format: Option<String>,
    #[serde(default)]
    pub usage: Option<WireUsage>,
    /// Responses: `response.output_item.done` carries the finished item.
    #[serde(default)]
    pub item: Option<OutputItem>,
    /// Responses: `response.completed` / `response.failed` carry the whole response.
    #[serde(default)]
    pub response: Option<ResponseObject>,
    /// In-stream failure: `{"error": {...}}` or a Responses `error` event's top-level fields.
    #[serde(default)]
    pub error: Option<ApiError>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

/// Responses API: the response object (fields Easel reads).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ResponseObject {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub output: Vec<OutputItem>,
    #[serde(default)]
    pub error: Option<ApiError>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct OutputItem {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub result: Option<String>,
    #[serde(default)]
    pub revised_prompt: Option<String>,
    #[serde(default)]
    pub size: Option<String>,
    #[serde(default)]
    pub quality: Option<String>,
    #[serde(default)]
    pub background: Option<String>,
    #[serde(default)]
    pub output_format: Option<String>,
}
