//! `POST /v1/responses` with the `image_generation` tool: the Response object, and its stream.

use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::body::{self, blob};
use crate::conversation::{self, Input, Turn};
use crate::error::{ApiError, ApiResult};
use crate::fault::Glitch;
use crate::generation::revised_prompt;
use crate::images::{self, Format, Spec};
use crate::inputs::{self, InputImage};
use crate::models;
use crate::server::{Call, random_hex, unix_now};
use crate::stream::{self, image_meta, merge};
use crate::usage::{image_input_tokens, text_tokens};
use crate::validate::{self, Endpoint, Job, Origin, Params};

const KEYS: &[&str] = &[
    "model",
    "input",
    "instructions",
    "tools",
    "tool_choice",
    "stream",
    "stream_options",
    "previous_response_id",
    "store",
    "metadata",
    "user",
    "parallel_tool_calls",
    "temperature",
    "top_p",
    "max_output_tokens",
    "max_tool_calls",
    "reasoning",
    "text",
    "truncation",
    "include",
    "background",
    "service_tier",
    "prompt",
    "prompt_cache_key",
    "safety_identifier",
    "conversation",
    "top_logprobs",
];

/// Mainline model families that can call the image tool.
const MAINLINE_PREFIXES: &[&str] = &["gpt-5", "gpt-4.1", "gpt-4o", "o3", "o4-mini", "o1"];

const NO_TOOL_TEXT: &str = "I can only create images here. Enable the image_generation tool.";

/// The image the tool call will produce.
struct Plan {
    job: Job,
    spec: Spec,
}

pub async fn create(call: &Call<'_>) -> ApiResult<Response> {
    let obj = call.json_object()?;
    if let Some(key) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(ApiError::unknown_parameter(key));
    }
    let p = Params::Json(obj, "");
    let model = p.string("model")?.ok_or_else(|| ApiError::missing("model"))?;
    if models::lookup(&model).is_some() {
        return Err(ApiError::invalid(
            "model",
            "invalid_value",
            format!(
                "The model '{model}' cannot be used as the model of a response; use a text model \
                 and set it as the image_generation tool's 'model'."
            ),
        ));
    }
    if !MAINLINE_PREFIXES.iter().any(|m| model.starts_with(m)) {
        return Err(ApiError::model_not_found(&model));
    }
    let stream = p.boolean("stream")?.unwrap_or(false);
    let store = p.boolean("store")?.unwrap_or(true);
    let previous_id = p.string("previous_response_id")?;
    if previous_id.is_some() && p.has("conversation") {
        return Err(ApiError::invalid(
            "previous_response_id",
            "invalid_value",
            "Mutually exclusive parameters: 'previous_response_id' and 'conversation' cannot both be set.",
        ));
    }
    let memory = &call.state.responses;
    let previous = match &previous_id {
        None => None,
        Some(id) => Some(memory.turn(id).ok_or_else(|| {
            ApiError::invalid(
                "previous_response_id",
                "previous_response_not_found",
                format!("Previous response with id '{id}' not found."),
            )
        })?),
    };
    let input = conversation::parse_input(obj.get("input"), memory, &call.state.files)?;
    if input.text.is_empty() && input.images.is_empty() && previous.is_none() {
        return Err(ApiError::missing("input"));
    }
    let context = input
        .images
        .first()
        .cloned()
        .or_else(|| previous.as_ref().and_then(|t| t.image.clone()));
    let plan = plan(call, obj, context.as_ref())?;
    if plan.is_some() && !stream && call.glitch == Glitch::StreamError {
        return Err(ApiError::server_error());
    }

    let created = unix_now();
    let id = format!("resp_{}", random_hex(48));
    let mut blobs = Vec::new();
    let (item, made) = match &plan {
        Some(plan) => {
            let image = images::encoded(plan.spec).await;
            blobs.push(call.glitch.b64(&image));
            let mut item = json!({
                "id": format!("ig_{}", random_hex(48)),
                "type": "image_generation_call",
                "status": "completed",
                "result": blob(0),
                "revised_prompt": revised_prompt(&input.text),
            });
            merge(&mut item, image_meta(&plan.job, plan.spec));
            let made = InputImage {
                width: plan.spec.width,
                height: plan.spec.height,
                format: match plan.spec.format {
                    Format::Png => image::ImageFormat::Png,
                    Format::Jpeg => image::ImageFormat::Jpeg,
                    Format::Webp => image::ImageFormat::WebP,
                },
                has_alpha: plan.spec.transparent,
                len: image.bytes.len(),
            };
            (item, Some(made))
        }
        None => (message_item(), None),
    };
    let usage = mainline_usage(obj, &input, plan.is_some());
    let response = response_object(obj, &id, created, &model, vec![item.clone()], usage, &plan);

    if store {
        let turn = Turn {
            image: made.clone().or(context),
        };
        let item_id = item["id"].as_str().unwrap_or_default();
        memory.remember(&id, turn, made.map(|m| (item_id, m)));
    }
    if !stream {
        return Ok(body::json_response(&response, &blobs, call.glitch == Glitch::Truncated));
    }
    let partials = plan.as_ref().map(|p| (&p.job, p.spec));
    let (events, abort) = stream::response_events(call.glitch, &response, partials, &blobs).await;
    Ok(stream::play(
        events,
        call.state.config.partial_interval,
        abort,
        call.state.sent.clone(),
    ))
}

/// Decide whether (and what) the image tool generates.
fn plan(call: &Call<'_>, obj: &Map<String, Value>, context: Option<&InputImage>) -> ApiResult<Option<Plan>> {
    let tools = match obj.get("tools") {
        None | Some(Value::Null) => &Vec::new(),
        Some(Value::Array(tools)) => tools,
        Some(other) => return Err(ApiError::invalid_type("tools", "an array", other)),
    };
    let mut found = None;
    for (i, tool) in tools.iter().enumerate() {
        match tool.get("type").and_then(Value::as_str) {
            None => return Err(ApiError::missing(&format!("tools[{i}].type"))),
            Some("image_generation") => found = found.or(Some(i)),
            Some(_) => {}
        }
    }
    let chosen = match obj.get("tool_choice") {
        Some(Value::String(s)) if s == "none" => return Ok(None),
        Some(Value::Object(choice)) => choice.get("type").and_then(Value::as_str),
        _ => None,
    };
    if chosen == Some("image_generation") && found.is_none() {
        return Err(ApiError::invalid(
            "tool_choice",
            "invalid_value",
            "Tool choice 'image_generation' not found in 'tools' parameter.",
        ));
    }
    if chosen.is_some_and(|c| c != "image_generation") {
        return Ok(None);
    }
    let Some(index) = found else { return Ok(None) };
    let tool = tools[index].as_object().expect("has a type, so an object");
    let prefix = format!("tools[{index}].");
    let mut origin = Origin::default();
    if call.origin.azure {
        let header = "x-ms-oai-image-generation-deployment";
        let deployment = call.rec.header(header).ok_or_else(|| {
            ApiError::new(
                400,
                "invalid_request_error",
                format!("The image_generation tool requires the '{header}' header."),
            )
        })?;
        origin.azure = true;
        origin.deployment = models::lookup(deployment).map(|_| deployment.to_string());
    }
    let params = Params::Json(tool, &prefix);
    let job = validate::job(&params, Endpoint::Tool, &origin, &[])?;
    let action = match params.string("action")?.as_deref() {
        None | Some("auto") => context.map_or("generate", |_| "edit"),
        Some("generate") => "generate",
        Some("edit") if context.is_some() => "edit",
        Some("edit") => {
            return Err(ApiError::invalid(
                &format!("{prefix}action"),
                "invalid_value",
                "The image_generation tool's action 'edit' requires an input image in the conversation.",
            ));
        }
        Some(other) => {
            return Err(ApiError::invalid_value(
                &format!("{prefix}action"),
                other,
                &["generate", "edit", "auto"],
            ));
        }
    };
    if let Some(mask) = tool.get("input_image_mask").filter(|m| !m.is_null()) {
        let param = format!("{prefix}input_image_mask");
        let bytes = inputs::image_ref(mask, &param, &call.state.files)?;
        let mask = inputs::decode(&bytes, &param)?;
        if let Some(first) = context {
            inputs::check_mask(&mask, first, &param)?;
        }
    }
    let fallback = (action == "edit")
        .then(|| context.map(|c| (c.width, c.height)))
        .flatten();
    let (w, h) = job.resolved_size(fallback);
    let spec = Spec::new(w, h, job.format, job.transparent, job.compression);
    Ok(Some(Plan { job, spec }))
}

fn message_item() -> Value {
    json!({
        "id": format!("msg_{}", random_hex(48)),
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [{ "type": "output_text", "text": NO_TOOL_TEXT, "annotations": [] }],
    })
}

/// Mainline usage (the image tool's own tokens are not reported, as upstream): a fixed 20
/// token overhead, text at chars/4, each input image by tiles; 36 output tokens for a tool call.
fn mainline_usage(obj: &Map<String, Value>, input: &Input, tool_call: bool) -> Value {
    let instructions = obj.get("instructions").and_then(Value::as_str).unwrap_or_default();
    let images: u64 = input
        .images
        .iter()
        .map(|i| image_input_tokens(i.width, i.height, false))
        .sum();
    let input_tokens = 20 + text_tokens(&input.text) + text_tokens(instructions) + images;
    let output_tokens = if tool_call { 36 } else { text_tokens(NO_TOOL_TEXT) };
    json!({
        "input_tokens": input_tokens,
        "input_tokens_details": { "cached_tokens": 0 },
        "output_tokens": output_tokens,
        "output_tokens_details": { "reasoning_tokens": 0 },
        "total_tokens": input_tokens + output_tokens,
    })
}

fn response_object(
    obj: &Map<String, Value>,
    id: &str,
    created: u64,
    model: &str,
    output: Vec<Value>,
    usage: Value,
    plan: &Option<Plan>,
) -> Value {
    let echo = |key: &str, default: Value| obj.get(key).cloned().unwrap_or(default);
    let mut tools = echo("tools", json!([]));
    for tool in tools.as_array_mut().into_iter().flatten() {
        if tool["type"] == "image_generation" {
            let defaults = json!({
                "model": plan.as_ref().map_or("gpt-image-1", |p| p.job.model.id),
                "background": "auto", "moderation": "auto", "output_compression": 100,
                "output_format": "png", "partial_images": 0, "quality": "auto", "size": "auto",
            });
            for (k, v) in defaults.as_object().into_iter().flatten() {
                if tool.get(k).is_none_or(Value::is_null) {
                    tool[k] = v.clone();
                }
            }
        }
    }
    json!({
        "id": id,
        "object": "response",
        "created_at": created,
        "status": "completed",
        "completed_at": created,
        "background": false,
        "error": null,
        "incomplete_details": null,
        "instructions": echo("instructions", Value::Null),
        "max_output_tokens": echo("max_output_tokens", Value::Null),
        "metadata": echo("metadata", json!({})),
        "model": model,
        "output": output,
        "parallel_tool_calls": echo("parallel_tool_calls", json!(true)),
        "previous_response_id": echo("previous_response_id", Value::Null),
        "reasoning": { "effort": null, "summary": null },
        "service_tier": "default",
        "store": echo("store", json!(true)),
        "temperature": echo("temperature", json!(1.0)),
        "text": echo("text", json!({ "format": { "type": "text" }, "verbosity": "medium" })),
        "tool_choice": echo("tool_choice", json!("auto")),
        "tools": tools,
        "top_p": echo("top_p", json!(1.0)),
        "truncation": echo("truncation", json!("disabled")),
        "usage": usage,
        "user": echo("user", Value::Null),
    })
}
