//! The `/__fake/*` control surface for non-Rust tests: faults, the request log, the streamed-event
//! log (wall-clock send times), health, and the images behind dall-e `url` results. Not recorded, not authenticated, no faults.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::fault::Fault;
use crate::server::Shared;

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/health", get(health))
        .route("/faults", get(pending_faults).post(push_faults).delete(clear_faults))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/events", get(events).delete(clear_events))
        .route("/images/{name}", get(hosted_image))
        .fallback(|| async { ApiError::new(404, "invalid_request_error", "Unknown fake-openai admin route.") })
}

async fn health() -> axum::Json<Value> {
    axum::Json(json!({ "status": "ok" }))
}

async fn pending_faults(State(state): State<Arc<Shared>>) -> axum::Json<Value> {
    axum::Json(json!({ "pending": state.faults.len() }))
}

/// Accepts a JSON array of faults (or a single fault object).
async fn push_faults(State(state): State<Arc<Shared>>, body: Bytes) -> Response {
    let parsed = serde_json::from_slice::<Vec<Fault>>(&body)
        .or_else(|_| serde_json::from_slice::<Fault>(&body).map(|f| vec![f]));
    match parsed {
        Ok(faults) => {
            state.faults.push(faults);
            axum::Json(json!({ "pending": state.faults.len() })).into_response()
        }
        Err(e) => ApiError::new(
            400,
            "invalid_request_error",
            format!("Expected a JSON array of faults: {e}"),
        )
        .into_response(),
    }
}

async fn clear_faults(State(state): State<Arc<Shared>>) -> StatusCode {
    state.faults.clear();
    StatusCode::NO_CONTENT
}

async fn requests(State(state): State<Arc<Shared>>) -> axum::Json<Value> {
    let all: Vec<Value> = state.log.all().iter().map(|r| r.summary()).collect();
    axum::Json(Value::Array(all))
}

async fn clear_requests(State(state): State<Arc<Shared>>) -> StatusCode {
    state.log.clear();
    StatusCode::NO_CONTENT
}

/// Every streamed SSE event so far: `[{"event": type, "sent_at_ms": wall clock}]`, in send order.
async fn events(State(state): State<Arc<Shared>>) -> axum::Json<Value> {
    let sent = state.sent.lock().unwrap_or_else(|e| e.into_inner());
    let all = sent
        .iter()
        .map(|s| json!({ "event": s.event, "sent_at_ms": s.wall_ms() }))
        .collect();
    axum::Json(Value::Array(all))
}

async fn clear_events(State(state): State<Arc<Shared>>) -> StatusCode {
    state.sent.lock().unwrap_or_else(|e| e.into_inner()).clear();
    StatusCode::NO_CONTENT
}

async fn hosted_image(State(state): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    let found = state
        .hosted
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&name)
        .cloned();
    match found {
        Some((format, image)) => {
            let mut response = image.bytes.clone().into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(format.mime()));
            response
        }
        None => ApiError::new(404, "invalid_request_error", "No such image.").into_response(),
    }
}
