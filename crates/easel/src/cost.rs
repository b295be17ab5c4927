//! Money: the cost of a call from the usage it returned, and a pre-flight estimate before it is sent.
//!
//! GPT image models are billed per token at the [`Prices`](crate::models::Prices) in the model table;
//! DALL·E models return no usage and are billed per image ([`per_image_usd`]). Token figures come from
//! the reference §11; where it has none, the assumption is written next to the constant.

use crate::models::{ImageParams, InputFidelity, Model, Quality, Size};

/// Tokens of one call, as reported by the API (or estimated).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Usage {
    pub input_text_tokens: u64,
    pub input_image_tokens: u64,
    /// The part of the input tokens served from cache, when reported; 0 otherwise.
    pub cached_input_tokens: u64,
    /// Includes the tokens of partial images.
    pub output_image_tokens: u64,
    pub output_text_tokens: u64,
}

/// USD for `usage` at the model's token prices: tokens × price / 1M per component.
///
/// - Cached tokens are a subset of the input tokens, but the API does not say of which kind: they are
///   discounted as text first, then as image tokens. For every model in the table the text discount is
///   the smaller one, so this never understates the cost.
/// - An unpublished cached price charges those tokens at the full input price; an unpublished
///   text-output price (gpt-image-2) counts as 0.
/// - Models without token prices (DALL·E) cost 0.0 here; see [`per_image_usd`].
pub fn cost_usd(model: &Model, usage: &Usage) -> f64 {
    let Some(p) = model.prices else {
        return 0.0;
    };
    let input = usage.input_text_tokens.saturating_add(usage.input_image_tokens);
    let cached = usage.cached_input_tokens.min(input);
    let cached_text = cached.min(usage.input_text_tokens);
    let cached_image = cached - cached_text;
    let at = |tokens: u64, per_million: f64| tokens as f64 * per_million;
    let total = at(usage.input_text_tokens - cached_text, p.text_in)
        + at(cached_text, p.cached_text_in.unwrap_or(p.text_in))
        + at(usage.input_image_tokens - cached_image, p.image_in)
        + at(cached_image, p.cached_image_in.unwrap_or(p.image_in))
        + at(usage.output_image_tokens, p.image_out)
        + at(usage.output_text_tokens, p.text_out.unwrap_or(0.0));
    total / 1e6
}

/// Extra output image tokens per partial image streamed (image generation guide).
pub const PARTIAL_IMAGE_TOKENS: u64 = 100;

/// Output image tokens per image `(width, height, [low, medium, high])` for gpt-image-1 and 1.5, from
/// the guide; they reproduce both models' per-image prices.
const GPT_IMAGE_1_TOKENS: &[(u32, u32, [u64; 3])] = &[
    (1024, 1024, [272, 1056, 4160]),
    (1024, 1536, [408, 1584, 6240]),
    (1536, 1024, [400, 1568, 6208]),
];

/// gpt-image-1-mini's token counts are unpublished and differ from the table above; these are its
/// published per-image prices divided by its $8/1M output price.
const GPT_IMAGE_1_MINI_TOKENS: &[(u32, u32, [u64; 3])] = &[
    (1024, 1024, [625, 1375, 4500]),
    (1024, 1536, [750, 1875, 6500]),
    (1536, 1024, [750, 1875, 6500]),
];

/// Input image tokens assumed per input image, since the estimate does not know the images' sizes:
/// - gpt-image-1 family at low fidelity: 65 base + 129 per 512-px tile, two tiles (a non-square image;
///   a square one is 194);
/// - high fidelity adds 6,144 for a non-square image (4,096 for a square one);
/// - gpt-image-2 always reads inputs at high fidelity, in 32-px patches with a budget of 1,536 patches;
///   the full budget is assumed.
///
/// These are upper ends of the observed ranges, so a budget check errs on the safe side.
const TILED_INPUT_TOKENS: u64 = 65 + 2 * 129;
const HIGH_FIDELITY_EXTRA_TOKENS: u64 = 6144;
const GPT_IMAGE_2_INPUT_TOKENS: u64 = 1536;

/// The quality the estimate prices: `auto` is assumed to be medium (standard for DALL·E); a DALL·E
/// quality on a GPT model maps to its nearest GPT level and vice versa.
fn assumed_quality(model: &Model, quality: Quality) -> Quality {
    match (model.prices.is_some(), quality) {
        (true, Quality::Low) => Quality::Low,
        (true, Quality::High | Quality::Hd) => Quality::High,
        (true, _) => Quality::Medium,
        (false, Quality::Hd | Quality::High) => Quality::Hd,
        (false, _) => Quality::Standard,
    }
}

/// Output image tokens expected for one image of `size` at `quality` (no partial images).
///
/// `auto` quality counts as medium and `auto` size as 1024x1024. gpt-image-2 uses the token formula
/// behind OpenAI's pricing calculator (community-derived; notes on `gpt_image_2_tokens`); the other GPT
/// models use the reference tables, scaled by pixel count from the reference of the nearest aspect
/// ratio for sizes outside them. DALL·E models return 0 (they are priced per image).
pub fn expected_output_tokens(model: &Model, size: Size, quality: Quality) -> u64 {
    let (w, h) = size.dims().unwrap_or((1024, 1024));
    let level = match assumed_quality(model, quality) {
        Quality::Low => 0,
        Quality::High => 2,
        _ => 1,
    };
    match model.id {
        "gpt-image-2" => gpt_image_2_tokens(level, w, h),
        "gpt-image-1" | "gpt-image-1.5" => from_table(GPT_IMAGE_1_TOKENS, level, w, h),
        "gpt-image-1-mini" => from_table(GPT_IMAGE_1_MINI_TOKENS, level, w, h),
        _ => 0,
    }
}

/// gpt-image-2's output tokens. OpenAI publishes no formula, only a calculator; this one was worked
/// out from the calculator's code by the community. It reproduces every figure we have: the guide's
/// per-image prices at $30/1M and the calculator's own readings (196 for low 1024x1024, 7,024 / 5,488 /
/// 5,063 / 12,329 for high 1024x1024 / 1536x1024 / 1792x1024 / 3584x2048). It also shows why a larger
/// non-square image can cost less: the short-edge factor shrinks with the aspect ratio.
fn gpt_image_2_tokens(level: usize, w: u32, h: u32) -> u64 {
    let factor: u128 = [16, 48, 96][level];
    let (long, short) = (u128::from(w.max(h)), u128::from(w.min(h)));
    if long == 0 {
        return 0;
    }
    let short_factor = (2 * factor * short + long) / (2 * long); // factor × short / long, rounded
    let area = 2_000_000 + u128::from(w) * u128::from(h);
    let tokens = (factor * short_factor * area).div_ceil(4_000_000);
    u64::try_from(tokens).unwrap_or(u64::MAX)
}

fn from_table(table: &[(u32, u32, [u64; 3])], level: usize, w: u32, h: u32) -> u64 {
    let log_ratio = |a: u32, b: u32| (f64::from(a.max(1)) / f64::from(b.max(1))).ln();
    let want = log_ratio(w, h);
    let nearest = table.iter().min_by(|a, b| {
        (log_ratio(a.0, a.1) - want)
            .abs()
            .total_cmp(&(log_ratio(b.0, b.1) - want).abs())
    });
    let Some(&(rw, rh, tokens)) = nearest else {
        return 0;
    };
    let (px, ref_px) = (u128::from(w) * u128::from(h), u128::from(rw) * u128::from(rh));
    let scaled = (u128::from(tokens[level]) * px).div_ceil(ref_px);
    u64::try_from(scaled).unwrap_or(u64::MAX)
}

fn input_image_tokens(model: &Model, fidelity: Option<InputFidelity>) -> u64 {
    match (model.id, fidelity) {
        (_, _) if model.prices.is_none() => 0,
        ("gpt-image-2", _) => GPT_IMAGE_2_INPUT_TOKENS,
        (_, Some(InputFidelity::High)) => TILED_INPUT_TOKENS + HIGH_FIDELITY_EXTRA_TOKENS,
        _ => TILED_INPUT_TOKENS,
    }
}

/// A pre-flight estimate: the tokens assumed and what they cost.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Estimate {
    pub usd: f64,
    /// Estimated tokens; all zero for DALL·E, which is priced per image.
    pub usage: Usage,
    /// The quality the price assumes (`auto` resolved).
    pub assumed_quality: Quality,
}

/// The expected cost of a call before it is sent:
/// - output: `n` × ([`expected_output_tokens`] + 100 per partial image when streaming);
/// - prompt: ⌈chars / 4⌉ text tokens;
/// - inputs: a fixed token figure per input image (the assumptions are noted on the constants above), counted
///   once per call whatever `n` is;
/// - DALL·E: `n` × [`per_image_usd`].
pub fn estimate(model: &Model, params: &ImageParams, prompt_chars: usize, input_images: usize) -> Estimate {
    let assumed_quality = assumed_quality(model, params.quality);
    let n = u64::from(params.n);
    if model.prices.is_none() {
        let each = per_image_usd(model, params.size, params.quality).unwrap_or(0.0);
        return Estimate {
            usd: each * n as f64,
            usage: Usage::default(),
            assumed_quality,
        };
    }
    let partials = if params.stream {
        u64::from(params.partial_images.unwrap_or(0))
    } else {
        0
    };
    let per_image = expected_output_tokens(model, params.size, params.quality) + PARTIAL_IMAGE_TOKENS * partials;
    let usage = Usage {
        input_text_tokens: (prompt_chars as u64).div_ceil(4),
        input_image_tokens: (input_images as u64).saturating_mul(input_image_tokens(model, params.input_fidelity)),
        output_image_tokens: n * per_image,
        ..Usage::default()
    };
    Estimate {
        usd: cost_usd(model, &usage),
        usage,
        assumed_quality,
    }
}

/// USD per image for the models billed per image (DALL·E; no usage is returned), `None` for models
/// billed per token. `auto` size counts as 1024x1024, `auto` quality as standard.
///
/// These are OpenAI's long-standing list prices, not in the reference: dall-e-2 $0.016 / $0.018 /
/// $0.020 for 256² / 512² / 1024² (edits and variations alike); dall-e-3 standard $0.04 square, $0.08
/// wide, hd $0.08 square, $0.12 wide.
pub fn per_image_usd(model: &Model, size: Size, quality: Quality) -> Option<f64> {
    let dims = size.dims().unwrap_or((1024, 1024));
    match model.id {
        "dall-e-2" => Some(match dims {
            (256, 256) => 0.016,
            (512, 512) => 0.018,
            _ => 0.020,
        }),
        "dall-e-3" => {
            let hd = assumed_quality(model, quality) == Quality::Hd;
            Some(match (hd, dims == (1024, 1024)) {
                (false, true) => 0.04,
                (false, false) | (true, true) => 0.08,
                (true, false) => 0.12,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{all, lookup};

    fn model(id: &str) -> &'static Model {
        lookup(id).unwrap()
    }

    fn size(s: &str) -> Size {
        s.parse().unwrap()
    }

    const LEVELS: [Quality; 3] = [Quality::Low, Quality::Medium, Quality::High];

    /// Output-only price of one image, as the guide's per-image tables quote it.
    fn image_price(id: &str, s: &str, q: Quality) -> f64 {
        let tokens = expected_output_tokens(model(id), size(s), q);
        cost_usd(
            model(id),
            &Usage {
                output_image_tokens: tokens,
                ..Usage::default()
            },
        )
    }

    fn assert_prices(id: &str, s: &str, published: [f64; 3], tolerance: f64) {
        for (q, want) in LEVELS.into_iter().zip(published) {
            let got = image_price(id, s, q);
            assert!((got - want).abs() <= tolerance, "{id} {s} {q}: {got} vs {want}");
        }
    }

    #[test]
    fn per_image_prices_from_the_guide_are_reproduced() {
        // Published prices are rounded to 3 decimals ("same as 1024x1536" for landscape: looser).
        assert_prices("gpt-image-1", "1024x1024", [0.011, 0.042, 0.167], 0.001);
        assert_prices("gpt-image-1", "1024x1536", [0.016, 0.063, 0.25], 0.001);
        assert_prices("gpt-image-1", "1536x1024", [0.016, 0.063, 0.25], 0.002);
        assert_prices("gpt-image-1.5", "1024x1024", [0.009, 0.034, 0.133], 0.0005);
        assert_prices("gpt-image-1.5", "1024x1536", [0.013, 0.05, 0.2], 0.001);
        assert_prices("gpt-image-1-mini", "1024x1024", [0.005, 0.011, 0.036], 1e-9);
        assert_prices("gpt-image-1-mini", "1536x1024", [0.006, 0.015, 0.052], 1e-9);
        assert_prices("gpt-image-2", "1024x1024", [0.006, 0.053, 0.211], 0.0005);
        assert_prices("gpt-image-2", "1024x1536", [0.005, 0.041, 0.165], 0.0005);
        assert_prices("gpt-image-2", "1536x1024", [0.005, 0.041, 0.165], 0.0005);
        // gpt-image-1 high 1024x1024 is exactly 4160 tokens × $40/1M.
        assert!((image_price("gpt-image-1", "1024x1024", Quality::High) - 0.1664).abs() < 1e-12);
    }

    #[test]
    fn gpt_image_2_tokens_match_the_calculator() {
        let m = model("gpt-image-2");
        let cases = [
            ("1024x1024", Quality::Low, 196),
            ("1024x1024", Quality::High, 7024),
            ("1536x1024", Quality::High, 5488),
            ("1024x1536", Quality::High, 5488),
            ("1792x1024", Quality::High, 5063),
            ("3584x2048", Quality::High, 12_329),
        ];
        for (s, q, want) in cases {
            assert_eq!(expected_output_tokens(m, size(s), q), want, "{s} {q}");
        }
        // Bigger but non-square can be cheaper; bigger at the same ratio is dearer.
        let high = |s: &str| expected_output_tokens(m, size(s), Quality::High);
        assert!(high("1536x1024") < high("1024x1024"));
        assert!(high("2048x2048") > high("1024x1024"));
        assert!(high("3840x2160") > high("2560x1440"));
        assert_eq!(gpt_image_2_tokens(2, 0, 1024), 0);
        assert!(gpt_image_2_tokens(2, u32::MAX, u32::MAX) > 0);
    }

    #[test]
    fn expected_tokens_resolve_auto_and_scale_outside_the_tables() {
        for m in all().iter().filter(|m| m.prices.is_some()) {
            let at = |s: Size, q: Quality| expected_output_tokens(m, s, q);
            let square = size("1024x1024");
            assert!(at(square, Quality::Low) > 0, "{}", m.id);
            assert!(at(square, Quality::Low) < at(square, Quality::Medium), "{}", m.id);
            assert!(at(square, Quality::Medium) < at(square, Quality::High), "{}", m.id);
            assert_eq!(at(Size::Auto, Quality::Auto), at(square, Quality::Medium), "{}", m.id);
            assert_eq!(at(square, Quality::Standard), at(square, Quality::Medium), "{}", m.id);
            assert_eq!(at(square, Quality::Hd), at(square, Quality::High), "{}", m.id);
        }
        let g1 = model("gpt-image-1");
        assert_eq!(expected_output_tokens(g1, size("2048x2048"), Quality::High), 4 * 4160);
        assert_eq!(expected_output_tokens(g1, size("512x512"), Quality::Medium), 1056 / 4);
        // 1792x1024 is nearest in ratio to 1536x1024: 1568 × 1792/1536.
        assert_eq!(expected_output_tokens(g1, size("1792x1024"), Quality::Medium), 1830);
        assert_eq!(expected_output_tokens(model("dall-e-3"), Size::Auto, Quality::Hd), 0);
    }

    #[test]
    fn cost_of_usage() {
        let g1 = model("gpt-image-1");
        let u = Usage {
            input_text_tokens: 1000,
            input_image_tokens: 2000,
            cached_input_tokens: 0,
            output_image_tokens: 4160,
            output_text_tokens: 50,
        };
        // 1000×5 + 2000×10 + 4160×40 (text out unpublished → 0), per 1M.
        assert!((cost_usd(g1, &u) - (5000.0 + 20_000.0 + 166_400.0) / 1e6).abs() < 1e-12);
        let g15 = model("gpt-image-1.5");
        assert!((cost_usd(g15, &u) - (5000.0 + 16_000.0 + 133_120.0 + 500.0) / 1e6).abs() < 1e-12);
        assert_eq!(cost_usd(model("dall-e-3"), &u), 0.0);
        assert_eq!(cost_usd(g1, &Usage::default()), 0.0);
    }

    #[test]
    fn cached_tokens_are_discounted_text_first() {
        let g2 = model("gpt-image-2");
        let u = |cached| Usage {
            input_text_tokens: 100,
            input_image_tokens: 1000,
            cached_input_tokens: cached,
            ..Usage::default()
        };
        let full = (100.0 * 5.0 + 1000.0 * 8.0) / 1e6;
        assert!((cost_usd(g2, &u(0)) - full).abs() < 1e-12);
        assert!((cost_usd(g2, &u(100)) - (100.0 * 1.25 + 1000.0 * 8.0) / 1e6).abs() < 1e-12);
        assert!((cost_usd(g2, &u(600)) - (100.0 * 1.25 + 500.0 * 2.0 + 500.0 * 8.0) / 1e6).abs() < 1e-12);
        // More cached than input is clamped: everything at the cached rates.
        assert!((cost_usd(g2, &u(u64::MAX)) - (100.0 * 1.25 + 1000.0 * 2.0) / 1e6).abs() < 1e-12);
        // Text first is the conservative order for every priced model.
        for m in all() {
            if let Some(p) = m.prices {
                let text_saving = p.text_in - p.cached_text_in.unwrap_or(p.text_in);
                let image_saving = p.image_in - p.cached_image_in.unwrap_or(p.image_in);
                assert!(text_saving <= image_saving, "{}", m.id);
            }
        }
    }

    #[test]
    fn estimate_scales_with_n_partials_prompt_and_inputs() {
        let g2 = model("gpt-image-2");
        let base = ImageParams {
            size: size("1024x1024"),
            quality: Quality::High,
            ..ImageParams::default()
        };
        let one = estimate(g2, &base, 0, 0);
        assert_eq!(one.usage.output_image_tokens, 7024);
        assert!((one.usd - 7024.0 * 30.0 / 1e6).abs() < 1e-12);
        assert_eq!(one.assumed_quality, Quality::High);

        let four = estimate(g2, &ImageParams { n: 4, ..base.clone() }, 0, 0);
        assert_eq!(four.usage.output_image_tokens, 4 * 7024);
        assert!((four.usd - 4.0 * one.usd).abs() < 1e-12);

        let streamed = ImageParams {
            n: 2,
            stream: true,
            partial_images: Some(3),
            ..base.clone()
        };
        assert_eq!(
            estimate(g2, &streamed, 0, 0).usage.output_image_tokens,
            2 * (7024 + 300)
        );
        let unstreamed = ImageParams {
            stream: false,
            ..streamed
        };
        assert_eq!(estimate(g2, &unstreamed, 0, 0).usage.output_image_tokens, 2 * 7024);

        let e = estimate(g2, &base, 401, 3);
        assert_eq!(e.usage.input_text_tokens, 101);
        assert_eq!(e.usage.input_image_tokens, 3 * 1536);
        let inputs = (101.0 * 5.0 + 3.0 * 1536.0 * 8.0) / 1e6;
        assert!((e.usd - one.usd - inputs).abs() < 1e-12);

        let auto = estimate(g2, &ImageParams::default(), 4, 0);
        assert_eq!(auto.assumed_quality, Quality::Medium);
        assert_eq!(auto.usage.output_image_tokens, 1756);
        assert_eq!(auto.usage.input_text_tokens, 1);
    }

    #[test]
    fn input_image_assumptions() {
        let tokens = |id: &str, fidelity| {
            let p = ImageParams {
                model: id.into(),
                input_fidelity: fidelity,
                ..ImageParams::default()
            };
            estimate(model(id), &p, 0, 1).usage.input_image_tokens
        };
        assert_eq!(tokens("gpt-image-1", None), 323);
        assert_eq!(tokens("gpt-image-1", Some(InputFidelity::Low)), 323);
        assert_eq!(tokens("gpt-image-1.5", Some(InputFidelity::High)), 323 + 6144);
        assert_eq!(tokens("gpt-image-1-mini", None), 323);
        assert_eq!(tokens("gpt-image-2", None), 1536);
        assert_eq!(tokens("dall-e-2", None), 0);
    }

    #[test]
    fn dalle_is_priced_per_image() {
        let d2 = model("dall-e-2");
        let d3 = model("dall-e-3");
        assert_eq!(per_image_usd(d2, size("256x256"), Quality::Auto), Some(0.016));
        assert_eq!(per_image_usd(d2, size("512x512"), Quality::Standard), Some(0.018));
        assert_eq!(per_image_usd(d2, size("1024x1024"), Quality::Auto), Some(0.020));
        assert_eq!(per_image_usd(d3, Size::Auto, Quality::Auto), Some(0.04));
        assert_eq!(per_image_usd(d3, size("1792x1024"), Quality::Standard), Some(0.08));
        assert_eq!(per_image_usd(d3, size("1024x1024"), Quality::Hd), Some(0.08));
        assert_eq!(per_image_usd(d3, size("1024x1792"), Quality::Hd), Some(0.12));
        assert_eq!(per_image_usd(model("gpt-image-2"), Size::Auto, Quality::Auto), None);

        let p = ImageParams {
            model: "dall-e-2".into(),
            size: size("512x512"),
            n: 5,
            ..ImageParams::default()
        };
        let e = estimate(d2, &p, 400, 1);
        assert!((e.usd - 5.0 * 0.018).abs() < 1e-12);
        assert_eq!(e.usage, Usage::default());
        assert_eq!(e.assumed_quality, Quality::Standard);
        let hd = ImageParams {
            model: "dall-e-3".into(),
            size: size("1792x1024"),
            quality: Quality::Hd,
            ..ImageParams::default()
        };
        assert_eq!(estimate(d3, &hd, 10, 0).assumed_quality, Quality::Hd);
        assert!((estimate(d3, &hd, 10, 0).usd - 0.12).abs() < 1e-12);
    }

    #[test]
    fn every_model_can_be_estimated() {
        for m in all() {
            let p = ImageParams {
                model: m.id.into(),
                ..ImageParams::default()
            };
            let e = estimate(m, &p, 100, 0);
            assert!(e.usd > 0.0 && e.usd < 1.0, "{}: {}", m.id, e.usd);
        }
    }

    #[test]
    fn usage_and_estimate_serialize() {
        let u = Usage {
            input_text_tokens: 31,
            output_image_tokens: 1056,
            ..Usage::default()
        };
        let json = serde_json::to_value(u).unwrap();
        assert_eq!(json["output_image_tokens"], 1056);
        assert_eq!(serde_json::from_value::<Usage>(json).unwrap(), u);
        let e = estimate(model("gpt-image-1"), &ImageParams::default(), 8, 0);
        let json = serde_json::to_value(e).unwrap();
        assert_eq!(json["assumed_quality"], "medium");
        assert_eq!(json["usage"]["input_text_tokens"], 2);
    }
}
