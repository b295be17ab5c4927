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

/// The job id in a handed-off answer.
pub fn job_id(text: &str) -> String {
    let start = text.find("j_").unwrap_or_else(|| panic!("no job id in: {text}"));
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

pub async fn job_state(peer: &rmcp::Peer<RoleClient>, id: &str) -> String {
    let job = call(peer, "get_job", json!({ "id": id })).await;
    assert!(!is_error(&job), "{}", text(&job));
    job.structured_content.unwrap()["state"].as_str().unwrap().to_string()
}

fn ok(result: CallToolResult) -> CallToolResult {
    assert!(!is_error(&result), "{}", text(&result));
    result
}

/// What an agent does over a real transport: a session with a branch from turn 1, an edit with a mask,
/// a call that outlives wait_seconds (progress arrives, wait_job delivers), and a cancelled request
/// that stops the upstream call. `recorder` is the handler of `peer`.
pub async fn agent_scenario(peer: &rmcp::Peer<RoleClient>, recorder: &Recorder, fake: &FakeOpenAi) {
    let session = ok(call(peer, "start_session", json!({"name": "scenario"})).await);
    let sid = session.structured_content.unwrap()["id"].as_str().unwrap().to_string();
    let first = ok(call(
        peer,
        "generate_image",
        json!({"prompt": "a harbour", "session_id": sid}),
    )
    .await);
    let first_image = image_ids(&first)[0].clone();
    ok(call(
        peer,
        "continue_session",
        json!({"session_id": sid, "prompt": "at night", "return": "link"}),
    )
    .await);
    let tree = ok(call(peer, "get_session", json!({ "id": sid })).await)
        .structured_content
        .unwrap();
    let turn1 = tree["turns"][0]["id"].as_str().unwrap().to_string();
    ok(call(
        peer,
        "continue_session",
        json!({"session_id": sid, "prompt": "in snow", "from_turn": turn1, "return": "link"}),
    )
    .await);
    let children = children_of(peer, &sid, &turn1).await;
    assert_eq!(children, 2, "turn 1 has two children (a branch): {tree}");

    let mask = data_url(&png(1024, 1024, 255));
    let edited = ok(call(
        peer,
        "edit_image",
        json!({"prompt": "add a boat", "images": [first_image], "mask": mask, "return": "link"}),
    )
    .await);
    assert_eq!(image_ids(&edited).len(), 1);
    let sent = fake
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path == "/v1/images/edits")
        .unwrap();
    assert!(
        sent.parts.iter().any(|p| p.name == "mask"),
        "the mask reached the provider"
    );

    fake.push_fault(fake_openai::Fault::Delay { ms: 2500 });
    let before = recorder.progress.lock().unwrap().len();
    let handed = ok(call(peer, "generate_image", json!({"prompt": "slow", "wait_seconds": 1})).await);
    let id = job_id(&text(&handed));
    let done = ok(call(peer, "wait_job", json!({ "id": id, "wait_seconds": 30 })).await);
    assert_eq!(image_ids(&done).len(), 1);
    let notes = recorder.progress.lock().unwrap().len() - before;
    assert!(notes >= 2, "progress notifications arrived while waiting ({notes})");

    cancel_a_slow_call(peer, fake).await;
}

/// How many turns of session `sid` continue from `turn` (two or more: a branch).
pub async fn children_of(peer: &rmcp::Peer<RoleClient>, sid: &str, turn: &str) -> usize {
    let tree = ok(call(peer, "get_session", json!({ "id": sid })).await)
        .structured_content
        .unwrap();
    tree["turns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["parent_id"] == json!(turn))
        .count()
}

/// Start a generate call that the fake holds for 30 s, cancel the request (notifications/cancelled),
/// and wait until its job is cancelled (which only happens once the upstream call is dropped).
/// The job id.
pub async fn cancel_a_slow_call(peer: &rmcp::Peer<RoleClient>, fake: &FakeOpenAi) -> String {
    use rmcp::model::{ClientRequest, Request};
    use rmcp::service::PeerRequestOptions;
    use std::time::{Duration, Instant};

    fake.push_fault(fake_openai::Fault::Delay { ms: 30_000 });
    let args = json!({"prompt": "cancel me"}).as_object().unwrap().clone();
    let request = ClientRequest::CallToolRequest(Request::new(
        CallToolRequestParams::new("generate_image").with_arguments(args),
    ));
    let handle = peer
        .send_cancellable_request(request, PeerRequestOptions::no_options())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    handle.cancel(Some("stop".into())).await.unwrap();
    let jobs = ok(call(peer, "list_jobs", json!({})).await).structured_content.unwrap();
    let id = jobs["jobs"][0]["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(5);
    while job_state(peer, &id).await != "cancelled" {
        assert!(Instant::now() < deadline, "job {id} not cancelled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    id
}
