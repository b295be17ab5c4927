//! Successful generations: real images of the requested size and format, usage, caching.

use std::time::{Duration, Instant};

use image::{GenericImageView, ImageFormat};
use serde_json::json;

use crate::common::{b64, client, decode, fake, post, post_json};

#[tokio::test]
async fn formats_and_sizes_are_exact() {
    let fake = fake().await;
    let cases = [
        ("gpt-image-2", "1024x1024", "png", ImageFormat::Png),
        ("gpt-image-1", "1536x1024", "jpeg", ImageFormat::Jpeg),
        ("gpt-image-2", "1024x640", "webp", ImageFormat::WebP),
        ("gpt-image-2", "1920x640", "png", ImageFormat::Png),
    ];
    for (model, size, format, expected) in cases {
        let (status, body) = post_json(
            &fake,
            "/images/generations",
            json!({"model": model, "prompt": "a red fox", "size": size, "output_format": format}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (img, guessed) = decode(&b64(body["data"][0]["b64_json"].as_str().unwrap()));
        assert_eq!(guessed, expected);
        assert_eq!(format!("{}x{}", img.width(), img.height()), size);
        assert_eq!(body["size"], size);
        assert_eq!(body["output_format"], format);
        assert_eq!(body["background"], "opaque");
        assert_eq!(body["quality"], "medium");
    }
}

#[tokio::test]
async fn largest_gpt_image_2_size_is_served() {
    let fake = fake().await;
    let (status, body) = post_json(
        &fake,
        "/images/generations",
        json!({"model": "gpt-image-2", "prompt": "wide", "size": "3840x2160"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (img, _) = decode(&b64(body["data"][0]["b64_json"].as_str().unwrap()));
    assert_eq!(img.dimensions(), (3840, 2160));
}

#[tokio::test]
async fn transparent_png_has_clear_pixels() {
    let fake = fake().await;
    let (status, body) = post_json(
        &fake,
        "/images/generations",
        json!({"model": "gpt-image-1", "prompt": "a sticker", "size": "1024x1024", "background": "transparent"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["background"], "transparent");
    let (img, _) = decode(&b64(body["data"][0]["b64_json"].as_str().unwrap()));
    assert!(img.color().has_alpha());
    let rgba = img.to_rgba8();
    assert_eq!(rgba.get_pixel(0, 0)[3], 0, "corner is transparent");
    assert_eq!(rgba.get_pixel(512, 512)[3], 255, "centre is opaque");
}

#[tokio::test]
async fn opaque_png_is_realistically_large_and_repeats_are_fast() {
    let fake = fake().await;
    fake.warm(1024, 1024, "png").await;
    let request = json!({"model": "gpt-image-1.5", "prompt": "big", "size": "1024x1024", "quality": "high"});
    let (status, body) = post_json(&fake, "/images/generations", request.clone()).await;
    assert_eq!(status, 200);
    let png = b64(body["data"][0]["b64_json"].as_str().unwrap());
    assert!(
        (2_000_000..3_500_000).contains(&png.len()),
        "1024² PNG is {} bytes",
        png.len()
    );
    assert_eq!(body["quality"], "high");
    assert_eq!(body["usage"]["output_tokens"], 4160);

    // Repeats come from the encode cache: compare with the first request for a size nobody asked for
    // yet (a real encode), so the check holds however busy the machine is.
    let fresh = json!({"model": "gpt-image-2", "prompt": "cold", "size": "1040x1024"});
    let started = Instant::now();
    let cold = post(&fake, "/images/generations", fresh.clone()).await;
    assert!(cold.bytes().await.unwrap().len() > 2_000_000);
    let cold = started.elapsed();
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        let response = post(&fake, "/images/generations", fresh.clone()).await;
        let bytes = response.bytes().await.unwrap();
        best = best.min(started.elapsed());
        assert!(bytes.len() > 2_000_000);
    }
    assert!(
        best * 4 < cold,
        "a repeat ({best:?}) is not clearly faster than the first encode ({cold:?})"
    );
}

#[tokio::test]
async fn usage_counts_prompt_and_image_tokens() {
    let fake = fake().await;
    let prompt = "x".repeat(41);
    let (status, body) = post_json(
        &fake,
        "/images/generations",
        json!({"model": "gpt-image-2", "prompt": prompt, "size": "1024x1024", "quality": "low"}),
    )
    .await;
    assert_eq!(status, 200);
    let usage = &body["usage"];
    assert_eq!(usage["input_tokens_details"]["text_tokens"], 11);
    assert_eq!(usage["input_tokens_details"]["image_tokens"], 0);
    assert_eq!(usage["output_tokens"], 196);
    assert_eq!(usage["output_tokens_details"]["image_tokens"], 196);
    assert_eq!(usage["total_tokens"], 207);
    assert!(body["created"].as_u64().unwrap() > 1_700_000_000);
}

#[tokio::test]
async fn n_images_are_distinct() {
    let fake = fake().await;
    let (status, body) = post_json(
        &fake,
        "/images/generations",
        json!({"model": "gpt-image-1-mini", "prompt": "three", "n": 3, "size": "1024x1024", "quality": "low"}),
    )
    .await;
    assert_eq!(status, 200);
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    assert_ne!(data[0]["b64_json"], data[1]["b64_json"]);
    assert_ne!(data[1]["b64_json"], data[2]["b64_json"]);
    assert_eq!(body["usage"]["output_tokens"], 3 * 272);
}

#[tokio::test]
async fn dalle_returns_urls_without_usage() {
    let fake = fake().await;
    // No model: the API defaults to dall-e-2.
    let (status, body) = post_json(
        &fake,
        "/images/generations",
        json!({"prompt": "a lighthouse", "size": "256x256", "n": 2}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("usage").is_none());
    let url = body["data"][1]["url"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let fetched = client().get(url).send().await.unwrap();
    assert_eq!(fetched.headers()["content-type"], "image/png");
    let (img, _) = decode(&fetched.bytes().await.unwrap());
    assert_eq!(img.dimensions(), (256, 256));

    let (status, body) = post_json(
        &fake,
        "/images/generations",
        json!({"model": "dall-e-3", "prompt": "a lighthouse", "response_format": "b64_json", "size": "1024x1024"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"][0]["b64_json"].is_string());
    assert!(body["data"][0]["revised_prompt"].is_string());
}
