//! MCP over Streamable HTTP (rmcp's `StreamableHttpService`) at `/mcp`, with `/health` and
//! Prometheus `/metrics`, for clients that cannot spawn a process and for the app to host.
//!
//! Every request passes, in order: the metrics recorder, the `Host` check (DNS rebinding), the
//! `Origin` check (web pages), then on `/mcp` and `/metrics` the bearer token, the rate limit and
//! the body limit. The token lives in the OS keychain (`EASEL_MCP_TOKEN` overrides it) and is never
//! logged; only `easel mcp token` prints it.

mod guards;
mod metrics;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::future::BoxFuture;
use rmcp::ErrorData;
use rmcp::handler::server::tool::{DynCallToolHandler, ToolCallContext, ToolRouter};
use rmcp::model::CallToolResponse;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use guards::RateLimit;
use guards::{Bucket, Origin};
use metrics::Metrics;

use super::Server;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::keys;
use crate::library::Library;

/// The environment variable that overrides the keychain token (headless machines, tests).
pub const TOKEN_ENV: &str = "EASEL_MCP_TOKEN";
/// The token's keychain account, beside the API keys in service "easel".
pub const TOKEN_ACCOUNT: &str = "mcp-http-token";
const MIN_TOKEN_CHARS: usize = 16;

/// The bearer token clients must send. `Debug` never shows it.
#[derive(Clone)]
pub struct Token(Arc<str>);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    Environment,
    Keychain,
    /// Made now and stored in the keychain.
    Created,
}

impl Token {
    /// 32 random bytes from the OS, base64url without padding (43 characters).
    pub fn generate() -> Result<Token> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| {
            Error::io(
                "cannot read random bytes from",
                "the OS",
                std::io::Error::other(e.to_string()),
            )
        })?;
        let text = base64_simd::URL_SAFE_NO_PAD.encode_to_string(bytes);
        Ok(Token(text.into()))
    }

    /// The token as text, for `easel mcp token` (the user's own secret) and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether an `Authorization` header value carries this token (constant-time comparison).
    fn matches(&self, authorization: &[u8]) -> bool {
        guards::bearer_matches(authorization, &self.0)
    }
}

/// The token to require: `EASEL_MCP_TOKEN`, else the keychain's, else a new one stored there.
pub fn token(env: impl Fn(&str) -> Option<String>) -> Result<(Token, TokenSource)> {
    if let Some(value) = env(TOKEN_ENV).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) {
        if value.chars().count() < MIN_TOKEN_CHARS {
            return Err(Error::InvalidInput(format!(
                "{TOKEN_ENV} is too short: use at least {MIN_TOKEN_CHARS} random characters"
            )));
        }
        return Ok((Token(value.into()), TokenSource::Environment));
    }
    let stored = keys::secret_get(TOKEN_ACCOUNT).map_err(headless_hint)?;
    if let Some(stored) = stored.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
        return Ok((Token(stored.into()), TokenSource::Keychain));
    }
    let created = Token::generate()?;
    keys::secret_set(TOKEN_ACCOUNT, created.expose()).map_err(headless_hint)?;
    Ok((created, TokenSource::Created))
}

fn headless_hint(e: Error) -> Error {
    match e {
        Error::Keychain(message) => Error::Keychain(format!(
            "{message}. Without a keychain, set {TOKEN_ENV} to a long random secret instead"
        )),
        other => other,
    }
}

/// The endpoint's limits. The defaults fit 16 base64 images of 4 MB in one call, and 64 agents each
/// making 20 quick calls at once (a runaway client is still stopped after a few seconds).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub rate: RateLimit,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 96 * 1024 * 1024,
            rate: RateLimit {
                per_second: 100.0,
                burst: 2000,
            },
        }
    }
}

impl Limits {
    /// The defaults with the settings' rate (`mcp_http.rate_per_second`, `mcp_http.rate_burst`).
    pub fn from_settings(settings: &crate::config::McpHttp) -> Limits {
        let mut limits = Limits::default();
        if let Some(per_second) = settings.rate_per_second.filter(|r| *r > 0.0) {
            limits.rate.per_second = per_second;
        }
        if let Some(burst) = settings.rate_burst.filter(|b| *b > 0) {
            limits.rate.burst = burst;
        }
        limits
    }
}

/// Listen on `addr`: loopback only, unless `allow_remote` (then with a warning on stderr).
pub async fn bind(addr: SocketAddr, allow_remote: bool) -> Result<TcpListener> {
    if !addr.ip().is_loopback() {
        if !allow_remote {
            return Err(Error::InvalidInput(format!(
                "{addr} is not a loopback address: the MCP endpoint only listens on 127.0.0.1 or [::1] unless you pass --allow-remote"
            )));
        }
        eprintln!(
            "warning: listening on {addr}, reachable from other machines. Anyone with the token can spend your API credit; \
             requests must still name this machine in Host (add names to mcp_http.allowed_hosts in the settings file)"
        );
    }
    TcpListener::bind(addr)
        .await
        .map_err(|e| Error::io("cannot listen on", addr.to_string(), e))
}

/// Serve MCP over HTTP on `listener` until `shutdown` is cancelled.
pub async fn serve_http(
    config: Config,
    listener: TcpListener,
    token: Token,
    limits: Limits,
    shutdown: CancellationToken,
) -> Result<()> {
    let bound = listener
        .local_addr()
        .map_err(|e| Error::io("cannot read the address of", "the listener", e))?;
    let library = Arc::new(Library::open(&config.library_root)?);
    let gate = Arc::new(Gate {
        bound: bound.ip(),
        allowed_hosts: config.mcp_http.allowed_hosts.clone(),
        allowed_origins: Origin::parse_all(&config.mcp_http.allowed_origins)?,
        bucket: Mutex::new(Bucket::full(limits.rate)),
        token,
        limits,
        metrics: Arc::new(Metrics::default()),
    });
    let app = router(super::server(config, library), Arc::clone(&gate), &shutdown);
    tracing::info!(%bound, "MCP over HTTP");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .map_err(|e| Error::io("MCP over HTTP on", bound.to_string(), e))
}

/// Everything the middleware checks against, shared by every request.
struct Gate {
    bound: IpAddr,
    allowed_hosts: Vec<String>,
    allowed_origins: Vec<Origin>,
    token: Token,
    /// One bucket per token; the endpoint has one token.
    bucket: Mutex<Bucket>,
    limits: Limits,
    metrics: Arc<Metrics>,
}

fn router(mut server: Server, gate: Arc<Gate>, shutdown: &CancellationToken) -> Router {
    meter_tools(&mut server.tool_router, &gate.metrics);
    let mcp = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default()
            // `check_host` below does it for every route, with the settings' names.
            .disable_allowed_hosts()
            .with_max_request_body_bytes(gate.limits.max_body_bytes)
            .with_cancellation_token(shutdown.child_token()),
    );
    let protected = Router::new()
        .route_service("/mcp", mcp)
        .route("/metrics", get(metrics_text))
        .route_layer(middleware::from_fn_with_state(Arc::clone(&gate), limit_body))
        .route_layer(middleware::from_fn_with_state(Arc::clone(&gate), throttle))
        .route_layer(middleware::from_fn_with_state(Arc::clone(&gate), authorize));
    Router::new()
        .route("/health", get(health))
        .merge(protected)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&gate), check_origin))
        .layer(middleware::from_fn_with_state(Arc::clone(&gate), check_host))
        .layer(middleware::from_fn_with_state(Arc::clone(&gate), record))
        .with_state(gate)
}

/// Counts every tool call by tool and outcome, around the tool router's own handlers.
fn meter_tools(tools: &mut ToolRouter<Server>, metrics: &Arc<Metrics>) {
    for route in tools.map.values_mut() {
        let call = Arc::clone(&route.call);
        let tool: Arc<str> = Arc::from(&*route.attr.name);
        let metrics = Arc::clone(metrics);
        route.call = tool_handler(move |context| {
            let (metrics, tool) = (Arc::clone(&metrics), Arc::clone(&tool));
            let running = call(context);
            Box::pin(async move {
                let started = Instant::now();
                let _running = metrics.tool_started();
                let result = running.await;
                metrics.tool_finished(&tool, outcome(&result), started.elapsed());
                result
            })
        });
    }
}

/// Pins the closure's signature to rmcp's handler type (its lifetime is generic).
fn tool_handler<F>(f: F) -> Arc<DynCallToolHandler<Server>>
where
    F: for<'s> Fn(ToolCallContext<'s, Server>) -> BoxFuture<'s, Result<CallToolResponse, ErrorData>>
        + Send
        + Sync
        + 'static,
{
    Arc::new(f)
}

fn outcome(result: &Result<CallToolResponse, ErrorData>) -> &'static str {
    match result {
        Ok(CallToolResponse::Complete(r)) if r.is_error == Some(true) => "error",
        Ok(_) => "ok",
        Err(_) => "rejected",
    }
}

async fn health() -> Response {
    axum::Json(json!({"status": "ok", "version": crate::VERSION})).into_response()
}

async fn metrics_text(State(gate): State<Arc<Gate>>) -> Response {
    let content_type = HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8");
    ([(header::CONTENT_TYPE, content_type)], gate.metrics.render()).into_response()
}

async fn not_found() -> Response {
    refuse(StatusCode::NOT_FOUND, "not_found", "nothing here: MCP is at /mcp")
}

/// A JSON error body: `{"error": code, "message": what to do}`.
fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    (status, axum::Json(json!({"error": code, "message": message}))).into_response()
}

/// The route label for metrics: known routes only, so a scan cannot grow the label set.
fn route_label(path: &str) -> &'static str {
    match path {
        "/mcp" => "/mcp",
        "/metrics" => "/metrics",
        "/health" => "/health",
        _ => "other",
    }
}

async fn record(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let route = route_label(request.uri().path());
    let method = request.method().clone();
    let started = Instant::now();
    let _in_flight = gate.metrics.request_started();
    let response = next.run(request).await;
    let took = started.elapsed();
    gate.metrics.request_finished(route, response.status().as_u16(), took);
    tracing::debug!(%method, route, status = response.status().as_u16(), ms = took.as_millis() as u64, "http");
    response
}

async fn check_host(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| request.uri().authority().map(|a| a.to_string()));
    match host {
        Some(h) if guards::host_allowed(&h, gate.bound, &gate.allowed_hosts) => next.run(request).await,
        other => {
            tracing::warn!(host = ?other, "refused a request for another Host (possible DNS rebinding)");
            refuse(
                StatusCode::FORBIDDEN,
                "forbidden_host",
                "the Host header must name this machine (localhost, 127.0.0.1 or [::1]) or a name in mcp_http.allowed_hosts",
            )
        }
    }
}

async fn check_origin(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let Some(origin) = request.headers().get(header::ORIGIN) else {
        return next.run(request).await;
    };
    let origin = String::from_utf8_lossy(origin.as_bytes()).into_owned();
    if guards::origin_allowed(&origin, &gate.allowed_origins) {
        return next.run(request).await;
    }
    tracing::warn!(%origin, "refused a request from a foreign Origin");
    refuse(
        StatusCode::FORBIDDEN,
        "forbidden_origin",
        "requests from web pages must come from this machine (localhost) or an origin in mcp_http.allowed_origins",
    )
}

async fn authorize(State(gate): State<Arc<Gate>>, mut request: Request, next: Next) -> Response {
    let presented = request.headers().get(header::AUTHORIZATION).map(|h| h.as_bytes());
    if !presented.is_some_and(|h| gate.token.matches(h)) {
        tracing::warn!(
            path = request.uri().path(),
            "refused a request without the right bearer token"
        );
        let mut response = refuse(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send the token as `Authorization: Bearer <token>`; run `easel mcp token` to print it",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"easel\""),
        );
        return response;
    }
    // Nothing after this point (rmcp, tools, logs) needs to see the secret.
    request.headers_mut().remove(header::AUTHORIZATION);
    next.run(request).await
}

async fn throttle(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let taken = gate
        .bucket
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take(gate.limits.rate, Instant::now());
    match taken {
        Ok(()) => next.run(request).await,
        Err(wait) => too_many_requests(wait),
    }
}

fn too_many_requests(wait: Duration) -> Response {
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut response = refuse(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        &format!("too many requests for this token: retry after {seconds} s"),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Refuses a declared body over the limit before reading it (rmcp also stops undeclared ones).
async fn limit_body(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let max = gate.limits.max_body_bytes;
    if declared.is_some_and(|n| n > max as u64) {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            &format!(
                "the request body is over {} MiB; send large images by library id, path or URL instead",
                max / (1024 * 1024)
            ),
        );
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_are_long_url_safe_and_different() {
        let a = Token::generate().unwrap();
        let b = Token::generate().unwrap();
        assert_eq!(a.expose().len(), 43);
        assert!(
            a.expose()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a.expose(), b.expose());
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn the_environment_token_wins_and_must_not_be_trivial() {
        let (t, source) = token(|v| (v == TOKEN_ENV).then(|| " a-long-enough-test-token \n".into())).unwrap();
        assert_eq!(
            (t.expose(), source),
            ("a-long-enough-test-token", TokenSource::Environment)
        );
        let e = token(|v| (v == TOKEN_ENV).then(|| "short".into()))
            .unwrap_err()
            .to_string();
        assert!(e.contains(TOKEN_ENV) && e.contains("too short"), "{e}");
    }

    #[test]
    fn too_many_requests_says_when_to_come_back() {
        let r = too_many_requests(Duration::from_millis(50));
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
        assert_eq!(
            too_many_requests(Duration::from_millis(2100)).headers()[header::RETRY_AFTER],
            "3"
        );
    }
}
