//! Pixel generation and the process-wide cache of encoded images.
//!
//! Every image the fake returns is real: a deterministic colourful gradient with fine noise, so a
//! 1024x1024 opaque PNG weighs about 2.7 MB like a real gpt-image output. Encoding that takes a
//! while, so encoded bytes (and their base64) are cached per [`Spec`] for the whole process and
//! shared by every server instance; repeat requests are answered from memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine;
use bytes::Bytes;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::{ExtendedColorType, ImageEncoder};

/// Output file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Png,
    Jpeg,
    Webp,
}

impl Format {
    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "png" => Some(Format::Png),
            "jpeg" => Some(Format::Jpeg),
            "webp" => Some(Format::Webp),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpeg",
            Format::Webp => "webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            other => other.as_str(),
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
            Format::Webp => "image/webp",
        }
    }
}

/// Whether an image is the final result or a coarse partial preview (blocks of `block` pixels).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    Final,
    Partial { block: u32 },
}

/// Everything that determines the encoded bytes; the cache key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Spec {
    pub width: u32,
    pub height: u32,
    pub format: Format,
    pub transparent: bool,
    /// JPEG quality 1–100; always 100 for the lossless PNG and WebP encoders.
    pub compression: u8,
    pub stage: Stage,
    /// Distinguishes the `n` images of one request so they are not byte-identical.
    pub variant: u8,
}

impl Spec {
    pub fn new(width: u32, height: u32, format: Format, transparent: bool, compression: u8) -> Spec {
        let compression = match format {
            Format::Jpeg => compression.clamp(1, 100),
            Format::Png | Format::Webp => 100,
        };
        Spec {
            width,
            height,
            format,
            transparent,
            compression,
            stage: Stage::Final,
            variant: 0,
        }
    }

    /// The `index`-th distinct image of a request (wraps after 256).
    pub fn variant(self, index: u32) -> Spec {
        Spec {
            variant: (index % 256) as u8,
            ..self
        }
    }

    /// The `index`-th of `count` partial previews; later ones are finer.
    pub fn partial(self, index: u32, count: u32) -> Spec {
        let steps = count.saturating_sub(1).saturating_sub(index).min(4);
        Spec {
            stage: Stage::Partial { block: 8 << steps },
            ..self
        }
    }
}

/// Encoded image bytes and the same bytes in standard base64.
#[derive(Debug)]
pub struct Encoded {
    pub bytes: Bytes,
    pub b64: Bytes,
}

type Slot = Arc<OnceLock<Arc<Encoded>>>;

fn cache() -> &'static Mutex<HashMap<Spec, Slot>> {
    static CACHE: OnceLock<Mutex<HashMap<Spec, Slot>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The encoded image for `spec`, from the cache or freshly encoded on the blocking pool.
/// Concurrent callers for the same spec share one encode.
pub async fn encoded(spec: Spec) -> Arc<Encoded> {
    let slot = {
        let mut map = cache().lock().unwrap_or_else(|e| e.into_inner());
        map.entry(spec).or_default().clone()
    };
    if let Some(done) = slot.get() {
        return done.clone();
    }
    let task = tokio::task::spawn_blocking(move || slot.get_or_init(|| Arc::new(encode(spec))).clone());
    match task.await {
        Ok(done) => done,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

fn encode(spec: Spec) -> Encoded {
    let started = std::time::Instant::now();
    let pixels = pixels(&spec);
    let color = if spec.transparent {
        ExtendedColorType::Rgba8
    } else {
        ExtendedColorType::Rgb8
    };
    let (w, h) = (spec.width, spec.height);
    let mut out = Vec::with_capacity(pixels.len() / 2);
    let result = match spec.format {
        Format::Png => {
            // Balanced deflate with adaptive filters lands a noisy 1024² at ~2.7 MB, like real
            // outputs; the flat-blocked partials compress fine with the fast path.
            let (level, filter) = match spec.stage {
                Stage::Final => (CompressionType::Default, FilterType::Adaptive),
                Stage::Partial { .. } => (CompressionType::Fast, FilterType::Sub),
            };
            PngEncoder::new_with_quality(&mut out, level, filter).write_image(&pixels, w, h, color)
        }
        Format::Jpeg => JpegEncoder::new_with_quality(&mut out, spec.compression).write_image(&pixels, w, h, color),
        Format::Webp => WebPEncoder::new_lossless(&mut out).write_image(&pixels, w, h, color),
    };
    // Dimensions and colour types are validated before we get here, so encoding cannot fail.
    if let Err(e) = result {
        panic!("encoding {spec:?} failed: {e}");
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(&out);
    tracing::debug!(?spec, bytes = out.len(), elapsed = ?started.elapsed(), "encoded image");
    Encoded {
        bytes: Bytes::from(out),
        b64: Bytes::from(b64),
    }
}

/// Raw RGB8 (or RGBA8 when transparent) pixels for `spec`.
fn pixels(spec: &Spec) -> Vec<u8> {
    let (w, h) = (spec.width as usize, spec.height as usize);
    let channels = if spec.transparent { 4 } else { 3 };
    let mut buf = vec![0u8; w * h * channels];
    let block = match spec.stage {
        Stage::Final => 1,
        Stage::Partial { block } => block as usize,
    };
    let noisy = spec.stage == Stage::Final;
    let variant = spec.variant as usize;
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15 ^ ((w as u64) << 32 | h as u64) ^ (variant as u64 + 1);
    let (ww, hh) = ((w * w) as u64, (h * h) as u64);
    for (y, row) in buf.chunks_exact_mut(w * channels).enumerate() {
        let by = (y / block * block + block / 2).min(h - 1);
        let dy = (2 * y + 1).abs_diff(h) as u64;
        for (x, px) in row.chunks_exact_mut(channels).enumerate() {
            if spec.transparent {
                let dx = (2 * x + 1).abs_diff(w) as u64;
                if dx * dx * hh + dy * dy * ww > ww * hh {
                    continue; // outside the ellipse: fully transparent black
                }
                px[3] = 255;
            }
            let bx = (x / block * block + block / 2).min(w - 1);
            let base = colour(bx, by, w, h, variant);
            if noisy {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                for (c, b) in base.iter().enumerate() {
                    let n = ((((rng >> (c * 8)) & 0xFF) * 80) >> 8) as i32 - 40;
                    px[c] = (*b as i32 + n).clamp(0, 255) as u8;
                }
            } else {
                px[..3].copy_from_slice(&base);
            }
        }
    }
    buf
}

/// A smooth, colourful base: diagonal hue sweep plus soft diagonal bands. Each variant shifts
/// the bands and rotates the channels.
fn colour(x: usize, y: usize, w: usize, h: usize, variant: usize) -> [u8; 3] {
    let fx = x * 255 / w;
    let fy = y * 255 / h;
    let band = (x + 2 * y + variant * 97) % 512;
    let tri = if band < 256 { band } else { 511 - band };
    let mut rgb = [
        ((fx + tri) / 2) as u8,
        ((fy + 255 - tri) / 2) as u8,
        ((510 - fx - fy + tri) / 3) as u8,
    ];
    rgb.rotate_left(variant % 3);
    rgb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_blocks_get_finer() {
        let spec = Spec::new(64, 64, Format::Png, false, 100);
        let blocks: Vec<_> = (0..3).map(|i| spec.partial(i, 3).stage).collect();
        assert_eq!(blocks, [32, 16, 8].map(|block| Stage::Partial { block }).to_vec());
    }

    #[test]
    fn png_compression_is_normalised() {
        assert_eq!(Spec::new(8, 8, Format::Png, false, 50).compression, 100);
        assert_eq!(Spec::new(8, 8, Format::Jpeg, false, 0).compression, 1);
    }
}
