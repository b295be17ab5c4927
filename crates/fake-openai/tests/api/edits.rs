//! Edits (multipart and JSON) and variations.

use base64::Engine;
use image::GenericImageView;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::common::{b64, decode, error_of, fake, file_part, jpeg, png, post_form, post_json};

#[tokio::test]
async fn two_images_and_a_mask_are_recorded() {
    let fake = fake().await;
    let form = Form::new()
        .text("model", "gpt-image-1")
        .text("prompt", "put both in a basket")
        .text("n", "1")
        .text("input_fidelity", "low")
        .part("image[]", file_part(png(1024, 1024, false), "a.png", "image/png"))
        .part("image[]", file_part(jpeg(640, 480), "b.jpg", "image/jpeg"))
        .part("mask", file_part(png(1024, 1024, true), "mask.png", "image/png"));
    let (status, body) = post_form(&fake, "/images/edits", form).await;
    assert_eq!(status, 200, "{body}");
    let (img, _) = decode(&b64(body["data"][0]["b64_json"].as_str().unwrap()));
    assert_eq!(img.dimensions(), (1024, 1024), "auto takes the first input's size");
    // 1024² → 4 tiles, 640x480 → 2 tiles: (65 + 129·4) + (65 + 129·2).
    assert_eq!(body["usage"]["input_tokens_details"]["image_tokens"], 581 + 323);

    let recorded = fake.requests();
    let rec = &recorded[0];
    assert_eq!(rec.path, "/v1/images/edits");
    assert_eq!(rec.status, 200);
    let images = rec.parts_named("image[]");
    assert_eq!(images.len(), 2);
    assert_eq!(images[0].content_type.as_deref(), Some("image/png"));
    assert_eq!(images[1].content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(images[1].filename.as_deref(), Some("b.jpg"));
    assert_eq!(rec.parts_named("mask").len(), 1);
    assert_eq!(rec.text("prompt").as_deref(), Some("put both in a basket"));
    assert!(rec.header("Content-Type").unwrap().starts_with("multipart/form-data"));
}

#[tokio::test]
async fn auto_size_follows_a_valid_first_input() {
    let fake = fake().await;
    let form = Form::new()
        .text("model", "gpt-image-1.5")
        .text("prompt", "landscape")
        .text("quality", "low")
        .part("image", file_part(png(1536, 1024, false), "a.png", "image/png"));
    let (status, body) = post_form(&fake, "/images/edits", form).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["size"], "1536x1024");
    assert_eq!(body["usage"]["output_tokens"], 400);
}

#[tokio::test]
async fn octet_stream_is_rejected() {
    let fake = fake().await;
    let form = Form::new()
        .text("model", "gpt-image-1")
        .text("prompt", "p")
        .part("image[]", Part::bytes(png(64, 64, false)).file_name("a.png"));
    let (status, body) = post_form(&fake, "/images/edits", form).await;
    assert_eq!(status, 400);
    assert_eq!(
        error_of(&body)["message"],
        "Invalid file 'image': unsupported mimetype ('application/octet-stream'). Supported file formats are 'image/jpeg', 'image/png', and 'image/webp'."
    );
}

#[tokio::test]
async fn bad_inputs_are_rejected() {
    let fake = fake().await;
    let base = || Form::new().text("model", "gpt-image-1").text("prompt", "p");
    let image = || file_part(png(1024, 1024, false), "a.png", "image/png");

    let mismatch = base()
        .part("image", image())
        .part("mask", file_part(png(512, 512, true), "m.png", "image/png"));
    let no_alpha = base()
        .part("image", image())
        .part("mask", file_part(png(1024, 1024, false), "m.png", "image/png"));
    let corrupt = base().part("image", file_part(b"not an image".to_vec(), "a.png", "image/png"));
    let unknown = base().text("colour", "red").part("image", image());
    let missing = base();
    let mut too_many = base();
    for _ in 0..17 {
        too_many = too_many.part("image[]", file_part(png(8, 8, false), "a.png", "image/png"));
    }
    let fidelity_v2 = Form::new()
        .text("model", "gpt-image-2")
        .text("prompt", "p")
        .text("input_fidelity", "high")
        .part("image", image());
    let cases = [
        (mismatch, "mask", "same dimensions"),
        (no_alpha, "mask", "alpha"),
        (corrupt, "image", "could not be decoded"),
        (unknown, "colour", "Unknown parameter"),
        (missing, "image", "Missing required parameter"),
        (too_many, "image", "maximum length 16"),
        (fidelity_v2, "input_fidelity", "not supported"),
    ];
    for (form, param, text) in cases {
        let (status, body) = post_form(&fake, "/images/edits", form).await;
        assert_eq!(status, 400, "{body}");
        let err = error_of(&body);
        assert_eq!(err["param"], param, "{body}");
        assert!(err["message"].as_str().unwrap().contains(text), "{body}");
    }
}

#[tokio::test]
async fn json_edits_take_data_urls() {
    let fake = fake().await;
    let url = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png(1024, 1024, false))
    );
    let (status, body) = post_json(
        &fake,
        "/images/edits",
        json!({"model": "gpt-image-1.5", "prompt": "p", "images": [{"image_url": url}], "quality": "low"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["size"], "1024x1024");

    let (status, body) = post_json(
        &fake,
        "/images/edits",
        json!({"model": "gpt-image-1.5", "prompt": "p", "images": [{"image_url": "https://example.com/a.png"}]}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_of(&body)["param"], "images[0].image_url");
}

#[tokio::test]
async fn dalle2_edits_and_variations() {
    let fake = fake().await;
    let form = Form::new()
        .text("model", "dall-e-2")
        .text("prompt", "p")
        .text("size", "256x256")
        .part("image", file_part(png(300, 200, true), "a.png", "image/png"));
    let (status, body) = post_form(&fake, "/images/edits", form).await;
    assert_eq!(status, 400, "dall-e-2 needs a square PNG: {body}");

    let form = Form::new()
        .text("size", "256x256")
        .text("response_format", "b64_json")
        .text("n", "2")
        .part("image", file_part(png(256, 256, true), "a.png", "image/png"));
    let (status, body) = post_form(&fake, "/images/variations", form).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert!(body.get("usage").is_none());

    let form = Form::new()
        .text("model", "gpt-image-1")
        .part("image", file_part(png(256, 256, true), "a.png", "image/png"));
    let (status, body) = post_form(&fake, "/images/variations", form).await;
    assert_eq!(status, 400);
    assert_eq!(error_of(&body)["param"], "model");
}
