//! The Responses API with the image_generation tool.

use base64::Engine;
use image::GenericImageView;
use serde_json::json;

use crate::common::{b64, decode, error_of, fake, parse_sse, png, post, post_json};

#[tokio::test]
async fn non_stream_then_follow_up_with_previous_response_id() {
    let fake = fake().await;
    let (status, first) = post_json(
        &fake,
        "/responses",
        json!({
            "model": "gpt-5",
            "input": "Draw a wide mountain range",
            "tools": [{"type": "image_generation", "model": "gpt-image-1", "size": "1536x1024", "quality": "low"}],
        }),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    let id = first["id"].as_str().unwrap();
    assert!(id.starts_with("resp_"));
    assert_eq!(first["object"], "response");
    assert_eq!(first["status"], "completed");
    assert!(first["error"].is_null());
    let call = &first["output"][0];
    assert_eq!(call["type"], "image_generation_call");
    assert!(call["id"].as_str().unwrap().starts_with("ig_"));
    assert_eq!(call["status"], "completed");
    assert_eq!(call["size"], "1536x1024");
    assert_eq!(call["quality"], "low");
    assert!(call["revised_prompt"].is_string());
    let (img, _) = decode(&b64(call["result"].as_str().unwrap()));
    assert_eq!(img.dimensions(), (1536, 1024));
    assert!(first["usage"]["total_tokens"].as_u64().unwrap() > 0);

    // The follow-up edits the previous image: `auto` keeps its size.
    let (status, second) = post_json(
        &fake,
        "/responses",
        json!({
            "model": "gpt-5",
            "previous_response_id": id,
            "input": "Now at sunset",
            "tools": [{"type": "image_generation", "model": "gpt-image-1", "quality": "low"}],
        }),
    )
    .await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["previous_response_id"], id);
    assert_eq!(second["output"][0]["size"], "1536x1024");

    let (status, body) = post_json(
        &fake,
        "/responses",
        json!({"model": "gpt-5", "previous_response_id": "resp_missing", "input": "x",
               "tools": [{"type": "image_generation"}]}),
    )
    .await;
    assert_eq!(status, 400);
    let err = error_of(&body);
    assert_eq!(err["param"], "previous_response_id");
    assert_eq!(err["message"], "Previous response with id 'resp_missing' not found.");
}

#[tokio::test]
async fn stream_follows_the_event_order() {
    let fake = fake().await;
    let image = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png(1024, 1024, false))
    );
    let response = post(
        &fake,
        "/responses",
        json!({
            "model": "gpt-5",
            "stream": true,
            "input": [{"role": "user", "content": [
                {"type": "input_text", "text": "Put this on a table"},
                {"type": "input_image", "image_url": image, "detail": "auto"},
            ]}],
            "tools": [{"type": "image_generation", "model": "gpt-image-2", "partial_images": 2, "quality": "low"}],
            "tool_choice": {"type": "image_generation"},
        }),
    )
    .await;
    assert_eq!(response.status(), 200);
    let events = parse_sse(&response.text().await.unwrap());
    let kinds: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.image_generation_call.in_progress",
            "response.image_generation_call.generating",
            "response.image_generation_call.partial_image",
            "response.image_generation_call.partial_image",
            "response.image_generation_call.completed",
            "response.output_item.done",
            "response.completed",
        ]
    );
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event.data["sequence_number"], i, "{}", event.event);
        assert_eq!(event.data["type"], event.event);
    }
    let partial = &events[5].data;
    assert_eq!(partial["partial_image_index"], 0);
    let (img, _) = decode(&b64(partial["partial_image_b64"].as_str().unwrap()));
    assert_eq!(img.dimensions(), (1024, 1024));
    let item = &events[8].data["item"];
    assert_eq!(item["status"], "completed");
    let result = item["result"].as_str().unwrap();
    decode(&b64(result));
    let completed = &events[9].data["response"];
    assert_eq!(completed["status"], "completed");
    assert_eq!(completed["output"][0]["result"], result);

    // Stored: the streamed response can be continued.
    let (status, _) = post_json(
        &fake,
        "/responses",
        json!({"model": "gpt-5", "previous_response_id": completed["id"], "input": "again",
               "tools": [{"type": "image_generation", "model": "gpt-image-2", "quality": "low"}]}),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn request_rules() {
    let fake = fake().await;
    let cases = [
        (json!({"model": "gpt-image-2", "input": "x"}), 400, "model"),
        (json!({"model": "gpt-5", "input": "x", "foo": 1}), 400, "foo"),
        (
            json!({"model": "gpt-5", "input": "x", "tools": [{"type": "image_generation", "size": "1000x1000"}]}),
            400,
            "tools[0].size",
        ),
        (
            json!({"model": "gpt-5", "input": "x", "tools": [{"type": "image_generation", "bogus": true}]}),
            400,
            "tools[0].bogus",
        ),
        (
            json!({"model": "gpt-5", "input": "x", "tools": [{"type": "image_generation", "action": "edit"}]}),
            400,
            "tools[0].action",
        ),
    ];
    for (request, status, param) in cases {
        let (got, body) = post_json(&fake, "/responses", request.clone()).await;
        assert_eq!(got, status, "{request}: {body}");
        assert_eq!(error_of(&body)["param"], param, "{body}");
    }
    // Without the tool the model just answers in text.
    let (status, body) = post_json(&fake, "/responses", json!({"model": "gpt-5", "input": "hi"})).await;
    assert_eq!(status, 200);
    assert_eq!(body["output"][0]["type"], "message");
}
