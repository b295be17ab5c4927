//! Masks painted in the app, kept beside the library (`.easel/masks/<image id>-<ms>.png`), and edits put
//! back inside their mask as new library images.
//!
//! The conversion itself is [`crate::mask`]; this module only decides where a mask lives and which images
//! it is applied to. A mask is named by its file name only (never a path), so a caller cannot reach
//! outside the masks folder.

use std::path::PathBuf;

use serde::Serialize;

use super::{EASEL_DIR, ImageRecord, Library, files};
use crate::error::{Error, Result};
use crate::mask::{self, Coverage};
use crate::metadata::{FORMAT_VERSION, ImageMeta};
use crate::models::OutputFormat;

/// A mask written into the masks folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SavedMask {
    /// The file name inside the masks folder: how the app refers to the mask later.
    pub name: String,
    /// Absolute path (what an edit request uploads).
    pub path: PathBuf,
    /// The image's natural size, which the mask has.
    pub width: u32,
    pub height: u32,
    /// Size of the PNG.
    pub bytes: u64,
}

impl Library {
    /// `<root>/.easel/masks`, where painted masks are saved.
    pub fn masks_dir(&self) -> PathBuf {
        self.root().join(EASEL_DIR).join("masks")
    }

    /// Converts what was painted over image `image_id` into OpenAI's mask at the image's natural size
    /// ([`mask::to_openai_mask`]) and saves it atomically in the masks folder.
    pub fn save_painted_mask(&self, image_id: &str, coverage: &Coverage) -> Result<SavedMask> {
        let image = self.get(image_id)?;
        let png = mask::to_openai_mask(image.width, image.height, coverage)?;
        let stamp = jiff::Timestamp::now().as_millisecond();
        let name = format!("{image_id}-{stamp}-{}.png", &files::new_id()[..6]);
        let path = self.masks_dir().join(&name);
        files::write_atomic(&path, &png, false)?;
        Ok(SavedMask {
            name,
            path,
            width: image.width,
            height: image.height,
            bytes: png.len() as u64,
        })
    }

    /// The path of a saved mask by its file name; refuses anything that is not a plain `.png` name in the
    /// masks folder.
    pub fn mask_path(&self, name: &str) -> Result<PathBuf> {
        let plain = !name.is_empty()
            && name.ends_with(".png")
            && !name.starts_with('.')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !plain {
            return Err(Error::InvalidInput(format!(
                "{name:?} is not a saved mask's name; export the mask from the painter first"
            )));
        }
        let path = self.masks_dir().join(name);
        if !path.is_file() {
            return Err(Error::UnknownId {
                kind: "mask",
                id: name.to_string(),
            });
        }
        Ok(path)
    }

    /// The edit `edited_id` applied inside mask `mask_name` over `original_id` ([`mask::composite_inside_mask`];
    /// a mask of another size is fitted to the original first), saved as a new PNG image in the library.
    /// Its metadata is the edit's, with both images as inputs and `has_mask`.
    pub fn add_composite(&self, original_id: &str, edited_id: &str, mask_name: &str) -> Result<ImageRecord> {
        let original = self.get(original_id)?;
        let edited = self.get(edited_id)?;
        let read = |path: &PathBuf| std::fs::read(path).map_err(|e| Error::io("cannot read", path.clone(), e));
        let mask_png = read(&self.mask_path(mask_name)?)?;
        let mask_png = mask::mask_from_png(&mask_png, original.width, original.height, true)?;
        let png = mask::composite_inside_mask(&read(&original.path)?, &read(&edited.path)?, &mask_png)?;
        let base = self.meta(edited_id)?;
        let meta = ImageMeta {
            easel: FORMAT_VERSION,
            id: files::new_id(),
            created_at: jiff::Timestamp::now().to_string(),
            operation: "edit".into(),
            width: original.width,
            height: original.height,
            format: OutputFormat::Png,
            usage: None,
            cost_usd: 0.0,
            inputs: vec![original_id.to_string(), edited_id.to_string()],
            has_mask: true,
            request_id: None,
            response_id: None,
            ..base
        };
        self.add_image(&png, &meta)
    }
}
