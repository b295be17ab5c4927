//! Server-sent event streams of the Images API (`image_generation.*`, `image_edit.*`) and of the
//! Responses API (`response.*`). Partial images are handed to the caller the moment their event is
//! parsed; the stream may end with or without `[DONE]`; a stream cut before the final image is an error.

use eventsource_stream::Eventsource as _;
use futures_util::StreamExt as _;
use tokio_util::sync::CancellationToken;

use super::transport::{Transport, api_error};
use super::wire::{ApiError, OutputItem, StreamEvent};
use super::{Echo, ImageOut, Progress, decode_image};
use crate::cost::Usage;
use crate::error::{Error, Result};

/// Everything a finished stream produced.
#[derive(Default)]
pub struct Streamed {
    pub images: Vec<ImageOut>,
    pub usage: Option<Usage>,
    pub echo: Echo,
    pub partials: u32,
    pub response_id: Option<String>,
}

pub async fn read(
    transport: &Transport,
    response: reqwest::Response,
    request_id: &Option<String>,
    cancel: &CancellationToken,
    on_progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<Streamed> {
    let mut events = response.bytes_stream().eventsource();
    let mut out = Streamed::default();
    loop {
        let next = tokio::select! {
            _ = cancel.cancelled() => return Err(Error::Cancelled),
            n = events.next() => n,
        };
        let event = match next {
            None => break,
            Some(Ok(event)) => event,
            Some(Err(e)) => {
                return Err(Error::Malformed {
                    message: format!("the image stream was interrupted ({})", transport.scrub(&e.to_string())),
                    request_id: request_id.clone(),
                });
            }
        };
        let data = event.data.trim();
        if data == "[DONE]" {
            break;
        }
        if data.is_empty() {
            continue;
        }
        let ev: StreamEvent<'_> = serde_json::from_str(data).map_err(|e| Error::Malformed {
            message: format!("unreadable stream event '{}': {e}", event.event),
            request_id: request_id.clone(),
        })?;
        handle(ev, &mut out, request_id, on_progress)?;
    }
    if out.images.is_empty() {
        return Err(Error::Malformed {
            message: "the stream ended before the final image arrived (the connection was cut)".into(),
            request_id: request_id.clone(),
        });
    }
    Ok(out)
}

/// Apply one event (the stream is read to its end: several `completed` events come for n > 1).
fn handle(
    ev: StreamEvent<'_>,
    out: &mut Streamed,
    request_id: &Option<String>,
    on_progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<()> {
    let kind = ev.kind.as_ref();
    if let Some(err) = in_stream_error(&ev) {
        return Err(api_error(status_for(&err), err, request_id.clone(), 1, None));
    }
    let malformed = |what: String| Error::Malformed {
        message: what,
        request_id: request_id.clone(),
    };
    match kind {
        k if k.ends_with("partial_image") => {
            let b64 = ev
                .partial_image_b64
                .as_ref()
                .or(ev.b64_json.as_ref())
                .map_or(&b""[..], |b| &b.0);
            let index = ev.partial_image_index.unwrap_or(out.partials);
            let image = decode_image(b64, None).map_err(|e| malformed(format!("partial image {index}: {e}")))?;
            out.partials += 1;
            on_progress(Progress::Partial { index, image });
            Ok(())
        }
        "image_generation.completed" | "image_edit.completed" => {
            let b64 = ev.b64_json.as_ref().map_or(&b""[..], |b| &b.0);
            let image = decode_image(b64, None).map_err(|e| malformed(format!("final image: {e}")))?;
            out.images.push(image);
            out.usage = ev.usage.map(Usage::from).or(out.usage);
            out.echo = Echo {
                size: ev.size,
                quality: ev.quality,
                background: ev.background,
                output_format: ev.output_format,
            };
            Ok(())
        }
        "response.created" | "response.in_progress" => {
            if let Some(r) = ev.response {
                out.response_id = Some(r.id);
            }
            Ok(())
        }
        "response.output_item.done" => {
            if let Some(item) = ev.item {
                push_item(item, out).map_err(malformed)?;
            }
            Ok(())
        }
        "response.completed" => {
            if let Some(r) = ev.response {
                out.response_id = Some(r.id);
                if out.images.is_empty() {
                    for item in r.output {
                        push_item(item, out).map_err(malformed)?;
                    }
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A finished `image_generation_call` item → one image (a non-empty `result` counts as done).
pub fn push_item(item: OutputItem, out: &mut Streamed) -> Result<(), String> {
    if item.kind != "image_generation_call" {
        return Ok(());
    }
    let Some(result) = item.result.filter(|r| !r.is_empty()) else {
        return match item.status.as_deref() {
            Some("failed") => Err("the image generation call failed".into()),
            _ => Ok(()),
        };
    };
    let image = decode_image(result.as_bytes(), item.revised_prompt)
        .map_err(|e| format!("image from the Responses API: {e}"))?;
    out.images.push(image);
    out.echo = Echo {
        size: item.size,
        quality: item.quality,
        background: item.background,
        output_format: item.output_format,
    };
    Ok(())
}

/// An `error` event, a data object with an `error` key, or a failed/incomplete response.
fn in_stream_error(ev: &StreamEvent<'_>) -> Option<ApiError> {
    if let Some(e) = &ev.error {
        return Some(e.clone());
    }
    let kind = ev.kind.as_ref();
    if kind == "error" {
        return Some(ApiError {
            message: ev
                .message
                .clone()
                .unwrap_or_else(|| "the stream reported an error".into()),
            code: ev.code.clone(),
            ..ApiError::default()
        });
    }
    if matches!(kind, "response.failed" | "response.incomplete") {
        let err = ev.response.as_ref().and_then(|r| r.error.clone());
        return Some(err.unwrap_or_else(|| ApiError {
            message: format!("the response ended as {}", kind.trim_start_matches("response.")),
            ..ApiError::default()
        }));
    }
    None
}

fn status_for(err: &ApiError) -> u16 {
    match err.code.as_deref() {
        Some("rate_limit_exceeded") => 429,
        Some("server_error") | None => 500,
        _ => 400,
    }
}
