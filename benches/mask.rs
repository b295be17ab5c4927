//! `cargo bench -p easel --bench mask`: the mask painter's Rust side (`easel::mask`).
//!
//! Measured, each on one core, inputs in memory (nothing touches the disk):
//! - export of a 3840×2160 mask from a 1920×1080 painter canvas (`to_openai_mask`): the canvas holds what a
//!   person paints to change part of a photo: a soft-edged ellipse and three thick soft brush strokes
//!   (about 14% of the area), so the scaled edges and the PNG see real shapes, not a rectangle;
//! - the same with `invert` (85% of the image to edit);
//! - an uploaded 1920×1080 mask PNG fitted to a 3840×2160 image (`mask_from_png` with resize);
//! - compositing inside the mask (`composite_inside_mask`) of a 1024² edit over a 1024² original (both
//!   PNGs of a gradient + ±40 noise per channel, ~2.7 MB like a real gpt-image PNG), and of a 2048² edit
//!   (scaled down to the original first).
//!
//! Prints a Markdown table for BENCHMARKS.md, then a breakdown of the export on stderr.

mod measure;
use measure::{machine, ms};

use std::io::Cursor;
use std::time::{Duration, Instant};

use easel::mask::{Coverage, composite_inside_mask, mask_from_png, to_openai_mask};
use fast_image_resize as fr;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ExtendedColorType, ImageEncoder, ImageFormat, RgbImage};

const RUNS: usize = 20;
const EXPORT_TARGET: Duration = Duration::from_millis(150);

struct Row {
    name: &'static str,
    p50: Duration,
    p95: Duration,
    target: Option<Duration>,
    note: String,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// `RUNS` timed calls after one warm-up; returns the sorted samples and the last output.
fn sample<T>(mut f: impl FnMut() -> T) -> (Vec<Duration>, T) {
    let mut out = f();
    let mut samples = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        out = f();
        samples.push(t.elapsed());
    }
    samples.sort();
    (samples, out)
}

fn row(name: &'static str, samples: &[Duration], target: Option<Duration>, note: String) -> Row {
    Row {
        name,
        p50: percentile(samples, 0.50),
        p95: percentile(samples, 0.95),
        target,
        note,
    }
}

/// Coverage of a capsule (a round brush dragged from `a` to `b`) of `radius` with a `feather`-px soft edge.
fn capsule(p: (f32, f32), a: (f32, f32), b: (f32, f32), radius: f32, feather: f32) -> f32 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let t = (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
    let distance = (p.0 - a.0 - t * dx).hypot(p.1 - a.1 - t * dy);
    ((radius - distance) / feather + 0.5).clamp(0.0, 1.0)
}

/// The 1920×1080 canvas described in the module docs.
fn painted_canvas() -> Coverage {
    let (width, height) = (1920u32, 1080u32);
    let strokes = [
        ((300.0, 800.0), (900.0, 650.0), 40.0),
        ((900.0, 650.0), (1300.0, 900.0), 55.0),
        ((1500.0, 150.0), (1700.0, 700.0), 30.0),
    ];
    let mut data = Vec::with_capacity((width * height) as usize);
    for y in 0..height {
        for x in 0..width {
            let p = (x as f32 + 0.5, y as f32 + 0.5);
            let (ex, ey) = ((p.0 - 700.0) / 260.0, (p.1 - 380.0) / 170.0);
            let ellipse = ((1.0 - ex.hypot(ey)) * 170.0 / 6.0 + 0.5).clamp(0.0, 1.0);
            let brush = strokes
                .iter()
                .map(|&(a, b, r)| capsule(p, a, b, r, 4.0))
                .fold(ellipse, f32::max);
            data.push((brush * 255.0).round() as u8);
        }
    }
    Coverage {
        width,
        height,
        data,
        invert: false,
    }
}

/// A gpt-image-like PNG: gradient plus ±40 noise per channel.
fn photo(width: u32, height: u32, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let image = RgbImage::from_fn(width, height, |x, y| {
        let base = [
            (x * 255 / width) as i32,
            (y * 255 / height) as i32,
            ((x + y) * 127 / width) as i32,
        ];
        image::Rgb(base.map(|c| (c + rng.i32(-40..=40)).clamp(0, 255) as u8))
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image)
        .write_to(&mut out, ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

/// The 1/5/15-minute load averages: on a shared machine, what the figures were measured under.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" / "))
        .unwrap_or_else(|_| "unknown".into())
}

fn kb(bytes: usize) -> String {
    format!("{:.0} KB", bytes as f64 / 1024.0)
}

fn main() {
    let mut rows = Vec::new();
    let canvas = painted_canvas();
    let painted = canvas.data.iter().map(|&c| u64::from(c)).sum::<u64>() as f64 / (255.0 * canvas.data.len() as f64);

    let (samples, png) = sample(|| to_openai_mask(3840, 2160, &canvas).unwrap());
    let note = format!(
        "{RUNS} runs, {:.0}% painted, {} PNG out",
        painted * 100.0,
        kb(png.len())
    );
    rows.push(row(
        "Mask export 3840×2160 from a 1920×1080 canvas",
        &samples,
        Some(EXPORT_TARGET),
        note,
    ));

    // the desktop painter paints at the image's natural size, so its export skips the resize
    let natural = Coverage {
        width: 3840,
        height: 2160,
        data: canvas
            .data
            .chunks(1920)
            .flat_map(|row| {
                let wide: Vec<u8> = row.iter().flat_map(|&c| [c, c]).collect();
                [wide.clone(), wide]
            })
            .flatten()
            .collect(),
        invert: false,
    };
    let (samples, png) = sample(|| to_openai_mask(3840, 2160, &natural).unwrap());
    let note = format!("{RUNS} runs, the painter's path (no resize), {} PNG out", kb(png.len()));
    rows.push(row(
        "Mask export 3840×2160 from a 3840×2160 canvas",
        &samples,
        Some(EXPORT_TARGET),
        note,
    ));

    let inverted = Coverage {
        invert: true,
        ..canvas.clone()
    };
    let (samples, png) = sample(|| to_openai_mask(3840, 2160, &inverted).unwrap());
    let note = format!("{RUNS} runs, {} PNG out", kb(png.len()));
    rows.push(row("… the same, inverted", &samples, Some(EXPORT_TARGET), note));

    let small = to_openai_mask(1920, 1080, &canvas).unwrap();
    let (samples, png) = sample(|| mask_from_png(&small, 3840, 2160, true).unwrap());
    let note = format!("{RUNS} runs, {} in, {} out", kb(small.len()), kb(png.len()));
    rows.push(row("Uploaded 1920×1080 mask fitted to 3840×2160", &samples, None, note));

    let original = photo(1024, 1024, 1);
    let edited = photo(1024, 1024, 2);
    let square = Coverage {
        width: 1024,
        height: 1024,
        data: canvas
            .data
            .chunks(1920)
            .take(1024)
            .flat_map(|row| &row[..1024])
            .copied()
            .collect(),
        invert: false,
    };
    let mask = to_openai_mask(1024, 1024, &square).unwrap();
    let (samples, png) = sample(|| composite_inside_mask(&original, &edited, &mask).unwrap());
    let note = format!("{RUNS} runs, decode 3 PNGs + blend + encode, {} PNG out", kb(png.len()));
    rows.push(row("Composite a 1024² edit inside the mask", &samples, None, note));

    let large_edit = photo(2048, 2048, 3);
    let (samples, _) = sample(|| composite_inside_mask(&original, &large_edit, &mask).unwrap());
    let note = format!("{RUNS} runs, the edit scaled to 1024² first");
    rows.push(row(
        "Composite a 2048² edit over a 1024² original",
        &samples,
        None,
        note,
    ));

    let date = jiff::Zoned::now().strftime("%Y-%m-%d").to_string();
    println!(
        "Machine: {} · date: {date} · `cargo bench -p easel --bench mask`",
        machine()
    );
    println!();
    println!("Load average at the end (1/5/15 min): {}", load_average());
    println!();
    println!("| Benchmark | p50 | p95 | Target | Ratio to target | Notes |");
    println!("|---|---:|---:|---|---|---|");
    for r in &rows {
        let (target, ratio) = match r.target {
            Some(t) => {
                let ratio = r.p95.as_secs_f64() / t.as_secs_f64();
                let verdict = if ratio <= 1.0 { "✅" } else { "❌ missed" };
                (format!("p95 ≤ {}", ms(t)), format!("{ratio:.2}× {verdict}"))
            }
            None => ("–".into(), "–".into()),
        };
        println!(
            "| {} | {} | {} | {target} | {ratio} | {} |",
            r.name,
            ms(r.p50),
            ms(r.p95),
            r.note
        );
    }
    breakdown(&canvas);
}

/// Where an export's time goes, step by step, with the same libraries and settings as `easel::mask`.
fn breakdown(canvas: &Coverage) {
    let median = |samples: Vec<Duration>| ms(percentile(&samples, 0.5));
    let (w, h) = (3840u32, 2160u32);
    let (resize, plane) = sample(|| {
        let src = fr::images::ImageRef::new(canvas.width, canvas.height, &canvas.data, fr::PixelType::U8).unwrap();
        let mut dst = fr::images::Image::new(w, h, fr::PixelType::U8);
        let options = fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Bilinear));
        fr::Resizer::new().resize(&src, &mut dst, &options).unwrap();
        dst.into_vec()
    });
    let plane: Vec<u8> = plane;
    let (expand, rgba) = sample(|| {
        let mut rgba = vec![0u8; plane.len() * 4];
        for (pixel, &value) in rgba.chunks_exact_mut(4).zip(&plane) {
            pixel.copy_from_slice(&(u32::from(value ^ 0xFF) << 24).to_le_bytes());
        }
        rgba
    });
    let encode = |filter: FilterType, color: ExtendedColorType, pixels: &[u8]| {
        sample(|| {
            let mut out = Vec::new();
            PngEncoder::new_with_quality(&mut out, CompressionType::Fast, filter)
                .write_image(pixels, w, h, color)
                .unwrap();
            out.len()
        })
    };
    let (sub, sub_len) = encode(FilterType::Sub, ExtendedColorType::Rgba8, &rgba);
    let (adaptive, adaptive_len) = encode(FilterType::Adaptive, ExtendedColorType::Rgba8, &rgba);
    let la: Vec<u8> = plane.iter().flat_map(|&v| [0, v ^ 0xFF]).collect();
    let (gray, gray_len) = encode(FilterType::Sub, ExtendedColorType::La8, &la);
    eprintln!();
    eprintln!("Breakdown of a 3840×2160 export (medians of {RUNS}):");
    eprintln!("  resize 1920×1080 → 3840×2160, U8 bilinear: {}", median(resize));
    eprintln!("  coverage → black RGBA (33 MB):            {}", median(expand));
    eprintln!(
        "  PNG encode, fdeflate + Sub:                {} ({})",
        median(sub),
        kb(sub_len)
    );
    eprintln!(
        "  PNG encode, fdeflate + Adaptive:           {} ({})",
        median(adaptive),
        kb(adaptive_len)
    );
    eprintln!(
        "  PNG encode as gray + alpha, Sub (for comparison): {} ({})",
        median(gray),
        kb(gray_len)
    );
}
