//! The second route to an image: the Responses API with the `image_generation` tool. Multi-turn through
//! `previous_response_id`; input images and the mask travel as data URLs.

use serde_json::{Value, json};

use super::wire::{ResponseObject, is_dalle};
use crate::imaging::{InputImage, data_url};
use crate::models::{Background, ImageParams, Model, Moderation, Quality};

/// Mainline model used when the provider names none.
pub const DEFAULT_MAINLINE_MODEL: &str = "gpt-5";

pub fn body(
    mainline: &str,
    image_model: &Model,
    prompt: &str,
    images: &[InputImage],
    mask: Option<&InputImage>,
    p: &ImageParams,
    previous_response_id: Option<&str>,
) -> Value {
    let input = if images.is_empty() {
        json!(prompt)
    } else {
        let mut content = vec![json!({"type": "input_text", "text": prompt})];
        content.extend(
            images
                .iter()
                .map(|i| json!({"type": "input_image", "image_url": data_url(i.format, &i.bytes), "detail": "auto"})),
        );
        json!([{"role": "user", "content": content}])
    };
    let mut tool = json!({
        "type": "image_generation",
        "model": image_model.id,
        "size": p.size.to_string(),
        "output_format": p.output_format.as_str(),
    });
    let t = tool.as_object_mut().expect("object literal");
    if p.quality != Quality::Auto {
        t.insert("quality".into(), json!(p.quality.as_str()));
    }
    if p.background != Background::Auto {
        t.insert("background".into(), json!(p.background.as_str()));
    }
    if p.moderation != Moderation::Auto {
        t.insert("moderation".into(), json!(p.moderation.as_str()));
    }
    if let Some(c) = p.output_compression {
        t.insert("output_compression".into(), json!(c));
    }
    if let Some(f) = p.input_fidelity {
        t.insert("input_fidelity".into(), json!(f.as_str()));
    }
    if p.stream
        && let Some(k) = p.partial_images
    {
        t.insert("partial_images".into(), json!(k));
    }
    if let Some(m) = mask {
        t.insert(
            "input_image_mask".into(),
            json!({"image_url": data_url(m.format, &m.bytes)}),
        );
    }
    debug_assert!(!is_dalle(image_model));
    let mut body = json!({
        "model": mainline,
        "input": input,
        "tools": [tool],
        "tool_choice": {"type": "image_generation"},
    });
    let b = body.as_object_mut().expect("object literal");
    if let Some(id) = previous_response_id {
        b.insert("previous_response_id".into(), json!(id));
    }
    if p.stream {
        b.insert("stream".into(), json!(true));
    }
    body
}

/// Parse a non-streamed Responses answer.
pub fn parse(bytes: &[u8]) -> Result<ResponseObject, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("unreadable Responses API answer: {e}"))
}
