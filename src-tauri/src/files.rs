//! Commands for an image's file (the detail panel's actions): copy the image or its path to the
//! clipboard, show it in the file manager. Images are named by library id only, never by path, so
//! the window cannot reach files outside the library through them.

use std::path::PathBuf;

use tauri::{AppHandle, Runtime, State};

use crate::commands::Answer;
use crate::endpoint::clipboard;
use crate::studio::Studio;

/// The file of library image `id` (an unknown id is the core's clear error).
async fn image_path(studio: &Studio, id: String) -> Answer<PathBuf> {
    let library = studio.library();
    tauri::async_runtime::spawn_blocking(move || library.get(&id).map(|r| r.path))
        .await
        .map_err(|e| format!("the task failed: {e}"))?
        .map_err(|e| e.to_string())
}

/// Puts the image's pixels on the clipboard (apps paste it as a picture).
#[tauri::command]
pub async fn copy_image<R: Runtime>(app: AppHandle<R>, studio: State<'_, Studio>, id: String) -> Answer<()> {
    let path = image_path(&studio, id).await?;
    let (rgba, width, height) = tauri::async_runtime::spawn_blocking(move || {
        let bytes = std::fs::read(&path).map_err(|e| easel::Error::io("cannot read", &path, e))?;
        easel::imaging::decode_rgba(&bytes)
    })
    .await
    .map_err(|e| format!("the task failed: {e}"))?
    .map_err(|e| e.to_string())?;
    let image = tauri::image::Image::new_owned(rgba, width, height);
    clipboard(&app)?
        .write_image(&image)
        .map_err(|e| format!("cannot copy the image: {e}"))
}

/// Puts the image's absolute path on the clipboard; returns it.
#[tauri::command]
pub async fn copy_image_path<R: Runtime>(app: AppHandle<R>, studio: State<'_, Studio>, id: String) -> Answer<String> {
    let path = image_path(&studio, id).await?.display().to_string();
    clipboard(&app)?
        .write_text(path.clone())
        .map_err(|e| format!("cannot copy the path: {e}"))?;
    Ok(path)
}

/// Opens the file manager at the image's folder with the file selected.
#[tauri::command]
pub async fn reveal_image(studio: State<'_, Studio>, id: String) -> Answer<()> {
    let path = image_path(&studio, id).await?;
    tauri::async_runtime::spawn_blocking(move || tauri_plugin_opener::reveal_item_in_dir(&path))
        .await
        .map_err(|e| format!("the task failed: {e}"))?
        .map_err(|e| format!("cannot show the file in the file manager: {e}"))
}
