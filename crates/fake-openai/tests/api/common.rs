//! Helpers shared by the API tests.

use base64::Engine;
use fake_openai::FakeOpenAi;
use image::{DynamicImage, ImageFormat, RgbImage, RgbaImage};
use serde_json::Value;

pub async fn fake() -> FakeOpenAi {
    FakeOpenAi::start().await.expect("fake starts")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// POST JSON to `{base_url}{path}` with the right bearer key.
pub async fn post(fake: &FakeOpenAi, path: &str, body: Value) -> reqwest::Response {
    client()
        .post(format!("{}{path}", fake.base_url()))
        .bearer_auth(fake.api_key())
        .json(&body)
        .send()
        .await
        .expect("request sent")
}

/// POST JSON and return (status, parsed body).
pub async fn post_json(fake: &FakeOpenAi, path: &str, body: Value) -> (u16, Value) {
    let response = post(fake, path, body).await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

pub fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("valid base64")
}

pub fn decode(bytes: &[u8]) -> (DynamicImage, ImageFormat) {
    let format = image::guess_format(bytes).expect("known format");
    let img = image::load_from_memory(bytes).expect("decodes");
    (img, format)
}

/// Assert a standard error envelope and return `error`.
pub fn error_of(body: &Value) -> &serde_json::Map<String, Value> {
    let err = body["error"].as_object().expect("error object");
    for key in ["message", "type", "param", "code"] {
        assert!(err.contains_key(key), "missing {key} in {body}");
    }
    err
}

/// Encode a small solid image.
pub fn png(width: u32, height: u32, alpha: bool) -> Vec<u8> {
    let img = if alpha {
        let mut img = RgbaImage::from_pixel(width, height, image::Rgba([200, 30, 30, 255]));
        img.put_pixel(0, 0, image::Rgba([0, 0, 0, 0]));
        DynamicImage::ImageRgba8(img)
    } else {
        DynamicImage::ImageRgb8(RgbImage::from_pixel(width, height, image::Rgb([20, 120, 200])))
    };
    encode(&img, ImageFormat::Png)
}

pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(width, height, image::Rgb([90, 90, 10])));
    encode(&img, ImageFormat::Jpeg)
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encodes");
    out.into_inner()
}

pub fn file_part(bytes: Vec<u8>, name: &str, mime: &str) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str(mime)
        .expect("mime")
}

/// POST multipart with the right bearer key; returns (status, parsed body).
pub async fn post_form(fake: &FakeOpenAi, path: &str, form: reqwest::multipart::Form) -> (u16, Value) {
    let response = client()
        .post(format!("{}{path}", fake.base_url()))
        .bearer_auth(fake.api_key())
        .multipart(form)
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

/// One parsed SSE event.
#[derive(Debug)]
pub struct Event {
    pub event: String,
    pub data: Value,
}

pub fn parse_sse(text: &str) -> Vec<Event> {
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let mut event = String::new();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event: ") {
                    event = v.to_string();
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data.push_str(v);
                }
            }
            Event {
                event,
                data: serde_json::from_str(&data).expect("event data is JSON"),
            }
        })
        .collect()
}
