//! Shared helpers for the integration tests: a running fake-openai and inputs made of real pixels.
#![allow(dead_code)]

use std::io::Cursor;

use easel::config::Provider;
use easel::imaging::InputImage;
use easel::keys::ApiKey;
use easel::models::ImageParams;
use easel::openai::{Client, ClientOptions, GenerateRequest};
use fake_openai::FakeOpenAi;
use image::{ImageFormat, Rgba, RgbaImage};

pub async fn fake() -> FakeOpenAi {
    FakeOpenAi::start().await.expect("fake-openai starts")
}

pub fn client(fake: &FakeOpenAi) -> Client {
    client_with(fake, Provider::openai(fake.base_url()), ClientOptions::default())
}

pub fn client_with(fake: &FakeOpenAi, provider: Provider, options: ClientOptions) -> Client {
    Client::with_options(provider, ApiKey::new(fake.api_key()), options).unwrap()
}

pub fn generate_req(prompt: &str) -> GenerateRequest {
    GenerateRequest {
        prompt: prompt.into(),
        params: ImageParams::default(),
        user: None,
    }
}

/// A gradient image encoded in `format`.
pub fn encode(w: u32, h: u32, format: ImageFormat) -> Vec<u8> {
    let img = RgbaImage::from_fn(w, h, |x, y| Rgba([(x % 256) as u8, (y % 256) as u8, 128, 255]));
    let mut out = Cursor::new(Vec::new());
    match format {
        ImageFormat::Jpeg => image::DynamicImage::ImageRgba8(img)
            .to_rgb8()
            .write_to(&mut out, format)
            .unwrap(),
        _ => img.write_to(&mut out, format).unwrap(),
    }
    out.into_inner()
}

pub fn input(name: &str, w: u32, h: u32, format: ImageFormat) -> InputImage {
    InputImage::from_bytes(name, encode(w, h, format)).unwrap()
}

pub fn png_input(name: &str, w: u32, h: u32) -> InputImage {
    input(name, w, h, ImageFormat::Png)
}

/// OpenAI's mask format: RGBA PNG, alpha 0 where to edit (here: the left half).
pub fn mask_input(w: u32, h: u32) -> InputImage {
    let img = RgbaImage::from_fn(w, h, |x, _| Rgba([0, 0, 0, if x < w / 2 { 0 } else { 255 }]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    InputImage::from_bytes("mask.png", out.into_inner()).unwrap()
}
