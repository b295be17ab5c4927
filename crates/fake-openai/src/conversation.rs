//! Responses API conversation state: stored responses (for `previous_response_id`), image
//! generation calls (for `item_reference`), and parsing of `input`.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::files;
use crate::inputs::{self, InputImage};

/// What a stored response leaves in context for the next turn.
#[derive(Clone, Debug, Default)]
pub struct Turn {
    /// The most recent image in the conversation (the last output, or an earlier one).
    pub image: Option<InputImage>,
}

#[derive(Default)]
pub struct Memory {
    inner: Mutex<(HashMap<String, Turn>, HashMap<String, InputImage>)>,
}

impl Memory {
    pub fn turn(&self, response_id: &str) -> Option<Turn> {
        let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        guard.0.get(response_id).cloned()
    }

    pub fn call_image(&self, item_id: &str) -> Option<InputImage> {
        let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        guard.1.get(item_id).cloned()
    }

    pub fn remember(&self, response_id: &str, turn: Turn, call: Option<(&str, InputImage)>) {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        guard.0.insert(response_id.to_string(), turn);
        if let Some((id, image)) = call {
            guard.1.insert(id.to_string(), image);
        }
    }
}

/// The user's text and images from `input`.
#[derive(Debug, Default)]
pub struct Input {
    pub text: String,
    pub images: Vec<InputImage>,
}

/// Parse `input` (a string or a list of items).
pub fn parse_input(value: Option<&Value>, memory: &Memory, files: &files::Store) -> ApiResult<Input> {
    let mut input = Input::default();
    let mut texts = Vec::new();
    match value {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => texts.push(s.clone()),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                parse_item(item, &format!("input[{i}]"), memory, files, &mut texts, &mut input)?;
            }
        }
        Some(other) => {
            return Err(ApiError::invalid_type("input", "a string or an array", other));
        }
    }
    input.text = texts.join("\n");
    Ok(input)
}

fn parse_item(
    item: &Value,
    param: &str,
    memory: &Memory,
    files: &files::Store,
    texts: &mut Vec<String>,
    input: &mut Input,
) -> ApiResult<()> {
    let Some(obj) = item.as_object() else {
        return Err(ApiError::invalid_type(param, "an object", item));
    };
    let kind = obj.get("type").and_then(Value::as_str);
    match kind {
        None | Some("message") => {
            let role = obj.get("role").and_then(Value::as_str).unwrap_or("user");
            if role != "user" {
                return Ok(());
            }
            match obj.get("content") {
                Some(Value::String(s)) => texts.push(s.clone()),
                Some(Value::Array(parts)) => {
                    for (j, part) in parts.iter().enumerate() {
                        let param = format!("{param}.content[{j}]");
                        parse_part(part, &param, files, texts, input)?;
                    }
                }
                _ => return Err(ApiError::missing(&format!("{param}.content"))),
            }
        }
        Some("image_generation_call") => {
            let image = match obj.get("result").and_then(Value::as_str) {
                Some(b64) => {
                    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).map_err(|_| {
                        ApiError::invalid(
                            &format!("{param}.result"),
                            "invalid_base64_image",
                            "Invalid base64 image data.",
                        )
                    })?;
                    Some(inputs::decode(&bytes, &format!("{param}.result"))?)
                }
                None => obj
                    .get("id")
                    .and_then(Value::as_str)
                    .and_then(|id| memory.call_image(id)),
            };
            input.images.extend(image);
        }
        Some("item_reference") => {
            let id = obj.get("id").and_then(Value::as_str).unwrap_or_default();
            let image = memory.call_image(id).ok_or_else(|| {
                ApiError::invalid(
                    &format!("{param}.id"),
                    "invalid_value",
                    format!("Item with id '{id}' not found."),
                )
            })?;
            input.images.push(image);
        }
        Some(_) => {}
    }
    Ok(())
}

fn parse_part(
    part: &Value,
    param: &str,
    files: &files::Store,
    texts: &mut Vec<String>,
    input: &mut Input,
) -> ApiResult<()> {
    match part.get("type").and_then(Value::as_str) {
        Some("input_text") => {
            if let Some(text) = part.get("text").and_then(Value::as_str) {
                texts.push(text.to_string());
            }
        }
        Some("input_image") => {
            let bytes = match (
                part.get("image_url").and_then(Value::as_str),
                part.get("file_id").and_then(Value::as_str),
            ) {
                (Some(url), _) => inputs::data_url(url, &format!("{param}.image_url"))?,
                (None, Some(id)) => inputs::file_bytes(id, &format!("{param}.file_id"), files)?,
                (None, None) => {
                    return Err(ApiError::missing(&format!("{param}.image_url")));
                }
            };
            input
                .images
                .push(inputs::decode(&bytes, &format!("{param}.image_url"))?);
        }
        _ => {}
    }
    Ok(())
}
