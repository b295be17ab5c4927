//! Shared helpers for the integration tests: a running fake-openai and inputs made of real pixels.
#![allow(dead_code)]

pub mod mcp;

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

/// The work of a plain generation with the default provider, outside any session.
pub fn generate_work(prompt: &str) -> easel::job::Work {
    easel::job::Work {
        call: easel::job::Call::Generate(generate_req(prompt)),
        provider: "openai".into(),
        session_id: None,
        parent_turn_id: None,
        input_labels: vec![],
        budget: Default::default(),
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

/// The real `easel` binary pointed at `fake`, a library folder and a settings file. Variables of the
/// caller's environment that would change the provider or the logs are removed.
pub fn easel_cmd(fake: &FakeOpenAi, library: &std::path::Path, settings: &std::path::Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_easel"));
    for var in [
        "OPENAI_ORG_ID",
        "OPENAI_PROJECT_ID",
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_API_KEY",
        "EASEL_PROVIDER",
        "EASEL_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("OPENAI_BASE_URL", fake.base_url())
        .env("OPENAI_API_KEY", fake.api_key())
        .env("EASEL_SETTINGS", settings)
        .env("EASEL_LIBRARY", library)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// Every file under `root` except Easel's own `.easel` folder (index, thumbnails, trash), sorted.
pub fn library_files(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries {
            let path = entry.expect("readable folder entry").path();
            if path.file_name().is_some_and(|n| n == ".easel") {
                continue;
            }
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, &mut out);
    out.sort();
    out
}

/// Whether `bytes` is a PNG that ends with its IEND chunk (length 0, type, CRC).
pub fn png_is_complete(bytes: &[u8]) -> bool {
    const IEND: [u8; 12] = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];
    bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.ends_with(&IEND)
}

/// Metadata for an image added through `Library::add_image` in tests and benches.
pub fn image_meta(prompt: &str, format: easel::models::OutputFormat, w: u32, h: u32) -> easel::metadata::ImageMeta {
    easel::metadata::ImageMeta {
        easel: easel::metadata::FORMAT_VERSION,
        id: easel::library::new_id(),
        created_at: jiff::Timestamp::now().to_string(),
        prompt: prompt.into(),
        revised_prompt: None,
        operation: "generate".into(),
        model: "gpt-image-2".into(),
        provider: "openai".into(),
        params: ImageParams::default(),
        width: w,
        height: h,
        format,
        usage: None,
        cost_usd: 0.01,
        request_id: None,
        response_id: None,
        session_id: None,
        turn_id: None,
        inputs: vec![],
        has_mask: false,
        tags: vec![],
    }
}
