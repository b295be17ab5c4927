//! MCP image calls as jobs: a call that outlives wait_seconds hands out its job id and keeps going;
//! wait_job / cancel_job / request cancellation; progress notifications while a tool waits; the tools
//! added with them (create_variation, end_session), prompts and list_changed notifications.

mod common;

use std::time::{Duration, Instant};

use common::mcp::*;
use fake_openai::Fault;
use rmcp::model::GetPromptRequestParams;
use serde_json::json;

#[tokio::test]
async fn a_call_that_outlives_wait_seconds_hands_out_its_job_and_wait_job_delivers() {
    let env = Env::new().await;
    let peer = env.connect(true).await;
    env.fake.push_fault(Fault::Delay { ms: 2500 });
    let started = Instant::now();
    let first = call(
        &peer,
        "generate_image",
        json!({"prompt": "a slow lighthouse", "wait_seconds": 1}),
    )
    .await;
    assert!(!is_error(&first), "{}", text(&first));
    assert!(
        started.elapsed() < Duration::from_millis(2000),
        "answered after {:?}",
        started.elapsed()
    );
    assert!(text(&first).contains("wait_job"), "{}", text(&first));
    assert_eq!(count(&first, |c| c.as_image().is_some()), 0);
    let id = job_id(&text(&first));
    assert!(["running", "queued"].contains(&job_state(&peer, &id).await.as_str()));

    let done = call(&peer, "wait_job", json!({ "id": id, "wait_seconds": 20 })).await;
    assert!(!is_error(&done), "{}", text(&done));
    let images = image_ids(&done);
    assert_eq!(images.len(), 1, "{}", text(&done));
    assert_eq!(count(&done, |c| c.as_image().is_some()), 1, "one preview");
    assert_eq!(job_state(&peer, &id).await, "done");

    // Delivered once: a second wait reads the finished job from the library and gives the same images.
    let again = call(&peer, "wait_job", json!({ "id": id, "return": "link" })).await;
    assert!(!is_error(&again), "{}", text(&again));
    assert_eq!(image_ids(&again), images);
    assert_eq!(count(&again, |c| c.as_image().is_some()), 0);

    let unknown = call(&peer, "wait_job", json!({ "id": "j_nope" })).await;
    expect_error(&unknown, "j_nope");
}

#[tokio::test]
async fn progress_notifications_arrive_while_a_tool_waits() {
    let env = Env::new().await;
    let recorder = Recorder::default();
    let peer = env.connect_with(true, recorder.clone()).await;
    env.fake.push_fault(Fault::Delay { ms: 4500 });
    let result = call(&peer, "generate_image", json!({"prompt": "progress please"})).await;
    assert!(!is_error(&result), "{}", text(&result));
    let notes = recorder.progress.lock().unwrap().clone();
    // A heartbeat at least every 2 s over ~4.5 s, besides the stage changes.
    assert!(notes.len() >= 3, "{notes:?}");
    assert!(
        notes.windows(2).all(|w| w[1].progress > w[0].progress),
        "progress increases: {notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.message.as_deref().is_some_and(|m| m.starts_with("running"))),
        "{notes:?}"
    );
}

#[tokio::test]
async fn streamed_partials_are_reported_as_progress() {
    let env = Env::new().await;
    let recorder = Recorder::default();
    let peer = env.connect_with(true, recorder.clone()).await;
    let result = call(
        &peer,
        "generate_image",
        json!({"prompt": "partials", "partial_images": 2}),
    )
    .await;
    assert!(!is_error(&result), "{}", text(&result));
    let messages: Vec<String> = recorder
        .progress
        .lock()
        .unwrap()
        .iter()
        .filter_map(|n| n.message.clone())
        .collect();
    for want in ["partial image 1/2", "partial image 2/2"] {
        assert!(
            messages.iter().any(|m| m.starts_with(want)),
            "{want} not in {messages:?}"
        );
    }
    let bad = call(&peer, "generate_image", json!({"prompt": "x", "partial_images": 9})).await;
    assert!(is_error(&bad), "{}", text(&bad));
}

#[tokio::test]
async fn cancelling_the_request_stops_the_upstream_call() {
    let env = Env::new().await;
    let peer = env.connect(true).await;
    cancel_a_slow_call(&peer, &env.fake).await;
    assert!(env.library_files().is_empty(), "nothing saved");
}

#[tokio::test]
async fn cancel_job_stops_a_handed_off_job() {
    let env = Env::new().await;
    let peer = env.connect(true).await;
    env.fake.push_fault(Fault::Delay { ms: 30_000 });
    let first = call(
        &peer,
        "generate_image",
        json!({"prompt": "too slow", "wait_seconds": 0}),
    )
    .await;
    let id = job_id(&text(&first));
    let started = Instant::now();
    let cancelled = call(&peer, "cancel_job", json!({ "id": id })).await;
    assert!(!is_error(&cancelled), "{}", text(&cancelled));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(cancelled.structured_content.unwrap()["state"], "cancelled");
    let waited = call(&peer, "wait_job", json!({ "id": id })).await;
    expect_error(&waited, "cancelled");
    let twice = call(&peer, "cancel_job", json!({ "id": id })).await;
    assert!(
        !is_error(&twice),
        "cancelling a finished job is harmless: {}",
        text(&twice)
    );
    assert!(env.library_files().is_empty(), "nothing saved");
}

#[tokio::test]
async fn create_variation_and_end_session() {
    let env = Env::new().await;
    let peer = env.connect(true).await;
    let session = call(&peer, "start_session", json!({"name": "variations"})).await;
    let sid = session.structured_content.unwrap()["id"].as_str().unwrap().to_string();
    let square = data_url(&png(256, 256, 255));
    let made = call(
        &peer,
        "create_variation",
        json!({"image": square, "n": 2, "size": "256x256", "session_id": sid}),
    )
    .await;
    assert!(!is_error(&made), "{}", text(&made));
    assert_eq!(image_ids(&made).len(), 2);
    let request = env.fake.requests().into_iter().last().unwrap();
    assert_eq!(request.path, "/v1/images/variations");

    let not_square = call(
        &peer,
        "create_variation",
        json!({"image": data_url(&png(300, 200, 255))}),
    )
    .await;
    expect_error(&not_square, "square");

    let ended = call(&peer, "end_session", json!({ "id": sid })).await;
    assert!(!is_error(&ended), "{}", text(&ended));
    assert_eq!(ended.structured_content.unwrap()["archived"], true);
    let listed = call(&peer, "list_sessions", json!({})).await;
    assert!(!text(&listed).contains(&sid), "an ended session is not listed");
    let tree = call(&peer, "get_session", json!({ "id": sid })).await;
    assert!(!is_error(&tree), "an ended session can still be read");
    expect_error(&call(&peer, "end_session", json!({"id": "s_nope"})).await, "s_nope");
}

#[tokio::test]
async fn prompts_are_listed_and_filled_in() {
    let env = Env::new().await;
    let peer = env.connect(true).await;
    let prompts = peer.list_all_prompts().await.unwrap();
    let names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
    assert!(
        names.contains(&"create_image") && names.contains(&"refine_image"),
        "{names:?}"
    );
    let args = json!({"idea": "a red kite over dunes"}).as_object().unwrap().clone();
    let got = peer
        .get_prompt(GetPromptRequestParams::new("create_image").with_arguments(args))
        .await
        .unwrap();
    let body = serde_json::to_string(&got.messages).unwrap();
    assert!(
        body.contains("a red kite over dunes") && body.contains("generate_image"),
        "{body}"
    );
    let missing = peer.get_prompt(GetPromptRequestParams::new("refine_image")).await;
    assert!(missing.is_err(), "a missing required argument is refused");
}

#[tokio::test]
async fn list_changed_follows_images_made_by_another_process() {
    let env = Env::new().await;
    let recorder = Recorder::default();
    let _peer = env.connect_with(true, recorder.clone()).await;
    // Let the server's change feed start before the other process writes.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let out = common::easel_cmd(&env.fake, &env.library_root(), &env.settings())
        .args(["generate", "made by the CLI"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let deadline = Instant::now() + Duration::from_secs(2);
    while *recorder.list_changed.lock().unwrap() == 0 {
        assert!(
            Instant::now() < deadline,
            "no list_changed within 2 s of the CLI's image"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn identical_requests_are_answered_from_the_cache_only_when_enabled() {
    let generations = |env: &Env| {
        env.fake
            .requests()
            .iter()
            .filter(|r| r.path == "/v1/images/generations")
            .count()
    };
    let env = Env::with_settings(json!({"mcp": {"cache_requests": true}})).await;
    let peer = env.connect(true).await;
    let ask = json!({"prompt": "a cached fox", "size": "1024x1024", "return": "link"});
    let first = call(&peer, "generate_image", ask.clone()).await;
    let ids = image_ids(&first);
    let again = call(&peer, "generate_image", ask.clone()).await;
    assert!(!is_error(&again), "{}", text(&again));
    assert_eq!(image_ids(&again), ids);
    assert!(text(&again).contains("request cache"), "{}", text(&again));
    assert_eq!(generations(&env), 1, "the second call was not sent");

    let other_size = call(
        &peer,
        "generate_image",
        json!({"prompt": "a cached fox", "size": "1536x1024"}),
    )
    .await;
    assert_ne!(image_ids(&other_size), ids, "another parameter is another request");
    let sid = call(&peer, "start_session", json!({"name": "s"}))
        .await
        .structured_content
        .unwrap()["id"]
        .clone();
    let mut in_session = ask.clone();
    in_session["session_id"] = sid;
    call(&peer, "generate_image", in_session).await;
    assert_eq!(generations(&env), 3, "a session turn is always a new call");

    let stats = call(&peer, "cache_stats", json!({})).await.structured_content.unwrap();
    assert_eq!(
        (
            stats["enabled"].clone(),
            stats["entries"].clone(),
            stats["hits"].clone()
        ),
        (json!(true), json!(2), json!(1))
    );
    assert!(stats["saved_usd"].as_f64().unwrap() > 0.0);

    // A trashed image no longer answers.
    call(&peer, "delete_image", json!({ "id": ids[0] })).await;
    let after_trash = call(&peer, "generate_image", ask.clone()).await;
    assert_ne!(image_ids(&after_trash), ids);
    assert_eq!(generations(&env), 4);

    let cleared = call(&peer, "clear_cache", json!({})).await.structured_content.unwrap();
    assert_eq!(cleared["entries"], 0);
    call(&peer, "generate_image", ask.clone()).await;
    assert_eq!(generations(&env), 5, "cleared: a new call");

    let off = Env::new().await;
    let peer = off.connect(true).await;
    call(&peer, "generate_image", ask.clone()).await;
    call(&peer, "generate_image", ask).await;
    assert_eq!(generations(&off), 2, "off by default");
    let stats = call(&peer, "cache_stats", json!({})).await.structured_content.unwrap();
    assert_eq!(stats["enabled"], false);
}
