//! Requests the real API rejects, and authentication.

use serde_json::{Value, json};

use crate::common::{client, error_of, fake, post_json};

async fn reject(body: Value) -> (u16, Value) {
    let fake = fake().await;
    post_json(&fake, "/images/generations", body).await
}

#[tokio::test]
async fn gpt_image_2_size_edges() {
    let fake = fake().await;
    let cases = [
        ("1000x1000", "multiples of 16"),
        ("3856x2144", "longest edge"),
        ("3840x2176", "at most 8294400"),
        ("1936x640", "3:1"),
        ("1008x640", "at least 655360"),
        ("big", "WIDTHxHEIGHT"),
    ];
    for (size, why) in cases {
        let (status, body) = post_json(
            &fake,
            "/images/generations",
            json!({"model": "gpt-image-2", "prompt": "p", "size": size}),
        )
        .await;
        assert_eq!(status, 400, "{size}");
        let err = error_of(&body);
        assert_eq!(err["param"], "size");
        assert_eq!(err["code"], "invalid_value");
        let message = err["message"].as_str().unwrap();
        assert!(message.contains(why), "{size}: {message}");
        assert!(message.contains("multiples of 16"), "lists the rules: {message}");
    }
}

#[tokio::test]
async fn preset_models_list_allowed_sizes() {
    let (status, body) = reject(json!({"model": "gpt-image-1", "prompt": "p", "size": "2048x2048"})).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["message"],
        "Invalid value: '2048x2048'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'."
    );
    let (status, body) = reject(json!({"model": "dall-e-2", "prompt": "p", "size": "auto"})).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "size");
}

#[tokio::test]
async fn parameter_rules() {
    let fake = fake().await;
    let cases = [
        (
            json!({"model": "gpt-image-1", "prompt": "p", "colour": "red"}),
            "colour",
            "unknown_parameter",
        ),
        (json!({"model": "gpt-image-1"}), "prompt", "missing_required_parameter"),
        (
            json!({"model": "gpt-image-1", "prompt": "p", "response_format": "b64_json"}),
            "response_format",
            "unsupported_parameter",
        ),
        (
            json!({"model": "gpt-image-2", "prompt": "p", "background": "transparent"}),
            "background",
            "invalid_value",
        ),
        (
            json!({"model": "gpt-image-1", "prompt": "p", "background": "transparent", "output_format": "jpeg"}),
            "background",
            "invalid_value",
        ),
        (
            json!({"model": "gpt-image-1", "prompt": "p", "output_compression": 50}),
            "output_compression",
            "invalid_value",
        ),
        (
            json!({"model": "gpt-image-1", "prompt": "p", "output_format": "jpeg", "output_compression": 101}),
            "output_compression",
            "integer_above_max_value",
        ),
        (
            json!({"model": "gpt-image-1", "prompt": "p", "output_format": "gif"}),
            "output_format",
            "invalid_value",
        ),
        (
            json!({"model": "gpt-image-1", "prompt": "p", "quality": "hd"}),
            "quality",
            "invalid_value",
        ),
        (
            json!({"model": "gpt-image-1", "prompt": "p", "n": 11}),
            "n",
            "integer_above_max_value",
        ),
        (
            json!({"model": "gpt-image-1", "prompt": "p", "n": 0}),
            "n",
            "integer_below_min_value",
        ),
        (
            json!({"model": "gpt-image-1", "prompt": "p", "n": "2"}),
            "n",
            "invalid_type",
        ),
        (
            json!({"model": "dall-e-3", "prompt": "p", "n": 2}),
            "n",
            "integer_above_max_value",
        ),
        (
            json!({"model": "gpt-image-1", "prompt": "p", "partial_images": 2}),
            "partial_images",
            "invalid_value",
        ),
        (
            json!({"model": "gpt-image-1", "prompt": "p", "stream": true, "partial_images": 4}),
            "partial_images",
            "integer_above_max_value",
        ),
        (
            json!({"model": "dall-e-2", "prompt": "p", "stream": true}),
            "stream",
            "unsupported_parameter",
        ),
        (
            json!({"model": "dall-e-2", "prompt": "p", "output_format": "png"}),
            "output_format",
            "unsupported_parameter",
        ),
        (
            json!({"model": "gpt-image-1", "prompt": "p", "input_fidelity": "high"}),
            "input_fidelity",
            "unknown_parameter",
        ),
    ];
    for (request, param, code) in cases {
        let (status, body) = post_json(&fake, "/images/generations", request.clone()).await;
        assert_eq!(status, 400, "{request}");
        let err = error_of(&body);
        assert_eq!(err["param"], param, "{request}: {body}");
        assert_eq!(err["code"], code, "{request}: {body}");
        assert_eq!(err["type"], "invalid_request_error");
    }
    let (_, body) = post_json(
        &fake,
        "/images/generations",
        json!({"model": "gpt-image-1", "prompt": "p", "colour": 1}),
    )
    .await;
    assert_eq!(body["error"]["message"], "Unknown parameter: 'colour'.");
}

#[tokio::test]
async fn unknown_model_is_404() {
    let (status, body) = reject(json!({"model": "gpt-image-9", "prompt": "p"})).await;
    assert_eq!(status, 404);
    assert_eq!(error_of(&body)["code"], "model_not_found");
}

#[tokio::test]
async fn malformed_json_is_400() {
    let fake = fake().await;
    let response = client()
        .post(format!("{}/images/generations", fake.base_url()))
        .bearer_auth(fake.api_key())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(
        error_of(&body)["message"]
            .as_str()
            .unwrap()
            .contains("could not parse the JSON body")
    );
}

#[tokio::test]
async fn authentication_and_common_headers() {
    let fake = fake().await;
    let url = format!("{}/images/generations", fake.base_url());
    let body = json!({"model": "gpt-image-1", "prompt": "p"});

    let missing = client().post(&url).json(&body).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    let request_id = missing.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(request_id.starts_with("req_") && request_id.len() == 36, "{request_id}");
    assert!(request_id[4..].chars().all(|c| c.is_ascii_hexdigit()));
    assert!(missing.headers().contains_key("openai-processing-ms"));
    let json: Value = missing.json().await.unwrap();
    assert!(
        error_of(&json)["message"]
            .as_str()
            .unwrap()
            .starts_with("You didn't provide an API key")
    );

    let wrong_key = "sk-proj-THISISTHEWRONGKEY1234567890abcd";
    let wrong = client()
        .post(&url)
        .bearer_auth(wrong_key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let json: Value = wrong.json().await.unwrap();
    let err = error_of(&json);
    assert_eq!(err["code"], "invalid_api_key");
    let message = err["message"].as_str().unwrap();
    assert!(message.starts_with("Incorrect API key provided: sk-proj-"), "{message}");
    assert!(message.contains("abcd") && message.contains("****"));
    assert!(!message.contains(wrong_key) && !message.contains("THISISTHEWRONGKEY"));

    let unknown = client()
        .get(format!("{}/assistants", fake.base_url()))
        .bearer_auth(fake.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(unknown.headers().contains_key("x-request-id"));
    let json: Value = unknown.json().await.unwrap();
    assert_eq!(error_of(&json)["message"], "Invalid URL (GET /v1/assistants)");

    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [401, 401, 404]);
}
