//! Baseline JPEG encoding with libjpeg-turbo's SIMD code, through `mozjpeg` set to its libjpeg-turbo
//! profile (`set_fastest_defaults`: the same bytes as libjpeg-turbo, none of mozjpeg's slow trellis search).
//! It takes rows as they come, so a preview is encoded while its PNG is still being inflated (`streamed`).
//!
//! Chroma is 4:2:0 below quality 90 and 4:4:4 from 90. The SIMD code is assembled with `nasm` at build
//! time (the Makefile installs it). Without nasm, `mozjpeg-sys` quietly builds the C fallback, about 5×
//! slower; a test here fails on such a build.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::ThumbError;
use crate::models::OutputFormat;

/// An encode in progress: 8-bit RGB rows go in top to bottom; [`Stream::finish`] once all are in.
pub(super) struct Stream {
    started: mozjpeg::compress::CompressStarted<Vec<u8>>,
    row_bytes: usize,
    rows_left: usize,
}

impl Stream {
    pub(super) fn start(width: u32, height: u32, quality: u8) -> Result<Stream, ThumbError> {
        let (w, h) = (width as usize, height as usize);
        let started = guarded(|| {
            let mut c = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
            c.set_fastest_defaults();
            c.set_size(w, h);
            c.set_quality(f32::from(quality));
            let chroma = if quality < 90 { (2, 2) } else { (1, 1) };
            c.set_chroma_sampling_pixel_sizes(chroma, chroma);
            // About the size of a q85 photo, so the output rarely grows.
            c.start_compress(Vec::with_capacity(w * h / 2))
                .map_err(|e| e.to_string())
        })?;
        Ok(Stream {
            started,
            row_bytes: w * 3,
            rows_left: h,
        })
    }

    /// Encodes whole rows (a multiple of `width × 3` bytes, no more than the rows still expected).
    pub(super) fn write(&mut self, rgb: &[u8]) -> Result<(), ThumbError> {
        if self.row_bytes == 0
            || !rgb.len().is_multiple_of(self.row_bytes)
            || rgb.len() / self.row_bytes > self.rows_left
        {
            return Err(failed(format!(
                "{} bytes are not whole rows of {} RGB bytes ({} rows left)",
                rgb.len(),
                self.row_bytes,
                self.rows_left
            )));
        }
        let started = &mut self.started;
        guarded(|| started.write_scanlines(rgb).map_err(|e| e.to_string()))?;
        self.rows_left -= rgb.len() / self.row_bytes;
        Ok(())
    }

    /// The finished JPEG; an error if rows are missing (libjpeg would not end the image).
    pub(super) fn finish(self) -> Result<Vec<u8>, ThumbError> {
        if self.rows_left > 0 {
            let missing = self.rows_left;
            self.started.abort();
            return Err(failed(format!("{missing} rows were never written")));
        }
        let started = self.started;
        guarded(move || started.finish().map_err(|e| e.to_string()))
    }
}

/// The whole `width`×`height` RGB image at once.
pub(super) fn encode(rgb: &[u8], width: u32, height: u32, quality: u8) -> Result<Vec<u8>, ThumbError> {
    if rgb.len() != width as usize * height as usize * 3 {
        return Err(failed(format!("{} bytes are not {width}×{height} RGB", rgb.len())));
    }
    let mut stream = Stream::start(width, height, quality)?;
    stream.write(rgb)?;
    stream.finish()
}

fn failed(message: String) -> ThumbError {
    ThumbError::Encode {
        format: OutputFormat::Jpeg,
        source: message.into(),
    }
}

/// Runs a libjpeg call: its fatal errors unwind (the crate's error manager) and come back as `Encode`.
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, ThumbError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result.map_err(failed),
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "libjpeg failed".into());
            Err(failed(message))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rgb(width: u32, height: u32) -> Vec<u8> {
        let mut state = 7u32;
        (0..width * height * 3)
            .map(|i| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                ((i / 3 % width) as u8).wrapping_add((state >> 28) as u8)
            })
            .collect()
    }

    /// (component count, luma sampling, chroma sampling) from the baseline frame header (SOF0).
    fn sampling(bytes: &[u8]) -> (u8, u8, u8) {
        let at = bytes
            .windows(2)
            .position(|w| w == [0xff, 0xc0])
            .expect("a baseline frame header");
        (bytes[at + 9], bytes[at + 11], bytes[at + 14])
    }

    // libjpeg-turbo's own switch: 1 when the SIMD colour conversion is compiled in and usable.
    #[cfg(target_arch = "x86_64")]
    unsafe extern "C" {
        fn jsimd_can_rgb_ycc() -> std::ffi::c_int;
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn built_with_the_simd_code() {
        // SAFETY: a query without arguments or side effects beyond caching the CPU's features.
        let simd = unsafe { jsimd_can_rgb_ycc() };
        assert_eq!(
            simd, 1,
            "libjpeg-turbo was built without SIMD: install nasm and rebuild mozjpeg-sys"
        );
    }

    #[test]
    fn baseline_subsampled_below_90_and_full_chroma_from_90() {
        let pixels = rgb(48, 32);
        let q85 = encode(&pixels, 48, 32, 85).unwrap();
        assert_eq!(sampling(&q85), (3, 0x22, 0x11), "4:2:0");
        let image = image::load_from_memory(&q85).unwrap();
        assert_eq!((image.width(), image.height()), (48, 32));
        assert_eq!(
            sampling(&encode(&pixels, 48, 32, 95).unwrap()),
            (3, 0x11, 0x11),
            "4:4:4"
        );
    }

    #[test]
    fn rows_in_strips_give_the_same_bytes_as_the_whole_image() {
        let pixels = rgb(40, 37);
        let whole = encode(&pixels, 40, 37, 80).unwrap();
        let mut stream = Stream::start(40, 37, 80).unwrap();
        for strip in pixels.chunks(40 * 3 * 5) {
            stream.write(strip).unwrap();
        }
        assert_eq!(stream.finish().unwrap(), whole);
    }

    #[test]
    fn wrong_buffers_and_missing_rows_are_errors_not_panics() {
        let pixels = rgb(48, 32);
        let e = encode(&pixels[..pixels.len() - 3], 48, 32, 85).unwrap_err().to_string();
        assert!(e.contains("not 48×32 RGB"), "{e}");

        let mut stream = Stream::start(48, 32, 85).unwrap();
        let e = stream.write(&pixels[..100]).unwrap_err().to_string();
        assert!(e.contains("not whole rows"), "{e}");
        stream.write(&pixels[..48 * 3 * 10]).unwrap();
        let e = stream.finish().unwrap_err().to_string();
        assert!(e.contains("22 rows were never written"), "{e}");

        let mut stream = Stream::start(48, 32, 85).unwrap();
        stream.write(&pixels).unwrap();
        assert!(stream.write(&pixels[..48 * 3]).is_err(), "more rows than the image has");

        // libjpeg's own fatal errors (here: an image wider than JPEG allows) unwind into an error.
        let e = Stream::start(70_000, 1, 85).err().expect("refused").to_string();
        assert!(e.contains("libjpeg"), "{e}");
    }
}
