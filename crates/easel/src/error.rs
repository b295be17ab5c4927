//! The one error type of the core. Every variant is something a caller (CLI, MCP tool, app) acts on
//! differently; every message tells a person what to do next. No variant ever carries an API key.

use std::path::PathBuf;
use std::time::Duration;

use crate::models::ParamError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `(request id req_…)` suffix for messages, empty when the server sent none.
pub struct RequestId<'a>(pub &'a Option<String>);

impl std::fmt::Display for RequestId<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(id) => write!(f, " (request id {id})"),
            None => Ok(()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request breaks the model table; nothing was sent.
    #[error("invalid {}: {}", .0.param, .0.message)]
    InvalidParam(#[from] ParamError),

    /// An input (image, mask, path, data URL) cannot be used; nothing was sent.
    #[error("{0}")]
    InvalidInput(String),

    #[error("no API key for provider '{provider}': set {env} or store one with `easel keys set {provider}`")]
    MissingKey { provider: String, env: &'static str },

    #[error("the API key was rejected (401): {message}{}. Check the key for this provider", RequestId(.request_id))]
    Unauthorized {
        message: String,
        request_id: Option<String>,
    },

    #[error("your OpenAI organization must be verified to use this model: verify it at https://platform.openai.com/settings/organization/general, then allow up to 15 minutes{}. Upstream said: {message}", RequestId(.request_id))]
    OrganizationVerification {
        message: String,
        request_id: Option<String>,
    },

    #[error("access denied (403): {message}{}", RequestId(.request_id))]
    Forbidden {
        message: String,
        request_id: Option<String>,
    },

    /// OpenAI's own 400 message, passed through.
    #[error("OpenAI rejected the request: {message}{}", RequestId(.request_id))]
    BadRequest {
        message: String,
        param: Option<String>,
        code: Option<String>,
        request_id: Option<String>,
    },

    #[error("blocked by OpenAI's safety system ({stage} stage{}): rephrase the prompt or change the input images{}", categories_suffix(.categories), RequestId(.request_id))]
    ModerationBlocked {
        message: String,
        stage: String,
        categories: Vec<String>,
        request_id: Option<String>,
    },

    #[error("not found (404): {message}{}", RequestId(.request_id))]
    NotFound {
        message: String,
        request_id: Option<String>,
    },

    #[error("rate limited by the provider after {attempts} attempt(s){}: {message}{}", retry_hint(.retry_after), RequestId(.request_id))]
    RateLimited {
        message: String,
        retry_after: Option<Duration>,
        attempts: u32,
        request_id: Option<String>,
    },

    #[error("the account's quota is used up: {message}. Check the plan and billing details{}", RequestId(.request_id))]
    QuotaExceeded {
        message: String,
        request_id: Option<String>,
    },

    #[error("the provider failed with HTTP {status} after {attempts} attempt(s): {message}{}. Try again later", RequestId(.request_id))]
    Server {
        status: u16,
        message: String,
        attempts: u32,
        request_id: Option<String>,
    },

    #[error("unexpected HTTP {status} from the provider: {message}{}", RequestId(.request_id))]
    Http {
        status: u16,
        message: String,
        request_id: Option<String>,
    },

    #[error("no answer from the provider within {0:?}; it may be overloaded, try again")]
    Timeout(Duration),

    #[error("cannot reach the provider at {url}: {message}")]
    Connect { url: String, message: String },

    #[error("the provider sent a malformed response: {message}{}", RequestId(.request_id))]
    Malformed {
        message: String,
        request_id: Option<String>,
    },

    #[error("cancelled")]
    Cancelled,

    #[error("{context} {}: {source}", .path.display())]
    Io {
        context: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "refused before sending: this call (about ${estimate_usd:.4}) would exceed the {period} budget of ${cap_usd:.2} (${spent_usd:.4} spent so far); raise the cap in Settings or wait"
    )]
    BudgetExceeded {
        period: &'static str,
        cap_usd: f64,
        spent_usd: f64,
        estimate_usd: f64,
    },

    #[error("no {kind} with id '{id}'")]
    UnknownId { kind: &'static str, id: String },

    #[error("library index: {0}")]
    Index(String),

    #[error("OS keychain: {0}")]
    Keychain(String),

    #[error("configuration: {0}")]
    Config(String),
}

fn categories_suffix(categories: &[String]) -> String {
    if categories.is_empty() {
        String::new()
    } else {
        format!(": {}", categories.join(", "))
    }
}

fn retry_hint(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!(" (the provider asks to wait {}s)", d.as_secs_f64().ceil()),
        None => String::new(),
    }
}

impl Error {
    pub fn io(context: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            context,
            path: path.into(),
            source,
        }
    }

    /// The upstream `x-request-id`, when the failure came from the provider.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Unauthorized { request_id, .. }
            | Error::OrganizationVerification { request_id, .. }
            | Error::Forbidden { request_id, .. }
            | Error::BadRequest { request_id, .. }
            | Error::ModerationBlocked { request_id, .. }
            | Error::NotFound { request_id, .. }
            | Error::RateLimited { request_id, .. }
            | Error::QuotaExceeded { request_id, .. }
            | Error::Server { request_id, .. }
            | Error::Http { request_id, .. }
            | Error::Malformed { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }
}
