//! MCP over Streamable HTTP: the real `easel mcp --http 127.0.0.1:0` process against fake-openai,
//! driven by rmcp's HTTP client (tools, images in the library, metrics, 100 concurrent calls) and by
//! plain HTTP for the security layer (token, Origin, Host, body limit, rate limit).

mod common;

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::mcp::{Recorder, agent_scenario, call, data_url, image_ids, png, text};
use easel::library::Library;
use fake_openai::FakeOpenAi;
use image::{ImageFormat, Rgba, RgbaImage};
use rmcp::model::CallToolResult;
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};

type Peer = RunningService<RoleClient, ()>;

/// A running `easel mcp --http` with its own fake upstream, library and token.
struct Served {
    fake: FakeOpenAi,
    dir: tempfile::TempDir,
    token: String,
    /// `http://127.0.0.1:PORT`
    base: String,
    port: u16,
    stderr: Arc<Mutex<String>>,
    _child: tokio::process::Child,
}

fn new_token() -> String {
    format!("easel-http-test-{:032x}", fastrand::u128(..))
}

impl Served {
    async fn start() -> Served {
        Served::start_with(&["--http", "127.0.0.1:0"], json!({})).await
    }

    async fn start_with(args: &[&str], settings: Value) -> Served {
        let fake = common::fake().await;
        let dir = tempfile::tempdir().unwrap();
        let settings_path = dir.path().join("settings.json");
        std::fs::write(&settings_path, settings.to_string()).unwrap();
        let token = new_token();
        let mut cmd = common::easel_cmd(&fake, &dir.path().join("library"), &settings_path);
        cmd.arg("mcp")
            .args(args)
            .env("EASEL_MCP_TOKEN", &token)
            .env("EASEL_LOG", "debug")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("easel starts");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let stderr = Arc::new(Mutex::new(String::new()));
        let url = loop {
            let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
                .await
                .expect("the server announces its address within 30 s")
                .unwrap()
                .unwrap_or_else(|| panic!("easel exited before listening: {}", stderr.lock().unwrap()));
            stderr.lock().unwrap().push_str(&format!("{line}\n"));
            if let Some(url) = line.strip_prefix("easel MCP over HTTP at ") {
                break url.to_string();
            }
        };
        let keep = Arc::clone(&stderr);
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                keep.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let base = url.strip_suffix("/mcp").expect("the URL ends in /mcp").to_string();
        let port = base.rsplit(':').next().unwrap().parse().unwrap();
        assert_ne!(port, 0, "the real bound port is printed");
        Served {
            fake,
            dir,
            token,
            base,
            port,
            stderr,
            _child: child,
        }
    }

    fn library(&self) -> Library {
        Library::open(&self.dir.path().join("library")).unwrap()
    }

    fn transport(&self) -> StreamableHttpClientTransport<reqwest::Client> {
        let config = StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", self.base))
            .auth_header(self.token.clone())
            .max_concurrent_requests(32);
        StreamableHttpClientTransport::from_config(config)
    }

    async fn connect(&self) -> Peer {
        ().serve(self.transport()).await.expect("initialize over HTTP")
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new().get(format!("{}{path}", self.base))
    }

    fn authorized(&self, path: &str) -> reqwest::RequestBuilder {
        self.get(path).bearer_auth(&self.token)
    }

    async fn metrics(&self) -> String {
        let r = self.authorized("/metrics").send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends raw request bytes and returns the status code of the answer.
    async fn raw_status(&self, request: &str) -> u16 {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut head = vec![0u8; 12];
        stream.read_exact(&mut head).await.unwrap();
        let head = String::from_utf8_lossy(&head).into_owned();
        head.strip_prefix("HTTP/1.1 ")
            .and_then(|s| s[..3].parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP answer: {head}"))
    }
}

fn ok(result: &CallToolResult) -> &CallToolResult {
    assert_ne!(result.is_error, Some(true), "tool error: {}", text(result));
    result
}

/// A metric's value from the text exposition, 0 when absent.
fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn tools_generate_and_edit_with_a_mask_over_http() {
    let served = Served::start().await;
    let peer = served.connect().await;
    let info = peer.peer_info().expect("server info");
    assert_eq!(info.server_info.as_ref().map(|s| s.name.as_str()), Some("easel"));

    // The same tool surface as stdio: every tool of the tools/list snapshot, nothing else.
    let snapshot: Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/snapshots/mcp_tools.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut expected: Vec<_> = snapshot.as_object().unwrap().keys().cloned().collect();
    let mut names: Vec<_> = peer
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    expected.sort();
    names.sort();
    assert_eq!(names, expected);

    let made = call(
        &peer,
        "generate_image",
        json!({"prompt": "a lighthouse over HTTP", "quality": "low"}),
    )
    .await;
    ok(&made);
    assert_eq!(made.content.iter().filter(|c| c.as_image().is_some()).count(), 1);
    let id = image_ids(&made)[0].clone();
    let record = served.library().get(&id).unwrap();
    assert!(record.path.is_file(), "the image is in the library: {:?}", record.path);
    assert!(text(&made).contains(&record.path.display().to_string()));

    let edited = call(
        &peer,
        "edit_image",
        json!({"prompt": "add a boat", "images": [id], "mask": data_url(&png(1024, 1024, 255)), "return": "link"}),
    )
    .await;
    ok(&edited);
    let edited_id = image_ids(&edited)[0].clone();
    assert!(served.library().get(&edited_id).unwrap().path.is_file());
    let upstream = served.fake.requests();
    let edit = upstream
        .iter()
        .find(|r| r.path.ends_with("/images/edits"))
        .expect("an edit reached the provider");
    assert_eq!(edit.parts_named("mask").len(), 1, "the mask was sent");
    assert_eq!(edit.parts_named("image[]").len(), 1);

    let missing = call(&peer, "get_image", json!({"id": "nope"})).await;
    assert_eq!(missing.is_error, Some(true));

    let metrics = served.metrics().await;
    assert_eq!(
        metric(
            &metrics,
            "easel_mcp_tool_calls_total{tool=\"generate_image\",outcome=\"ok\"}"
        ),
        1.0,
        "{metrics}"
    );
    assert_eq!(
        metric(
            &metrics,
            "easel_mcp_tool_calls_total{tool=\"edit_image\",outcome=\"ok\"}"
        ),
        1.0
    );
    assert_eq!(
        metric(
            &metrics,
            "easel_mcp_tool_calls_total{tool=\"get_image\",outcome=\"error\"}"
        ),
        1.0
    );
    assert!(metric(&metrics, "easel_http_requests_total{route=\"/mcp\",status=\"200\"}") >= 4.0);
    assert_eq!(
        metric(
            &metrics,
            "easel_mcp_tool_call_duration_seconds_count{tool=\"generate_image\"}"
        ),
        1.0
    );
    assert!(metrics.contains("# TYPE easel_http_request_duration_seconds histogram"));
    assert_eq!(metric(&metrics, "easel_mcp_tool_calls_in_flight"), 0.0);
    assert!(
        metric(&metrics, "easel_http_requests_in_flight") >= 1.0,
        "this request itself"
    );

    peer.cancel().await.unwrap();
    let log = served.stderr();
    assert!(log.contains("token: run `easel mcp token`"), "{log}");
    assert!(log.contains("DEBUG"), "debug logs were on: {log}");
    assert!(!log.contains(&served.token), "the token was logged");
}

#[tokio::test]
async fn the_token_origin_host_and_body_checks_refuse_before_anything_runs() {
    let served = Served::start_with(
        &["--http", "127.0.0.1:0"],
        json!({"mcp_http": {"allowed_origins": ["https://studio.example.com"]}}),
    )
    .await;

    let health = served.get("/health").send().await.unwrap();
    assert_eq!(health.status(), 200, "no token needed");
    let body: Value = health.json().await.unwrap();
    assert_eq!(body, json!({"status": "ok", "version": easel::VERSION}));

    for (path, request) in [
        ("/metrics", served.get("/metrics")),
        ("/mcp", reqwest::Client::new().post(format!("{}/mcp", served.base))),
        ("/metrics", served.get("/metrics").bearer_auth(new_token())),
        (
            "/metrics",
            served.get("/metrics").header("authorization", served.token.clone()),
        ),
        (
            "/metrics",
            served.get("/metrics").basic_auth("easel", Some(&served.token)),
        ),
    ] {
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
        assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"easel\"");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized");
        assert!(body["message"].as_str().unwrap().contains("easel mcp token"), "{body}");
    }
    let lower = served
        .get("/metrics")
        .header("authorization", format!("bearer {}", served.token))
        .send()
        .await
        .unwrap();
    assert_eq!(lower.status(), 200, "the scheme is case-insensitive");

    for (origin, status) in [
        ("https://evil.example", 403),
        ("null", 403),
        ("http://localhost.evil.example", 403),
        ("http://localhost:5173", 200),
        ("http://127.0.0.1:8080", 200),
        ("https://studio.example.com", 200),
    ] {
        let r = served
            .authorized("/metrics")
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "Origin {origin}");
        if status == 403 {
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["error"], "forbidden_origin");
        }
    }
    let page = served
        .get("/health")
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 403, "a foreign page learns nothing, not even /health");
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "page", "version": "1"}}});
    let from_page = reqwest::Client::new()
        .post(format!("{}/mcp", served.base))
        .bearer_auth(&served.token)
        .header("origin", "https://evil.example")
        .header("accept", "application/json, text/event-stream")
        .json(&initialize)
        .send()
        .await
        .unwrap();
    assert_eq!(
        from_page.status(),
        403,
        "even with the token, a foreign page cannot drive /mcp"
    );

    // rmcp's own client with a wrong token cannot even initialize.
    let wrong = StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", served.base)).auth_header(new_token());
    assert!(
        ().serve(StreamableHttpClientTransport::from_config(wrong))
            .await
            .is_err(),
        "initialize with a wrong token must fail"
    );

    for (host, status) in [
        ("evil.example", 403),
        ("127.0.0.1.nip.io:8765", 403),
        ("localhost", 200),
        ("[::1]:1", 200),
    ] {
        let r = served.authorized("/metrics").header("host", host).send().await.unwrap();
        assert_eq!(r.status(), status, "Host {host}");
    }
    let rebinding = format!(
        "GET /health HTTP/1.1\r\nHost: attacker.example:{}\r\nConnection: close\r\n\r\n",
        served.port
    );
    assert_eq!(served.raw_status(&rebinding).await, 403);

    // A declared body over 96 MiB is refused before it is read (the headers alone get the answer).
    let declared = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\n\r\n",
        served.token,
        96 * 1024 * 1024 + 1
    );
    assert_eq!(served.raw_status(&declared).await, 413);
    // Without the token, the size does not matter: 401 first.
    let anonymous = declared.replace(&format!("Authorization: Bearer {}\r\n", served.token), "");
    assert_eq!(served.raw_status(&anonymous).await, 401);

    let metrics = served.metrics().await;
    assert!(metric(&metrics, "easel_http_requests_total{route=\"/metrics\",status=\"401\"}") >= 4.0);
    assert!(metric(&metrics, "easel_http_requests_total{route=\"/mcp\",status=\"413\"}") >= 1.0);
    assert!(metric(&metrics, "easel_http_requests_total{route=\"/health\",status=\"403\"}") >= 2.0);
    assert_eq!(
        metric(&metrics, "easel_mcp_tool_calls_in_flight"),
        0.0,
        "nothing reached a tool"
    );
    assert!(served.fake.requests().is_empty());
    assert!(!served.stderr().contains(&served.token), "the token was logged");
}

#[tokio::test]
async fn an_undeclared_body_over_the_limit_gets_413() {
    let served = Served::start().await;
    // A chunked body (no Content-Length) is counted as it arrives and cut at 96 MiB.
    let chunk = bytes::Bytes::from(vec![b' '; 1024 * 1024]);
    let chunks = futures_util::stream::iter((0..100).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    let r = reqwest::Client::new()
        .post(format!("{}/mcp", served.base))
        .bearer_auth(&served.token)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await;
    let r = r.expect("an answer to an oversized body");
    assert_eq!(r.status(), 413);
}

#[tokio::test]
async fn sixteen_base64_images_of_4_mb_fit_in_one_call() {
    let served = Served::start().await;
    let peer = served.connect().await;
    // Noise does not compress: a 1024x1024 RGBA PNG of it is about 4 MB.
    let mut rng = fastrand::Rng::with_seed(7);
    let noise = RgbaImage::from_fn(1024, 1024, |_, _| Rgba([rng.u8(..), rng.u8(..), rng.u8(..), 255]));
    let mut encoded = Cursor::new(Vec::new());
    noise.write_to(&mut encoded, ImageFormat::Png).unwrap();
    let bytes = encoded.into_inner();
    assert!(bytes.len() > 4_000_000, "{} bytes", bytes.len());
    let raw = easel::imaging::encode_base64(&bytes);
    let images: Vec<&str> = std::iter::repeat_n(raw.as_str(), 16).collect();
    let edited = call(
        &peer,
        "edit_image",
        json!({"prompt": "merge them", "images": images, "return": "link"}),
    )
    .await;
    ok(&edited);
    let upstream = served.fake.requests();
    assert_eq!(upstream.len(), 1);
    assert_eq!(upstream[0].parts_named("image[]").len(), 16);
    peer.cancel().await.unwrap();
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after() {
    let settings = json!({"mcp_http": {"rate_per_second": 20.0, "rate_burst": 200}});
    let served = Served::start_with(&["--http", "127.0.0.1:0"], settings).await;
    let client = reqwest::Client::new();
    let url = format!("{}/metrics", served.base);
    let started = std::time::Instant::now();
    let answers = futures_util::future::join_all((0..300).map(|_| {
        let request = client.get(&url).bearer_auth(&served.token);
        async move {
            let r = request.send().await.unwrap();
            let retry = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
            (r.status().as_u16(), retry)
        }
    }))
    .await;
    let refill = started.elapsed().as_secs_f64() * 20.0;
    let passed = answers.iter().filter(|(s, _)| *s == 200).count();
    let limited: Vec<_> = answers.iter().filter(|(s, _)| *s == 429).collect();
    assert_eq!(passed + limited.len(), 300, "{answers:?}");
    assert!(
        passed >= 200 && passed as f64 <= 200.0 + refill.ceil(),
        "a burst of 200 plus 20/s ({refill:.1} refilled): {passed} passed"
    );
    assert!(!limited.is_empty());
    for (_, retry) in &limited {
        let seconds: u64 = retry.as_deref().expect("retry-after").parse().unwrap();
        assert!((1..=2).contains(&seconds), "{seconds}");
    }
    let health = served.get("/health").send().await.unwrap();
    assert_eq!(health.status(), 200, "/health is not limited");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let metrics = served.metrics().await;
    assert_eq!(
        metric(&metrics, "easel_http_requests_total{route=\"/metrics\",status=\"429\"}"),
        limited.len() as f64
    );
}

#[tokio::test]
async fn a_hundred_concurrent_tool_calls_all_succeed() {
    let served = Arc::new(Served::start().await);
    let clients = futures_util::future::join_all((0..10).map(|_| served.connect())).await;
    let calls = clients.iter().enumerate().flat_map(|(c, peer)| {
        (0..10).map(move |i| async move {
            let (tool, args) = match i {
                0 => (
                    "generate_image",
                    json!({"prompt": format!("client {c} image"), "return": "link"}),
                ),
                i if i % 2 == 0 => ("get_usage", json!({})),
                _ => ("search_images", json!({"query": "image"})),
            };
            call(peer, tool, args).await
        })
    });
    let results = futures_util::future::join_all(calls).await;
    assert_eq!(results.len(), 100);
    for r in &results {
        ok(r);
    }
    let generated: Vec<String> = results.iter().flat_map(image_ids).collect();
    assert_eq!(generated.len(), 10);
    let library = served.library();
    for id in &generated {
        assert!(library.get(id).unwrap().path.is_file());
    }
    let metrics = served.metrics().await;
    let total: f64 = ["generate_image", "get_usage", "search_images"]
        .iter()
        .map(|t| {
            metric(
                &metrics,
                &format!("easel_mcp_tool_calls_total{{tool=\"{t}\",outcome=\"ok\"}}"),
            )
        })
        .sum();
    assert_eq!(total, 100.0, "{metrics}");
    for peer in clients {
        peer.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn other_interfaces_need_allow_remote() {
    let fake = common::fake().await;
    let dir = tempfile::tempdir().unwrap();
    let refused = common::easel_cmd(&fake, &dir.path().join("library"), &dir.path().join("settings.json"))
        .args(["mcp", "--http", "0.0.0.0:0"])
        .env("EASEL_MCP_TOKEN", new_token())
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(err.contains("--allow-remote") && err.contains("0.0.0.0:0"), "{err}");

    let served = Served::start_with(
        &["--http", "0.0.0.0:0", "--allow-remote"],
        json!({"mcp_http": {"allowed_hosts": ["studio.lan"]}}),
    )
    .await;
    assert!(
        served.stderr().contains("warning: listening on 0.0.0.0"),
        "{}",
        served.stderr()
    );
    let health = format!("http://127.0.0.1:{}/health", served.port);
    let local = reqwest::get(&health).await.unwrap();
    assert_eq!(local.status(), 200);
    let client = reqwest::Client::new();
    for host in ["192.0.2.7", "0.0.0.0", "studio.lan.evil.example"] {
        let r = client.get(&health).header("host", host).send().await.unwrap();
        assert_eq!(r.status(), 403, "{host} is not in mcp_http.allowed_hosts");
    }
    let listed = client
        .get(&health)
        .header("host", "studio.lan:8765")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200, "a name from mcp_http.allowed_hosts");
}

#[tokio::test]
async fn an_agent_over_http() {
    let served = Served::start().await;
    let recorder = Recorder::default();
    let peer = recorder
        .clone()
        .serve(served.transport())
        .await
        .expect("initialize over HTTP");
    agent_scenario(&peer, &recorder, &served.fake).await;
}
