//! The mask painter's commands: export what was painted as OpenAI's mask, and put an edit back inside a
//! mask as a new image. The conversion is `easel::mask`, the files are `easel::library` (masks folder).
//!
//! `export_mask` takes the coverage as a raw IPC body (one byte per pixel, no JSON: a 4096² mask is
//! 16 MB) and its shape in headers, so nothing is base64-encoded or parsed on either side.

use easel::library::{ImageRecord, SavedMask};
use easel::mask::Coverage;
use tauri::State;
use tauri::ipc::{InvokeBody, Request};

use crate::commands::Tile;
use crate::commands::{Answer, blocking};
use crate::studio::Studio;

/// Header naming the image the mask was painted on (a library id).
pub const IMAGE_HEADER: &str = "x-easel-image";
/// Headers with the coverage buffer's width and height in pixels.
pub const WIDTH_HEADER: &str = "x-easel-width";
pub const HEIGHT_HEADER: &str = "x-easel-height";
/// `1` when the painted area is to be kept and everything else edited.
pub const INVERT_HEADER: &str = "x-easel-invert";

fn header<'a>(request: &'a Request<'_>, name: &str) -> Answer<&'a str> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| format!("the mask export lacks its `{name}` header"))
}

fn number(request: &Request<'_>, name: &str) -> Answer<u32> {
    let text = header(request, name)?;
    text.parse()
        .map_err(|_| format!("the `{name}` header must be a pixel count, not {text:?}"))
}

/// The painted coverage (raw body, `width × height` bytes, 255 = painted) of image `x-easel-image` →
/// OpenAI's mask at the image's natural size, saved in the library's masks folder.
#[tauri::command]
pub async fn export_mask(studio: State<'_, Studio>, request: Request<'_>) -> Answer<SavedMask> {
    let InvokeBody::Raw(data) = request.body() else {
        return Err("the mask export must be sent as raw bytes (one byte per pixel), not JSON".into());
    };
    let coverage = Coverage {
        width: number(&request, WIDTH_HEADER)?,
        height: number(&request, HEIGHT_HEADER)?,
        data: data.clone(),
        invert: header(&request, INVERT_HEADER).is_ok_and(|v| v == "1"),
    };
    let image = header(&request, IMAGE_HEADER)?.to_string();
    let library = studio.library();
    blocking(move || library.save_painted_mask(&image, &coverage)).await
}

/// The edit `edited_id` applied inside the saved mask `mask` over `original_id`, as a new library image.
#[tauri::command]
pub async fn composite_mask(
    studio: State<'_, Studio>,
    original_id: String,
    edited_id: String,
    mask: String,
) -> Answer<Tile> {
    let library = studio.library();
    blocking(move || {
        let record: ImageRecord = library.add_composite(&original_id, &edited_id, &mask)?;
        Ok(Tile::from(&record))
    })
    .await
}
