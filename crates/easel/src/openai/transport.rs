//! One HTTP exchange with a provider: URL and auth per provider kind, SDK-grade retries, cancellation,
//! and the mapping of every failure to an [`Error`] a person can act on. The key only ever goes into
//! the auth header; messages are scrubbed of it.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::multipart::Form;
use tokio_util::sync::CancellationToken;

use super::Progress;
use super::retry::{Decision, RetryPolicy, requested_wait};
use super::wire::{ApiError, ErrorEnvelope};
use crate::config::{AZURE_API_VERSION, Provider, ProviderKind};
use crate::error::{Error, Result};
use crate::keys::ApiKey;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Generations,
    Edits,
    Variations,
    Responses,
    /// `GET models`: the cheapest authenticated call, used to test a connection.
    Models,
}

impl Endpoint {
    fn path(self) -> &'static str {
        match self {
            Endpoint::Generations => "images/generations",
            Endpoint::Edits => "images/edits",
            Endpoint::Variations => "images/variations",
            Endpoint::Responses => "responses",
            Endpoint::Models => "models",
        }
    }
}

/// What to send; rebuilt for every attempt (a multipart form is consumed by sending it).
pub enum Payload<'a> {
    Json(bytes::Bytes),
    Multipart(&'a (dyn Fn() -> Form + Send + Sync)),
}

pub struct Transport {
    pub http: reqwest::Client,
    pub provider: Provider,
    pub key: ApiKey,
    pub retry: RetryPolicy,
    pub timeout: Duration,
}

/// A successful answer, with the provider's request id.
pub struct Answer {
    pub response: reqwest::Response,
    pub request_id: Option<String>,
    pub attempts: u32,
}

impl Transport {
    pub fn url(&self, endpoint: Endpoint) -> String {
        let base = &self.provider.base_url;
        match self.provider.kind {
            ProviderKind::OpenAi | ProviderKind::Compatible => format!("{base}/{}", endpoint.path()),
            ProviderKind::Azure => match (&self.provider.deployment, endpoint) {
                (Some(d), Endpoint::Generations | Endpoint::Edits) => format!(
                    "{base}/openai/deployments/{d}/{}?api-version={}",
                    endpoint.path(),
                    self.provider.api_version.as_deref().unwrap_or(AZURE_API_VERSION)
                ),
                _ => match &self.provider.api_version {
                    Some(v) => format!("{base}/openai/v1/{}?api-version={v}", endpoint.path()),
                    None => format!("{base}/openai/v1/{}", endpoint.path()),
                },
            },
        }
    }

    fn request(
        &self,
        endpoint: Endpoint,
        payload: &Payload<'_>,
        extra: &[(&'static str, String)],
    ) -> reqwest::RequestBuilder {
        let rb = self.authorized(self.http.post(self.url(endpoint)));
        let mut rb = rb;
        for (k, v) in extra {
            rb = rb.header(*k, v);
        }
        match payload {
            Payload::Json(body) => rb.header("content-type", "application/json").body(body.clone()),
            Payload::Multipart(form) => rb.multipart(form()),
        }
    }

    /// The key header (per provider kind) plus the organization and project headers.
    fn authorized(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let mut rb = match self.provider.kind {
            ProviderKind::Azure => rb.header("api-key", self.key.expose()),
            _ => rb.bearer_auth(self.key.expose()),
        };
        if let Some(org) = &self.provider.organization {
            rb = rb.header("OpenAI-Organization", org);
        }
        if let Some(project) = &self.provider.project {
            rb = rb.header("OpenAI-Project", project);
        }
        rb
    }

    /// One authenticated `GET` without retries (a connection test should answer at once).
    pub async fn get_once(&self, endpoint: Endpoint, cancel: &CancellationToken) -> Result<Answer> {
        let sent = tokio::select! {
            _ = cancel.cancelled() => return Err(Error::Cancelled),
            r = self.authorized(self.http.get(self.url(endpoint))).send() => r,
        };
        let response = sent.map_err(|e| self.transport_error(&e))?;
        let request_id = request_id(response.headers());
        if response.status().is_success() {
            return Ok(Answer {
                response,
                request_id,
                attempts: 1,
            });
        }
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.unwrap_or_default();
        let api = parse_api_error(&body);
        Err(self.http_error(status, &headers, &body, api, request_id, 1))
    }

    /// Send with retries until a 2xx answer, a final failure, or cancellation.
    pub async fn send(
        &self,
        endpoint: Endpoint,
        payload: Payload<'_>,
        extra_headers: &[(&'static str, String)],
        cancel: &CancellationToken,
        on_progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<Answer> {
        let mut retries = 0u32;
        loop {
            let attempt = retries + 1;
            let sent = tokio::select! {
                _ = cancel.cancelled() => return Err(Error::Cancelled),
                r = self.request(endpoint, &payload, extra_headers).send() => r,
            };
            let (decision, error) = match sent {
                Ok(response) if response.status().is_success() => {
                    let request_id = request_id(response.headers());
                    return Ok(Answer {
                        response,
                        request_id,
                        attempts: attempt,
                    });
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    let rid = request_id(&headers);
                    let body = tokio::select! {
                        _ = cancel.cancelled() => return Err(Error::Cancelled),
                        b = response.bytes() => b.unwrap_or_default(),
                    };
                    let api = parse_api_error(&body);
                    let permanent = api.as_ref().and_then(|a| a.code.as_deref()) == Some("insufficient_quota");
                    let decision = self.retry.decide(status, &headers, retries, permanent);
                    tracing::warn!(
                        status,
                        request_id = rid.as_deref().unwrap_or("-"),
                        attempt,
                        "provider answered with an error"
                    );
                    let error = self.http_error(status, &headers, &body, api, rid, attempt);
                    (decision, error)
                }
                Err(e) => (self.retry.decide_transport(retries), self.transport_error(&e)),
            };
            match decision {
                Decision::RetryAfter(wait) => {
                    on_progress(Progress::Retrying {
                        attempt: attempt + 1,
                        wait,
                        reason: error.to_string(),
                    });
                    tokio::select! {
                        _ = cancel.cancelled() => return Err(Error::Cancelled),
                        _ = tokio::time::sleep(wait) => {}
                    }
                    retries += 1;
                }
                Decision::GiveUp => return Err(error),
            }
        }
    }

    pub fn transport_error(&self, e: &reqwest::Error) -> Error {
        if e.is_timeout() {
            Error::Timeout(self.timeout)
        } else if e.is_connect() {
            Error::Connect {
                url: self.provider.base_url.clone(),
                message: self.scrub(&error_chain(e)),
            }
        } else {
            Error::Malformed {
                message: format!("the connection failed mid-response: {}", self.scrub(&error_chain(e))),
                request_id: None,
            }
        }
    }

    fn http_error(
        &self,
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
        api: Option<ApiError>,
        request_id: Option<String>,
        attempts: u32,
    ) -> Error {
        let api = api.unwrap_or_else(|| ApiError {
            message: String::from_utf8_lossy(&body[..body.len().min(300)]).trim().to_string(),
            ..ApiError::default()
        });
        let message = if api.message.is_empty() {
            reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("no message")
                .to_string()
        } else {
            self.scrub(&api.message)
        };
        let api = ApiError { message, ..api };
        api_error(status, api, request_id, attempts, requested_wait(headers))
    }

    /// Replace the key wherever it appears (defence in depth: servers mask it, proxies may not).
    pub fn scrub(&self, text: &str) -> String {
        let key = self.key.expose();
        if key.len() >= 4 && text.contains(key) {
            text.replace(key, "<redacted>")
        } else {
            text.to_string()
        }
    }
}

/// Map an API error (from an HTTP status or from inside a stream) to the core error.
pub fn api_error(
    status: u16,
    api: ApiError,
    request_id: Option<String>,
    attempts: u32,
    retry_after: Option<Duration>,
) -> Error {
    let code = api.code.as_deref().unwrap_or("");
    let message = api.message;
    if matches!(
        code,
        "moderation_blocked" | "content_policy_violation" | "image_content_policy_violation"
    ) || api.kind.as_deref() == Some("image_generation_user_error") && code.contains("moderation")
    {
        let details = api.moderation_details.unwrap_or_default();
        return Error::ModerationBlocked {
            message,
            stage: details.moderation_stage.unwrap_or_else(|| "unknown".into()),
            categories: details.categories,
            request_id,
        };
    }
    match (status, code) {
        (_, "insufficient_quota") => Error::QuotaExceeded { message, request_id },
        (429, _) | (_, "rate_limit_exceeded") => Error::RateLimited {
            message,
            retry_after,
            attempts,
            request_id,
        },
        (401, _) | (_, "invalid_api_key") => Error::Unauthorized { message, request_id },
        (403, _) if message.to_ascii_lowercase().contains("verif") => {
            Error::OrganizationVerification { message, request_id }
        }
        (403, _) => Error::Forbidden { message, request_id },
        (404, _) => Error::NotFound { message, request_id },
        (400 | 422, _) => Error::BadRequest {
            message,
            param: api.param,
            code: api.code,
            request_id,
        },
        (s, _) if s >= 500 || code == "server_error" => Error::Server {
            status: s.max(500),
            message,
            attempts,
            request_id,
        },
        (s, _) => Error::Http {
            status: s,
            message,
            request_id,
        },
    }
}

pub fn parse_api_error(body: &[u8]) -> Option<ApiError> {
    serde_json::from_slice::<ErrorEnvelope>(body).ok().and_then(|e| e.error)
}

pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .or_else(|| headers.get("apim-request-id"))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
