//! Every injectable fault, over real HTTP.

use std::time::{Duration, Instant};

use base64::Engine;
use fake_openai::{FakeOpenAi, Fault};
use serde_json::{Value, json};

use crate::common::{error_of, fake, parse_sse, post};

fn generation() -> Value {
    json!({"model": "gpt-image-1", "prompt": "p", "size": "1024x1024", "quality": "low"})
}

fn streaming(partials: u32) -> Value {
    json!({"model": "gpt-image-1", "prompt": "p", "size": "1024x1024", "stream": true, "partial_images": partials})
}

async fn faulted(fake: &FakeOpenAi, fault: Fault) -> (u16, reqwest::header::HeaderMap, Value) {
    fake.push_fault(fault);
    let response = post(fake, "/images/generations", generation()).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.json().await.unwrap())
}

#[tokio::test]
async fn error_faults() {
    let fake = fake().await;
    let (status, headers, body) = faulted(
        &fake,
        Fault::RateLimited {
            retry_after: Some("2".into()),
            retry_after_ms: Some("1500".into()),
        },
    )
    .await;
    assert_eq!(status, 429);
    assert_eq!(headers["retry-after"], "2");
    assert_eq!(headers["retry-after-ms"], "1500");
    let err = error_of(&body);
    assert_eq!(err["code"], "rate_limit_exceeded");
    assert!(err["message"].as_str().unwrap().contains("images per minute"));

    let (status, headers, body) = faulted(
        &fake,
        Fault::RateLimited {
            retry_after: None,
            retry_after_ms: None,
        },
    )
    .await;
    assert_eq!(status, 429);
    assert!(!headers.contains_key("retry-after"));
    error_of(&body);

    let (status, headers, body) = faulted(&fake, Fault::InsufficientQuota).await;
    assert_eq!(status, 429);
    assert!(!headers.contains_key("retry-after"));
    assert_eq!(error_of(&body)["code"], "insufficient_quota");
    assert_eq!(body["error"]["type"], "insufficient_quota");

    for code in [408, 409, 500, 502, 503] {
        let (status, _, body) = faulted(&fake, Fault::Status { status: code }).await;
        assert_eq!(status, code);
        let kind = error_of(&body)["type"].as_str().unwrap().to_string();
        assert_eq!(kind == "server_error", code >= 500, "{code}: {body}");
    }

    let (status, headers, _) = faulted(
        &fake,
        Fault::ShouldRetry {
            status: 400,
            should_retry: true,
        },
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(headers["x-should-retry"], "true");

    let (status, _, body) = faulted(&fake, Fault::Unauthorized).await;
    assert_eq!(status, 401);
    assert_eq!(error_of(&body)["code"], "invalid_api_key");
    assert!(!body.to_string().contains(fake.api_key()));

    let (status, _, body) = faulted(&fake, Fault::OrgVerification).await;
    assert_eq!(status, 403);
    let message = error_of(&body)["message"].as_str().unwrap().to_string();
    assert!(message.contains("organization must be verified") && message.contains("gpt-image-1"));

    let (status, _, body) = faulted(&fake, Fault::ModerationBlocked).await;
    assert_eq!(status, 400);
    let err = error_of(&body);
    assert_eq!(err["type"], "image_generation_user_error");
    assert_eq!(err["code"], "moderation_blocked");
    assert_eq!(err["moderation_details"]["moderation_stage"], "input");

    assert_eq!(fake.pending_faults(), 0);
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 429, 408, 409, 500, 502, 503, 400, 401, 403, 400]);
}

#[tokio::test]
async fn faults_are_fifo_one_per_request() {
    let fake = fake().await;
    fake.push_faults([Fault::Status { status: 503 }, Fault::Status { status: 502 }]);
    assert_eq!(fake.pending_faults(), 2);
    let codes = [
        post(&fake, "/images/generations", generation()).await.status(),
        post(&fake, "/images/generations", generation()).await.status(),
        post(&fake, "/images/generations", generation()).await.status(),
    ];
    assert_eq!(codes.map(|c| c.as_u16()), [503, 502, 200]);
}

#[tokio::test]
async fn delay_then_normal_answer() {
    let fake = fake().await;
    fake.warm(1024, 1024, "png").await;
    fake.push_fault(Fault::Delay { ms: 300 });
    let started = Instant::now();
    let response = post(&fake, "/images/generations", generation()).await;
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn truncation() {
    let fake = fake().await;
    fake.push_fault(Fault::TruncatedStream);
    let response = post(&fake, "/images/generations", generation()).await;
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.is_err(), "body is cut mid-JSON");

    fake.push_fault(Fault::TruncatedStream);
    let response = post(&fake, "/images/generations", streaming(2)).await;
    assert_eq!(response.status(), 200);
    let mut seen = Vec::new();
    let mut response = response;
    let failed = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => seen.extend_from_slice(&chunk),
            Ok(None) => break false,
            Err(_) => break true,
        }
    };
    assert!(failed, "the connection drops");
    let text = String::from_utf8_lossy(&seen);
    assert_eq!(text.matches("event: image_generation.partial_image").count(), 2);
    assert!(!text.contains("image_generation.completed"));
}

#[tokio::test]
async fn invalid_base64() {
    let fake = fake().await;
    let b64 = base64::engine::general_purpose::STANDARD;
    fake.push_fault(Fault::InvalidBase64);
    let body: Value = post(&fake, "/images/generations", generation())
        .await
        .json()
        .await
        .unwrap();
    assert!(b64.decode(body["data"][0]["b64_json"].as_str().unwrap()).is_err());

    fake.push_fault(Fault::InvalidBase64);
    let text = post(&fake, "/images/generations", streaming(1))
        .await
        .text()
        .await
        .unwrap();
    for event in parse_sse(&text) {
        assert!(b64.decode(event.data["b64_json"].as_str().unwrap()).is_err());
    }

    fake.push_fault(Fault::InvalidBase64);
    let body: Value = post(
        &fake,
        "/responses",
        json!({"model": "gpt-5", "input": "x", "tools": [{"type": "image_generation", "quality": "low", "size": "1024x1024"}]}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(b64.decode(body["output"][0]["result"].as_str().unwrap()).is_err());
}

#[tokio::test]
async fn stream_error() {
    let fake = fake().await;
    fake.push_fault(Fault::StreamError);
    let text = post(&fake, "/images/generations", streaming(3))
        .await
        .text()
        .await
        .unwrap();
    let events = parse_sse(&text);
    let kinds: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(kinds, ["image_generation.partial_image", "error"]);
    assert_eq!(events[1].data["type"], "error");
    error_of(&events[1].data);

    fake.push_fault(Fault::StreamError);
    let response = post(
        &fake,
        "/responses",
        json!({"model": "gpt-5", "input": "x", "stream": true,
               "tools": [{"type": "image_generation", "quality": "low", "size": "1024x1024"}]}),
    )
    .await;
    let events = parse_sse(&response.text().await.unwrap());
    let last = events.last().unwrap();
    assert_eq!(last.event, "error");
    assert_eq!(last.data["code"], "server_error");
    assert_eq!(last.data["sequence_number"], events.len() - 1);
    assert!(
        events
            .iter()
            .any(|e| e.event == "response.image_generation_call.partial_image")
    );
    assert!(!events.iter().any(|e| e.event == "response.completed"));

    fake.push_fault(Fault::StreamError);
    assert_eq!(post(&fake, "/images/generations", generation()).await.status(), 500);
}

#[tokio::test]
async fn configured_latency_delays_every_answer() {
    let fake = FakeOpenAi::start_with(fake_openai::Config {
        latency: Duration::from_millis(200),
        ..Default::default()
    })
    .await
    .unwrap();
    let started = Instant::now();
    let response = post(&fake, "/images/generations", json!({"model": "nope", "prompt": "p"})).await;
    assert_eq!(response.status(), 404);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn escaped_slashes_are_the_same_images_in_legal_json() {
    let fake = fake().await;
    let plain: Value = post(&fake, "/images/generations", generation())
        .await
        .json()
        .await
        .unwrap();
    fake.push_fault(Fault::EscapedSlashes);
    let raw = post(&fake, "/images/generations", generation())
        .await
        .text()
        .await
        .unwrap();
    assert!(raw.contains("\\/"), "slashes written as \\/");
    let escaped: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(escaped["data"][0]["b64_json"], plain["data"][0]["b64_json"]);
    assert!(plain["data"][0]["b64_json"].as_str().unwrap().contains('/'));
}
