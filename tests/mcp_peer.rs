//! What the MCP server asks of its client, only when the client declared it (elicitation to confirm an
//! expensive call, sampling to enhance a prompt, roots to save a copy), and the inputs that reach
//! outside the library: https URLs behind the SSRF guard, and masks of another size.

mod common;

use std::time::Duration;

use common::mcp::*;
use rmcp::model::{ClientCapabilities, ElicitationCapability, RootsCapabilities, SamplingCapability};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn declaring(elicitation: bool, sampling: bool, roots: bool) -> Recorder {
    let mut capabilities = ClientCapabilities::default();
    if elicitation {
        capabilities.elicitation = Some(ElicitationCapability::default());
    }
    if sampling {
        capabilities.sampling = Some(SamplingCapability::default());
    }
    if roots {
        capabilities.roots = Some(RootsCapabilities::default());
    }
    Recorder {
        capabilities,
        ..Recorder::default()
    }
}

fn requests(recorder: &Recorder) -> Vec<String> {
    recorder.requests.lock().unwrap().clone()
}

fn image_posts(env: &Env) -> usize {
    env.fake
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v1/images"))
        .count()
}

#[tokio::test]
async fn an_expensive_call_is_confirmed_only_with_a_client_that_can_ask() {
    // Every call is "expensive" with a zero threshold.
    let env = Env::with_settings(json!({"mcp": {"confirm_above_usd": 0.0}})).await;

    let declines = Recorder {
        confirm: false,
        ..declaring(true, false, false)
    };
    let peer = env.connect_with(true, declines.clone()).await;
    let refused = call(&peer, "generate_image", json!({"prompt": "a costly castle"})).await;
    expect_error(&refused, "cancelled");
    assert_eq!(requests(&declines), ["elicitation/create"]);
    assert_eq!(image_posts(&env), 0, "nothing sent after a no");

    let accepts = Recorder {
        confirm: true,
        ..declaring(true, false, false)
    };
    let peer = env.connect_with(true, accepts.clone()).await;
    let made = call(&peer, "generate_image", json!({"prompt": "a costly castle"})).await;
    assert!(!is_error(&made), "{}", text(&made));
    assert_eq!(requests(&accepts), ["elicitation/create"]);

    let silent = declaring(false, false, false);
    let peer = env.connect_with(true, silent.clone()).await;
    let made = call(&peer, "generate_image", json!({"prompt": "a costly castle"})).await;
    assert!(!is_error(&made), "{}", text(&made));
    assert!(requests(&silent).is_empty(), "never asked: {:?}", requests(&silent));
}

#[tokio::test]
async fn enhance_prompt_uses_the_clients_model_only_when_it_offers_sampling() {
    let env = Env::new().await;
    let sampler = Recorder {
        sampled: "A lighthouse at dusk, long exposure, teal and amber".into(),
        ..declaring(false, true, false)
    };
    let peer = env.connect_with(true, sampler.clone()).await;
    let made = call(
        &peer,
        "generate_image",
        json!({"prompt": "lighthouse", "enhance_prompt": true}),
    )
    .await;
    assert!(!is_error(&made), "{}", text(&made));
    assert_eq!(requests(&sampler), ["sampling/createMessage"]);
    let sent = env
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/images/generations")
        .unwrap();
    assert_eq!(
        sent.json.unwrap()["prompt"],
        "A lighthouse at dusk, long exposure, teal and amber"
    );

    let plain = declaring(false, false, false);
    let peer = env.connect_with(true, plain.clone()).await;
    let refused = call(
        &peer,
        "generate_image",
        json!({"prompt": "lighthouse", "enhance_prompt": true}),
    )
    .await;
    expect_error(&refused, "sampling");
    assert!(requests(&plain).is_empty());
}

#[tokio::test]
async fn save_to_copies_into_the_first_root_and_never_outside_it() {
    let env = Env::new().await;
    let workspace = tempfile::tempdir().unwrap();
    let url = format!("file://{}", workspace.path().display());
    let with_roots = Recorder {
        roots: vec![url],
        ..declaring(false, false, true)
    };
    let peer = env.connect_with(true, with_roots.clone()).await;
    let made = call(
        &peer,
        "generate_image",
        json!({"prompt": "a copy for me", "save_to": "assets/img"}),
    )
    .await;
    assert!(!is_error(&made), "{}", text(&made));
    assert!(text(&made).contains("Copied to your workspace"), "{}", text(&made));
    let copies: Vec<_> = std::fs::read_dir(workspace.path().join("assets/img"))
        .unwrap()
        .collect();
    assert_eq!(copies.len(), 1);
    assert_eq!(requests(&with_roots), ["roots/list"]);

    let escape = call(&peer, "generate_image", json!({"prompt": "x", "save_to": "../outside"})).await;
    expect_error(&escape, "inside the workspace");

    let without = declaring(false, false, false);
    let peer = env.connect_with(true, without.clone()).await;
    let made = call(
        &peer,
        "generate_image",
        json!({"prompt": "no roots here", "save_to": "assets"}),
    )
    .await;
    assert!(!is_error(&made), "the images are still made: {}", text(&made));
    assert!(text(&made).contains("did not declare"), "{}", text(&made));
    assert!(requests(&without).is_empty());
}

/// A one-shot HTTP server on 127.0.0.1 that answers every request with `body` (or claims `length`).
async fn serve_once(body: Vec<u8>, length: Option<usize>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    length.unwrap_or(body.len())
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{addr}/input.png")
}

#[tokio::test]
async fn urls_are_fetched_only_from_public_https_hosts_unless_allowed() {
    let url = serve_once(png(64, 64, 255), None).await;

    let guarded = Env::new().await;
    let peer = guarded.connect(true).await;
    let refused = call(&peer, "edit_image", json!({"prompt": "x", "images": [url]})).await;
    expect_error(&refused, "only https");
    let https_local = url.replace("http://", "https://");
    let refused = call(&peer, "edit_image", json!({"prompt": "x", "images": [https_local]})).await;
    expect_error(&refused, "internal addresses");
    let metadata = call(
        &peer,
        "edit_image",
        json!({"prompt": "x", "images": ["https://169.254.169.254/latest/meta-data"]}),
    )
    .await;
    expect_error(&metadata, "internal addresses");
    assert_eq!(image_posts(&guarded), 0);

    let allowed = Env::with_settings(json!({"mcp": {"allow_private_urls": true}})).await;
    let peer = allowed.connect(true).await;
    let edited = call(&peer, "edit_image", json!({"prompt": "recolour", "images": [url]})).await;
    assert!(!is_error(&edited), "{}", text(&edited));
    let sent = allowed
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/images/edits")
        .unwrap();
    assert!(
        sent.parts
            .iter()
            .any(|p| p.name.starts_with("image") && p.data.len() > 100)
    );

    let huge = serve_once(vec![0u8; 1024], Some(60 * 1024 * 1024)).await;
    let refused = tokio::time::timeout(
        Duration::from_secs(10),
        call(&peer, "edit_image", json!({"prompt": "x", "images": [huge]})),
    )
    .await
    .expect("refused without reading 60 MB");
    expect_error(&refused, "larger than 50 MB");
}

#[tokio::test]
async fn a_mask_of_another_size_is_refused_or_resized_on_request() {
    let env = Env::new().await;
    let peer = env.connect(true).await;
    let image = data_url(&png(256, 256, 255));
    let small_mask = data_url(&png(128, 128, 0));
    let refused = call(
        &peer,
        "edit_image",
        json!({"prompt": "x", "images": [image], "mask": small_mask}),
    )
    .await;
    expect_error(&refused, "resize_mask");
    let edited = call(
        &peer,
        "edit_image",
        json!({"prompt": "x", "images": [image], "mask": small_mask, "resize_mask": true}),
    )
    .await;
    assert!(!is_error(&edited), "{}", text(&edited));
    let sent = env
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/images/edits")
        .unwrap();
    let mask = sent.parts.iter().find(|p| p.name == "mask").expect("mask sent");
    let decoded = image::load_from_memory(&mask.data).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (256, 256));
}
