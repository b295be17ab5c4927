//! The shell's commands on Tauri's mock runtime, over a real library in a temporary folder, the real
//! keychain (run inside scripts/with-session.sh) and fake-openai as the provider.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use easel::config::Config;
use easel::library::Library;
use easel::metadata::{FORMAT_VERSION, ImageMeta};
use easel::models::{ImageParams, OutputFormat};
use easel_studio::{LIBRARY_EVENT, Studio, media};
use fake_openai::FakeOpenAi;
use serde_json::{Value, json};
use tauri::Listener;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, mock_builder, mock_context, noop_assets};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

/// The hosted MCP endpoint's token in these tests (the studio's environment, not the keychain).
const MCP_TOKEN: &str = "shell-test-token-0123456789abcdef";

struct Rig {
    _dir: tempfile::TempDir,
    fake: FakeOpenAi,
    provider: String,
    library_root: std::path::PathBuf,
    app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
}

impl Rig {
    fn new() -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let fake = tauri::async_runtime::block_on(FakeOpenAi::start()).unwrap();
        // a provider of its own, so the keychain entry is this test's alone (tests run in parallel
        // and each rig deletes its entry when dropped)
        static RIGS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = RIGS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let provider = format!("shell-test-{}-{n}", std::process::id());
        let settings = dir.path().join("settings.json");
        std::fs::write(
            &settings,
            json!({
                "providers": [{"name": provider, "kind": "compatible", "base_url": fake.base_url()}],
                "default_provider": provider,
                "library": dir.path().join("library"),
                "window": {"width": 1280}
            })
            .to_string(),
        )
        .unwrap();
        let library_root = dir.path().join("library");
        let vars: HashMap<String, String> = [
            ("EASEL_SETTINGS".to_string(), settings.display().to_string()),
            (easel::mcp::http::TOKEN_ENV.to_string(), MCP_TOKEN.to_string()),
        ]
        .into();
        let env: easel_studio::studio::Env = Arc::new(move |name| vars.get(name).cloned());
        let config = Config::load_with(|n| env(n)).unwrap();
        let studio = Studio::with(config, env).unwrap();
        let queue = easel::queue::Queue::new(easel::queue::DEFAULT_CONCURRENCY);
        let app = easel_studio::with_commands(mock_builder())
            .manage(studio)
            .manage(easel_studio::generate::Generator(queue))
            .build(mock_context(noop_assets()))
            .unwrap();
        let window = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        Rig {
            _dir: dir,
            fake,
            provider,
            library_root,
            app,
            window,
        }
    }

    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        tauri::test::get_ipc_response(&self.window, request).map(|body| body.deserialize::<Value>().unwrap())
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    fn settings_path(&self) -> std::path::PathBuf {
        self._dir.path().join("settings.json")
    }

    fn library(&self) -> Library {
        Library::open(&self.library_root).unwrap()
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = easel::keys::keychain_delete(&self.provider);
    }
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7) as u8, (y * 5) as u8, 90]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn add(library: &Library, prompt: &str, model: &str, minute: u32) -> String {
    let meta = ImageMeta {
        easel: FORMAT_VERSION,
        id: easel::library::new_id(),
        created_at: format!("2026-11-30T10:{minute:02}:00Z"),
        prompt: prompt.into(),
        revised_prompt: Some(format!("{prompt}, detailed")),
        operation: "generate".into(),
        model: model.into(),
        provider: "openai".into(),
        params: ImageParams::default(),
        width: 64,
        height: 48,
        format: OutputFormat::Png,
        usage: None,
        cost_usd: 0.042,
        request_id: Some("req_test".into()),
        response_id: None,
        session_id: None,
        turn_id: None,
        inputs: vec![],
        has_mask: false,
        tags: vec![],
    };
    library.add_image(&png(64, 48), &meta).unwrap().id
}

fn ids(page: &Value) -> Vec<String> {
    page["tiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn gallery_search_star_trash_restore_and_detail() {
    let rig = Rig::new();
    let lib = rig.library();
    let fox = add(&lib, "a red fox in the snow", "gpt-image-2", 1);
    let owl = add(&lib, "an owl at night", "gpt-image-1", 2);
    let fox2 = add(&lib, "foxes playing", "gpt-image-2", 3);

    let all = rig.ok("gallery_page", json!({"query": {}}));
    assert_eq!(all["total"], 3);
    assert_eq!(ids(&all), [fox2.clone(), owl.clone(), fox.clone()], "newest first");
    assert_eq!(all["tiles"][0]["prompt"], "foxes playing");
    assert!(all["tiles"][0].get("path").is_none(), "tiles carry no paths");

    let page = rig.ok(
        "gallery_page",
        json!({"query": {"text": "fox", "limit": 1, "offset": 1}}),
    );
    assert_eq!((page["total"].as_u64(), page["offset"].as_u64()), (Some(2), Some(1)));
    assert_eq!(ids(&page), [fox.as_str()]);
    let by_model = rig.ok("gallery_page", json!({"query": {"model": "gpt-image-1"}}));
    assert_eq!(ids(&by_model), [owl.as_str()]);
    // 10:01:30 to 10:02:30 UTC
    let dated = rig.ok(
        "gallery_page",
        json!({"query": {"from_ms": 1796032890000_i64, "to_ms": 1796032950000_i64}}),
    );
    assert_eq!(ids(&dated), [owl.as_str()]);

    let starred = rig.ok("set_starred", json!({"ids": [owl, fox], "starred": true}));
    assert_eq!(starred.as_array().unwrap().len(), 2);
    assert!(starred.as_array().unwrap().iter().all(|t| t["starred"] == true));
    assert_eq!(
        ids(&rig.ok("gallery_page", json!({"query": {"starred": true}}))),
        [owl.clone(), fox.clone()]
    );

    assert_eq!(rig.ok("trash_images", json!({"ids": [fox]})), 1);
    assert_eq!(
        ids(&rig.ok("gallery_page", json!({"query": {"text": "fox"}}))),
        [fox2.as_str()]
    );
    let trash = rig.ok("gallery_page", json!({"query": {"trashed": true}}));
    assert_eq!(
        (ids(&trash), trash["tiles"][0]["trashed"].clone()),
        (vec![fox.clone()], json!(true))
    );
    assert_eq!(rig.ok("restore_images", json!({"ids": [fox]})), 1);
    assert_eq!(rig.ok("gallery_page", json!({"query": {"trashed": true}}))["total"], 0);

    let detail = rig.ok("image_detail", json!({"id": fox}));
    assert_eq!(detail["prompt"], "a red fox in the snow");
    assert_eq!(detail["revised_prompt"], "a red fox in the snow, detailed");
    assert_eq!(detail["cost_usd"], 0.042);
    assert_eq!(detail["meta"]["request_id"], "req_test");
    assert_eq!(detail["meta"]["params"]["model"], "gpt-image-2");
    assert!(Path::new(detail["path"].as_str().unwrap()).starts_with(&rig.library_root));
    let unknown = rig.call("image_detail", json!({"id": "nope"})).unwrap_err();
    assert!(unknown.as_str().unwrap().contains("nope"), "{unknown}");

    assert_eq!(rig.ok("trash_images", json!({"ids": [fox2, owl]})), 2);
    assert_eq!(rig.ok("empty_trash", json!({})), 2);
    assert_eq!(rig.ok("gallery_page", json!({"query": {"trashed": true}}))["total"], 0);
    assert_eq!(ids(&rig.ok("gallery_page", json!({"query": {}}))), [fox]);

    let options = rig.ok("filter_options", json!({}));
    assert!(
        options["models"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "gpt-image-2")
    );
}

#[test]
fn thumbnails_and_images_are_served_by_id_with_their_mime_type() {
    let rig = Rig::new();
    let lib = Arc::new(rig.library());
    let id = add(&lib, "a tiny square", "gpt-image-2", 5);

    // as the UI's convertFileSrc('thumb/<id>', 'easel') spells it
    let thumb = media::respond(Arc::clone(&lib), &format!("/thumb%2F{id}"));
    assert_eq!(thumb.status(), 200);
    assert_eq!(
        thumb.headers()["content-type"],
        "image/jpeg",
        "opaque thumbnails are JPEG"
    );
    assert_eq!(&thumb.body()[..3], b"\xFF\xD8\xFF");

    let full = media::respond(Arc::clone(&lib), &format!("/image/{id}"));
    assert_eq!(full.headers()["content-type"], "image/png");
    assert_eq!(full.body(), &std::fs::read(lib.get(&id).unwrap().path).unwrap());

    assert_eq!(media::respond(Arc::clone(&lib), "/thumb/unknown1").status(), 404);
    assert_eq!(
        media::respond(Arc::clone(&lib), "/image/../../etc/passwd").status(),
        400
    );
    assert_eq!(
        media::respond(Arc::clone(&lib), "/image%2F..%2F..%2Fetc%2Fpasswd").status(),
        400
    );
}

#[test]
fn an_image_written_by_another_process_reaches_the_window_within_a_second() {
    let rig = Rig::new();
    let (tx, rx) = mpsc::channel::<String>();
    rig.app.listen_any(LIBRARY_EVENT, move |event| {
        let _ = tx.send(event.payload().to_string());
    });
    easel_studio::forward_library_events(rig.app.handle().clone());
    std::thread::sleep(Duration::from_millis(300)); // the feed starts from the newest change

    // another Library on the same folder stands for the CLI or an MCP server
    let other = rig.library();
    let started = std::time::Instant::now();
    let id = add(&other, "made elsewhere", "gpt-image-2", 9);
    let payload = rx
        .recv_timeout(Duration::from_secs(1))
        .expect("an event within a second");
    let event: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(
        event,
        json!({"kind": "image_added", "id": id}),
        "after {:?}",
        started.elapsed()
    );
}

#[test]
fn keys_are_stored_reported_as_set_tested_and_deleted_but_never_returned() {
    let rig = Rig::new();
    let status = |v: &Value| {
        v["providers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == rig.provider.as_str())
            .cloned()
            .unwrap()
    };
    let before = rig.ok("providers", json!({}));
    assert_eq!(before["demo"], false);
    assert_eq!(status(&before)["key"], "not_set");
    assert_eq!(status(&before)["is_default"], true);
    let e = rig
        .call("test_connection", json!({"provider": rig.provider}))
        .unwrap_err();
    assert!(e.as_str().unwrap().contains("no API key"), "{e}");

    let key = rig.fake.api_key().to_string();
    let after = rig.ok("set_key", json!({"provider": rig.provider, "key": key}));
    assert_eq!(status(&after)["key"], "keychain");
    assert!(!after.to_string().contains(&key), "the key never comes back");
    assert_eq!(easel::keys::keychain_get(&rig.provider).unwrap().unwrap().expose(), key);

    let report = rig.ok("test_connection", json!({"provider": rig.provider}));
    assert_eq!(report["url"], format!("{}/models", rig.fake.base_url()));
    let last = rig.fake.requests().pop().unwrap();
    assert_eq!((last.method.as_str(), last.path.as_str()), ("GET", "/v1/models"));

    rig.ok(
        "set_key",
        json!({"provider": rig.provider, "key": "sk-replaced-but-wrong"}),
    );
    let e = rig
        .call("test_connection", json!({"provider": rig.provider}))
        .unwrap_err();
    assert!(e.as_str().unwrap().contains("rejected"), "{e}");
    assert!(!e.as_str().unwrap().contains("sk-replaced-but-wrong"));

    let deleted = rig.ok("delete_key", json!({"provider": rig.provider}));
    assert_eq!(status(&deleted)["key"], "not_set");
    assert_eq!(easel::keys::keychain_get(&rig.provider).unwrap(), None);
    let e = rig
        .call("set_key", json!({"provider": "no-such", "key": "sk-x"}))
        .unwrap_err();
    assert!(e.as_str().unwrap().contains("unknown provider"), "{e}");
}

#[test]
fn the_generate_panel_queues_a_job_whose_partials_and_result_reach_the_window() {
    let rig = Rig::new();
    let (tx, rx) = mpsc::channel::<Value>();
    rig.app.listen_any(easel_studio::generate::QUEUE_EVENT, move |event| {
        let _ = tx.send(serde_json::from_str(event.payload()).unwrap());
    });
    easel_studio::generate::forward_queue_events(rig.app.handle().clone());

    let bad = rig.ok(
        "check_form",
        json!({"form": {"prompt": "x", "params": {"model": "gpt-image-1", "size": "999x999"}}}),
    );
    assert_eq!(bad["estimate_usd"], Value::Null);
    assert!(bad["problem"].as_str().unwrap().contains("999"), "{bad}");
    let good = rig.ok(
        "check_form",
        json!({"form": {"prompt": "a kite", "params": {"size": "1024x1024"}}}),
    );
    assert!(good["estimate_usd"].as_f64().unwrap() > 0.0, "{good}");
    assert_eq!(good["problem"], Value::Null);

    let form = json!({"prompt": "a kite over the dunes", "params": {"size": "1024x1024", "stream": true, "partial_images": 2}});
    let e = rig.call("generate", json!({"form": form})).unwrap_err();
    assert!(e.as_str().unwrap().contains("no API key"), "{e}");
    rig.ok("set_key", json!({"provider": rig.provider, "key": rig.fake.api_key()}));
    let e = rig
        .call(
            "generate",
            json!({"form": {"prompt": "p", "mask_path": "/nonexistent/mask.png"}}),
        )
        .unwrap_err();
    assert!(e.as_str().unwrap().contains("mask"), "{e}");

    let job = rig.ok("generate", json!({"form": form}));
    assert_eq!(job["state"], "queued");
    let id = job["id"].as_str().unwrap().to_string();
    let (mut partials, mut done) = (0, None);
    while done.is_none() || partials < 2 {
        let event = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("queue events keep coming");
        assert_eq!(event["job_id"], id.as_str());
        match event["kind"].as_str().unwrap() {
            "partial" => {
                assert!(
                    event["data_url"]
                        .as_str()
                        .unwrap()
                        .starts_with("data:image/jpeg;base64,")
                );
                partials += 1;
            }
            "state" if event["state"] == "done" => done = Some(event["images"][0].as_str().unwrap().to_string()),
            "state" => assert_ne!(event["state"], "failed", "{event}"),
            other => panic!("unexpected event {other}"),
        }
    }
    let image = rig.library().get(&done.unwrap()).unwrap();
    assert_eq!(image.prompt, "a kite over the dunes");
    assert_eq!(
        rig.ok("cancel_job", json!({"jobId": id})),
        false,
        "a finished job cannot be cancelled"
    );
    assert_eq!(rig.ok("cancel_pending", json!({})), 0);
    let e = rig.call("retry_job", json!({"jobId": id})).unwrap_err();
    assert!(e.as_str().unwrap().contains("no queued job"), "{e}");
}

#[test]
fn sessions_made_elsewhere_are_listed_with_their_turn_tree_renamed_and_archived() {
    let rig = Rig::new();
    let made = rig.ok("create_session", json!({"name": "harbour series"}));
    let id = made["id"].as_str().unwrap().to_string();
    // turns recorded by another process (an MCP server) on the same library
    let other = rig.library();
    let root = other
        .add_turn(
            &id,
            easel::session::NewTurn {
                prompt: "a harbour",
                ..Default::default()
            },
        )
        .unwrap();
    for prompt in ["at night", "in the rain"] {
        other
            .add_turn(
                &id,
                easel::session::NewTurn {
                    parent_id: Some(&root.id),
                    prompt,
                    ..Default::default()
                },
            )
            .unwrap();
    }
    let tree = rig.ok("session_tree", json!({"id": id}));
    assert_eq!(tree["session"]["name"], "harbour series");
    let turns = tree["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 3);
    assert!(
        turns[1..].iter().all(|t| t["parent_id"] == root.id.as_str()),
        "a branch point at turn 1"
    );

    rig.ok("rename_session", json!({"id": id, "name": "harbours"}));
    let listed = rig.ok("sessions", json!({"includeArchived": false}));
    assert_eq!(listed[0]["name"], "harbours");
    assert_eq!(listed[0]["turns"], 3);
    rig.ok("archive_session", json!({"id": id, "archived": true}));
    assert_eq!(rig.ok("sessions", json!({"includeArchived": false})), json!([]));
    assert_eq!(
        rig.ok("sessions", json!({"includeArchived": true}))[0]["archived"],
        true
    );
    let e = rig.call("session_tree", json!({"id": "no-such"})).unwrap_err();
    assert!(e.as_str().unwrap().contains("no-such"), "{e}");
}

#[test]
fn settings_are_read_and_saved_keeping_other_keys() {
    let rig = Rig::new();
    let view = rig.ok("settings", json!({}));
    assert_eq!(view["choices"]["default_provider"], rig.provider.as_str());
    assert_eq!(view["spent_today_usd"], 0.0);

    let mut choices = view["choices"].clone();
    choices["defaults"] = json!({"model": "gpt-image-1.5", "quality": "high"});
    choices["budget"] = json!({"daily_usd": 3.5});
    let saved = rig.ok("save_settings", json!({"choices": choices}));
    assert_eq!(saved["choices"]["budget"]["daily_usd"], 3.5);
    let on_disk: Value =
        serde_json::from_slice(&std::fs::read(saved["settings_path"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(on_disk["window"]["width"], 1280, "keys the app does not own stay");
    assert_eq!(on_disk["defaults"]["model"], "gpt-image-1.5");

    choices["defaults"]["model"] = json!("gpt-9");
    let e = rig.call("save_settings", json!({"choices": choices})).unwrap_err();
    assert!(e.as_str().unwrap().contains("gpt-9"), "{e}");
    assert_eq!(
        rig.ok("settings", json!({}))["choices"]["defaults"]["model"],
        "gpt-image-1.5"
    );
}

#[test]
fn easel_studio_mcp_serves_stdio_without_a_display() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_easel-studio"))
        .arg("mcp")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("EASEL_LIBRARY", dir.path().join("library"))
        .env("EASEL_SETTINGS", dir.path().join("settings.json"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(
        stdin,
        r#"{{"jsonrpc":"2.0","id":1,"method":"initialize","params":{{"protocolVersion":"2025-06-18","capabilities":{{}},"clientInfo":{{"name":"shell-test","version":"0"}}}}}}"#
    )
    .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let answer: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON-RPC on stdout ({e}): {line}"));
    assert_eq!(answer["id"], 1);
    assert!(answer["result"]["serverInfo"]["name"].is_string(), "{answer}");
    assert!(answer["result"]["capabilities"]["tools"].is_object(), "{answer}");
    drop(stdin); // end of input: the server stops
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(
        dir.path().join("library/.easel/library.db").exists(),
        "it opened the library"
    );
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One JSON-RPC message to a Streamable HTTP MCP endpoint: the answer (plain JSON or the first SSE
/// `data:` line; `null` for a notification) and the session id the server assigned.
async fn rpc(url: &str, token: &str, session: Option<&str>, body: Value) -> (u16, Option<String>, Value) {
    let mut request = reqwest::Client::new()
        .post(url)
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .json(&body);
    if let Some(session) = session {
        request = request.header("mcp-session-id", session);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let session = response
        .headers()
        .get("mcp-session-id")
        .map(|v| v.to_str().unwrap().to_string());
    let text = response.text().await.unwrap();
    let json = text
        .lines()
        .find_map(|l| l.strip_prefix("data:").map(str::trim).filter(|d| d.starts_with('{')))
        .or(Some(text.trim()).filter(|t| t.starts_with('{')))
        .map(|d| serde_json::from_str(d).unwrap())
        .unwrap_or(Value::Null);
    (status, session, json)
}

/// initialize → initialized → tools/list, as an HTTP MCP client does; the tool names.
async fn list_tools(url: &str, token: &str) -> Result<Vec<String>, u16> {
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "shell-test", "version": "0"}}});
    let (status, session, answer) = rpc(url, token, None, initialize).await;
    if status != 200 {
        return Err(status);
    }
    assert_eq!(answer["result"]["serverInfo"]["name"], "easel", "{answer}");
    let session = session.expect("a session id");
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let (status, _, _) = rpc(url, token, Some(&session), initialized).await;
    assert_eq!(status, 202);
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}});
    let (status, _, answer) = rpc(url, token, Some(&session), list).await;
    assert_eq!(status, 200, "{answer}");
    Ok(answer["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("no tools in {answer}"))
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect())
}

#[test]
fn the_mcp_endpoint_turns_on_serves_tools_with_the_token_and_turns_off_freeing_the_port() {
    let rig = Rig::new();
    let off = rig.ok("mcp_endpoint", json!({}));
    assert_eq!(
        (&off["enabled"], &off["state"], &off["default_port"]),
        (&json!(false), &json!("stopped"), &json!(8765))
    );

    let port = free_port();
    let on = rig.ok("set_mcp_endpoint", json!({"enabled": true, "port": port}));
    let url = format!("http://127.0.0.1:{port}/mcp");
    assert_eq!(on["state"], "running", "{on}");
    assert_eq!(
        (on["url"].as_str(), on["token"].as_str()),
        (Some(url.as_str()), Some("environment"))
    );
    assert!(
        !on.to_string().contains(MCP_TOKEN),
        "the token never reaches the window"
    );
    let settings: Value = serde_json::from_slice(&std::fs::read(rig.settings_path()).unwrap()).unwrap();
    assert_eq!(
        settings["mcp_http"],
        json!({"enabled": true, "port": port}),
        "saved for the next start"
    );
    assert_eq!(settings["window"]["width"], 1280, "other keys stay");

    tauri::async_runtime::block_on(async {
        let tools = list_tools(&url, MCP_TOKEN).await.expect("initialize with the token");
        for tool in ["generate_image", "edit_image", "search_images", "get_job"] {
            assert!(tools.iter().any(|t| t == tool), "{tool} missing from {tools:?}");
        }
        assert_eq!(list_tools(&url, "not-the-token-at-all-000").await, Err(401));
    });

    // the same switch again changes nothing; another port moves it
    let again = rig.ok("set_mcp_endpoint", json!({"enabled": true, "port": port}));
    assert_eq!(again["url"], on["url"]);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = taken.local_addr().unwrap().port();
    let failed = rig.ok("set_mcp_endpoint", json!({"enabled": true, "port": busy}));
    assert_eq!(failed["state"], "failed", "{failed}");
    let message = failed["message"].as_str().unwrap();
    assert!(message.contains(&format!("port {busy} is in use")), "{message}");
    assert!(
        std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(),
        "moving away freed the old port"
    );
    drop(taken);

    rig.ok("set_mcp_endpoint", json!({"enabled": true, "port": port}));
    let stopped = rig.ok("set_mcp_endpoint", json!({"enabled": false, "port": port}));
    assert_eq!(
        (&stopped["state"], &stopped["enabled"]),
        (&json!("stopped"), &json!(false))
    );
    assert!(
        std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(),
        "turning it off frees the port"
    );
    let e = rig
        .call("set_mcp_endpoint", json!({"enabled": true, "port": 0}))
        .unwrap_err();
    assert!(e.as_str().unwrap().contains("port"), "{e}");
}

#[test]
fn easel_studio_mcp_http_serves_the_endpoint_without_a_display() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_easel-studio"))
        .args(["mcp", "--http", "127.0.0.1:0"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("EASEL_LIBRARY", dir.path().join("library"))
        .env("EASEL_SETTINGS", dir.path().join("settings.json"))
        .env(easel::mcp::http::TOKEN_ENV, MCP_TOKEN)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let url = loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "exited before listening");
        if let Some(url) = line.trim().strip_prefix("easel MCP over HTTP at ") {
            break url.to_string();
        }
    };
    let tools = tauri::async_runtime::block_on(list_tools(&url, MCP_TOKEN));
    let _ = child.kill();
    let _ = child.wait();
    assert!(tools.unwrap().iter().any(|t| t == "generate_image"));

    let refused = Command::new(env!("CARGO_BIN_EXE_easel-studio"))
        .args(["mcp", "--bogus"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--bogus"));
}

#[test]
fn providers_are_added_and_removed_with_the_cores_checks() {
    let rig = Rig::new();
    let work = json!({"name": "work", "kind": "azure", "base_url": "https://work.openai.azure.com",
        "deployment": "images", "api_version": "2025-04-01-preview"});
    let added = rig.ok("add_provider", json!({"provider": work}));
    let listed = |v: &Value| -> Vec<(String, String)> {
        v["providers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["name"].as_str().unwrap().into(), p["kind"].as_str().unwrap().into()))
            .collect()
    };
    assert!(listed(&added).contains(&("work".into(), "azure".into())), "{added}");
    let on_disk: Value = serde_json::from_slice(&std::fs::read(rig.settings_path()).unwrap()).unwrap();
    assert_eq!(on_disk["providers"][1]["deployment"], "images");
    assert_eq!(on_disk["window"]["width"], 1280);

    let e = rig.call("add_provider", json!({"provider": work})).unwrap_err();
    assert!(e.as_str().unwrap().contains("already exists"), "{e}");
    let bad = json!({"name": "x", "kind": "compatible", "base_url": "localhost:8080"});
    let e = rig.call("add_provider", json!({"provider": bad})).unwrap_err();
    assert!(e.as_str().unwrap().contains("https://"), "{e}");
    let e = rig.call("remove_provider", json!({"name": rig.provider})).unwrap_err();
    assert!(e.as_str().unwrap().contains("default provider"), "{e}");

    let removed = rig.ok("remove_provider", json!({"name": "work"}));
    assert!(!listed(&removed).iter().any(|(n, _)| n == "work"), "{removed}");
}

#[test]
fn a_new_library_folder_is_opened_at_once_and_the_gallery_is_told_to_reload() {
    let rig = Rig::new();
    add(&rig.library(), "in the first library", "gpt-image-2", 1);
    assert_eq!(rig.ok("gallery_page", json!({"query": {}}))["total"], 1);
    let (tx, rx) = mpsc::channel::<String>();
    rig.app.listen_any(LIBRARY_EVENT, move |event| {
        let _ = tx.send(event.payload().to_string());
    });
    easel_studio::forward_library_events(rig.app.handle().clone());
    std::thread::sleep(Duration::from_millis(300));

    let mut choices = rig.ok("settings", json!({}))["choices"].clone();
    choices["library"] = json!("relative/folder");
    let e = rig.call("save_settings", json!({"choices": choices})).unwrap_err();
    assert!(e.as_str().unwrap().contains("absolute path"), "{e}");

    let moved = rig._dir.path().join("second library");
    choices["library"] = json!(moved);
    let saved = rig.ok("save_settings", json!({"choices": choices}));
    assert_eq!(saved["library_root"], json!(moved));
    let event: Value = serde_json::from_str(&rx.recv_timeout(Duration::from_secs(2)).expect("a reload event")).unwrap();
    assert_eq!(event, json!({"kind": "reindexed"}));
    assert_eq!(
        rig.ok("gallery_page", json!({"query": {}}))["total"],
        0,
        "the new, empty library"
    );

    // changes in the new folder reach the window
    std::thread::sleep(Duration::from_millis(300));
    let id = add(
        &Library::open(&moved).unwrap(),
        "in the second library",
        "gpt-image-2",
        2,
    );
    let event: Value = serde_json::from_str(&rx.recv_timeout(Duration::from_secs(2)).expect("an add event")).unwrap();
    assert_eq!(event, json!({"kind": "image_added", "id": id}));
    assert_eq!(ids(&rig.ok("gallery_page", json!({"query": {}}))), [id]);
}

#[test]
fn file_actions_name_images_by_id_only() {
    let rig = Rig::new();
    let id = add(&rig.library(), "a file", "gpt-image-2", 1);
    for cmd in ["copy_image", "copy_image_path", "reveal_image"] {
        let e = rig.call(cmd, json!({"id": "/etc/passwd"})).unwrap_err();
        assert!(e.as_str().unwrap().contains("/etc/passwd"), "{cmd}: {e}");
    }
    // the mock app has no clipboard plugin: a clear refusal, not a panic
    let e = rig.call("copy_image_path", json!({"id": id})).unwrap_err();
    assert!(e.as_str().unwrap().contains("clipboard is not available"), "{e}");
}
