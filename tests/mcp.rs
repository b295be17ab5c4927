//! The MCP server: every tool through a real rmcp client (in process over a duplex pipe, and the real
//! `easel mcp` binary over stdio) against fake-openai. Domain failures must come back as tool errors
//! with a message the model can act on; image results must stay small and carry one preview.

mod common;

use std::path::PathBuf;

use common::mcp::*;
use easel::library::Library;
use fake_openai::Fault;
use rmcp::ServiceExt;
use rmcp::model::{ReadResourceRequestParams, ResourceContents};
use serde_json::{Value, json};

#[tokio::test]
async fn generate_returns_text_one_link_one_preview_under_1_mb() {
    let env = Env::new().await;
    let peer = env.connect(true).await;
    let result = call(
        &peer,
        "generate_image",
        json!({"prompt": "a lighthouse at dusk", "quality": "low"}),
    )
    .await;
    assert!(!is_error(&result), "{}", text(&result));
    assert_eq!(count(&result, |c| c.as_image().is_some()), 1, "one inline preview");
    assert_eq!(
        count(&result, |c| c.as_resource_link().is_some()),
        1,
        "one resource link"
    );
    assert!(
        result.structured_content.is_none(),
        "no structuredContent on image tools"
    );
    let size = serde_json::to_vec(&result).unwrap().len();
    assert!(size < 1_000_000, "result is {size} bytes");
    let preview = result.content.iter().find_map(|c| c.as_image()).unwrap();
    assert_eq!(preview.mime_type, "image/jpeg");
    let link = result.content.iter().find_map(|c| c.as_resource_link()).unwrap();
    assert_eq!(link.mime_type.as_deref(), Some("image/png"));
    let id = &image_ids(&result)[0];
    let body = text(&result);
    let record = Library::open(&env.library_root()).unwrap().get(id).unwrap();
    assert!(record.path.is_file());
    for needle in [
        id.as_str(),
        &record.path.display().to_string(),
        "1024x1024",
        "gpt-image",
        "$0.",
    ] {
        assert!(body.contains(needle), "'{needle}' not in: {body}");
    }
}

/// The preview is made while the answer arrives when the look-ahead can read it, else from the parsed
/// image: either way, the same bytes as a preview of the saved file.
#[tokio::test]
async fn the_preview_is_the_same_whether_made_while_the_image_arrived_or_after() {
    let env = Env::new().await;
    let peer = env.connect(true).await;
    let library = Library::open(&env.library_root()).unwrap();
    for fault in [None, Some(Fault::EscapedSlashes)] {
        env.fake.push_faults(fault.clone());
        let result = call(
            &peer,
            "generate_image",
            json!({"prompt": "a harbour", "size": "1024x1024"}),
        )
        .await;
        assert!(!is_error(&result), "{}", text(&result));
        let preview = result.content.iter().find_map(|c| c.as_image()).unwrap();
        let file = std::fs::read(library.get(&image_ids(&result)[0]).unwrap().path).unwrap();
        assert_eq!(
            easel::imaging::decode_base64(&preview.data).unwrap(),
            easel::thumbs::preview(&file).unwrap().bytes,
            "{fault:?}"
        );
    }
}

#[tokio::test]
async fn return_link_sends_no_pixels_and_full_sends_the_original() {
    let env = Env::new().await;
    let peer = env.connect(true).await;
    let link = call(&peer, "generate_image", json!({"prompt": "a kite", "return": "link"})).await;
    assert!(!is_error(&link), "{}", text(&link));
    assert_eq!(count(&link, |c| c.as_image().is_some()), 0);
    assert_eq!(count(&link, |c| c.as_resource_link().is_some()), 1);

    let full = call(&peer, "generate_image", json!({"prompt": "a kite", "return": "full"})).await;
    let image = full.content.iter().find_map(|c| c.as_image()).unwrap();
    assert_eq!(image.mime_type, "image/png");
    let id = &image_ids(&full)[0];
    let on_disk = std::fs::read(Library::open(&env.library_root()).unwrap().get(id).unwrap().path).unwrap();
    assert_eq!(
        easel::imaging::decode_base64(&image.data).unwrap(),
        on_disk,
        "the original bytes"
    );
}

#[tokio::test]
async fn domain_failures_are_actionable_tool_errors() {
    let env = Env::new().await;
    let peer = env.connect(true).await;
    let bad_size = call(
        &peer,
        "generate_image",
        json!({"prompt": "x", "model": "gpt-image-1", "size": "1000x7"}),
    )
    .await;
    expect_error(&bad_size, "size");
    let bad_quality = call(&peer, "generate_image", json!({"prompt": "x", "quality": "ultra"})).await;
    expect_error(&bad_quality, "low");
    assert!(env.fake.requests().is_empty(), "nothing sent for bad parameters");

    env.fake.push_fault(Fault::ModerationBlocked);
    let blocked = call(&peer, "generate_image", json!({"prompt": "something"})).await;
    expect_error(&blocked, "rephrase the prompt");

    for (tool, args) in [
        ("get_image", json!({"id": "nope"})),
        ("star_image", json!({"id": "nope", "starred": true})),
        ("delete_image", json!({"id": "nope"})),
        ("get_session", json!({"id": "s_nope"})),
        ("get_job", json!({"id": "j_nope"})),
    ] {
        expect_error(&call(&peer, tool, args).await, "nope");
    }
    let unknown_turn = call(&peer, "generate_image", json!({"prompt": "x", "from_turn": "t_nope"})).await;
    expect_error(&unknown_turn, "no turn with id 't_nope'");
}

#[tokio::test]
async fn missing_key_says_how_to_set_one() {
    let env = Env::with_settings(json!({
        "providers": [{"name": "nokey-test", "kind": "compatible", "base_url": "http://127.0.0.1:9/v1",
                       "api_key_env": "EASEL_TEST_NO_SUCH_KEY"}],
        "default_provider": "nokey-test"
    }))
    .await;
    let peer = env.connect(false).await;
    let result = call(&peer, "generate_image", json!({"prompt": "a cat"})).await;
    expect_error(&result, "easel keys set nokey-test");

    let status = call(&peer, "provider_status", json!({})).await;
    let providers = status.structured_content.unwrap()["providers"].clone();
    let p = providers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "nokey-test")
        .unwrap()
        .clone();
    assert_eq!(p["key_found"], false);
    assert!(
        p["key_source"].as_str().unwrap().contains("EASEL_TEST_NO_SUCH_KEY"),
        "{p}"
    );
}

#[tokio::test]
async fn budget_cap_refuses_before_sending() {
    let env = Env::with_settings(json!({"budget": {"daily_usd": 0.000_01}})).await;
    let peer = env.connect(true).await;
    let result = call(&peer, "generate_image", json!({"prompt": "an expensive painting"})).await;
    expect_error(&result, "budget");
    assert!(env.fake.requests().is_empty());
    let usage = call(&peer, "get_usage", json!({})).await;
    assert_eq!(usage.structured_content.unwrap()["daily_cap_usd"], 0.000_01);
}

#[tokio::test]
async fn search_get_star_delete_and_jobs_send_structured_content() {
    let env = Env::new().await;
    let peer = env.connect(true).await;
    let made = call(
        &peer,
        "generate_image",
        json!({"prompt": "orange tabby cat on a windowsill"}),
    )
    .await;
    let id = image_ids(&made)[0].clone();
    call(
        &peer,
        "generate_image",
        json!({"prompt": "a blue bicycle", "return": "link"}),
    )
    .await;

    let found = call(&peer, "search_images", json!({"query": "tabby"})).await;
    assert!(!is_error(&found));
    let images = found.structured_content.clone().unwrap()["images"].clone();
    assert_eq!(images.as_array().unwrap().len(), 1, "{images}");
    assert_eq!(images[0]["id"], id.as_str());
    assert_eq!(images[0]["uri"], format!("easel://image/{id}"));

    let got = call(&peer, "get_image", json!({"id": id})).await;
    assert_eq!(
        got.structured_content.unwrap()["prompt"],
        "orange tabby cat on a windowsill"
    );

    let starred = call(&peer, "star_image", json!({"id": id, "starred": true})).await;
    assert_eq!(starred.structured_content.unwrap()["starred"], true);
    let only_starred = call(&peer, "search_images", json!({"starred": true})).await;
    assert_eq!(
        only_starred.structured_content.unwrap()["images"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let deleted = call(&peer, "delete_image", json!({"id": id})).await;
    assert_eq!(deleted.structured_content.unwrap()["trashed"], true);
    let after = call(&peer, "search_images", json!({"query": "tabby"})).await;
    assert!(
        after.structured_content.unwrap()["images"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let jobs = call(&peer, "list_jobs", json!({})).await.structured_content.unwrap();
    let jobs = jobs["jobs"].as_array().unwrap().clone();
    assert_eq!(jobs.len(), 2);
    assert!(jobs.iter().all(|j| j["state"] == "done"), "{jobs:?}");
    let job = call(&peer, "get_job", json!({"id": jobs[0]["id"]})).await;
    assert_eq!(job.structured_content.unwrap()["kind"], "generate");

    let usage = call(&peer, "get_usage", json!({})).await.structured_content.unwrap();
    assert!(usage["today_usd"].as_f64().unwrap() > 0.0, "{usage}");
    let estimate = call(
        &peer,
        "estimate_cost",
        json!({"prompt": "x", "quality": "high", "n": 2}),
    )
    .await;
    let estimate = estimate.structured_content.unwrap();
    assert!(
        estimate["usd"].as_f64().unwrap() > 0.0 && estimate["n"] == 2,
        "{estimate}"
    );
    expect_error(&call(&peer, "estimate_cost", json!({"size": "banana"})).await, "size");
}

#[tokio::test]
async fn sessions_continue_from_any_turn_and_branch() {
    let env = Env::new().await;
    let peer = env.connect(true).await;
    let session = call(&peer, "start_session", json!({"name": "bakery logo"})).await;
    let sid = session.structured_content.unwrap()["id"].as_str().unwrap().to_string();
    let empty = call(
        &peer,
        "continue_session",
        json!({"session_id": sid, "prompt": "warmer"}),
    )
    .await;
    expect_error(&empty, "has no turns yet");

    let first = call(
        &peer,
        "generate_image",
        json!({"prompt": "a croissant logo", "session_id": sid}),
    )
    .await;
    assert!(text(&first).contains(&sid), "{}", text(&first));
    let second = call(
        &peer,
        "continue_session",
        json!({"session_id": sid, "prompt": "make it golden"}),
    )
    .await;
    assert!(!is_error(&second), "{}", text(&second));
    assert_eq!(count(&second, |c| c.as_image().is_some()), 1);

    let tree = call(&peer, "get_session", json!({"id": sid}))
        .await
        .structured_content
        .unwrap();
    let turns = tree["turns"].as_array().unwrap().clone();
    assert_eq!(turns.len(), 2);
    let t1 = turns[0]["id"].as_str().unwrap().to_string();
    assert_eq!(turns[1]["parent_id"], t1.as_str());
    assert_eq!(turns[1]["inputs"][0], turns[0]["images"][0], "edits the parent's image");

    let branch = call(
        &peer,
        "continue_session",
        json!({"session_id": sid, "prompt": "blue", "from_turn": t1}),
    )
    .await;
    assert!(!is_error(&branch), "{}", text(&branch));
    let children = children_of(&peer, &sid, &t1).await;
    assert_eq!(children, 2, "a branch from turn 1");

    let listed = call(&peer, "list_sessions", json!({}))
        .await
        .structured_content
        .unwrap();
    assert_eq!(listed["sessions"][0]["turns"], 3);
}

#[tokio::test]
async fn edit_takes_ids_paths_data_urls_and_checks_the_mask() {
    let env = Env::new().await;
    let peer = env.connect(true).await;
    let made = call(&peer, "generate_image", json!({"prompt": "a room", "return": "link"})).await;
    let id = image_ids(&made)[0].clone();
    let path = env.dir.path().join("input photo.png");
    std::fs::write(&path, png(1024, 1024, 255)).unwrap();

    let wrong_mask = call(
        &peer,
        "edit_image",
        json!({"prompt": "add a plant", "images": [id], "mask": data_url(&png(64, 64, 255))}),
    )
    .await;
    expect_error(&wrong_mask, "the mask is 64x64 but the first image is 1024x1024");

    let file_url = format!("file://{}", path.display().to_string().replace(' ', "%20"));
    let edited = call(
        &peer,
        "edit_image",
        json!({"prompt": "add a plant", "images": [id, path.display().to_string(), file_url],
               "mask": data_url(&png(1024, 1024, 255))}),
    )
    .await;
    assert!(!is_error(&edited), "{}", text(&edited));
    assert_eq!(count(&edited, |c| c.as_image().is_some()), 1);

    let raw = easel::imaging::encode_base64(&png(1024, 1024, 255));
    let from_base64 = call(
        &peer,
        "edit_image",
        json!({"prompt": "night", "images": [raw], "return": "link"}),
    )
    .await;
    assert!(!is_error(&from_base64), "{}", text(&from_base64));

    expect_error(
        &call(&peer, "edit_image", json!({"prompt": "x", "images": ["not-an-id"]})).await,
        "not a library image id",
    );
    expect_error(
        &call(&peer, "edit_image", json!({"prompt": "x", "images": ["rel/a.png"]})).await,
        "cannot read image",
    );
    // A relative path is taken from the server's working directory (a project folder for Claude Code).
    let on_disk = env.dir.path().join("relative.png");
    std::fs::write(&on_disk, png(512, 512, 255)).unwrap();
    let cwd = std::env::current_dir().unwrap();
    let ups = cwd.components().count() - 1;
    let relative = format!("{}{}", "../".repeat(ups), on_disk.strip_prefix("/").unwrap().display());
    let from_relative = call(
        &peer,
        "edit_image",
        json!({"prompt": "dusk", "images": [relative], "return": "link"}),
    )
    .await;
    assert!(!is_error(&from_relative), "{}", text(&from_relative));
    expect_error(
        &call(&peer, "edit_image", json!({"prompt": "x", "images": []})).await,
        "images is empty",
    );
}

#[tokio::test]
async fn resources_read_images_previews_and_sessions() {
    let env = Env::new().await;
    let peer = env.connect(true).await;
    let session = call(&peer, "start_session", json!({"name": "r"}))
        .await
        .structured_content
        .unwrap();
    let sid = session["id"].as_str().unwrap().to_string();
    let made = call(
        &peer,
        "generate_image",
        json!({"prompt": "a hill", "session_id": sid, "return": "link"}),
    )
    .await;
    let id = image_ids(&made)[0].clone();

    let templates = peer.list_resource_templates(None).await.unwrap().resource_templates;
    let uris: Vec<_> = templates.iter().map(|t| t.uri_template.as_str()).collect();
    assert_eq!(
        uris,
        [
            "easel://image/{id}",
            "easel://image/{id}/preview",
            "easel://session/{id}"
        ]
    );
    let recent = peer.list_resources(None).await.unwrap().resources;
    assert_eq!(recent[0].uri, format!("easel://image/{id}"));

    let read = |uri: String| {
        let peer = &peer;
        async move { peer.read_resource(ReadResourceRequestParams::new(uri)).await }
    };
    let full = read(format!("easel://image/{id}")).await.unwrap();
    let ResourceContents::BlobResourceContents { mime_type, blob, .. } = &full.contents[0] else {
        panic!()
    };
    assert_eq!(mime_type.as_deref(), Some("image/png"));
    assert!(easel::imaging::decode_base64(blob).unwrap().starts_with(b"\x89PNG"));
    let preview = read(format!("easel://image/{id}/preview")).await.unwrap();
    let ResourceContents::BlobResourceContents { mime_type, .. } = &preview.contents[0] else {
        panic!()
    };
    assert_eq!(mime_type.as_deref(), Some("image/jpeg"));
    let tree = read(format!("easel://session/{sid}")).await.unwrap();
    let ResourceContents::TextResourceContents { text, .. } = &tree.contents[0] else {
        panic!()
    };
    assert!(text.contains(&id), "{text}");
    assert!(read("easel://image/nope".into()).await.is_err());
}

#[tokio::test]
async fn tools_list_matches_the_snapshot() {
    let env = Env::new().await;
    let peer = env.connect(true).await;
    let mut tools = peer.list_all_tools().await.unwrap();
    tools.sort_by(|a, b| a.name.cmp(&b.name));
    for t in &tools {
        assert!(
            t.title.is_some() && t.description.is_some() && t.annotations.is_some(),
            "{}",
            t.name
        );
    }
    let structured = [
        "search_images",
        "get_image",
        "list_sessions",
        "get_session",
        "get_job",
        "list_jobs",
    ];
    for t in &tools {
        let image_tool = t.name.ends_with("_image") && !["get_image", "star_image", "delete_image"].contains(&&*t.name)
            || ["continue_session", "create_variation", "wait_job"].contains(&&*t.name);
        assert_eq!(
            t.output_schema.is_none(),
            image_tool,
            "{}: outputSchema only on non-image tools",
            t.name
        );
    }
    assert!(structured.iter().all(|s| tools.iter().any(|t| t.name == *s)));
    let snapshot: Value = tools
        .iter()
        .map(|t| (t.name.to_string(), Value::Object((*t.input_schema).clone())))
        .collect::<serde_json::Map<_, _>>()
        .into();
    let rendered = serde_json::to_string_pretty(&snapshot).unwrap() + "\n";
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/snapshots/mcp_tools.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing: run with UPDATE_SNAPSHOTS=1 to write it", path.display()));
    assert!(
        expected == rendered,
        "tools/list changed; if intended, run `UPDATE_SNAPSHOTS=1 cargo test -p easel --test mcp` and review the diff.\nnow:\n{rendered}"
    );
}

#[tokio::test]
async fn the_easel_mcp_binary_serves_stdio() {
    use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
    let env = Env::new().await;
    // rmcp's child transport replaces stdin/stdout with its own pipes.
    let command = common::easel_cmd(&env.fake, &env.library_root(), &env.settings()).configure(|cmd| {
        cmd.arg("mcp");
    });
    let peer = ().serve(TokioChildProcess::new(command).unwrap()).await.expect("initialize");
    let info = peer.peer_info().expect("server info");
    assert_eq!(info.server_info.as_ref().map(|s| s.name.as_str()), Some("easel"));
    let tools = peer.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "generate_image"));
    let result = call(&peer, "generate_image", json!({"prompt": "a paper boat"})).await;
    assert!(!is_error(&result), "{}", text(&result));
    let id = &image_ids(&result)[0];
    let record = Library::open(&env.library_root()).unwrap().get(id).unwrap();
    assert!(record.path.is_file());
    peer.cancel().await.unwrap();
}

/// `easel mcp` mostly waits: once a call is done and the client has been quiet for a moment, the server
/// lets go of its code pages (most of an idle server's RSS), and the next call runs as before.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn an_idle_stdio_server_answers_through_a_wide_pipe_and_lets_go_of_its_code() {
    use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
    let env = Env::new().await;
    let command = common::easel_cmd(&env.fake, &env.library_root(), &env.settings()).configure(|cmd| {
        cmd.arg("mcp");
    });
    let child = TokioChildProcess::new(command).unwrap();
    let pid = child.id().expect("pid");
    let file_rss = || {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let line = status.lines().find(|l| l.starts_with("RssFile:")).unwrap().to_owned();
        line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap()
    };
    let peer = ().serve(child).await.expect("initialize");
    // Its results go out through a widened pipe (as wide as this system lets a process make one).
    let stdout = std::fs::OpenOptions::new()
        .write(true)
        .open(format!("/proc/{pid}/fd/1"))
        .unwrap();
    // SAFETY: fcntl on an open descriptor; no memory is passed.
    let pipe = unsafe { libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(&stdout), libc::F_GETPIPE_SZ) };
    let max: i32 = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(pipe, easel::mcp::STDOUT_PIPE_BYTES.min(max));
    drop(stdout);
    let result = call(&peer, "generate_image", json!({"prompt": "a paper boat"})).await;
    assert!(!is_error(&result), "{}", text(&result));
    let busy = file_rss();
    tokio::time::sleep(easel::memory::IDLE_RELEASE + std::time::Duration::from_millis(1000)).await;
    let idle = file_rss();
    assert!(
        idle < busy / 2,
        "idle: code pages let go ({busy} kB → {idle} kB mapped from files)"
    );
    let result = call(&peer, "generate_image", json!({"prompt": "a paper boat, folded again"})).await;
    assert!(!is_error(&result), "{}", text(&result));
    assert_eq!(image_ids(&result).len(), 1);
    assert!(file_rss() > idle, "the call mapped the code it ran back in");
    peer.cancel().await.unwrap();
}

#[tokio::test]
async fn an_agent_over_the_real_stdio_process() {
    use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
    let env = Env::new().await;
    let command = common::easel_cmd(&env.fake, &env.library_root(), &env.settings()).configure(|cmd| {
        cmd.arg("mcp");
    });
    let recorder = Recorder::default();
    let peer = recorder
        .clone()
        .serve(TokioChildProcess::new(command).unwrap())
        .await
        .expect("initialize");
    agent_scenario(&peer, &recorder, &env.fake).await;
    peer.cancel().await.unwrap();
}
