//! The mask painter's Rust side: what the user painted → OpenAI's mask format, uploaded masks checked and
//! fitted to the image, and "composite inside the mask only" once the edit comes back.
//!
//! OpenAI's mask is a PNG with an alpha channel, the same pixel size as the (first) image, where alpha 0
//! marks the area to edit. Three representations meet here:
//! - [`Coverage`]: what the painter sends, one byte per pixel at the *painter's* resolution, 255 = painted.
//!   It is how much of each pixel the brush covered, so soft brushes and feathered edges are values between.
//! - the mask PNG: RGBA, black, alpha = 255 − coverage, at the image's natural size (what the API takes);
//! - the alpha plane: the mask's alpha decoded, one byte per pixel, used for resizing and compositing.
//!
//! Scaling a mask uses bilinear convolution (`fast_image_resize`, SIMD): it smooths the edges of an
//! upscaled canvas without the over- and undershoot of sharper filters, so the inside of a painted area
//! stays exactly alpha 0 and everything away from it exactly 255.
//!
//! gpt-image treats the mask as guidance, not as a stencil: it may change pixels outside it. That is what
//! [`composite_inside_mask`] is for: outside the mask the result is the original, bit for bit.

use std::borrow::Cow;
use std::io::Cursor;

use fast_image_resize as fr;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ExtendedColorType, ImageEncoder};

use crate::error::{Error, Result};
use crate::imaging::{self, InputImage};

/// The largest image edge the mask functions accept (and decode), in pixels.
pub const MAX_EDGE: u32 = 16_384;

/// What the user painted, as the mask painter hands it over.
///
/// One byte per pixel, row-major, `width × height` bytes, at the painter's resolution: the canvas may be
/// a downscaled view of the image (then the coverage is scaled up on export) but must have its shape,
/// give or take a pixel of rounding per edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    pub width: u32,
    pub height: u32,
    /// 0 = untouched (keep), 255 = painted (edit), values between = partly covered (soft edge).
    pub data: Vec<u8>,
    /// Edit what was *not* painted instead.
    pub invert: bool,
}

/// The painter's coverage as OpenAI's mask: an RGBA PNG of `image_width × image_height` pixels, black,
/// with alpha 0 where painted (to edit), 255 where untouched and in between along soft edges.
///
/// Errors (all [`Error::InvalidInput`]): an empty or oversized image size, a coverage buffer that does not
/// match its own size or has another shape than the image, and a coverage with nothing painted. A mask that
/// covers everything is valid (the whole image is edited).
pub fn to_openai_mask(image_width: u32, image_height: u32, coverage: &Coverage) -> Result<Vec<u8>> {
    check_edges("the image", image_width, image_height)?;
    check_coverage(coverage)?;
    check_same_shape(coverage, image_width, image_height)?;
    if !paints_something(coverage) {
        return Err(Error::InvalidInput(
            "the mask is empty: paint the area to change first".into(),
        ));
    }
    let to = (image_width, image_height);
    let scaled = scale_plane(&coverage.data, (coverage.width, coverage.height), to)?;
    // Painted (255) must become alpha 0: flip unless inverted, where coverage already is the alpha.
    encode_mask(&scaled, to, !coverage.invert)
}

/// An uploaded mask made ready for an image of `image_width × image_height`: a PNG with an alpha channel
/// (checked as [`imaging::check_mask_format`] does) with at least one transparent pixel.
///
/// Same size: the bytes come back unchanged. Another size: with `resize`, its alpha is scaled to the
/// image's size and encoded like [`to_openai_mask`] (RGB becomes black: the API only reads alpha);
/// without, an error names both sizes.
pub fn mask_from_png(bytes: &[u8], image_width: u32, image_height: u32, resize: bool) -> Result<Vec<u8>> {
    check_edges("the image", image_width, image_height)?;
    let mask = InputImage::from_bytes("the uploaded mask", bytes.to_vec())?;
    imaging::check_mask_format(&mask)?;
    let from = (mask.width, mask.height);
    let to = (image_width, image_height);
    if !resize {
        imaging::check_mask_size(from, to)
            .map_err(|e| Error::InvalidInput(format!("{e} (resize the mask, or paint it again on this image)")))?;
    }
    let alpha = alpha_plane(decode(bytes, "the uploaded mask")?);
    if alpha.iter().all(|&a| a == 255) {
        return Err(Error::InvalidInput(
            "the uploaded mask is fully opaque, so nothing would be edited; make the area to change transparent (alpha 0)"
                .into(),
        ));
    }
    if from == to {
        return Ok(bytes.to_vec());
    }
    encode_mask(&scale_plane(&alpha, from, to)?, to, false)
}

/// The edit applied inside the mask only, as a PNG at the original's size: the original wherever the mask
/// is opaque (bit-exact), the edit where it is transparent, and along soft edges the two blended by the
/// mask's alpha.
///
/// `original` and `edited` may be PNG, JPEG or WebP; an edit of another size is scaled to the original's
/// first (Catmull-Rom). The result keeps the original's channels: RGB stays RGB (an edit's alpha is dropped),
/// RGBA stays RGBA (alpha is blended like the colours). 16-bit images are reduced to 8 bits. The mask must
/// have an alpha channel and the original's size (fit it with [`mask_from_png`] first).
pub fn composite_inside_mask(original: &[u8], edited: &[u8], mask_png: &[u8]) -> Result<Vec<u8>> {
    let original = decode(original, "the original image")?;
    let size = (original.width(), original.height());
    let mask = decode(mask_png, "the mask")?;
    if !mask.color().has_alpha() {
        return Err(Error::InvalidInput(
            "the mask has no alpha channel; the area to edit must be transparent (alpha 0)".into(),
        ));
    }
    if (mask.width(), mask.height()) != size {
        return Err(Error::InvalidInput(format!(
            "the mask is {}x{} but the original image is {}x{}; resize the mask to the image first",
            mask.width(),
            mask.height(),
            size.0,
            size.1
        )));
    }
    let alpha = alpha_plane(mask);
    let (mut base, layout) = into_pixels(original);
    let edited = decode(edited, "the edited image")?;
    let from = (edited.width(), edited.height());
    let edit = into_layout(edited, layout);
    let edit = scale_pixels(&edit, from, size, layout)?;
    blend_inside(&mut base, &edit, &alpha, layout.channels());
    encode_png(&base, size, layout.color(), FilterType::Adaptive)
}

/// 8-bit pixel layouts the compositor works in: the original's, so its pixels round-trip exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    Rgb,
    Rgba,
}

impl Layout {
    fn channels(self) -> usize {
        match self {
            Layout::Rgb => 3,
            Layout::Rgba => 4,
        }
    }

    fn color(self) -> ExtendedColorType {
        match self {
            Layout::Rgb => ExtendedColorType::Rgb8,
            Layout::Rgba => ExtendedColorType::Rgba8,
        }
    }

    fn pixel_type(self) -> fr::PixelType {
        match self {
            Layout::Rgb => fr::PixelType::U8x3,
            Layout::Rgba => fr::PixelType::U8x4,
        }
    }
}

fn check_edges(what: &str, width: u32, height: u32) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::InvalidInput(format!(
            "{what} is {width}x{height}; it needs at least one pixel each way"
        )));
    }
    if width > MAX_EDGE || height > MAX_EDGE {
        return Err(Error::InvalidInput(format!(
            "{what} is {width}x{height}; masks work on images up to {MAX_EDGE} px per edge"
        )));
    }
    Ok(())
}

fn check_coverage(coverage: &Coverage) -> Result<()> {
    let (w, h) = (coverage.width, coverage.height);
    check_edges("the painted mask", w, h)?;
    let pixels = w as usize * h as usize;
    if coverage.data.len() != pixels {
        return Err(Error::InvalidInput(format!(
            "the painted mask is {w}x{h} ({pixels} pixels) but carries {} bytes; it needs one byte per pixel",
            coverage.data.len()
        )));
    }
    Ok(())
}

/// The canvas must be the image scaled by one factor, each edge rounded either way: a canvas of another
/// shape (say, width and height swapped) would stretch the mask over the wrong pixels.
fn check_same_shape(coverage: &Coverage, image_width: u32, image_height: u32) -> Result<()> {
    let [cw, ch, iw, ih] = [coverage.width, coverage.height, image_width, image_height].map(u64::from);
    let fits = (cw - 1) * ih <= (ch + 1) * iw && (ch - 1) * iw <= (cw + 1) * ih;
    if !fits {
        return Err(Error::InvalidInput(format!(
            "the painted mask is {cw}x{ch} but the image is {iw}x{ih}: their shapes differ, so the mask cannot be \
             scaled onto the image"
        )));
    }
    Ok(())
}

fn paints_something(coverage: &Coverage) -> bool {
    let untouched = if coverage.invert { 255 } else { 0 };
    coverage.data.iter().any(|&c| c != untouched)
}

/// A one-byte-per-pixel plane at `to`, scaled bilinearly; borrowed as is when the size already matches.
fn scale_plane(plane: &[u8], from: (u32, u32), to: (u32, u32)) -> Result<Cow<'_, [u8]>> {
    if from == to {
        return Ok(Cow::Borrowed(plane));
    }
    let filter = fr::FilterType::Bilinear;
    resize(plane, from, to, fr::PixelType::U8, filter).map(Cow::Owned)
}

/// 3- or 4-channel pixels at `to` (Catmull-Rom, alpha-aware), moved through as is when the size matches.
fn scale_pixels(pixels: &[u8], from: (u32, u32), to: (u32, u32), layout: Layout) -> Result<Cow<'_, [u8]>> {
    if from == to {
        return Ok(Cow::Borrowed(pixels));
    }
    let filter = fr::FilterType::CatmullRom;
    resize(pixels, from, to, layout.pixel_type(), filter).map(Cow::Owned)
}

fn resize(
    pixels: &[u8],
    from: (u32, u32),
    to: (u32, u32),
    kind: fr::PixelType,
    filter: fr::FilterType,
) -> Result<Vec<u8>> {
    let failed = |e: &dyn std::fmt::Display| Error::InvalidInput(format!("cannot resize the mask or image: {e}"));
    let src = fr::images::ImageRef::new(from.0, from.1, pixels, kind).map_err(|e| failed(&e))?;
    let mut dst = fr::images::Image::new(to.0, to.1, kind);
    let options = fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(filter));
    fr::Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| failed(&e))?;
    Ok(dst.into_vec())
}

/// Black RGBA whose alpha is `plane` (or `255 − plane` with `flip`), encoded as a PNG.
///
/// Written a pixel at a time as one little-endian `u32` (R, G, B = 0; A), which the compiler vectorises. The
/// PNG uses fdeflate with the Sub filter: on a mask, Sub turns every run of equal pixels into zeros, which
/// fdeflate's run-length coding shrinks to almost nothing (a 4K mask is a few KB, far under the API's 4 MB).
fn encode_mask(plane: &[u8], size: (u32, u32), flip: bool) -> Result<Vec<u8>> {
    let xor = if flip { 0xFF } else { 0 };
    let mut rgba = vec![0u8; plane.len() * 4];
    for (pixel, &value) in rgba.chunks_exact_mut(4).zip(plane) {
        pixel.copy_from_slice(&(u32::from(value ^ xor) << 24).to_le_bytes());
    }
    encode_png(&rgba, size, ExtendedColorType::Rgba8, FilterType::Sub)
}

fn encode_png(pixels: &[u8], size: (u32, u32), color: ExtendedColorType, filter: FilterType) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, filter)
        .write_image(pixels, size.0, size.1, color)
        .map_err(|e| Error::InvalidInput(format!("cannot encode the PNG: {e}")))?;
    Ok(out)
}

/// Decodes PNG, JPEG or WebP up to [`MAX_EDGE`] per edge; `what` names the input in errors.
fn decode(bytes: &[u8], what: &str) -> Result<DynamicImage> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::InvalidInput(format!("cannot read {what}: {e}")))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_EDGE);
    limits.max_image_height = Some(MAX_EDGE);
    reader.limits(limits);
    reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => Error::InvalidInput(format!(
            "{what} is too large: masks work on images up to {MAX_EDGE} px per edge ({e})"
        )),
        image::ImageError::Unsupported(_) => Error::InvalidInput(format!("{what} is not a PNG, JPEG or WebP image")),
        _ => Error::InvalidInput(format!("cannot decode {what} (damaged or truncated?): {e}")),
    })
}

/// The alpha channel, one byte per pixel (255 everywhere for an image without one).
fn alpha_plane(image: DynamicImage) -> Vec<u8> {
    match image {
        DynamicImage::ImageRgba8(rgba) => rgba.into_raw().into_iter().skip(3).step_by(4).collect(),
        DynamicImage::ImageLumaA8(la) => la.into_raw().into_iter().skip(1).step_by(2).collect(),
        other => other.into_rgba8().into_raw().into_iter().skip(3).step_by(4).collect(),
    }
}

/// The original's 8-bit pixels and layout: RGBA if it has alpha, RGB otherwise.
fn into_pixels(image: DynamicImage) -> (Vec<u8>, Layout) {
    let layout = if image.color().has_alpha() {
        Layout::Rgba
    } else {
        Layout::Rgb
    };
    (into_layout(image, layout), layout)
}

fn into_layout(image: DynamicImage, layout: Layout) -> Vec<u8> {
    match (image, layout) {
        (DynamicImage::ImageRgb8(rgb), Layout::Rgb) => rgb.into_raw(),
        (DynamicImage::ImageRgba8(rgba), Layout::Rgba) => rgba.into_raw(),
        (other, Layout::Rgb) => other.into_rgb8().into_raw(),
        (other, Layout::Rgba) => other.into_rgba8().into_raw(),
    }
}

/// `base = base·a + edit·(255 − a)` per channel, rounded, where `a` is the mask's alpha: exact at both ends
/// (a = 255 keeps `base`, a = 0 takes `edit`).
fn blend_inside(base: &mut [u8], edit: &[u8], alpha: &[u8], channels: usize) {
    let pixels = base.chunks_exact_mut(channels).zip(edit.chunks_exact(channels));
    for ((keep, take), &a) in pixels.zip(alpha) {
        match a {
            255 => {}
            0 => keep.copy_from_slice(take),
            _ => {
                let a = u32::from(a);
                for (k, &t) in keep.iter_mut().zip(take) {
                    *k = ((u32::from(*k) * a + u32::from(t) * (255 - a) + 127) / 255) as u8;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
    use proptest::prelude::*;

    fn coverage(width: u32, height: u32, invert: bool, paint: impl Fn(u32, u32) -> u8) -> Coverage {
        let data = (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| paint(x, y));
        Coverage {
            width,
            height,
            data: data.collect(),
            invert,
        }
    }

    /// Decodes a mask export, checking it is an RGBA PNG whose colour is black everywhere.
    fn decoded_mask(png: &[u8]) -> RgbaImage {
        assert_eq!(image::guess_format(png).unwrap(), ImageFormat::Png);
        let DynamicImage::ImageRgba8(rgba) = image::load_from_memory(png).unwrap() else {
            panic!("the mask must decode as 8-bit RGBA");
        };
        assert!(rgba.pixels().all(|p| p.0[..3] == [0, 0, 0]), "mask pixels are black");
        rgba
    }

    fn alpha(mask: &RgbaImage, x: u32, y: u32) -> u8 {
        mask.get_pixel(x, y).0[3]
    }

    fn encode(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn rgba_png(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 4]) -> Vec<u8> {
        let image = RgbaImage::from_fn(width, height, |x, y| Rgba(pixel(x, y)));
        encode(DynamicImage::ImageRgba8(image), ImageFormat::Png)
    }

    fn rgb_png(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, y| Rgb(pixel(x, y)));
        encode(DynamicImage::ImageRgb8(image), ImageFormat::Png)
    }

    /// Deterministic noise, so pixels differ from their neighbours and between images.
    fn noise(x: u32, y: u32, seed: u32) -> u8 {
        let mut h = x.wrapping_mul(0x9E37_79B1) ^ y.wrapping_mul(0x85EB_CA77) ^ seed.wrapping_mul(0xC2B2_AE3D);
        h ^= h >> 15;
        h = h.wrapping_mul(0x2C1B_3C6D);
        (h >> 24) as u8
    }

    fn error_of<T: std::fmt::Debug>(result: Result<T>) -> String {
        match result.unwrap_err() {
            Error::InvalidInput(message) => message,
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    /// A 96×54 canvas (a quarter of the image per edge) with one hard horizontal stroke: rows 20–33,
    /// columns 10–85.
    fn stroke(invert: bool) -> Coverage {
        coverage(96, 54, invert, |x, y| {
            if (10..86).contains(&x) && (20..34).contains(&y) {
                255
            } else {
                0
            }
        })
    }

    #[test]
    fn a_painted_stroke_becomes_alpha_zero_at_the_natural_size() {
        let mask = decoded_mask(&to_openai_mask(384, 216, &stroke(false)).unwrap());
        assert_eq!(mask.dimensions(), (384, 216));
        // Inside the stroke (source rows 20–33 → 80–135, columns 10–85 → 40–343).
        for (x, y) in [(192, 108), (44, 84), (340, 132), (200, 82)] {
            assert_eq!(alpha(&mask, x, y), 0, "inside at ({x}, {y})");
        }
        // Outside it.
        for (x, y) in [(0, 0), (383, 215), (192, 20), (192, 200), (20, 108), (370, 108)] {
            assert_eq!(alpha(&mask, x, y), 255, "outside at ({x}, {y})");
        }
        // Across the top edge: opaque, a smooth ramp, then transparent; never back up.
        let column: Vec<u8> = (70..90).map(|y| alpha(&mask, 192, y)).collect();
        assert!(column.windows(2).all(|w| w[0] >= w[1]), "{column:?}");
        assert_eq!(column[..6], [255; 6], "{column:?}");
        assert_eq!(column[14..], [0; 6], "{column:?}");
        let ramp = column.iter().filter(|&&a| a != 0 && a != 255).count();
        assert!((2..=4).contains(&ramp), "a soft edge of 2–4 px at 4×: {column:?}");
        // Half-transparent or more: the stroke scaled 4× per edge, less its four rounded-off corner pixels
        // (bilinear: 62.5% coverage each way on the edge rows and columns → 39% in the corners).
        let transparent = mask.pixels().filter(|p| p.0[3] < 128).count();
        assert_eq!(transparent, 76 * 4 * 14 * 4 - 4);
    }

    #[test]
    fn invert_edits_everything_but_the_stroke() {
        let mask = decoded_mask(&to_openai_mask(384, 216, &stroke(true)).unwrap());
        assert_eq!(mask.dimensions(), (384, 216));
        assert_eq!(alpha(&mask, 192, 108), 255);
        assert_eq!(alpha(&mask, 0, 0), 0);
        assert_eq!(alpha(&mask, 383, 215), 0);
        let normal = decoded_mask(&to_openai_mask(384, 216, &stroke(false)).unwrap());
        for (a, b) in mask.pixels().zip(normal.pixels()) {
            assert_eq!(a.0[3], 255 - b.0[3]);
        }
    }

    #[test]
    fn a_canvas_at_the_image_size_maps_coverage_to_alpha_exactly() {
        let soft = coverage(40, 30, false, |x, y| (x * 6 + y) as u8);
        let mask = decoded_mask(&to_openai_mask(40, 30, &soft).unwrap());
        for (x, y, p) in mask.enumerate_pixels() {
            assert_eq!(p.0[3], 255 - (x * 6 + y) as u8, "({x}, {y})");
        }
        let inverted = Coverage { invert: true, ..soft };
        let mask = decoded_mask(&to_openai_mask(40, 30, &inverted).unwrap());
        for (x, y, p) in mask.enumerate_pixels() {
            assert_eq!(p.0[3], (x * 6 + y) as u8, "({x}, {y})");
        }
    }

    #[test]
    fn a_larger_canvas_is_scaled_down() {
        // A 2× canvas of a 50×50 image, left half painted.
        let half = coverage(100, 100, false, |x, _| if x < 50 { 255 } else { 0 });
        let mask = decoded_mask(&to_openai_mask(50, 50, &half).unwrap());
        assert_eq!(mask.dimensions(), (50, 50));
        assert_eq!((alpha(&mask, 0, 25), alpha(&mask, 23, 0)), (0, 0));
        assert_eq!((alpha(&mask, 27, 25), alpha(&mask, 49, 49)), (255, 255));
    }

    #[test]
    fn covering_everything_is_allowed_and_covering_nothing_is_not() {
        for full in [coverage(8, 8, false, |_, _| 255), coverage(8, 8, true, |_, _| 0)] {
            let mask = decoded_mask(&to_openai_mask(32, 32, &full).unwrap());
            assert!(mask.pixels().all(|p| p.0[3] == 0));
        }
        for empty in [coverage(8, 8, false, |_, _| 0), coverage(8, 8, true, |_, _| 255)] {
            let e = error_of(to_openai_mask(32, 32, &empty));
            assert!(e.contains("paint the area to change first"), "{e}");
        }
        // One faint pixel is still something painted.
        let faint = coverage(8, 8, false, |x, y| u8::from((x, y) == (3, 3)));
        let mask = decoded_mask(&to_openai_mask(8, 8, &faint).unwrap());
        assert_eq!(alpha(&mask, 3, 3), 254);
    }

    #[test]
    fn sizes_and_buffers_are_checked() {
        let dot = coverage(16, 9, false, |_, _| 255);
        let e = error_of(to_openai_mask(0, 1080, &dot));
        assert!(e.contains("0x1080") && e.contains("at least one pixel"), "{e}");
        let e = error_of(to_openai_mask(16_385, 9_216, &dot));
        assert!(e.contains("16385x9216") && e.contains("16384"), "{e}");
        to_openai_mask(16, 9, &dot).unwrap();

        let zero = Coverage {
            width: 0,
            height: 9,
            data: Vec::new(),
            invert: false,
        };
        let e = error_of(to_openai_mask(16, 9, &zero));
        assert!(e.contains("painted mask is 0x9"), "{e}");

        let short = Coverage {
            data: vec![255; 16 * 9 - 1],
            ..dot.clone()
        };
        let e = error_of(to_openai_mask(16, 9, &short));
        assert!(e.contains("16x9 (144 pixels) but carries 143 bytes"), "{e}");

        let swapped = coverage(9, 16, false, |_, _| 255);
        let e = error_of(to_openai_mask(1920, 1080, &swapped));
        assert!(
            e.contains("9x16") && e.contains("1920x1080") && e.contains("shapes differ"),
            "{e}"
        );
        // Canvases rounded either way per edge are the same shape.
        for (w, h) in [(1000, 562), (1000, 563), (999, 562), (1, 1), (3, 2)] {
            let canvas = coverage(w, h, false, |_, _| 255);
            let mask = decoded_mask(&to_openai_mask(1920, 1080, &canvas).unwrap());
            assert_eq!(mask.dimensions(), (1920, 1080), "{w}x{h}");
        }
    }

    #[test]
    fn an_uploaded_mask_of_the_right_size_is_kept_as_is() {
        let png = rgba_png(64, 48, |x, _| [9, 9, 9, if x < 20 { 0 } else { 255 }]);
        assert_eq!(mask_from_png(&png, 64, 48, false).unwrap(), png);
        assert_eq!(mask_from_png(&png, 64, 48, true).unwrap(), png);
    }

    #[test]
    fn an_uploaded_mask_of_another_size_is_resized_or_refused() {
        let png = rgba_png(128, 64, |x, _| [200, 0, 0, if x < 64 { 0 } else { 255 }]);
        let e = error_of(mask_from_png(&png, 256, 128, false));
        assert!(e.contains("128x64") && e.contains("256x128"), "{e}");

        let mask = decoded_mask(&mask_from_png(&png, 256, 128, true).unwrap());
        assert_eq!(mask.dimensions(), (256, 128));
        assert_eq!((alpha(&mask, 0, 0), alpha(&mask, 120, 127)), (0, 0));
        assert_eq!((alpha(&mask, 136, 0), alpha(&mask, 255, 127)), (255, 255));
        let e = error_of(mask_from_png(&png, 256, 0, true));
        assert!(e.contains("256x0"), "{e}");
    }

    #[test]
    fn an_uploaded_mask_needs_a_png_with_transparency() {
        let e = error_of(mask_from_png(&rgb_png(32, 32, |_, _| [0; 3]), 32, 32, true));
        assert!(e.contains("no alpha channel"), "{e}");
        let jpeg = encode(DynamicImage::ImageRgb8(RgbImage::new(32, 32)), ImageFormat::Jpeg);
        let e = error_of(mask_from_png(&jpeg, 32, 32, true));
        assert!(e.contains("must be a PNG") && e.contains("jpeg"), "{e}");
        let e = error_of(mask_from_png(&rgba_png(32, 32, |_, _| [0, 0, 0, 255]), 32, 32, true));
        assert!(e.contains("fully opaque"), "{e}");
        let e = error_of(mask_from_png(b"not an image", 32, 32, true));
        assert!(e.contains("not a PNG"), "{e}");
    }

    /// The mask for the compositing tests: transparent left of x = 16, a feather of alpha 64 over x = 16–23,
    /// opaque from x = 24.
    fn feathered(width: u32, height: u32) -> Vec<u8> {
        rgba_png(width, height, |x, _| {
            let a = match x {
                0..16 => 0,
                16..24 => 64,
                _ => 255,
            };
            [0, 0, 0, a]
        })
    }

    #[test]
    fn compositing_keeps_the_outside_and_takes_the_inside() {
        let original = rgb_png(48, 32, |x, y| [noise(x, y, 1), noise(x, y, 2), noise(x, y, 3)]);
        let edited = rgb_png(48, 32, |x, y| [noise(x, y, 4), noise(x, y, 5), noise(x, y, 6)]);
        let out = composite_inside_mask(&original, &edited, &feathered(48, 32)).unwrap();
        let DynamicImage::ImageRgb8(out) = image::load_from_memory(&out).unwrap() else {
            panic!("an RGB original gives an RGB result");
        };
        assert_eq!(out.dimensions(), (48, 32));
        for (x, y, p) in out.enumerate_pixels() {
            let keep = [noise(x, y, 1), noise(x, y, 2), noise(x, y, 3)];
            let take = [noise(x, y, 4), noise(x, y, 5), noise(x, y, 6)];
            let expected = match x {
                0..16 => take,
                16..24 => [0, 1, 2].map(|c| ((keep[c] as u32 * 64 + take[c] as u32 * 191 + 127) / 255) as u8),
                _ => keep,
            };
            assert_eq!(p.0, expected, "({x}, {y})");
        }
    }

    #[test]
    fn an_edit_of_another_size_is_scaled_to_the_original() {
        let original = rgba_png(64, 40, |x, y| [noise(x, y, 1), noise(x, y, 2), 7, noise(x, y, 3)]);
        // Twice the size, one flat colour, no alpha: scaled down, inside becomes that colour, opaque.
        let edited = rgb_png(128, 80, |_, _| [200, 10, 30]);
        let out = composite_inside_mask(&original, &edited, &feathered(64, 40)).unwrap();
        let DynamicImage::ImageRgba8(out) = image::load_from_memory(&out).unwrap() else {
            panic!("an RGBA original gives an RGBA result");
        };
        assert_eq!(out.dimensions(), (64, 40));
        for (x, y, p) in out.enumerate_pixels() {
            match x {
                0..16 => assert_eq!(p.0, [200, 10, 30, 255], "inside ({x}, {y})"),
                16..24 => {}
                _ => assert_eq!(
                    p.0,
                    [noise(x, y, 1), noise(x, y, 2), 7, noise(x, y, 3)],
                    "outside ({x}, {y})"
                ),
            }
        }
    }

    #[test]
    fn compositing_checks_the_mask() {
        let original = rgb_png(32, 32, |_, _| [1, 2, 3]);
        let e = error_of(composite_inside_mask(&original, &original, &feathered(16, 32)));
        assert!(e.contains("16x32") && e.contains("32x32"), "{e}");
        let e = error_of(composite_inside_mask(&original, &original, &original));
        assert!(e.contains("no alpha channel"), "{e}");
        let e = error_of(composite_inside_mask(&original, b"junk", &feathered(32, 32)));
        assert!(e.contains("the edited image"), "{e}");
    }

    /// `(image edge, canvas edge)` pairs: the canvas is the image divided by 1–4, rounded.
    fn canvas_of(image: u32, divisor: u32) -> u32 {
        ((image + divisor / 2) / divisor).max(1)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn exports_have_the_image_size_and_same_size_coverage_is_exact(
            iw in 1u32..48, ih in 1u32..48, divisor in 1u32..5, invert: bool, seed: u32,
        ) {
            let (cw, ch) = (canvas_of(iw, divisor), canvas_of(ih, divisor));
            let mut painted = coverage(cw, ch, invert, |x, y| noise(x, y, seed));
            painted.data[0] = if invert { 0 } else { 255 };
            let mask = decoded_mask(&to_openai_mask(iw, ih, &painted).unwrap());
            prop_assert_eq!(mask.dimensions(), (iw, ih));
            if (cw, ch) == (iw, ih) {
                for (p, &c) in mask.pixels().zip(&painted.data) {
                    prop_assert_eq!(p.0[3], if invert { c } else { 255 - c });
                }
            }
        }

        #[test]
        fn upscaled_areas_away_from_edges_are_exactly_in_or_out(
            cw in 1u32..12, ch in 1u32..12, scale in 1u32..5, bits: u128,
        ) {
            let painted = coverage(cw, ch, false, |x, y| if bits >> ((y * 12 + x) % 128) & 1 == 1 { 255 } else { 0 });
            prop_assume!(painted.data.contains(&255));
            let mask = decoded_mask(&to_openai_mask(cw * scale, ch * scale, &painted).unwrap());
            let at = |x: i64, y: i64| {
                let (x, y) = (x.clamp(0, cw as i64 - 1), y.clamp(0, ch as i64 - 1));
                painted.data[(y as u32 * cw + x as u32) as usize]
            };
            for (x, y, p) in mask.enumerate_pixels() {
                let (sx, sy) = (i64::from(x / scale), i64::from(y / scale));
                let around: Vec<u8> = (-1..=1).flat_map(|dy| (-1..=1).map(move |dx| (dx, dy)))
                    .map(|(dx, dy)| at(sx + dx, sy + dy)).collect();
                if around.iter().all(|&c| c == around[0]) {
                    prop_assert_eq!(p.0[3], 255 - around[0], "({}, {})", x, y);
                }
            }
        }

        #[test]
        fn invert_is_the_complement(
            iw in 2u32..40, ih in 2u32..40, divisor in 1u32..4, seed: u32,
        ) {
            let (cw, ch) = (canvas_of(iw, divisor), canvas_of(ih, divisor));
            let mut painted = coverage(cw, ch, false, |x, y| noise(x, y, seed));
            painted.data[0] = 128;
            let normal = decoded_mask(&to_openai_mask(iw, ih, &painted).unwrap());
            let inverted = decoded_mask(&to_openai_mask(iw, ih, &Coverage { invert: true, ..painted }).unwrap());
            for (a, b) in normal.pixels().zip(inverted.pixels()) {
                prop_assert_eq!(a.0[3], 255 - b.0[3]);
            }
        }

        #[test]
        fn compositing_is_the_original_outside_and_the_edit_inside(
            w in 1u32..24, h in 1u32..24, seed: u32, rgba: bool,
        ) {
            let pixel = |x: u32, y: u32, s: u32| [0, 1, 2, 3].map(|c| noise(x, y, s.wrapping_add(c)));
            let mask_alpha = |x: u32, y: u32| match noise(x, y, seed ^ 0x55) % 3 {
                0 => 0,
                1 => 255,
                _ => noise(x, y, seed ^ 0xAA),
            };
            let (original, edited) = if rgba {
                (rgba_png(w, h, |x, y| pixel(x, y, seed)), rgba_png(w, h, |x, y| pixel(x, y, seed.wrapping_add(9))))
            } else {
                let rgb = |p: [u8; 4]| [p[0], p[1], p[2]];
                (rgb_png(w, h, |x, y| rgb(pixel(x, y, seed))), rgb_png(w, h, |x, y| rgb(pixel(x, y, seed.wrapping_add(9)))))
            };
            let mask = rgba_png(w, h, |x, y| [0, 0, 0, mask_alpha(x, y)]);
            let out = image::load_from_memory(&composite_inside_mask(&original, &edited, &mask).unwrap()).unwrap();
            prop_assert_eq!(out.color().has_alpha(), rgba);
            let out = out.into_rgba8();
            for (x, y, p) in out.enumerate_pixels() {
                let channels = if rgba { 4 } else { 3 };
                let (keep, take) = (pixel(x, y, seed), pixel(x, y, seed.wrapping_add(9)));
                for c in 0..channels {
                    let v = p.0[c];
                    match mask_alpha(x, y) {
                        255 => prop_assert_eq!(v, keep[c]),
                        0 => prop_assert_eq!(v, take[c]),
                        _ => prop_assert!(v >= keep[c].min(take[c]) && v <= keep[c].max(take[c])),
                    }
                }
            }
        }
    }
}
