//! Images API streaming.

use std::time::{Duration, Instant};

use fake_openai::{Config, FakeOpenAi};
use image::GenericImageView;
use reqwest::multipart::Form;
use serde_json::json;

use crate::common::{b64, client, decode, fake, file_part, parse_sse, png, post};

#[tokio::test]
async fn generation_stream_sends_partials_then_completed() {
    let fake = fake().await;
    let response = post(
        &fake,
        "/images/generations",
        json!({"model": "gpt-image-1", "prompt": "p", "size": "1024x1024", "stream": true, "partial_images": 2}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events = parse_sse(&response.text().await.unwrap());
    let kinds: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "image_generation.partial_image",
            "image_generation.partial_image",
            "image_generation.completed"
        ]
    );
    let mut partials = Vec::new();
    for (i, event) in events[..2].iter().enumerate() {
        assert_eq!(event.data["type"], event.event);
        assert_eq!(event.data["partial_image_index"], i);
        assert_eq!(event.data["size"], "1024x1024");
        let bytes = b64(event.data["b64_json"].as_str().unwrap());
        let (img, _) = decode(&bytes);
        assert_eq!(img.dimensions(), (1024, 1024));
        partials.push(bytes);
    }
    assert_ne!(partials[0], partials[1]);
    let done = &events[2].data;
    assert_eq!(done["usage"]["output_tokens"], 1056 + 200);
    assert_eq!(done["quality"], "medium");
    assert_eq!(done["output_format"], "png");
    let (img, _) = decode(&b64(done["b64_json"].as_str().unwrap()));
    assert_eq!(img.dimensions(), (1024, 1024));
}

#[tokio::test]
async fn zero_partials_send_only_the_final_image() {
    let fake = fake().await;
    let response = post(
        &fake,
        "/images/generations",
        json!({"model": "gpt-image-2", "prompt": "p", "size": "1024x1024", "stream": true}),
    )
    .await;
    let events = parse_sse(&response.text().await.unwrap());
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event, "image_generation.completed");
    assert_eq!(events[0].data["usage"]["output_tokens"], 1767);
}

#[tokio::test]
async fn edit_stream_uses_edit_events() {
    let fake = fake().await;
    let form = Form::new()
        .text("model", "gpt-image-1.5")
        .text("prompt", "p")
        .text("stream", "true")
        .text("partial_images", "1")
        .part("image", file_part(png(1024, 1024, false), "a.png", "image/png"));
    let response = client()
        .post(format!("{}/images/edits", fake.base_url()))
        .bearer_auth(fake.api_key())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let events = parse_sse(&response.text().await.unwrap());
    let kinds: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(kinds, ["image_edit.partial_image", "image_edit.completed"]);
    assert_eq!(events[1].data["usage"]["input_tokens_details"]["image_tokens"], 581);
}

#[tokio::test]
async fn partial_interval_spaces_events() {
    let fake = FakeOpenAi::start_with(Config {
        partial_interval: Duration::from_millis(150),
        ..Config::default()
    })
    .await
    .unwrap();
    fake.warm(1024, 1024, "png").await;
    let started = Instant::now();
    let response = post(
        &fake,
        "/images/generations",
        json!({"model": "gpt-image-1", "prompt": "p", "size": "1024x1024", "stream": true, "partial_images": 2}),
    )
    .await;
    let events = parse_sse(&response.text().await.unwrap());
    assert_eq!(events.len(), 3);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}
