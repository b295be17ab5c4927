//! Server-sent event streams: the Images API stream (`image_generation.*` / `image_edit.*`), the
//! Responses stream, and the player that spaces events by `partial_interval` and applies faults.

use std::time::Duration;

use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::body::{self, Step, blob, sse_event};
use crate::error::ApiError;
use crate::fault::Glitch;
use crate::generation::Kind;
use crate::images::{self, Spec};
use crate::inputs::InputImage;
use crate::server::{Call, unix_now};
use crate::usage::Usage;
use crate::validate::Job;

/// Play `events` as a `text/event-stream`, `gap` apart; `abort` drops the connection after the
/// last one instead of ending cleanly.
pub fn play(events: Vec<Bytes>, gap: Duration, abort: bool, sent: body::SentLog) -> Response {
    let mut steps = Vec::with_capacity(events.len() * 2 + 1);
    for (i, event) in events.into_iter().enumerate() {
        if i > 0 && !gap.is_zero() {
            steps.push(Step::Sleep(gap));
        }
        steps.push(Step::Data(event));
    }
    if abort {
        steps.push(Step::Abort);
    }
    body::sse_response(steps, sent)
}

/// The error event sent mid-stream under [`Glitch::StreamError`]: the Images shape carries an
/// `error` object; `sequence_number` (Responses) adds the flat `code`/`message`/`param` fields.
pub fn error_event(sequence_number: Option<u64>) -> Bytes {
    let err = ApiError::server_error().code("server_error");
    let mut data = json!({ "type": "error", "error": err.object() });
    if let Some(seq) = sequence_number {
        data["code"] = json!(err.code);
        data["message"] = json!(err.message);
        data["param"] = Value::Null;
        data["sequence_number"] = json!(seq);
    }
    sse_event("error", &data, &[])
}

/// Echo fields shared by every image event.
pub fn image_meta(job: &Job, spec: Spec) -> Value {
    json!({
        "size": format!("{}x{}", spec.width, spec.height),
        "quality": job.quality,
        "background": if job.transparent { "transparent" } else { "opaque" },
        "output_format": job.format.as_str(),
    })
}

/// Add `extra`'s members to the object `target`.
pub fn merge(target: &mut Value, extra: Value) {
    if let (Some(t), Value::Object(e)) = (target.as_object_mut(), extra) {
        t.extend(e);
    }
}

fn with_meta(mut data: Value, meta: &Value) -> Value {
    merge(&mut data, meta.clone());
    data
}

/// How many partial images a stream sends under `glitch`.
pub fn partial_count(requested: u32, glitch: Glitch) -> u32 {
    match glitch {
        Glitch::StreamError => 1,
        _ => requested,
    }
}

/// The Images API stream: per image, `partial_image` × k then `completed` (with usage).
pub async fn images(call: &Call<'_>, job: &Job, spec: Spec, inputs: &[InputImage], kind: Kind) -> Response {
    let prefix = match kind {
        Kind::Edit => "image_edit",
        Kind::Generation | Kind::Variation => "image_generation",
    };
    let partial_type = format!("{prefix}.partial_image");
    let completed_type = format!("{prefix}.completed");
    let meta = image_meta(job, spec);
    let glitch = call.glitch;
    let partials = partial_count(job.partial_images, glitch);
    let mut events = Vec::new();
    for v in 0..job.n {
        let spec = spec.variant(v);
        for i in 0..partials {
            let image = images::encoded(spec.partial(i, partials)).await;
            let data = json!({
                "type": partial_type,
                "b64_json": blob(0),
                "created_at": unix_now(),
                "partial_image_index": i,
            });
            events.push(sse_event(&partial_type, &with_meta(data, &meta), &[glitch.b64(&image)]));
            if glitch == Glitch::StreamError {
                events.push(error_event(None));
                return play(
                    events,
                    call.state.config.partial_interval,
                    false,
                    call.state.sent.clone(),
                );
            }
        }
        if glitch == Glitch::Truncated {
            return play(
                events,
                call.state.config.partial_interval,
                true,
                call.state.sent.clone(),
            );
        }
        let image = images::encoded(spec).await;
        let usage = Usage::for_job(job, (spec.width, spec.height), inputs, 1, partials);
        let data = json!({
            "type": completed_type,
            "b64_json": blob(0),
            "created_at": unix_now(),
            "usage": usage.json(),
        });
        events.push(sse_event(
            &completed_type,
            &with_meta(data, &meta),
            &[glitch.b64(&image)],
        ));
    }
    play(
        events,
        call.state.config.partial_interval,
        false,
        call.state.sent.clone(),
    )
}

/// The Responses stream for a finished `response` (§7 order, with `sequence_number`), and
/// whether to drop the connection after the last event. `image` is the tool call's job and
/// spec when the output is an image; `blobs[0]` is its final base64.
pub async fn response_events(
    glitch: Glitch,
    response: &Value,
    image: Option<(&Job, Spec)>,
    blobs: &[Bytes],
) -> (Vec<Bytes>, bool) {
    let mut events = Events::default();
    let mut pending = response.clone();
    pending["status"] = json!("in_progress");
    pending["completed_at"] = Value::Null;
    pending["output"] = json!([]);
    pending["usage"] = Value::Null;
    events.push("response.created", json!({ "response": pending }), &[]);
    events.push("response.in_progress", json!({ "response": pending }), &[]);

    let item = &response["output"][0];
    let item_id = item["id"].clone();
    let at = |extra: Value| {
        let mut v = json!({ "output_index": 0, "item_id": item_id });
        merge(&mut v, extra);
        v
    };
    if let Some((job, spec)) = image {
        let added = json!({ "id": item_id, "type": "image_generation_call", "status": "in_progress", "result": null });
        events.push(
            "response.output_item.added",
            json!({ "output_index": 0, "item": added }),
            &[],
        );
        events.push("response.image_generation_call.in_progress", at(json!({})), &[]);
        events.push("response.image_generation_call.generating", at(json!({})), &[]);
        let count = partial_count(job.partial_images, glitch);
        for i in 0..count {
            let image = images::encoded(spec.partial(i, count)).await;
            let mut data = at(json!({ "partial_image_index": i, "partial_image_b64": blob(0) }));
            merge(&mut data, image_meta(job, spec));
            events.push(
                "response.image_generation_call.partial_image",
                data,
                &[glitch.b64(&image)],
            );
            if glitch == Glitch::StreamError {
                events.push_error();
                return (events.out, false);
            }
        }
        if glitch == Glitch::Truncated {
            return (events.out, true);
        }
        events.push("response.image_generation_call.completed", at(json!({})), &[]);
    } else {
        let text = item["content"][0]["text"].clone();
        let mut added = item.clone();
        added["status"] = json!("in_progress");
        added["content"] = json!([]);
        let part = json!({ "type": "output_text", "text": text, "annotations": [] });
        let empty = json!({ "type": "output_text", "text": "", "annotations": [] });
        events.push(
            "response.output_item.added",
            json!({ "output_index": 0, "item": added }),
            &[],
        );
        events.push(
            "response.content_part.added",
            at(json!({ "content_index": 0, "part": empty })),
            &[],
        );
        events.push(
            "response.output_text.delta",
            at(json!({ "content_index": 0, "delta": text })),
            &[],
        );
        if glitch == Glitch::Truncated {
            return (events.out, true);
        }
        events.push(
            "response.output_text.done",
            at(json!({ "content_index": 0, "text": text })),
            &[],
        );
        events.push(
            "response.content_part.done",
            at(json!({ "content_index": 0, "part": part })),
            &[],
        );
    }
    events.push(
        "response.output_item.done",
        json!({ "output_index": 0, "item": item }),
        blobs,
    );
    events.push("response.completed", json!({ "response": response }), blobs);
    (events.out, false)
}

/// Responses events numbered by `sequence_number`.
#[derive(Default)]
struct Events {
    next: u64,
    out: Vec<Bytes>,
}

impl Events {
    fn push(&mut self, kind: &str, mut data: Value, blobs: &[Bytes]) {
        data["type"] = json!(kind);
        data["sequence_number"] = json!(self.next);
        self.next += 1;
        self.out.push(sse_event(kind, &data, blobs));
    }

    fn push_error(&mut self) {
        self.out.push(error_event(Some(self.next)));
        self.next += 1;
    }
}
