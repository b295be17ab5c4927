//! Scripted failures: the [`Fault`] queue and what each fault does to one request.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde_json::json;

use crate::error::ApiError;

/// A failure to inject into the next API request. Each request pops at most one.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// 429 `rate_limit_exceeded`, with `retry-after` / `retry-after-ms` headers when given.
    RateLimited {
        #[serde(default)]
        retry_after: Option<String>,
        #[serde(default)]
        retry_after_ms: Option<String>,
    },
    /// 429 `insufficient_quota`, no retry headers.
    InsufficientQuota,
    /// Any status with the matching error body (`server_error` for 5xx).
    Status { status: u16 },
    /// That status plus `x-should-retry: true|false`.
    ShouldRetry { status: u16, should_retry: bool },
    /// 401 `invalid_api_key`.
    Unauthorized,
    /// 403 organization verification required.
    OrgVerification,
    /// 400 `moderation_blocked` with `moderation_details`.
    ModerationBlocked,
    /// Wait, then answer normally.
    Delay { ms: u64 },
    /// Streams: partial events, then the connection drops. Otherwise: a body cut mid-JSON.
    TruncatedStream,
    /// Answer normally, but every base64 image payload is not valid base64.
    InvalidBase64,
    /// Answer normally, with every `/` of the base64 payloads written `\/`: still valid JSON and the same
    /// images (some proxies and JSON encoders escape slashes).
    EscapedSlashes,
    /// Streams: one partial, then an `error` event. Non-streaming requests get a 500.
    StreamError,
}

/// How a popped fault alters an otherwise normal answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Glitch {
    #[default]
    None,
    Truncated,
    InvalidBase64,
    EscapedSlashes,
    StreamError,
}

impl Glitch {
    /// The base64 to send for `image`: its real base64, or garbage under `InvalidBase64`.
    pub fn b64(self, image: &crate::images::Encoded) -> bytes::Bytes {
        match self {
            Glitch::InvalidBase64 => bytes::Bytes::from_static(INVALID_BASE64.as_bytes()),
            Glitch::EscapedSlashes => bytes::Bytes::from(String::from_utf8_lossy(&image.b64).replace('/', "\\/")),
            _ => image.b64.clone(),
        }
    }
}

#[derive(Default)]
pub(crate) struct Queue(Mutex<VecDeque<Fault>>);

impl Queue {
    pub fn push(&self, faults: impl IntoIterator<Item = Fault>) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend(faults);
    }

    pub fn pop(&self) -> Option<Fault> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).pop_front()
    }

    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// What to do with a request after popping `fault`.
pub(crate) enum Effect {
    Fail(ApiError),
    Delay(std::time::Duration),
    Alter(Glitch),
}

/// The effect of `fault` on a request for `model` that presented `key`.
pub(crate) fn effect(fault: Fault, model: &str, key: &str) -> Effect {
    match fault {
        Fault::RateLimited {
            retry_after,
            retry_after_ms,
        } => {
            let wait = retry_after.as_deref().unwrap_or("12");
            let mut err = ApiError::new(
                429,
                "requests",
                format!(
                    "Rate limit reached for {model} in organization org-fakeopenai on images per minute \
                     (IPM): Limit 5, Used 5, Requested 1. Please try again in {wait}s. Visit \
                     https://platform.openai.com/account/rate-limits to learn more."
                ),
            )
            .code("rate_limit_exceeded")
            .header("x-ratelimit-limit-requests", "5")
            .header("x-ratelimit-remaining-requests", "0")
            .header("x-ratelimit-reset-requests", format!("{wait}s"));
            if let Some(v) = retry_after {
                err = err.header("retry-after", v);
            }
            if let Some(v) = retry_after_ms {
                err = err.header("retry-after-ms", v);
            }
            Effect::Fail(err)
        }
        Fault::InsufficientQuota => Effect::Fail(
            ApiError::new(
                429,
                "insufficient_quota",
                "You exceeded your current quota, please check your plan and billing details. For \
                 more information on this error, read the docs: \
                 https://platform.openai.com/docs/guides/error-codes/api-errors.",
            )
            .code("insufficient_quota"),
        ),
        Fault::Status { status } => Effect::Fail(status_error(status)),
        Fault::ShouldRetry { status, should_retry } => {
            Effect::Fail(status_error(status).header("x-should-retry", should_retry.to_string()))
        }
        Fault::Unauthorized => Effect::Fail(crate::auth::incorrect_key(key)),
        Fault::OrgVerification => Effect::Fail(ApiError::new(
            403,
            "invalid_request_error",
            format!(
                "Your organization must be verified to use the model `{model}`. Please go to: \
                 https://platform.openai.com/settings/organization/general and click on Verify \
                 Organization. If you just verified, it can take up to 15 minutes for access to \
                 propagate."
            ),
        )),
        Fault::ModerationBlocked => {
            let mut err = ApiError::new(
                400,
                "image_generation_user_error",
                "Your request was rejected by the safety system. If you believe this is an error, \
                 contact us at help.openai.com and include the request ID. safety_violations=[violence].",
            )
            .code("moderation_blocked");
            err.extra.insert(
                "moderation_details".into(),
                json!({ "moderation_stage": "input", "categories": ["violence"] }),
            );
            Effect::Fail(err)
        }
        Fault::Delay { ms } => Effect::Delay(std::time::Duration::from_millis(ms)),
        Fault::TruncatedStream => Effect::Alter(Glitch::Truncated),
        Fault::InvalidBase64 => Effect::Alter(Glitch::InvalidBase64),
        Fault::EscapedSlashes => Effect::Alter(Glitch::EscapedSlashes),
        Fault::StreamError => Effect::Alter(Glitch::StreamError),
    }
}

/// The error body OpenAI uses for a bare status.
pub(crate) fn status_error(status: u16) -> ApiError {
    let (kind, message) = match status {
        400 => ("invalid_request_error", "Bad request."),
        404 => ("invalid_request_error", "Not found."),
        408 => ("invalid_request_error", "Request timed out."),
        409 => (
            "invalid_request_error",
            "The request conflicted with another request. Please try again.",
        ),
        429 => {
            return ApiError::new(
                429,
                "requests",
                "Too many requests. Please slow down and try again later.",
            )
            .code("rate_limit_exceeded");
        }
        500 => return ApiError::server_error(),
        502 => ("server_error", "Bad gateway."),
        503 => (
            "server_error",
            "The engine is currently overloaded, please try again later.",
        ),
        504 => ("server_error", "Gateway timeout."),
        s if s >= 500 => ("server_error", "The server had an error processing your request."),
        _ => ("invalid_request_error", "The request could not be processed."),
    };
    ApiError::new(status, kind, message)
}

/// A base64 payload that no decoder accepts (`*` and `%` are outside the alphabet).
pub(crate) const INVALID_BASE64: &str = "iVBORw0KGgo*%not-valid-base64%*AAAA";
