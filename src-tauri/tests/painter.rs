//! The mask painter's and the cost view's commands on Tauri's mock runtime, over a real library in a
//! temporary folder: the exported mask is OpenAI's format at the image's natural size, wrong buffers are
//! refused with a clear message, an edit is composited inside the mask, spend is summed, and dropped or
//! pasted files are imported as library images (bad ones refused, nothing written).

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Arc;

use easel::config::Config;
use easel::ledger::Entry;
use easel::library::Library;
use easel::metadata::{FORMAT_VERSION, ImageMeta};
use easel::models::{ImageParams, OutputFormat};
use easel_studio::Studio;
use image::{DynamicImage, Rgb, RgbImage};
use serde_json::{Value, json};
use tauri::http::{HeaderMap, HeaderValue};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, mock_builder, mock_context, noop_assets};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

struct Rig {
    _dir: tempfile::TempDir,
    library_root: std::path::PathBuf,
    _app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
}

impl Rig {
    fn new() -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let settings = dir.path().join("settings.json");
        std::fs::write(
            &settings,
            json!({"budget": {"daily_usd": 2.0, "monthly_usd": 50.0}}).to_string(),
        )
        .unwrap();
        let library_root = dir.path().join("library");
        let vars: HashMap<String, String> = [
            ("EASEL_SETTINGS".to_string(), settings.display().to_string()),
            ("EASEL_LIBRARY".to_string(), library_root.display().to_string()),
        ]
        .into();
        let env: easel_studio::studio::Env = Arc::new(move |name| vars.get(name).cloned());
        let config = Config::load_with(|n| env(n)).unwrap();
        let studio = Studio::with(config, env).unwrap();
        let app = easel_studio::with_commands(mock_builder())
            .manage(studio)
            .build(mock_context(noop_assets()))
            .unwrap();
        let window = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        Rig {
            _dir: dir,
            library_root,
            _app: app,
            window,
        }
    }

    fn invoke(&self, cmd: &str, body: InvokeBody, headers: HeaderMap) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body,
            headers,
            invoke_key: INVOKE_KEY.to_string(),
        };
        tauri::test::get_ipc_response(&self.window, request).map(|body| body.deserialize::<Value>().unwrap())
    }

    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        self.invoke(cmd, InvokeBody::Json(args), HeaderMap::new())
    }

    /// `export_mask` with the coverage as the raw body and its shape in headers.
    fn export(&self, image: &str, width: u32, height: u32, data: Vec<u8>) -> Result<Value, Value> {
        let mut headers = HeaderMap::new();
        headers.insert("x-easel-image", HeaderValue::from_str(image).unwrap());
        headers.insert("x-easel-width", HeaderValue::from(width));
        headers.insert("x-easel-height", HeaderValue::from(height));
        headers.insert("x-easel-invert", HeaderValue::from_static("0"));
        self.invoke("export_mask", InvokeBody::Raw(data), headers)
    }

    /// `import_image` with the file as the raw body and its name (percent-encoded) in a header.
    fn import(&self, name: &str, bytes: Vec<u8>) -> Result<Value, Value> {
        let mut headers = HeaderMap::new();
        headers.insert("x-easel-name", HeaderValue::from_str(name).unwrap());
        self.invoke("import_image", InvokeBody::Raw(bytes), headers)
    }

    fn library(&self) -> Library {
        Library::open(&self.library_root).unwrap()
    }
}

fn png(w: u32, h: u32, pixel: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| Rgb(pixel(x, y)));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn add(library: &Library, bytes: &[u8], width: u32, height: u32, model: &str) -> String {
    let meta = ImageMeta {
        easel: FORMAT_VERSION,
        id: easel::library::new_id(),
        created_at: "2026-11-30T10:00:00Z".into(),
        prompt: "a test picture".into(),
        revised_prompt: None,
        operation: "generate".into(),
        model: model.into(),
        provider: "openai".into(),
        params: ImageParams::default(),
        width,
        height,
        format: OutputFormat::Png,
        usage: None,
        cost_usd: 0.04,
        request_id: None,
        response_id: None,
        session_id: None,
        turn_id: None,
        inputs: vec![],
        has_mask: false,
        tags: vec![],
    };
    library.add_image(bytes, &meta).unwrap().id
}

/// A `width × height` coverage with the rectangle `x0..x1 × y0..y1` painted.
fn painted(width: u32, height: u32, (x0, x1): (u32, u32), (y0, y1): (u32, u32)) -> Vec<u8> {
    (0..height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .map(|(x, y)| {
            if (x0..x1).contains(&x) && (y0..y1).contains(&y) {
                255
            } else {
                0
            }
        })
        .collect()
}

fn message(error: Value) -> String {
    error.as_str().map(str::to_string).unwrap_or_else(|| error.to_string())
}

#[test]
fn an_exported_mask_is_transparent_exactly_where_painted_at_the_natural_size() {
    let rig = Rig::new();
    let library = rig.library();
    let id = add(&library, &png(64, 48, |_, _| [10, 20, 30]), 64, 48, "gpt-image-2");

    let saved = rig.export(&id, 64, 48, painted(64, 48, (10, 30), (5, 20))).unwrap();
    let path = std::path::PathBuf::from(saved["path"].as_str().unwrap());
    assert!(path.starts_with(library.masks_dir()), "{path:?} is in the masks folder");
    assert_eq!(
        (saved["width"].as_u64(), saved["height"].as_u64()),
        (Some(64), Some(48))
    );
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(saved["bytes"].as_u64(), Some(bytes.len() as u64));
    let DynamicImage::ImageRgba8(mask) = image::load_from_memory(&bytes).unwrap() else {
        panic!("the mask must be an RGBA PNG");
    };
    assert_eq!(mask.dimensions(), (64, 48));
    for (x, y, pixel) in mask.enumerate_pixels() {
        let inside = (10..30).contains(&x) && (5..20).contains(&y);
        assert_eq!(pixel.0[3], if inside { 0 } else { 255 }, "alpha at {x},{y}");
    }
    // the name alone finds it again (what composite_mask takes)
    assert_eq!(library.mask_path(saved["name"].as_str().unwrap()).unwrap(), path);
}

#[test]
fn a_downscaled_canvas_is_scaled_to_the_natural_size() {
    let rig = Rig::new();
    let id = add(&rig.library(), &png(64, 48, |_, _| [0, 0, 0]), 64, 48, "gpt-image-2");
    // the left half painted on a half-size canvas
    let saved = rig.export(&id, 32, 24, painted(32, 24, (0, 16), (0, 24))).unwrap();
    let mask = image::open(saved["path"].as_str().unwrap()).unwrap().into_rgba8();
    assert_eq!(mask.dimensions(), (64, 48));
    assert_eq!(mask.get_pixel(4, 20).0[3], 0);
    assert_eq!(mask.get_pixel(60, 20).0[3], 255);
}

#[test]
fn wrong_buffers_are_refused_with_a_clear_message_and_nothing_is_written() {
    let rig = Rig::new();
    let library = rig.library();
    let id = add(&library, &png(64, 48, |_, _| [0, 0, 0]), 64, 48, "gpt-image-2");

    let short = message(rig.export(&id, 64, 48, vec![255; 100]).unwrap_err());
    assert!(short.contains("64x48") && short.contains("100 bytes"), "{short}");
    let swapped = message(rig.export(&id, 48, 64, vec![255; 48 * 64]).unwrap_err());
    assert!(swapped.contains("shapes differ"), "{swapped}");
    let empty = message(rig.export(&id, 64, 48, vec![0; 64 * 48]).unwrap_err());
    assert!(empty.contains("empty"), "{empty}");
    let unknown = message(rig.export("nope", 64, 48, vec![255; 64 * 48]).unwrap_err());
    assert!(unknown.contains("nope"), "{unknown}");
    let json = message(rig.call("export_mask", json!({"data": [1, 2, 3]})).unwrap_err());
    assert!(json.contains("raw bytes"), "{json}");
    let mut headers = HeaderMap::new();
    headers.insert("x-easel-image", HeaderValue::from_str(&id).unwrap());
    let missing = message(
        rig.invoke("export_mask", InvokeBody::Raw(vec![255; 4]), headers)
            .unwrap_err(),
    );
    assert!(missing.contains("x-easel-width"), "{missing}");

    let written = std::fs::read_dir(library.masks_dir()).map(|d| d.count()).unwrap_or(0);
    assert_eq!(written, 0, "no mask file after refused exports");
}

#[test]
fn an_edit_is_composited_inside_the_mask_as_a_new_image() {
    let rig = Rig::new();
    let library = rig.library();
    let original = add(
        &library,
        &png(64, 48, |x, y| [x as u8 * 3, y as u8 * 5, 90]),
        64,
        48,
        "gpt-image-2",
    );
    let edited = add(&library, &png(64, 48, |_, _| [250, 0, 0]), 64, 48, "gpt-image-2");
    let saved = rig
        .export(&original, 64, 48, painted(64, 48, (0, 32), (0, 48)))
        .unwrap();

    let tile = rig
        .call(
            "composite_mask",
            json!({"originalId": original, "editedId": edited, "mask": saved["name"]}),
        )
        .unwrap();
    let record = library.get(tile["id"].as_str().unwrap()).unwrap();
    assert_eq!(
        (record.width, record.height, record.operation.as_str()),
        (64, 48, "edit")
    );
    let meta = library.meta(&record.id).unwrap();
    assert!(meta.has_mask);
    assert_eq!(meta.inputs, vec![original.clone(), edited.clone()]);
    let out = image::open(&record.path).unwrap().into_rgb8();
    assert_eq!(out.get_pixel(10, 10).0, [250, 0, 0], "inside the mask: the edit");
    assert_eq!(
        out.get_pixel(50, 10).0,
        [150, 50, 90],
        "outside: the original, bit for bit"
    );

    let escape = message(
        rig.call(
            "composite_mask",
            json!({"originalId": original, "editedId": edited, "mask": "../library.db"}),
        )
        .unwrap_err(),
    );
    assert!(escape.contains("not a saved mask"), "{escape}");
}

#[test]
fn the_cost_summary_has_days_models_sessions_and_the_caps() {
    let rig = Rig::new();
    let library = rig.library();
    let session = library.create_session("Fox studies").unwrap();
    for (model, cost, session_id) in [
        ("gpt-image-2", 0.5, Some(session.id.as_str())),
        ("gpt-image-2", 0.25, Some(session.id.as_str())),
        ("gpt-image-1", 0.125, None),
    ] {
        let entry = Entry {
            model,
            provider: "openai",
            session_id,
            cost_usd: cost,
            ..Default::default()
        };
        library.record_cost(&entry).unwrap();
    }

    let summary = rig.call("cost_summary", json!({})).unwrap();
    assert_eq!(summary["spent_today_usd"], json!(0.875));
    assert_eq!(summary["spent_month_usd"], json!(0.875));
    assert_eq!(summary["budget"], json!({"daily_usd": 2.0, "monthly_usd": 50.0}));
    let days = summary["days"].as_array().unwrap();
    assert_eq!(days.len(), 1);
    assert_eq!(days[0]["cost_usd"], json!(0.875));
    assert_eq!(days[0]["calls"], json!(3));
    let models: Vec<(&str, f64)> = summary["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["key"].as_str().unwrap(), m["cost_usd"].as_f64().unwrap()))
        .collect();
    assert_eq!(models, vec![("gpt-image-2", 0.75), ("gpt-image-1", 0.125)]);
    let sessions = summary["sessions"].as_array().unwrap();
    assert_eq!(sessions[0]["name"], json!("Fox studies"));
    assert_eq!(sessions[0]["cost_usd"], json!(0.75));
    assert_eq!(sessions[1]["id"], json!("-"));
}

/// Files in the library outside `.easel/` (images and sidecars).
fn image_files(root: &std::path::Path) -> usize {
    std::fs::read_dir(root)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name() != ".easel")
                .map(|e| if e.path().is_dir() { image_files(&e.path()) } else { 1 })
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn a_dropped_file_is_imported_into_the_library_and_bad_bytes_are_refused() {
    let rig = Rig::new();
    let bytes = png(40, 30, |x, y| [x as u8 * 6, y as u8 * 8, 90]);
    let tile = rig.import("my%20sketch%C3%A9.png", bytes).unwrap();
    let id = tile["id"].as_str().unwrap().to_string();
    assert_eq!((tile["width"].as_u64(), tile["height"].as_u64()), (Some(40), Some(30)));

    // the library knows it by id, as an import, with its pixels intact
    let detail = rig.call("image_detail", json!({"id": id})).unwrap();
    assert_eq!(detail["operation"], "import", "{detail}");
    let record = rig.library().get(&id).unwrap();
    let decoded = image::open(&record.path).unwrap().into_rgb8();
    assert_eq!(decoded.dimensions(), (40, 30));
    assert_eq!(decoded.get_pixel(5, 3).0, [30, 24, 90]);
    let page = rig.call("gallery_page", json!({"query": {}})).unwrap();
    assert!(
        page["tiles"].as_array().unwrap().iter().any(|t| t["id"] == id.as_str()),
        "{page}"
    );
    assert_eq!(image_files(&rig.library_root), 1);

    // not an image, a truncated one, JSON instead of bytes: refused, saying why, nothing written
    let garbage = message(rig.import("notes.png", b"hello, not a picture".to_vec()).unwrap_err());
    assert!(
        garbage.contains("notes.png") && garbage.contains("not a PNG, JPEG or WebP"),
        "{garbage}"
    );
    let mut truncated = png(64, 64, |x, y| [x as u8, y as u8, 7]);
    truncated.truncate(truncated.len() / 2);
    let corrupt = message(rig.import("half.png", truncated).unwrap_err());
    assert!(corrupt.contains("half.png") && corrupt.contains("corrupt"), "{corrupt}");
    let json = message(rig.call("import_image", json!({"data": [1, 2, 3]})).unwrap_err());
    assert!(json.contains("raw bytes"), "{json}");
    assert_eq!(image_files(&rig.library_root), 1);
}

#[test]
fn a_file_dropped_from_the_file_manager_is_imported_by_its_path() {
    let rig = Rig::new();
    let outside = tempfile::tempdir().unwrap();
    let file = outside.path().join("pier sketch.png");
    std::fs::write(&file, png(20, 10, |x, _| [x as u8 * 10, 0, 0])).unwrap();
    let tile = rig
        .call("import_file", json!({"path": file.display().to_string()}))
        .unwrap();
    assert_eq!((tile["width"].as_u64(), tile["height"].as_u64()), (Some(20), Some(10)));
    let record = rig.library().get(tile["id"].as_str().unwrap()).unwrap();
    assert_eq!(record.operation, "import");
    assert!(record.path.starts_with(&rig.library_root), "{}", record.path.display());

    // a relative path, a missing file, a file that is no image: refused, saying why, nothing written
    let relative = message(rig.call("import_file", json!({"path": "pier sketch.png"})).unwrap_err());
    assert!(relative.contains("not an absolute path"), "{relative}");
    let missing = outside.path().join("gone.png");
    let gone = message(
        rig.call("import_file", json!({"path": missing.display().to_string()}))
            .unwrap_err(),
    );
    assert!(gone.contains("gone.png"), "{gone}");
    let text = outside.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    let not_image = message(
        rig.call("import_file", json!({"path": text.display().to_string()}))
            .unwrap_err(),
    );
    assert!(not_image.contains("not a PNG, JPEG or WebP"), "{not_image}");
    assert_eq!(image_files(&rig.library_root), 1);
}
