//! Input images: mimetype checks, decoding, masks, data URLs and `{image_url|file_id}` refs.

use std::io::Cursor;

use base64::Engine;
use bytes::Bytes;
use image::{ImageFormat, ImageReader};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::files;

/// A decoded input image (edits, variations, Responses `input_image`, masks).
#[derive(Clone, Debug)]
pub struct InputImage {
    pub width: u32,
    pub height: u32,
    pub format: ImageFormat,
    pub has_alpha: bool,
    pub len: usize,
}

const MIMES: &[&str] = &["image/jpeg", "image/png", "image/webp"];

/// Reject a file part whose content type is not one of the three image types.
pub fn check_mime(content_type: Option<&str>, param: &str) -> ApiResult<()> {
    let essence = content_type
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase())
        .unwrap_or_else(|| "application/octet-stream".to_string());
    if MIMES.contains(&essence.as_str()) {
        return Ok(());
    }
    Err(ApiError::invalid(
        param,
        "unsupported_file_mimetype",
        format!(
            "Invalid file '{param}': unsupported mimetype ('{essence}'). Supported file formats are \
             'image/jpeg', 'image/png', and 'image/webp'."
        ),
    ))
}

/// Fully decode `bytes`; a corrupt or unknown image is a 400 on `param`.
pub fn decode(bytes: &[u8], param: &str) -> ApiResult<InputImage> {
    let bad = || {
        ApiError::invalid(
            param,
            "invalid_image",
            format!(
                "Invalid image file for '{param}': the file could not be decoded. Supported \
                 formats are PNG, JPEG and WebP."
            ),
        )
    };
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| bad())?;
    let format = reader.format().ok_or_else(bad)?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP) {
        return Err(bad());
    }
    let image = reader.decode().map_err(|_| bad())?;
    Ok(InputImage {
        width: image.width(),
        height: image.height(),
        format,
        has_alpha: image.color().has_alpha(),
        len: bytes.len(),
    })
}

/// A mask must be a PNG with alpha, the same pixel size as the first image.
pub fn check_mask(mask: &InputImage, first: &InputImage, param: &str) -> ApiResult<()> {
    if mask.format != ImageFormat::Png || !mask.has_alpha {
        return Err(ApiError::invalid(
            param,
            "invalid_value",
            "Invalid mask image: the mask must be a PNG image with an alpha channel.",
        ));
    }
    if (mask.width, mask.height) != (first.width, first.height) {
        return Err(ApiError::invalid(
            param,
            "invalid_value",
            format!(
                "Invalid mask image: the mask is {}x{} but must have the same dimensions as the \
                 image ({}x{}).",
                mask.width, mask.height, first.width, first.height
            ),
        ));
    }
    Ok(())
}

/// dall-e-2 inputs: one square PNG under 4 MB.
pub fn check_dalle_square_png(image: &InputImage, param: &str) -> ApiResult<()> {
    if image.format != ImageFormat::Png || image.width != image.height {
        return Err(ApiError::invalid(
            param,
            "invalid_value",
            "Invalid input image - image must be a square PNG.",
        ));
    }
    if image.len >= 4 * 1024 * 1024 {
        return Err(ApiError::invalid(
            param,
            "invalid_value",
            "Invalid input image - image must be less than 4 MB.",
        ));
    }
    Ok(())
}

/// The bytes of a `data:image/...;base64,...` URL.
pub fn data_url(url: &str, param: &str) -> ApiResult<Bytes> {
    let invalid_url = |why: &str| {
        ApiError::invalid(
            param,
            "invalid_image_url",
            format!("Invalid image URL for '{param}': {why}"),
        )
    };
    let Some(rest) = url.strip_prefix("data:") else {
        return Err(invalid_url(
            "this fake server does not download remote images; send a base64 data URL or a file_id.",
        ));
    };
    let Some((meta, data)) = rest.split_once(',') else {
        return Err(invalid_url("malformed data URL."));
    };
    let Some(mime) = meta.strip_suffix(";base64") else {
        return Err(invalid_url("data URLs must be base64-encoded."));
    };
    check_mime(Some(mime), param)?;
    base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map(Bytes::from)
        .map_err(|_| {
            ApiError::invalid(
                param,
                "invalid_base64_image",
                format!("Invalid base64 image data for '{param}'."),
            )
        })
}

/// Resolve an `ImageRefParam` (`{"image_url": ...}` or `{"file_id": ...}`, exactly one).
pub fn image_ref(value: &Value, param: &str, files: &files::Store) -> ApiResult<Bytes> {
    let Some(obj) = value.as_object() else {
        return Err(ApiError::invalid_type(param, "an object", value));
    };
    if let Some(key) = obj.keys().find(|k| *k != "image_url" && *k != "file_id") {
        return Err(ApiError::unknown_parameter(&format!("{param}.{key}")));
    }
    match (obj.get("image_url"), obj.get("file_id")) {
        (Some(Value::String(url)), None) => data_url(url, &format!("{param}.image_url")),
        (None, Some(Value::String(id))) => file_bytes(id, &format!("{param}.file_id"), files),
        _ => Err(ApiError::invalid(
            param,
            "invalid_value",
            format!("Invalid '{param}': provide exactly one of 'image_url' or 'file_id'."),
        )),
    }
}

/// The bytes of an uploaded file, or 400 `image_file_not_found`.
pub fn file_bytes(id: &str, param: &str, files: &files::Store) -> ApiResult<Bytes> {
    files
        .get(id)
        .map(|f| f.data)
        .ok_or_else(|| ApiError::invalid(param, "image_file_not_found", format!("No such File object: {id}")))
}
