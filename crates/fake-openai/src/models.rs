//! The fake's own model table: what each image model accepts (reference §2, §3, §11).

/// Which API family a model belongs to; decides response shapes and GPT-only parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Gpt,
    DallE2,
    DallE3,
}

/// How a model's `size` is checked.
#[derive(Clone, Copy, Debug)]
pub enum Sizes {
    /// A fixed list (`auto` handled separately for GPT models).
    Presets(&'static [&'static str]),
    /// gpt-image-2: any `WxH` within [`flexible_size_error`]'s limits.
    Flexible,
}

/// Output image tokens per quality (low, medium, high) at 1024x1024, and at the two
/// 1536-long-edge presets.
#[derive(Clone, Copy, Debug)]
pub struct OutputTokens {
    pub square: [u64; 3],
    pub landscape: [u64; 3],
    pub portrait: [u64; 3],
}

#[derive(Debug)]
pub struct Model {
    pub id: &'static str,
    pub family: Family,
    pub sizes: Sizes,
    pub qualities: &'static [&'static str],
    pub max_n: u32,
    pub max_prompt: usize,
    pub transparent: bool,
    pub input_fidelity: bool,
    pub edits: bool,
    pub variations: bool,
    /// Input images are always processed at high fidelity (more input tokens).
    pub always_high_fidelity: bool,
    pub tokens: OutputTokens,
}

const GPT_SIZES: &[&str] = &["1024x1024", "1024x1536", "1536x1024", "auto"];
const GPT_QUALITIES: &[&str] = &["low", "medium", "high", "auto"];

/// Counts from the image-generation guide for models before gpt-image-2.
const CLASSIC_TOKENS: OutputTokens = OutputTokens {
    square: [272, 1056, 4160],
    landscape: [400, 1568, 6208],
    portrait: [408, 1584, 6240],
};

/// gpt-image-2: derived from the published per-image prices at $30 / 1M.
const GPT_IMAGE_2_TOKENS: OutputTokens = OutputTokens {
    square: [196, 1767, 7033],
    landscape: [167, 1367, 5500],
    portrait: [167, 1367, 5500],
};

const NO_TOKENS: OutputTokens = OutputTokens {
    square: [0; 3],
    landscape: [0; 3],
    portrait: [0; 3],
};

const fn gpt(id: &'static str, sizes: Sizes, fidelity: bool, tokens: OutputTokens) -> Model {
    let v2 = matches!(sizes, Sizes::Flexible);
    Model {
        id,
        family: Family::Gpt,
        sizes,
        qualities: GPT_QUALITIES,
        max_n: 10,
        max_prompt: 32_000,
        transparent: !v2,
        input_fidelity: fidelity,
        edits: true,
        variations: false,
        always_high_fidelity: v2,
        tokens,
    }
}

pub static MODELS: &[Model] = &[
    gpt("gpt-image-2", Sizes::Flexible, false, GPT_IMAGE_2_TOKENS),
    gpt("gpt-image-2-2026-04-21", Sizes::Flexible, false, GPT_IMAGE_2_TOKENS),
    gpt("gpt-image-1.5", Sizes::Presets(GPT_SIZES), true, CLASSIC_TOKENS),
    gpt(
        "gpt-image-1.5-2025-12-16",
        Sizes::Presets(GPT_SIZES),
        true,
        CLASSIC_TOKENS,
    ),
    gpt("chatgpt-image-latest", Sizes::Presets(GPT_SIZES), true, CLASSIC_TOKENS),
    gpt("gpt-image-1", Sizes::Presets(GPT_SIZES), true, CLASSIC_TOKENS),
    gpt("gpt-image-1-mini", Sizes::Presets(GPT_SIZES), false, CLASSIC_TOKENS),
    Model {
        id: "dall-e-2",
        family: Family::DallE2,
        sizes: Sizes::Presets(&["256x256", "512x512", "1024x1024"]),
        qualities: &["standard", "auto"],
        max_n: 10,
        max_prompt: 1000,
        transparent: false,
        input_fidelity: false,
        edits: true,
        variations: true,
        always_high_fidelity: false,
        tokens: NO_TOKENS,
    },
    Model {
        id: "dall-e-3",
        family: Family::DallE3,
        sizes: Sizes::Presets(&["1024x1024", "1792x1024", "1024x1792"]),
        qualities: &["standard", "hd", "auto"],
        max_n: 1,
        max_prompt: 4000,
        transparent: false,
        input_fidelity: false,
        edits: false,
        variations: false,
        always_high_fidelity: false,
        tokens: NO_TOKENS,
    },
];

pub fn lookup(id: &str) -> Option<&'static Model> {
    MODELS.iter().find(|m| m.id == id)
}

impl Model {
    pub fn is_gpt(&self) -> bool {
        self.family == Family::Gpt
    }

    /// Output image tokens for one image: table value for the presets, pixel-scaled square
    /// value for other (gpt-image-2) sizes.
    pub fn output_tokens(&self, quality: &str, width: u32, height: u32) -> u64 {
        let q = match quality {
            "low" => 0,
            "high" => 2,
            _ => 1,
        };
        let t = &self.tokens;
        match (width, height) {
            (1024, 1024) => t.square[q],
            (1536, 1024) => t.landscape[q],
            (1024, 1536) => t.portrait[q],
            (w, h) => {
                let pixels = w as u64 * h as u64;
                (t.square[q] * pixels).div_ceil(1024 * 1024)
            }
        }
    }
}

/// Parse `WxH` into two positive integers.
pub fn parse_size(size: &str) -> Option<(u32, u32)> {
    let (w, h) = size.split_once('x')?;
    let parse = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
            .filter(|v| *v > 0)
    };
    Some((parse(w)?, parse(h)?))
}

pub const FLEX_MIN_PIXELS: u64 = 655_360;
pub const FLEX_MAX_PIXELS: u64 = 8_294_400;
pub const FLEX_MAX_EDGE: u32 = 3840;

/// Why a gpt-image-2 size is invalid, or `None` when it is fine.
pub fn flexible_size_error(w: u32, h: u32) -> Option<String> {
    let (long, short) = (w.max(h), w.min(h));
    let pixels = w as u64 * h as u64;
    if !w.is_multiple_of(16) || !h.is_multiple_of(16) {
        Some("both width and height must be multiples of 16".into())
    } else if long > FLEX_MAX_EDGE {
        Some(format!("the longest edge must be at most {FLEX_MAX_EDGE} pixels"))
    } else if long > short * 3 {
        Some("the aspect ratio must be at most 3:1".into())
    } else if pixels < FLEX_MIN_PIXELS {
        Some(format!("the image must have at least {FLEX_MIN_PIXELS} pixels"))
    } else if pixels > FLEX_MAX_PIXELS {
        Some(format!("the image must have at most {FLEX_MAX_PIXELS} pixels"))
    } else {
        None
    }
}

/// Whether `(w, h)` is an allowed concrete size for `model` (used for edit `auto` sizing).
pub fn size_allowed(model: &Model, w: u32, h: u32) -> bool {
    match model.sizes {
        Sizes::Flexible => flexible_size_error(w, h).is_none(),
        Sizes::Presets(list) => list.contains(&format!("{w}x{h}").as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flexible_edges() {
        assert!(flexible_size_error(1024, 640).is_none()); // exactly the minimum
        assert!(flexible_size_error(1008, 640).is_some());
        assert!(flexible_size_error(3840, 2160).is_none()); // exactly the maximum
        assert!(flexible_size_error(3856, 2144).is_some());
        assert!(flexible_size_error(1920, 640).is_none()); // exactly 3:1
        assert!(flexible_size_error(1936, 640).is_some());
        assert!(flexible_size_error(1030, 1024).is_some());
    }

    #[test]
    fn sizes_parse_strictly() {
        assert_eq!(parse_size("1024x768"), Some((1024, 768)));
        for bad in ["1024", "x", "0x10", "-1x5", "10x+5", "1024X1024", " 1x1"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }

    #[test]
    fn tokens_scale_for_custom_sizes() {
        let m = lookup("gpt-image-2").unwrap();
        assert_eq!(m.output_tokens("medium", 1024, 1024), 1767);
        assert_eq!(m.output_tokens("high", 2048, 2048), 7033 * 4);
        let classic = lookup("gpt-image-1").unwrap();
        assert_eq!(classic.output_tokens("low", 1536, 1024), 400);
    }
}
