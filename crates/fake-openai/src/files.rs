//! A minimal Files API (`/v1/files`) so inputs can be referenced by `file_id`.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::server::{Call, random_hex, unix_now};

/// An uploaded file.
#[derive(Clone, Debug)]
pub struct File {
    pub id: String,
    pub filename: String,
    pub purpose: String,
    pub content_type: Option<String>,
    pub created_at: u64,
    pub data: Bytes,
}

impl File {
    fn object(&self) -> Value {
        json!({
            "id": self.id,
            "object": "file",
            "bytes": self.data.len(),
            "created_at": self.created_at,
            "expires_at": null,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
        })
    }
}

#[derive(Default)]
pub struct Store(Mutex<HashMap<String, File>>);

impl Store {
    pub fn get(&self, id: &str) -> Option<File> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(id).cloned()
    }

    fn insert(&self, file: File) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(file.id.clone(), file);
    }

    fn remove(&self, id: &str) -> Option<File> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(id)
    }
}

const PURPOSES: &[&str] = &["assistants", "batch", "fine-tune", "vision", "user_data", "evals"];

/// `POST /v1/files` (multipart: `file`, `purpose`, optional `expires_after[...]`).
pub async fn upload(call: &Call<'_>) -> ApiResult<Response> {
    call.require_multipart()?;
    let rec = call.rec;
    for part in &rec.parts {
        if !matches!(part.name.as_str(), "file" | "purpose") && !part.name.starts_with("expires_after") {
            return Err(ApiError::unknown_parameter(&part.name));
        }
    }
    let file = rec
        .parts_named("file")
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::missing("file"))?;
    let purpose = rec.text("purpose").ok_or_else(|| ApiError::missing("purpose"))?;
    if !PURPOSES.contains(&purpose.as_str()) {
        return Err(ApiError::invalid_value("purpose", &purpose, PURPOSES));
    }
    let stored = File {
        id: format!("file-{}", random_hex(22)),
        filename: file.filename.clone().unwrap_or_else(|| "upload".into()),
        purpose,
        content_type: file.content_type.clone(),
        created_at: unix_now(),
        data: file.data.clone(),
    };
    let body = stored.object();
    call.state.files.insert(stored);
    Ok(axum::Json(body).into_response())
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(404, "invalid_request_error", format!("No such File object: {id}")).param("id")
}

/// `GET /v1/files/{id}`.
pub fn retrieve(call: &Call<'_>, id: &str) -> ApiResult<Response> {
    let file = call.state.files.get(id).ok_or_else(|| not_found(id))?;
    Ok(axum::Json(file.object()).into_response())
}

/// `DELETE /v1/files/{id}`.
pub fn delete(call: &Call<'_>, id: &str) -> ApiResult<Response> {
    call.state.files.remove(id).ok_or_else(|| not_found(id))?;
    Ok(axum::Json(json!({ "id": id, "object": "file", "deleted": true })).into_response())
}

/// `GET /v1/files/{id}/content`.
pub fn content(call: &Call<'_>, id: &str) -> ApiResult<Response> {
    let file = call.state.files.get(id).ok_or_else(|| not_found(id))?;
    let mut response = file.data.into_response();
    let ct = file
        .content_type
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    response.headers_mut().insert(header::CONTENT_TYPE, ct);
    Ok(response)
}
