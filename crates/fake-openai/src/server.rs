//! The HTTP front: shared state, routing, and the pipeline every API request goes through
//! (record → auth → fault → handler → latency → common headers).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::fault::{self, Effect, Glitch};
use crate::images::{Encoded, Format};
use crate::record::{self, Recorded};
use crate::validate::Origin;
use crate::{Config, admin, auth, conversation, files, generation, responses};

/// Largest request body accepted (16 inputs of up to 50 MB, plus slack).
const MAX_BODY: usize = 1024 * 1024 * 1024;

/// State shared by all requests of one server.
pub(crate) struct Shared {
    pub config: Config,
    pub addr: SocketAddr,
    pub log: record::Log,
    pub faults: fault::Queue,
    pub files: files::Store,
    pub responses: conversation::Memory,
    /// Images served for dall-e `url` results, by file name (`img_….png`).
    pub hosted: Mutex<HashMap<String, (Format, Arc<Encoded>)>>,
    /// When each streamed event went out (see [`crate::FakeOpenAi::events_sent`]).
    pub sent: crate::body::SentLog,
}

impl Shared {
    pub fn new(config: Config, addr: SocketAddr) -> Shared {
        Shared {
            config,
            addr,
            log: Default::default(),
            faults: Default::default(),
            files: Default::default(),
            responses: Default::default(),
            sent: Default::default(),
            hosted: Default::default(),
        }
    }
}

/// One API request being answered.
pub(crate) struct Call<'a> {
    pub state: &'a Shared,
    pub rec: &'a Recorded,
    pub origin: Origin,
    pub glitch: Glitch,
    multipart_error: Option<String>,
    json: Option<Value>,
}

impl Call<'_> {
    /// The JSON body as an object, or OpenAI's "could not parse the JSON body" 400.
    pub fn json_object(&self) -> ApiResult<&Map<String, Value>> {
        self.json
            .as_ref()
            .and_then(Value::as_object)
            .ok_or_else(ApiError::bad_json)
    }

    pub fn require_multipart(&self) -> ApiResult<()> {
        if !self.rec.is_multipart() {
            let ct = self.rec.header("content-type").unwrap_or("none");
            return Err(ApiError::new(
                400,
                "invalid_request_error",
                format!(
                    "Invalid Content-Type header ({ct}), expected multipart/form-data. (HINT: If \
                     you're using curl, you can pass -F 'key=value' options to send \
                     multipart/form-data requests.)"
                ),
            ));
        }
        match &self.multipart_error {
            Some(e) => Err(ApiError::new(
                400,
                "invalid_request_error",
                format!("Could not parse multipart form: {e}"),
            )),
            None => Ok(()),
        }
    }

    /// `http://host:port` as the client addressed us (for absolute image URLs).
    pub fn origin_url(&self) -> String {
        let host = self
            .rec
            .header("host")
            .map(str::to_string)
            .unwrap_or_else(|| self.state.addr.to_string());
        format!("http://{host}")
    }
}

pub(crate) fn router(state: Arc<Shared>) -> Router {
    Router::new()
        .nest("/__fake", admin::router())
        .fallback(api)
        .with_state(state)
}

#[derive(Debug, PartialEq, Eq)]
enum Route {
    Generations,
    Edits,
    Variations,
    Responses,
    Files,
    File(String),
    FileContent(String),
    Models,
}

fn route(method: &str, path: &str) -> Option<(Origin, Route)> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let (origin, rest) = match segments.as_slice() {
        ["v1", rest @ ..] => (Origin::default(), rest),
        ["openai", "v1", rest @ ..] => (
            Origin {
                azure: true,
                deployment: None,
            },
            rest,
        ),
        ["openai", "deployments", name, rest @ ..] => {
            let origin = Origin {
                azure: true,
                deployment: Some(name.to_string()),
            };
            return match (method, rest) {
                ("POST", ["images", "generations"]) => Some((origin, Route::Generations)),
                ("POST", ["images", "edits"]) => Some((origin, Route::Edits)),
                _ => None,
            };
        }
        _ => return None,
    };
    let route = match (method, rest) {
        ("POST", ["images", "generations"]) => Route::Generations,
        ("POST", ["images", "edits"]) => Route::Edits,
        ("POST", ["images", "variations"]) if !origin.azure => Route::Variations,
        ("POST", ["responses"]) => Route::Responses,
        ("POST", ["files"]) => Route::Files,
        ("GET", ["models"]) => Route::Models,
        ("GET" | "DELETE", ["files", id]) => Route::File(id.to_string()),
        ("GET", ["files", id, "content"]) => Route::FileContent(id.to_string()),
        _ => return None,
    };
    Some((origin, route))
}

async fn api(State(state): State<Arc<Shared>>, request: Request) -> Response {
    let started = Instant::now();
    let (head, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return ApiError::new(413, "invalid_request_error", "Request body too large.").into_response();
        }
    };
    let (rec, multipart_error) = record::capture(&head, bytes).await;
    let seq = state.log.push(rec.clone());
    let mut response = answer(&state, &rec, multipart_error).await;
    if !state.config.latency.is_zero() {
        tokio::time::sleep(state.config.latency).await;
    }
    let status = response.status().as_u16();
    state.log.set_status(seq, status);
    let elapsed = started.elapsed().as_millis();
    tracing::info!(method = %rec.method, path = %rec.path, status, ms = elapsed as u64, "fake-openai");
    let headers = response.headers_mut();
    let id = format!("req_{}", random_hex(32));
    headers.insert("x-request-id", HeaderValue::from_str(&id).expect("hex"));
    headers.insert("openai-processing-ms", HeaderValue::from(elapsed as u64));
    headers.insert("openai-version", HeaderValue::from_static("2020-10-01"));
    response
}

async fn answer(state: &Shared, rec: &Recorded, multipart_error: Option<String>) -> Response {
    let Some((origin, route)) = route(&rec.method, &rec.path) else {
        return ApiError::not_found_route(&rec.method, &rec.path).into_response();
    };
    let authed = if origin.azure {
        auth::check_azure(rec, &state.config.azure_api_key)
    } else {
        auth::check_openai(rec, &state.config.api_key)
    };
    if let Err(e) = authed {
        return e.into_response();
    }
    if origin.deployment.is_some() && !has_query_key(rec, "api-version") {
        return ApiError::invalid(
            "api-version",
            "missing_required_parameter",
            "Missing required query parameter: 'api-version'.",
        )
        .into_response();
    }
    let json = rec.json.clone().or_else(|| serde_json::from_slice(&rec.body).ok());
    let mut glitch = Glitch::None;
    if let Some(fault) = state.faults.pop() {
        let key = if origin.azure {
            rec.header("api-key").unwrap_or_default()
        } else {
            auth::bearer(rec).unwrap_or_default()
        };
        tracing::info!(?fault, path = %rec.path, "fake-openai: applying fault");
        match fault::effect(fault, &model_hint(rec, &origin, json.as_ref()), key) {
            Effect::Fail(e) => return e.into_response(),
            Effect::Delay(d) => tokio::time::sleep(d).await,
            Effect::Alter(g) => glitch = g,
        }
    }
    let call = Call {
        state,
        rec,
        origin,
        glitch,
        multipart_error,
        json,
    };
    let result = match &route {
        Route::Generations => generation::generations(&call).await,
        Route::Edits => generation::edits(&call).await,
        Route::Variations => generation::variations(&call).await,
        Route::Responses => responses::create(&call).await,
        Route::Files => files::upload(&call).await,
        Route::File(id) if rec.method == "DELETE" => files::delete(&call, id),
        Route::File(id) => files::retrieve(&call, id),
        Route::FileContent(id) => files::content(&call, id),
        Route::Models => Ok(list_models()),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `GET /v1/models`: the image models this fake serves, in the API's list shape.
fn list_models() -> Response {
    let data: Vec<Value> = crate::models::MODELS
        .iter()
        .map(|m| serde_json::json!({"id": m.id, "object": "model", "created": 1_700_000_000, "owned_by": "system"}))
        .collect();
    axum::Json(serde_json::json!({"object": "list", "data": data})).into_response()
}

fn has_query_key(rec: &Recorded, key: &str) -> bool {
    rec.query.as_deref().unwrap_or_default().split('&').any(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        k == key && !v.is_empty()
    })
}

/// The image model a request is about, for fault messages.
fn model_hint(rec: &Recorded, origin: &Origin, json: Option<&Value>) -> String {
    let tool_model = || {
        json?
            .get("tools")?
            .as_array()?
            .iter()
            .find(|t| t["type"] == "image_generation")
            .map(|t| t["model"].as_str().unwrap_or("gpt-image-1").to_string())
    };
    origin
        .deployment
        .clone()
        .or_else(tool_model)
        .or_else(|| json.and_then(|j| j.get("model")?.as_str().map(str::to_string)))
        .or_else(|| rec.text("model"))
        .unwrap_or_else(|| "gpt-image-1".to_string())
}

pub(crate) fn random_hex(len: usize) -> String {
    let mut out = String::with_capacity(len + 16);
    while out.len() < len {
        out.push_str(&format!("{:016x}", fastrand::u64(..)));
    }
    out.truncate(len);
    out
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            route("POST", "/v1/images/generations").map(|r| r.1),
            Some(Route::Generations)
        );
        let (origin, r) = route("POST", "/openai/deployments/gpt-image-1/images/edits").unwrap();
        assert_eq!(r, Route::Edits);
        assert_eq!(origin.deployment.as_deref(), Some("gpt-image-1"));
        assert!(route("POST", "/openai/v1/images/variations").is_none());
        assert!(route("GET", "/v1/images/generations").is_none());
        assert_eq!(route("GET", "/v1/models").map(|r| r.1), Some(Route::Models));
        assert_eq!(route("GET", "/openai/v1/models").map(|r| r.1), Some(Route::Models));
        assert_eq!(
            route("GET", "/v1/files/file-1/content").map(|r| r.1),
            Some(Route::FileContent("file-1".into()))
        );
    }
}
