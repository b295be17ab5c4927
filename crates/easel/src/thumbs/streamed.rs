//! The MCP preview of a PNG, JPEG-encoded on a second thread while the PNG is still being inflated.
//!
//! Inflating a 1024² gpt-image PNG takes about twice as long as encoding its JPEG, so the encode hides
//! behind the decode: the preview costs the decode alone (BENCHMARKS.md). This applies to the common case,
//! an 8-bit RGB or RGBA PNG, not interlaced, that needs no resizing for the preview; anything else goes
//! through the whole-image path in `thumbs`, which also gives the same bytes for these (tested).

use std::io::{BufRead, Cursor, Seek};
use std::sync::mpsc;

use crate::models::OutputFormat;

use super::{PREVIEW_EDGE, Pixels, ThumbError, jpeg, rgba_over_white};

/// Rows per message between the threads: one 4:2:0 MCU row.
const STRIP_ROWS: usize = 16;

/// A preview encoded at one `quality` (it may still be over the byte budget: the caller checks) and the
/// decoded pixels, for the thumbnail or a smaller re-encode.
pub(super) struct Encoded {
    pub jpeg: Vec<u8>,
    pub pixels: Pixels,
}

/// `Ok(None)` when `src` is not a PNG this path takes (see the module docs); decoding errors are errors.
pub(super) fn preview(src: &[u8], quality: u8) -> Result<Option<Encoded>, ThumbError> {
    preview_read(Cursor::new(src), quality)
}

/// [`preview`] of an image read from `src` (which may still be arriving: `Feed`); whether it is a PNG is
/// told from the first bytes `src` has.
pub(super) fn preview_read<R: BufRead + Seek>(mut src: R, quality: u8) -> Result<Option<Encoded>, ThumbError> {
    let head = src
        .fill_buf()
        .map_err(|e| decode_error(png::DecodingError::IoError(e)))?;
    if OutputFormat::sniff(head) != Some(OutputFormat::Png) {
        return Ok(None);
    }
    let mut decoder = png::Decoder::new(src);
    decoder.set_transformations(png::Transformations::EXPAND);
    decoder.set_ignore_text_chunk(true);
    let mut reader = decoder.read_info().map_err(decode_error)?;
    let info = reader.info();
    let (width, height) = (info.width, info.height);
    let channels = match reader.output_color_type() {
        (png::ColorType::Rgb, png::BitDepth::Eight) => 3,
        (png::ColorType::Rgba, png::BitDepth::Eight) => 4,
        _ => return Ok(None),
    };
    if info.interlaced || width.max(height) > PREVIEW_EDGE {
        return Ok(None);
    }
    let row_bytes = width as usize * channels;
    let rows = height as usize;
    std::thread::scope(|scope| {
        // Strips queue up without a bound when the encoder falls behind, so the inflate never waits for it:
        // they are kept as the decoded image anyway.
        let (strips, received) = mpsc::channel::<Vec<u8>>();
        let encoder = scope.spawn(move || encode(received, width, height, channels, quality));
        let mut decoded = Ok(());
        let mut row = 0;
        while row < rows && decoded.is_ok() {
            let count = STRIP_ROWS.min(rows - row);
            let mut strip = vec![0; count * row_bytes];
            for line in strip.chunks_exact_mut(row_bytes) {
                match reader.read_row(line) {
                    Ok(Some(_)) => {}
                    Ok(None) => decoded = Err(decode_error(png::DecodingError::IoError(truncated()))),
                    Err(e) => decoded = Err(decode_error(e)),
                }
                if decoded.is_err() {
                    break;
                }
            }
            // A failed encoder has hung up; its error is reported below.
            if decoded.is_err() || strips.send(strip).is_err() {
                break;
            }
            row += count;
        }
        drop(strips);
        // The zlib checksum and the end of the image data, as a whole-image decode checks them. Only once
        // every row is in: with rows left (the encoder hung up), `read_row` would want a row's buffer.
        if decoded.is_ok() && row == rows {
            decoded = match reader.read_row(&mut []) {
                Ok(None) => Ok(()),
                Ok(Some(_)) => Err(decode_error(png::DecodingError::IoError(truncated()))),
                Err(e) => Err(decode_error(e)),
            };
        }
        let encoded = encoder.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        decoded?;
        let (jpeg, buf) = encoded?;
        let transparent = channels == 4 && super::has_transparency(&buf);
        Ok(Some(Encoded {
            jpeg,
            pixels: Pixels {
                buf,
                width,
                height,
                channels: channels as u8,
                transparent,
            },
        }))
    })
}

/// The encoder thread: JPEG of the strips as they arrive, and the strips joined into the whole image.
fn encode(
    strips: mpsc::Receiver<Vec<u8>>,
    width: u32,
    height: u32,
    channels: usize,
    quality: u8,
) -> Result<(Vec<u8>, Vec<u8>), ThumbError> {
    let mut stream = jpeg::Stream::start(width, height, quality)?;
    let mut pixels = Vec::with_capacity(width as usize * height as usize * channels);
    let mut rgb = Vec::new();
    for strip in strips {
        if channels == 4 {
            rgb.resize(strip.len() / 4 * 3, 0);
            rgba_over_white(&strip, &mut rgb);
            stream.write(&rgb)?;
        } else {
            stream.write(&strip)?;
        }
        pixels.extend_from_slice(&strip);
    }
    // Fewer rows than the image has (the decoder stopped): an error, and the decoder says why.
    Ok((stream.finish()?, pixels))
}

fn truncated() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the image data ends early")
}

fn decode_error(e: png::DecodingError) -> ThumbError {
    let hint = image::error::ImageFormatHint::Exact(image::ImageFormat::Png);
    ThumbError::Decode(image::ImageError::Decoding(image::error::DecodingError::new(hint, e)))
}
