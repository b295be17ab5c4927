//! Image bytes: recognising formats by content, reading dimensions without decoding pixels, and turning
//! base64 / data URLs / files into [`InputImage`]s that are checked before anything is sent.

use std::io::Cursor;
use std::path::Path;

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::models::OutputFormat;

/// Per-image upload cap of the Images API for GPT models.
pub const MAX_INPUT_BYTES: usize = 50 * 1024 * 1024;

/// Decode standard base64 as sent by the API: padding optional (some servers strip it), whitespace
/// tolerated (pasted input): WHATWG's forgiving base64, SIMD-accelerated (the whitespace scan too): this
/// sits on the path of every received image.
pub fn decode_base64(text: impl AsRef<[u8]>) -> Result<Vec<u8>, String> {
    let text = text.as_ref();
    base64_simd::forgiving_decode_to_vec(text).map_err(|_| {
        format!(
            "invalid base64 ({} characters that are not a valid encoding)",
            text.trim_ascii().len()
        )
    })
}

pub fn encode_base64(bytes: &[u8]) -> String {
    base64_simd::STANDARD.encode_to_string(bytes)
}

/// `data:[<mime>][;base64],<payload>` → (mime, bytes). Only base64 payloads carry images.
pub fn parse_data_url(url: &str) -> Result<(Option<String>, Vec<u8>), String> {
    let rest = url
        .strip_prefix("data:")
        .ok_or_else(|| "a data URL must start with 'data:'".to_string())?;
    let (meta, payload) = rest
        .split_once(',')
        .ok_or_else(|| "a data URL needs a ',' before its payload".to_string())?;
    let mut fields = meta.split(';');
    let mime = fields.next().filter(|m| !m.is_empty()).map(str::to_ascii_lowercase);
    if !fields.any(|f| f.eq_ignore_ascii_case("base64")) {
        return Err("only base64 data URLs are supported (add ';base64')".into());
    }
    Ok((mime, decode_base64(payload)?))
}

pub fn data_url(format: OutputFormat, bytes: &[u8]) -> String {
    format!("data:{};base64,{}", format.mime(), encode_base64(bytes))
}

/// Pixel size from the header only (no pixel decode).
pub fn dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()
}

/// The pixels as 8-bit RGBA, with the width and height: what the system clipboard takes (the app's
/// "Copy image"). The file itself is never changed.
pub fn decode_rgba(bytes: &[u8]) -> Result<(Vec<u8>, u32, u32)> {
    let image = image::load_from_memory(bytes)
        .map_err(|e| Error::InvalidInput(format!("cannot read the image's pixels: {e}")))?
        .into_rgba8();
    let (width, height) = image.dimensions();
    Ok((image.into_raw(), width, height))
}

/// An image checked and ready to upload: a supported format, readable, under the size cap.
#[derive(Clone, Debug, PartialEq)]
pub struct InputImage {
    pub name: String,
    pub format: OutputFormat,
    pub width: u32,
    pub height: u32,
    pub bytes: Bytes,
}

impl InputImage {
    pub fn from_bytes(name: impl Into<String>, bytes: impl Into<Bytes>) -> Result<InputImage> {
        let name = name.into();
        let bytes = bytes.into();
        if bytes.len() > MAX_INPUT_BYTES {
            return Err(Error::InvalidInput(format!(
                "{name} is {:.1} MB; input images must be under 50 MB",
                bytes.len() as f64 / 1_048_576.0
            )));
        }
        let format = OutputFormat::sniff(&bytes).ok_or_else(|| {
            Error::InvalidInput(format!(
                "{name} is not a PNG, JPEG or WebP image (the formats OpenAI accepts)"
            ))
        })?;
        let (width, height) = dimensions(&bytes).ok_or_else(|| {
            Error::InvalidInput(format!(
                "{name} looks like a {format} but cannot be read (corrupt or truncated?)"
            ))
        })?;
        Ok(InputImage {
            name,
            format,
            width,
            height,
            bytes,
        })
    }

    pub fn from_path(path: &Path) -> Result<InputImage> {
        let unreadable = |e: std::io::Error| Error::InvalidInput(format!("cannot read image {}: {e}", path.display()));
        let meta = std::fs::metadata(path).map_err(unreadable)?;
        if meta.len() > MAX_INPUT_BYTES as u64 {
            return Err(Error::InvalidInput(format!(
                "{} is {:.1} MB; input images must be under 50 MB",
                path.display(),
                meta.len() as f64 / 1_048_576.0
            )));
        }
        let bytes = std::fs::read(path).map_err(unreadable)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "image".into());
        InputImage::from_bytes(name, bytes)
    }

    /// The upload file name: the original stem with the extension the content really has.
    pub fn upload_name(&self) -> String {
        let stem = Path::new(&self.name)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("image");
        format!("{stem}.{}", self.format.extension())
    }
}

/// A mask must be a PNG with an alpha channel, the same pixel size as the first image.
pub fn check_mask(mask: &InputImage, first: &InputImage) -> Result<()> {
    check_mask_format(mask)?;
    check_mask_size((mask.width, mask.height), (first.width, first.height))
}

/// The mask's own rules, whatever image it goes with: a PNG that has an alpha channel (or a `tRNS`
/// transparency chunk). Reads the header only.
pub fn check_mask_format(mask: &InputImage) -> Result<()> {
    if mask.format != OutputFormat::Png {
        return Err(Error::InvalidInput(format!(
            "the mask must be a PNG with transparency (alpha 0 = area to edit); {} is a {}",
            mask.name, mask.format
        )));
    }
    let has_alpha = image::ImageReader::new(Cursor::new(&mask.bytes[..]))
        .with_guessed_format()
        .ok()
        .and_then(|r| r.into_decoder().ok())
        .map(|d| image::ImageDecoder::color_type(&d).has_alpha())
        .unwrap_or(false);
    if !has_alpha {
        return Err(Error::InvalidInput(
            "the mask has no alpha channel; paint the area to edit as fully transparent (alpha 0)".into(),
        ));
    }
    Ok(())
}

/// A mask applies pixel for pixel: `(width, height)` of the mask and of the image it goes with must match.
pub fn check_mask_size(mask: (u32, u32), image: (u32, u32)) -> Result<()> {
    if mask != image {
        return Err(Error::InvalidInput(format!(
            "the mask is {}x{} but the first image is {}x{}; they must be the same size (resize_mask: true scales \
             the mask to the image)",
            mask.0, mask.1, image.0, image.1
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn decodes_to_rgba_pixels() {
        let mut png = Vec::new();
        image::RgbImage::from_pixel(3, 2, image::Rgb([10, 20, 30]))
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let (pixels, w, h) = decode_rgba(&png).unwrap();
        assert_eq!((w, h, pixels.len()), (3, 2, 24));
        assert_eq!(&pixels[..4], [10, 20, 30, 255]);
        let e = decode_rgba(b"not an image").unwrap_err().to_string();
        assert!(e.contains("cannot read the image's pixels"), "{e}");
    }

    use super::*;
    use image::{ImageFormat, RgbImage, RgbaImage};

    pub(crate) fn png(w: u32, h: u32, alpha: bool) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        if alpha {
            RgbaImage::new(w, h).write_to(&mut out, ImageFormat::Png).unwrap();
        } else {
            RgbImage::new(w, h).write_to(&mut out, ImageFormat::Png).unwrap();
        }
        out.into_inner()
    }

    #[test]
    fn base64_and_data_urls() {
        assert_eq!(decode_base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64("aGVsbG8").unwrap(), b"hello", "padding optional");
        assert_eq!(decode_base64(" aGVs\nbG8= ").unwrap(), b"hello", "whitespace tolerated");
        assert!(decode_base64("aGV*bG8=").unwrap_err().contains("invalid base64"));
        let (mime, bytes) = parse_data_url("data:image/png;base64,aGVsbG8=").unwrap();
        assert_eq!((mime.as_deref(), bytes.as_slice()), (Some("image/png"), &b"hello"[..]));
        assert!(parse_data_url("data:image/png,hello").unwrap_err().contains("base64"));
        assert!(parse_data_url("http://x").is_err());
        assert!(parse_data_url("data:image/png;base64").is_err());
    }

    #[test]
    fn input_images_are_checked() {
        let img = InputImage::from_bytes("a.bin", png(64, 32, false)).unwrap();
        assert_eq!((img.format, img.width, img.height), (OutputFormat::Png, 64, 32));
        assert_eq!(img.upload_name(), "a.png");
        let e = InputImage::from_bytes("notes.txt", b"hello".to_vec())
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a PNG, JPEG or WebP"), "{e}");
        let mut truncated = png(64, 32, false);
        truncated.truncate(20);
        let e = InputImage::from_bytes("t.png", truncated).unwrap_err().to_string();
        assert!(e.contains("cannot be read"), "{e}");
    }

    #[test]
    fn masks_are_checked() {
        let first = InputImage::from_bytes("a.png", png(64, 64, false)).unwrap();
        let good = InputImage::from_bytes("m.png", png(64, 64, true)).unwrap();
        check_mask(&good, &first).unwrap();
        let wrong = InputImage::from_bytes("m.png", png(32, 64, true)).unwrap();
        assert!(check_mask(&wrong, &first).unwrap_err().to_string().contains("32x64"));
        let opaque = InputImage::from_bytes("m.png", png(64, 64, false)).unwrap();
        assert!(check_mask(&opaque, &first).unwrap_err().to_string().contains("alpha"));
    }

    proptest::proptest! {
        #[test]
        fn decoding_never_panics(s in ".{0,200}") {
            let _ = decode_base64(&s);
            let _ = parse_data_url(&s);
            let _ = parse_data_url(&format!("data:image/png;base64,{s}"));
        }

        #[test]
        fn base64_round_trips(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            proptest::prop_assert_eq!(decode_base64(encode_base64(&bytes)).unwrap(), bytes);
        }

        #[test]
        fn sniffing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            let _ = InputImage::from_bytes("x", bytes);
        }
    }
}
