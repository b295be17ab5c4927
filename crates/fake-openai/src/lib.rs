//! A faithful local fake of the OpenAI image APIs (Images API, Responses `image_generation`,
//! Azure paths, a small Files API) for Easel's tests, benchmarks and demo.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let fake = fake_openai::FakeOpenAi::start().await?;
//! fake.push_fault(fake_openai::Fault::Status { status: 503 });
//! // point an OpenAI client at fake.base_url() with fake.api_key() ...
//! assert_eq!(fake.pending_faults(), 1);
//! # Ok(()) }
//! ```
//!
//! - Routes: `POST /v1/images/{generations,edits,variations}`, `POST /v1/responses`,
//!   `/v1/files[/{id}[/content]]`; Azure: `/openai/deployments/{d}/images/{generations,edits}`
//!   (needs `api-version`) and `/openai/v1/...` (no variations), authenticated by `api-key`.
//! - Images are real PNG/JPEG/WebP bytes of the resolved size. Encodings are cached
//!   process-wide, so only the first request for a (size, format, background, compression)
//!   pays for encoding; see [`FakeOpenAi::warm`].
//! - Usage: text tokens `ceil(chars / 4)`; each input image `65 + 129 × 512px-tiles` after
//!   fitting in 2048² and a 768 px short side (doubled at high fidelity, always for gpt-image-2);
//!   output tokens from the guide's tables (gpt-image-2: price-derived estimates, pixel-scaled
//!   for custom sizes), +100 per streamed partial image.
//! - Admin (no auth, not recorded, no faults): `GET /__fake/health`, `GET|POST|DELETE
//!   /__fake/faults` (POST takes a JSON array of [`Fault`]s, or one), `GET|DELETE
//!   /__fake/requests` (each multipart part by name, filename, content type, byte length and, for
//!   images, decoded width/height), `GET|DELETE /__fake/events` (every streamed SSE event as
//!   `{"event", "sent_at_ms"}`: its type and the wall-clock time, in ms since the Unix epoch, it was
//!   handed to the connection; for latency measurements from another process on the same machine),
//!   `GET /__fake/images/{name}` (dall-e `url` results).

mod admin;
mod auth;
mod body;
mod conversation;
mod error;
mod fault;
mod files;
mod generation;
mod images;
mod inputs;
mod models;
mod params;
mod record;
mod responses;
mod server;
mod stream;
mod usage;
mod validate;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use fault::Fault;
pub use record::{Part, Recorded};

use server::Shared;

/// Server settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// Accepted `Authorization: Bearer` key on OpenAI paths.
    pub api_key: String,
    /// Accepted `api-key` header on Azure paths.
    pub azure_api_key: String,
    /// Added before every API response.
    pub latency: Duration,
    /// Gap between streamed events.
    pub partial_interval: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            api_key: "sk-fake-openai-key".to_string(),
            azure_api_key: "azure-fake-key".to_string(),
            latency: Duration::ZERO,
            partial_interval: Duration::ZERO,
        }
    }
}

/// A running fake server. It runs on a tokio task; dropping the handle shuts it down.
pub struct FakeOpenAi {
    addr: SocketAddr,
    state: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl FakeOpenAi {
    /// Start on `127.0.0.1:0` with [`Config::default`].
    pub async fn start() -> std::io::Result<FakeOpenAi> {
        FakeOpenAi::start_with(Config::default()).await
    }

    /// Start on `127.0.0.1:0` with `config`.
    pub async fn start_with(config: Config) -> std::io::Result<FakeOpenAi> {
        FakeOpenAi::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0), config).await
    }

    /// Start on `addr` (port 0 picks a free port).
    pub async fn bind(addr: SocketAddr, config: Config) -> std::io::Result<FakeOpenAi> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Shared::new(config, addr));
        let app = server::router(state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "fake-openai server failed");
            }
        });
        tracing::debug!(%addr, "fake-openai listening");
        Ok(FakeOpenAi {
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/v1` (loopback when bound to an unspecified address).
    pub fn base_url(&self) -> String {
        let ip = if self.addr.ip().is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            self.addr.ip()
        };
        format!("http://{}/v1", SocketAddr::new(ip, self.addr.port()))
    }

    pub fn api_key(&self) -> &str {
        &self.state.config.api_key
    }

    pub fn azure_api_key(&self) -> &str {
        &self.state.config.azure_api_key
    }

    /// Every API request received so far (not `/__fake/*`), in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.log.all()
    }

    pub fn clear_requests(&self) {
        self.state.log.clear();
    }

    /// Queue a fault; each API request pops at most one, first in first out.
    pub fn push_fault(&self, fault: Fault) {
        self.state.faults.push([fault]);
    }

    pub fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.state.faults.push(faults);
    }

    pub fn pending_faults(&self) -> usize {
        self.state.faults.len()
    }

    /// When each streamed SSE event was handed to the connection, as `(event type, instant)`, in order.
    /// Benchmarks compare these instants with the client's delivery time (same process).
    pub fn events_sent(&self) -> Vec<(String, std::time::Instant)> {
        let sent = self.state.sent.lock().unwrap_or_else(|e| e.into_inner());
        sent.iter().map(|s| (s.event.clone(), s.at)).collect()
    }

    /// Like [`FakeOpenAi::events_sent`], on the wall clock: what `GET /__fake/events` reports.
    pub fn events_sent_wall(&self) -> Vec<(String, std::time::SystemTime)> {
        let sent = self.state.sent.lock().unwrap_or_else(|e| e.into_inner());
        sent.iter().map(|s| (s.event.clone(), s.wall)).collect()
    }

    pub fn clear_events(&self) {
        self.state.sent.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Drop all queued faults.
    pub fn clear_faults(&self) {
        self.state.faults.clear();
    }

    /// Pre-encode the opaque `width`x`height` image in `format` (`png`, `jpeg` or `webp`, at
    /// the default compression) and its partial previews, so later requests for that size are
    /// answered from the cache. The cache is process-wide. Unknown formats are ignored.
    pub async fn warm(&self, width: u32, height: u32, format: &str) {
        let Some(format) = images::Format::parse(format) else {
            tracing::warn!(format, "fake-openai: cannot warm unknown format");
            return;
        };
        let spec = images::Spec::new(width, height, format, false, 100);
        let specs = [spec, spec.partial(0, 3), spec.partial(1, 3), spec.partial(2, 3)];
        futures_util::future::join_all(specs.map(images::encoded)).await;
    }

    /// Stop accepting connections and wait (briefly) for in-flight ones to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(2), &mut task).await.is_err()
        {
            task.abort();
        }
    }
}

impl Drop for FakeOpenAi {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
