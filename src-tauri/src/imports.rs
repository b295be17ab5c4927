//! Images from outside the library (files dropped on the window, pictures pasted from the clipboard)
//! made library images, so a reference list can send them by id: `Library::import_image` checks and
//! saves them.
//!
//! `import_image` takes the file as a raw IPC body (no JSON array of numbers for a 50 MB file) and its
//! name, percent-encoded, in a header. `import_file` takes an absolute path: a file dropped from another
//! application reaches the UI only as a path (Tauri's native drop event), never as its bytes.

use tauri::State;
use tauri::ipc::{InvokeBody, Request};

use crate::commands::{Answer, Tile, blocking};
use crate::media::percent_decode;
use crate::studio::Studio;

/// Header with the file's name (percent-encoded, as `encodeURIComponent` writes it); used in messages.
pub const NAME_HEADER: &str = "x-easel-name";

/// The raw body (a PNG, JPEG or WebP file's bytes) as a new library image (operation `import`).
#[tauri::command]
pub async fn import_image(studio: State<'_, Studio>, request: Request<'_>) -> Answer<Tile> {
    let InvokeBody::Raw(data) = request.body() else {
        return Err("an imported image must be sent as its file's raw bytes, not JSON".into());
    };
    let name = request
        .headers()
        .get(NAME_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(percent_decode)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "the image".into());
    let bytes = data.clone();
    let library = studio.library();
    blocking(move || library.import_image(&name, bytes).map(|r| Tile::from(&r))).await
}

/// The file at `path` (absolute, as a file manager's drop names it) as a new library image.
#[tauri::command]
pub async fn import_file(studio: State<'_, Studio>, path: String) -> Answer<Tile> {
    let library = studio.library();
    blocking(move || library.import_file(std::path::Path::new(&path)).map(|r| Tile::from(&r))).await
}
