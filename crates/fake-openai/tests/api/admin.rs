//! The /__fake admin surface.

use serde_json::{Value, json};

use crate::common::{client, fake, file_part, png, post, post_form};

/// `GET {root}/__fake/{route}` as JSON.
async fn admin_get(http: &reqwest::Client, root: &str, route: &str) -> Value {
    let answer = http.get(format!("{root}/__fake/{route}")).send().await.unwrap();
    answer.json().await.unwrap()
}

#[tokio::test]
async fn admin_endpoints() {
    let fake = fake().await;
    let root = format!("http://{}", fake.addr());
    let http = client();

    let health = admin_get(&http, &root, "health").await;
    assert_eq!(health["status"], "ok");

    let faults = json!([{"kind": "status", "status": 503}, {"kind": "rate_limited", "retry_after": "1"}]);
    let pushed = http
        .post(format!("{root}/__fake/faults"))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), 200);
    assert_eq!(fake.pending_faults(), 2);
    let bad = http
        .post(format!("{root}/__fake/faults"))
        .json(&json!([{"kind": "nope"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    let request = json!({"model": "gpt-image-1", "prompt": "p", "size": "1024x1024", "quality": "low"});
    assert_eq!(post(&fake, "/images/generations", request.clone()).await.status(), 503);
    let limited = post(&fake, "/images/generations", request.clone()).await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "1");

    let form = reqwest::multipart::Form::new()
        .text("model", "gpt-image-1")
        .text("prompt", "p")
        .text("quality", "low")
        .part("image[]", file_part(png(1024, 1024, false), "a.png", "image/png"));
    let (status, _) = post_form(&fake, "/images/edits", form).await;
    assert_eq!(status, 200);

    let log = admin_get(&http, &root, "requests").await;
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 3, "admin calls are not recorded");
    assert_eq!(log[0]["status"], 503);
    assert_eq!(log[0]["json"]["model"], "gpt-image-1");
    assert_eq!(log[0]["headers"]["authorization"], format!("Bearer {}", fake.api_key()));
    let parts = log[2]["parts"].as_array().unwrap();
    let image = parts.iter().find(|p| p["name"] == "image[]").unwrap();
    assert_eq!(image["content_type"], "image/png");
    assert_eq!(image["filename"], "a.png");
    assert_eq!(
        (image["width"].as_u64(), image["height"].as_u64()),
        (Some(1024), Some(1024))
    );
    assert!(image["len"].as_u64().unwrap() > 0);
    let prompt = parts.iter().find(|p| p["name"] == "prompt").unwrap();
    assert!(prompt.get("width").is_none());

    let cleared = http.delete(format!("{root}/__fake/requests")).send().await.unwrap();
    assert!(cleared.status().is_success());
    assert!(fake.requests().is_empty());
}

/// `/__fake/events`: each streamed event's type and wall-clock send time, in order; DELETE clears it.
#[tokio::test]
async fn event_log_has_wall_clock_send_times() {
    let fake = fake_openai::FakeOpenAi::start_with(fake_openai::Config {
        partial_interval: std::time::Duration::from_millis(40),
        ..Default::default()
    })
    .await
    .unwrap();
    let root = format!("http://{}", fake.addr());
    let http = client();
    let now_ms = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
            * 1000.0
    };

    let before = now_ms();
    let request = json!({"model": "gpt-image-1", "prompt": "p", "size": "1024x1024", "quality": "low",
        "stream": true, "partial_images": 2});
    let streamed = post(&fake, "/images/generations", request).await.text().await.unwrap();
    let after = now_ms();
    assert!(streamed.contains("image_generation.completed"));

    let log = admin_get(&http, &root, "events").await;
    let log = log.as_array().unwrap();
    let kinds: Vec<&str> = log.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "image_generation.partial_image",
            "image_generation.partial_image",
            "image_generation.completed"
        ]
    );
    let times: Vec<f64> = log.iter().map(|e| e["sent_at_ms"].as_f64().unwrap()).collect();
    assert!(
        times[0] >= before - 1.0 && times[2] <= after + 1.0,
        "{times:?} not within {before}..{after}"
    );
    // the 40 ms gap between events shows on the wall clock
    for pair in times.windows(2) {
        assert!(pair[1] - pair[0] >= 39.0, "{times:?}");
    }
    assert_eq!(fake.events_sent_wall().len(), 3);

    let cleared = http.delete(format!("{root}/__fake/events")).send().await.unwrap();
    assert_eq!(cleared.status(), 204);
    assert!(fake.events_sent().is_empty());
}
