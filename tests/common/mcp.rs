//! MCP test helpers: an in-process Easel server over a duplex pipe to a real rmcp client that records
//! what the server sends it (progress, list_changed, requests for client features).
// Roots and sampling are deprecated from protocol 2026-07-28 on; the server still serves clients that use them.
#![allow(deprecated)]

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use easel::config::Config;
use easel::library::Library;
use fake_openai::FakeOpenAi;
use image::{ImageFormat, Rgba, RgbaImage};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ContentBlock, CreateMessageRequestParams,
    CreateMessageResult, ElicitRequestParams, ElicitResult, ElicitationAction, ListRootsResult,
    ProgressNotificationParam, Role, Root, SamplingMessage,
};
use rmcp::service::{NotificationContext, RequestContext, RunningService};
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use serde_json::{Value, json};

/// A client that declares `capabilities` and records what the server sends it.
#[derive(Clone, Default)]
pub struct Recorder {
    pub capabilities: ClientCapabilities,
    pub progress: Arc<Mutex<Vec<ProgressNotificationParam>>>,
    pub list_changed: Arc<Mutex<usize>>,
    /// Names of the server-to-client requests received (elicitation/create, roots/list, sampling/createMessage).
    pub requests: Arc<Mutex<Vec<String>>>,
    /// The answer to an elicitation: accept with `{"confirm": <value>}`.
    pub confirm: bool,
    /// The sampling answer (the enhanced prompt).
    pub sampled: String,
    /// The roots listed (file:// URLs).
    pub roots: Vec<String>,
}

impl ClientHandler for Recorder {
    fn get_info(&self) -> ClientConfig {
        let mut info = ClientConfig::default();
        info.capabilities = self.capabilities.clone();
        info
    }

    async fn on_progress(&self, params: ProgressNotificationParam, _context: NotificationContext<RoleClient>) {
        self.progress.lock().unwrap().push(params);
    }

    async fn on_resource_list_changed(&self, _context: NotificationContext<RoleClient>) {
        *self.list_changed.lock().unwrap() += 1;
    }

    async fn create_elicitation(
        &self,
        _request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        self.requests.lock().unwrap().push("elicitation/create".into());
        Ok(ElicitResult::new(ElicitationAction::Accept).with_content(json!({ "confirm": self.confirm })))
    }

    async fn create_message(
        &self,
        _params: CreateMessageRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        self.requests.lock().unwrap().push("sampling/createMessage".into());
        let message = SamplingMessage::new(
            Role::Assistant,
            rmcp::model::SamplingMessageContentBlock::text(&self.sampled),
        );
        Ok(CreateMessageResult::new(message, "test-model".into()))
    }

    async fn list_roots(&self, _context: RequestContext<RoleClient>) -> Result<ListRootsResult, ErrorData> {
        self.requests.lock().unwrap().push("roots/list".into());
        let mut result = ListRootsResult::default();
        result.roots = self.roots.iter().map(Root::new).collect();
        Ok(result)
    }
}

pub type Peer = RunningService<RoleClient, Recorder>;

pub struct Env {
    pub fake: FakeOpenAi,
    pub dir: tempfile::TempDir,
}

impl Env {
    pub async fn new() -> Env {
        Env::with_settings(json!({})).await
    }

    pub async fn with_settings(settings: Value) -> Env {
        let env = Env {
            fake: super::fake().await,
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::write(env.settings(), settings.to_string()).unwrap();
        env
    }

    pub fn settings(&self) -> PathBuf {
        self.dir.path().join("settings.json")
    }

    pub fn library_root(&self) -> PathBuf {
        self.dir.path().join("library")
    }

    /// Image files in the library (not its index or caches).
    pub fn library_files(&self) -> Vec<PathBuf> {
        super::library_files(&self.library_root())
    }

    pub fn config(&self) -> Config {
        let (settings, library, base) = (self.settings(), self.library_root(), self.fake.base_url());
        Config::load_with(|name| match name {
            "EASEL_SETTINGS" => Some(settings.display().to_string()),
            "EASEL_LIBRARY" => Some(library.display().to_string()),
            "OPENAI_BASE_URL" => Some(base.clone()),
            _ => None,
        })
        .unwrap()
    }

    /// A client connected to an in-process server; `key: false` leaves the API key unset.
    pub async fn connect(&self, key: bool) -> Peer {
        self.connect_with(key, Recorder::default()).await
    }

    /// A client declaring what `recorder` declares.
    pub async fn connect_with(&self, key: bool, recorder: Recorder) -> Peer {
        let library = Arc::new(Library::open(&self.library_root()).unwrap());
        let api_key = self.fake.api_key().to_string();
        let server = easel::mcp::server(self.config(), library)
            .with_env(move |name| (key && name == "OPENAI_API_KEY").then(|| api_key.clone()));
        let (server_io, client_io) = tokio::io::duplex(1 << 20);
        tokio::spawn(async move {
            if let Ok(running) = server.serve(server_io).await {
                let _ = running.waiting().await;
            }
        });
        recorder.serve(client_io).await.expect("client connects")
    }
}

pub async fn call(peer: &rmcp::Peer<RoleClient>, tool: &'static str, args: Value) -> CallToolResult {
    let Value::Object(map) = args else {
        panic!("arguments must be an object")
    };
    peer.call_tool(CallToolRequestParams::new(tool).with_arguments(map))
        .await
        .unwrap_or_else(|e| panic!("{tool} failed at the protocol level: {e}"))
}

pub fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn is_error(result: &CallToolResult) -> bool {
    result.is_error == Some(true)
}

pub fn expect_error(result: &CallToolResult, needle: &str) {
    assert!(is_error(result), "expected a tool error, got {}", text(result));
    assert!(text(result).contains(needle), "'{needle}' not in: {}", text(result));
}

pub fn count(result: &CallToolResult, kind: fn(&ContentBlock) -> bool) -> usize {
    result.content.iter().filter(|c| kind(c)).count()
}

pub fn image_ids(result: &CallToolResult) -> Vec<String> {
    result
        .content
        .iter()
        .filter_map(|c| c.as_resource_link())
        .map(|l| l.uri.strip_prefix("easel://image/").unwrap().to_string())
        .collect()
}

pub fn png(w: u32, h: u32, alpha: u8) -> Vec<u8> {
    let img = RgbaImage::from_fn(w, h, |x, _| Rgba([10, 20, 30, if x < w / 2 { 0 } else { alpha }]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

pub fn data_url(bytes: &[u8]) -> String {
    easel::imaging::data_url(easel::models::OutputFormat::Png, bytes)
}
