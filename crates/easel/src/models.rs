//! The model table: the one place that says what each OpenAI image model accepts, what it costs per
//! token and when it shuts down. Every request is checked against it with [`validate`] before anything
//! is sent, and every rejection says what *is* allowed.
//!
//! Sources: `../shared/reference/openai-images-api.md` §2–§6 and §11. Where sources disagree the table
//! follows the stricter reading (gpt-image-2: no transparent background, no `input_fidelity`).

use std::fmt;
use std::str::FromStr;

pub const DEFAULT_MODEL: &str = "gpt-image-2";

/// Rejected parameter: `param` is the wire name, `message` says what is allowed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParamError {
    pub param: &'static str,
    pub message: String,
}

/// `return Err(ParamError)` for `param` with a formatted message.
macro_rules! reject {
    ($param:expr, $($message:tt)+) => {
        return Err(ParamError { param: $param, message: format!($($message)+) })
    };
}

fn join<T: fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items.into_iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

/// `1234567` → `"1,234,567"`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Requested image size. Text form: `auto` or `WIDTHxHEIGHT` (`1024x1024`); that is also the serde form.
///
/// Parsing ignores surrounding whitespace, reads `auto` in any case, and accepts `x`, `X` or `×` between
/// two positive decimal numbers. Display is always canonical (`auto`, `1536x1024`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Size {
    Auto,
    Exact { width: u32, height: u32 },
}

impl Size {
    pub fn dims(&self) -> Option<(u32, u32)> {
        match *self {
            Size::Auto => None,
            Size::Exact { width, height } => Some((width, height)),
        }
    }

    pub fn pixels(&self) -> Option<u64> {
        self.dims().map(|(w, h)| u64::from(w) * u64::from(h))
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Size::Auto => f.write_str("auto"),
            Size::Exact { width, height } => write!(f, "{width}x{height}"),
        }
    }
}

impl FromStr for Size {
    type Err = ParamError;

    fn from_str(s: &str) -> Result<Size, ParamError> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("auto") {
            return Ok(Size::Auto);
        }
        let edge = |part: &str| -> Option<u32> {
            let part = part.trim();
            let ok = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
            ok.then(|| part.parse::<u32>().ok()).flatten().filter(|&v| v > 0)
        };
        match t
            .split_once(['x', 'X', '×'])
            .and_then(|(w, h)| Some((edge(w)?, edge(h)?)))
        {
            Some((width, height)) => Ok(Size::Exact { width, height }),
            None => reject!(
                "size",
                "size '{s}' is not understood: use 'auto' or WIDTHxHEIGHT in pixels, such as 1024x1024"
            ),
        }
    }
}

impl From<Size> for String {
    fn from(s: Size) -> String {
        s.to_string()
    }
}

impl TryFrom<String> for Size {
    type Error = ParamError;
    fn try_from(s: String) -> Result<Size, ParamError> {
        s.parse()
    }
}

/// A closed set of wire strings: serde, `as_str`, `Display` and a case-insensitive `FromStr` whose error
/// lists the allowed values. `Variant = "wire" | "alias"`: aliases are accepted, never produced.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident, $param:literal, { $($variant:ident = $s:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $s $(, alias = $alias)*)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $s),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParamError;

            fn from_str(s: &str) -> Result<$name, ParamError> {
                let t = s.trim();
                $(
                    if t.eq_ignore_ascii_case($s) $(|| t.eq_ignore_ascii_case($alias))* {
                        return Ok($name::$variant);
                    }
                )+
                reject!($param, "{} '{s}' is not one of: {}", $param, join(Self::ALL))
            }
        }
    };
}

wire_enum!(Quality, "quality", { Auto = "auto", Low = "low", Medium = "medium", High = "high", Standard = "standard", Hd = "hd" });
wire_enum!(
    /// Output encoding. `jpg` is accepted as an alias of `jpeg` when parsing.
    OutputFormat, "output_format", { Png = "png", Jpeg = "jpeg" | "jpg", Webp = "webp" }
);
wire_enum!(Background, "background", { Auto = "auto", Transparent = "transparent", Opaque = "opaque" });
wire_enum!(Moderation, "moderation", { Auto = "auto", Low = "low" });
wire_enum!(InputFidelity, "input_fidelity", { Low = "low", High = "high" });
wire_enum!(Operation, "operation", { Generate = "generate", Edit = "edit", Variation = "variation" });

impl OutputFormat {
    pub fn mime(&self) -> &'static str {
        match self {
            OutputFormat::Png => "image/png",
            OutputFormat::Jpeg => "image/jpeg",
            OutputFormat::Webp => "image/webp",
        }
    }

    /// File extension without the dot; JPEG files get `jpg`.
    pub fn extension(&self) -> &'static str {
        match self {
            OutputFormat::Png => "png",
            OutputFormat::Jpeg => "jpg",
            OutputFormat::Webp => "webp",
        }
    }

    /// `image/png`, `image/jpeg` (also `image/jpg`), `image/webp`; case and `;` parameters are ignored.
    pub fn from_mime(mime: &str) -> Option<OutputFormat> {
        let essence = mime.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match essence.as_str() {
            "image/png" => Some(OutputFormat::Png),
            "image/jpeg" | "image/jpg" => Some(OutputFormat::Jpeg),
            "image/webp" => Some(OutputFormat::Webp),
            _ => None,
        }
    }

    /// `png`, `jpg`/`jpeg`, `webp` in any case, with or without the leading dot.
    pub fn from_extension(ext: &str) -> Option<OutputFormat> {
        let ext = ext.strip_prefix('.').unwrap_or(ext).to_ascii_lowercase();
        match ext.as_str() {
            "png" => Some(OutputFormat::Png),
            "jpg" | "jpeg" => Some(OutputFormat::Jpeg),
            "webp" => Some(OutputFormat::Webp),
            _ => None,
        }
    }

    /// The format by magic bytes: PNG signature, JPEG SOI marker, or a RIFF container of type WEBP.
    pub fn sniff(bytes: &[u8]) -> Option<OutputFormat> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(OutputFormat::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(OutputFormat::Jpeg)
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
            Some(OutputFormat::Webp)
        } else {
            None
        }
    }
}

/// Which `WxH` sizes a model takes (besides `auto`, see [`Model::auto_size`]).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SizeRule {
    Presets(&'static [(u32, u32)]),
    /// Any `WxH` with both edges multiples of `multiple_of`, longest edge ≤ `max_edge`, long/short ≤
    /// `max_ratio`, pixel count in `min_pixels..=max_pixels`; above `experimental_above_pixels` it works
    /// but is experimental.
    Flexible {
        multiple_of: u32,
        max_edge: u32,
        max_ratio: u32,
        min_pixels: u64,
        max_pixels: u64,
        experimental_above_pixels: u64,
    },
}

/// USD per 1M tokens. `None` means the price is not published (see [`crate::cost::cost_usd`]).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Prices {
    pub text_in: f64,
    pub cached_text_in: Option<f64>,
    pub image_in: f64,
    pub cached_image_in: Option<f64>,
    pub image_out: f64,
    pub text_out: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Model {
    pub id: &'static str,
    pub label: &'static str,
    pub generations: bool,
    pub edits: bool,
    pub variations: bool,
    pub streaming: bool,
    pub sizes: SizeRule,
    /// Whether `size: auto` is accepted (all GPT models; not DALL·E).
    pub auto_size: bool,
    pub qualities: &'static [Quality],
    pub formats: &'static [OutputFormat],
    /// `n` may be `1..=n_max`.
    pub n_max: u8,
    /// `background: transparent` is accepted.
    pub transparent: bool,
    /// `input_fidelity` may be sent (edits only).
    pub input_fidelity: bool,
    /// Input images per edit or variation; 0 when the model takes none.
    pub max_input_images: u8,
    pub prompt_max_chars: usize,
    /// Token prices; `None` for DALL·E, which is priced per image ([`crate::cost::per_image_usd`]).
    pub prices: Option<Prices>,
    /// Shutdown date on OpenAI, `YYYY-MM-DD`.
    pub shutdown: Option<&'static str>,
    pub note: Option<&'static str>,
}

impl Model {
    pub fn supports(&self, op: Operation) -> bool {
        match op {
            Operation::Generate => self.generations,
            Operation::Edit => self.edits,
            Operation::Variation => self.variations,
        }
    }
}

const GPT_SIZES: &[(u32, u32)] = &[(1024, 1024), (1536, 1024), (1024, 1536)];
const GPT_QUALITIES: &[Quality] = &[Quality::Auto, Quality::Low, Quality::Medium, Quality::High];
const GPT_FORMATS: &[OutputFormat] = &[OutputFormat::Png, OutputFormat::Jpeg, OutputFormat::Webp];
const GPT_PROMPT_MAX: usize = 32_000;
const DALLE_NOTE: &str = "Removed from the OpenAI API; the 2026-05-12 shutdown date comes from a third party. \
                          Kept for compatible servers.";

/// The GPT image models share everything but identity, sizes, fidelity, transparency and prices.
const fn gpt(id: &'static str, label: &'static str, prices: Prices, shutdown: Option<&'static str>) -> Model {
    Model {
        id,
        label,
        generations: true,
        edits: true,
        variations: false,
        streaming: true,
        sizes: SizeRule::Presets(GPT_SIZES),
        auto_size: true,
        qualities: GPT_QUALITIES,
        formats: GPT_FORMATS,
        n_max: 10,
        transparent: true,
        input_fidelity: false,
        max_input_images: 16,
        prompt_max_chars: GPT_PROMPT_MAX,
        prices: Some(prices),
        shutdown,
        note: None,
    }
}

static MODELS: [Model; 6] = [
    Model {
        sizes: SizeRule::Flexible {
            multiple_of: 16,
            max_edge: 3840,
            max_ratio: 3,
            min_pixels: 655_360,
            max_pixels: 8_294_400,
            experimental_above_pixels: 3_686_400,
        },
        transparent: false,
        note: Some(
            "Input images are always processed at high fidelity, so input_fidelity is not sent. Transparent \
             backgrounds: the guide says unsupported, the spec says preview; treated as unsupported.",
        ),
        ..gpt(
            "gpt-image-2",
            "GPT Image 2",
            Prices {
                text_in: 5.0,
                cached_text_in: Some(1.25),
                image_in: 8.0,
                cached_image_in: Some(2.0),
                image_out: 30.0,
                text_out: None,
            },
            None,
        )
    },
    Model {
        input_fidelity: true,
        note: Some("Prices are third-party figures consistent with the guide's per-image prices."),
        ..gpt(
            "gpt-image-1.5",
            "GPT Image 1.5",
            Prices {
                text_in: 5.0,
                cached_text_in: Some(1.25),
                image_in: 8.0,
                cached_image_in: Some(2.0),
                image_out: 32.0,
                text_out: Some(10.0),
            },
            Some("2026-12-01"),
        )
    },
    Model {
        input_fidelity: true,
        ..gpt(
            "gpt-image-1",
            "GPT Image 1",
            Prices {
                text_in: 5.0,
                cached_text_in: Some(1.25),
                image_in: 10.0,
                cached_image_in: Some(2.5),
                image_out: 40.0,
                text_out: None,
            },
            Some("2026-10-23"),
        )
    },
    gpt(
        "gpt-image-1-mini",
        "GPT Image 1 mini",
        Prices {
            text_in: 2.0,
            cached_text_in: Some(0.2),
            image_in: 2.5,
            cached_image_in: Some(0.25),
            image_out: 8.0,
            text_out: None,
        },
        Some("2026-12-01"),
    ),
    Model {
        id: "dall-e-3",
        label: "DALL·E 3",
        generations: true,
        edits: false,
        variations: false,
        streaming: false,
        sizes: SizeRule::Presets(&[(1024, 1024), (1792, 1024), (1024, 1792)]),
        auto_size: false,
        qualities: &[Quality::Auto, Quality::Standard, Quality::Hd],
        formats: &[OutputFormat::Png],
        n_max: 1,
        transparent: false,
        input_fidelity: false,
        max_input_images: 0,
        prompt_max_chars: 4000,
        prices: None,
        shutdown: Some("2026-05-12"),
        note: Some(DALLE_NOTE),
    },
    Model {
        id: "dall-e-2",
        label: "DALL·E 2",
        generations: true,
        edits: true,
        variations: true,
        streaming: false,
        sizes: SizeRule::Presets(&[(256, 256), (512, 512), (1024, 1024)]),
        auto_size: false,
        qualities: &[Quality::Auto, Quality::Standard],
        formats: &[OutputFormat::Png],
        n_max: 10,
        transparent: false,
        input_fidelity: false,
        max_input_images: 1,
        prompt_max_chars: 1000,
        prices: None,
        shutdown: Some("2026-05-12"),
        note: Some(DALLE_NOTE),
    },
];

/// Every known model, the default first.
pub fn all() -> &'static [Model] {
    &MODELS
}

/// The model for `id` (case-insensitive). A dated snapshot id (`gpt-image-2-2026-04-21`) resolves to
/// its base model.
pub fn lookup(id: &str) -> Option<&'static Model> {
    let id = id.trim();
    let find = |id: &str| MODELS.iter().find(|m| m.id.eq_ignore_ascii_case(id));
    find(id).or_else(|| find(strip_snapshot(id)?))
}

/// `base-YYYY-MM-DD` → `base`.
fn strip_snapshot(id: &str) -> Option<&str> {
    let cut = id.len().checked_sub(11)?;
    let (base, date) = (id.get(..cut)?, id.get(cut..)?.as_bytes());
    let shape = date.iter().enumerate().all(|(i, b)| match i {
        0 | 5 | 8 => *b == b'-',
        _ => b.is_ascii_digit(),
    });
    (shape && !base.is_empty()).then_some(base)
}

/// Parameters common to generation, edit and variation requests, validated against the table before
/// any network call.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ImageParams {
    pub model: String,
    pub size: Size,
    pub quality: Quality,
    pub n: u8,
    pub output_format: OutputFormat,
    pub output_compression: Option<u8>,
    pub background: Background,
    pub moderation: Moderation,
    pub input_fidelity: Option<InputFidelity>,
    pub stream: bool,
    pub partial_images: Option<u8>,
}

impl Default for ImageParams {
    fn default() -> Self {
        ImageParams {
            model: DEFAULT_MODEL.to_string(),
            size: Size::Auto,
            quality: Quality::Auto,
            n: 1,
            output_format: OutputFormat::Png,
            output_compression: None,
            background: Background::Auto,
            moderation: Moderation::Auto,
            input_fidelity: None,
            stream: false,
            partial_images: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeCheck {
    Ok,
    /// Accepted, but OpenAI calls sizes in this range experimental (gpt-image-2 above 2560x1440).
    Experimental,
}

/// Whether `model` accepts `size`; the error names the rule broken and suggests the nearest valid size.
pub fn check_size(model: &Model, size: Size) -> Result<SizeCheck, ParamError> {
    let id = model.id;
    let presets_text = |list: &[(u32, u32)]| {
        let auto = model.auto_size.then(|| "auto".to_string());
        join(auto.into_iter().chain(list.iter().map(|(w, h)| format!("{w}x{h}"))))
    };
    let Some((w, h)) = size.dims() else {
        if model.auto_size {
            return Ok(SizeCheck::Ok);
        }
        let allowed = match model.sizes {
            SizeRule::Presets(list) => presets_text(list),
            SizeRule::Flexible { .. } => "an explicit WIDTHxHEIGHT".into(),
        };
        reject!("size", "size auto is not supported by {id}: use one of {allowed}");
    };
    let rule = model.sizes;
    let bad = |why: String, suggestion: Option<String>| {
        let hint = suggestion.map(|s| format!(" (try {s})")).unwrap_or_default();
        reject!("size", "size {w}x{h} is not valid for {id}: {why}{hint}")
    };
    let nearest = || nearest_valid(rule, w, h).map(|(a, b)| format!("{a}x{b}"));
    let SizeRule::Flexible {
        multiple_of: m,
        max_edge,
        max_ratio,
        min_pixels,
        max_pixels,
        experimental_above_pixels,
    } = rule
    else {
        return match rule {
            SizeRule::Presets(list) if !list.contains(&(w, h)) => {
                bad(format!("use one of {}", presets_text(list)), nearest())
            }
            _ => Ok(SizeCheck::Ok),
        };
    };
    let (long, short) = (w.max(h), w.min(h));
    let px = u64::from(w) * u64::from(h);
    let (px_text, min_text, max_text) = (thousands(px), thousands(min_pixels), thousands(max_pixels));
    if !w.is_multiple_of(m) || !h.is_multiple_of(m) {
        // Round both edges down, then both up; offer whichever results are valid.
        let round = |v: u32, up: bool| {
            let steps = if up {
                u64::from(v).div_ceil(u64::from(m))
            } else {
                u64::from(v / m)
            };
            u32::try_from(steps * u64::from(m)).ok()
        };
        let candidates: Vec<String> = [false, true]
            .into_iter()
            .filter_map(|up| Some((round(w, up)?, round(h, up)?)))
            .filter(|&(a, b)| size_ok(rule, a, b))
            .map(|(a, b)| format!("{a}x{b}"))
            .collect();
        let hint = if candidates.is_empty() {
            nearest()
        } else {
            Some(candidates.join(" or "))
        };
        bad(format!("both edges must be multiples of {m}"), hint)
    } else if long > max_edge {
        bad(format!("the longest edge may be at most {max_edge} px"), nearest())
    } else if u64::from(long) > u64::from(max_ratio) * u64::from(short) {
        bad(
            format!("the long edge may be at most {max_ratio} times the short edge ({max_ratio}:1)"),
            nearest(),
        )
    } else if px < min_pixels {
        bad(
            format!("it has {px_text} pixels and needs at least {min_text}"),
            nearest(),
        )
    } else if px > max_pixels {
        bad(
            format!("it has {px_text} pixels and may have at most {max_text}"),
            nearest(),
        )
    } else if px > experimental_above_pixels {
        Ok(SizeCheck::Experimental)
    } else {
        Ok(SizeCheck::Ok)
    }
}

fn size_ok(rule: SizeRule, w: u32, h: u32) -> bool {
    match rule {
        SizeRule::Presets(list) => list.contains(&(w, h)),
        SizeRule::Flexible {
            multiple_of: m,
            max_edge,
            max_ratio,
            min_pixels,
            max_pixels,
            ..
        } => {
            let px = u64::from(w) * u64::from(h);
            w > 0
                && h > 0
                && w.is_multiple_of(m)
                && h.is_multiple_of(m)
                && w.max(h) <= max_edge
                && u64::from(w.max(h)) <= u64::from(max_ratio) * u64::from(w.min(h))
                && (min_pixels..=max_pixels).contains(&px)
        }
    }
}

/// The valid size closest to `w`×`h`: L1 log distance, a change of aspect ratio weighing four times a
/// change of area, so an exact ratio wins when one fits. Flexible rules are searched exhaustively over
/// multiples of the step, at most (max_edge / step)² candidates, which only happens on the error path.
fn nearest_valid(rule: SizeRule, w: u32, h: u32) -> Option<(u32, u32)> {
    let distance = |(a, b): (u32, u32)| {
        let ln_ratio = |x: u32, y: u32| (f64::from(x.max(1)) / f64::from(y.max(1))).ln();
        let (dw, dh) = (ln_ratio(a, w), ln_ratio(b, h));
        4.0 * (dw - dh).abs() + (dw + dh).abs()
    };
    let closest = |it: &mut dyn Iterator<Item = (u32, u32)>| it.min_by(|a, b| distance(*a).total_cmp(&distance(*b)));
    match rule {
        SizeRule::Presets(list) => closest(&mut list.iter().copied()),
        SizeRule::Flexible {
            multiple_of, max_edge, ..
        } => {
            let step = usize::try_from(multiple_of.max(1)).ok()?;
            let edges = || (multiple_of..=max_edge).step_by(step);
            closest(
                &mut edges()
                    .flat_map(|a| edges().map(move |b| (a, b)))
                    .filter(|&(a, b)| size_ok(rule, a, b)),
            )
        }
    }
}

fn noun(op: Operation) -> &'static str {
    match op {
        Operation::Generate => "generation",
        Operation::Edit => "edits",
        Operation::Variation => "variations",
    }
}

/// Checks a request against the table: the model exists and does `op`; size, quality, `n`, format,
/// compression, background, input fidelity, streaming and partial images are allowed for it; the
/// prompt, input image count and mask fit the operation. Returns the model.
///
/// `moderation` is not checked: DALL·E ignores it and every GPT model takes both values.
/// `partial_images: Some(0)` is accepted without streaming (it means "none").
pub fn validate(
    op: Operation,
    params: &ImageParams,
    prompt: &str,
    input_images: usize,
    has_mask: bool,
) -> Result<&'static Model, ParamError> {
    let ids = |keep: fn(&Model) -> bool| join(all().iter().filter(|m| keep(m)).map(|m| m.id));
    let Some(model) = lookup(&params.model) else {
        reject!(
            "model",
            "unknown model '{}': use one of {}",
            params.model,
            ids(|_| true)
        );
    };
    let (id, what) = (model.id, noun(op));
    if !model.supports(op) {
        let able = join(all().iter().filter(|m| m.supports(op)).map(|m| m.id));
        reject!("model", "{id} does not support {what}; models that do: {able}");
    }

    let (chars, max_chars) = (prompt.chars().count(), model.prompt_max_chars);
    match op {
        Operation::Variation if !prompt.trim().is_empty() => {
            reject!("prompt", "variations take no prompt; leave it empty or use an edit")
        }
        Operation::Variation => {}
        _ if prompt.trim().is_empty() => reject!("prompt", "the prompt is empty; describe the image"),
        _ if chars > max_chars => reject!(
            "prompt",
            "the prompt has {chars} characters; {id} takes at most {max_chars}"
        ),
        _ => {}
    }

    let max_in = usize::from(model.max_input_images);
    match op {
        Operation::Generate if input_images > 0 => {
            reject!(
                "image",
                "generation takes no input images (got {input_images}); use an edit"
            )
        }
        Operation::Edit | Operation::Variation if !(1..=max_in).contains(&input_images) => {
            let want = if max_in == 1 {
                "exactly 1 input image".into()
            } else {
                format!("1 to {max_in} input images")
            };
            reject!("image", "{what} with {id} take {want} (got {input_images})")
        }
        _ => {}
    }
    if has_mask && op != Operation::Edit {
        reject!("mask", "a mask is only used by edits, not by {what}");
    }

    check_size(model, params.size)?;
    if !model.qualities.contains(&params.quality) {
        let allowed = join(model.qualities);
        reject!(
            "quality",
            "quality {} is not supported by {id}: use one of {allowed}",
            params.quality
        );
    }
    if params.n == 0 || params.n > model.n_max {
        let range = if model.n_max == 1 {
            "1".into()
        } else {
            format!("1 to {}", model.n_max)
        };
        reject!("n", "n must be {range} for {id} (got {})", params.n);
    }
    let format = params.output_format;
    if !model.formats.contains(&format) {
        reject!(
            "output_format",
            "output_format {format} is not supported by {id}: use {}",
            join(model.formats)
        );
    }
    match params.output_compression {
        Some(_) if format == OutputFormat::Png => {
            reject!(
                "output_compression",
                "output_compression applies only to jpeg and webp, not png"
            )
        }
        Some(c) if c > 100 => reject!("output_compression", "output_compression must be 0 to 100 (got {c})"),
        _ => {}
    }
    if params.background == Background::Transparent {
        if !model.transparent {
            let able = ids(|m| m.transparent);
            reject!(
                "background",
                "{id} cannot make transparent backgrounds; use opaque or auto, or one of {able}"
            );
        }
        if format == OutputFormat::Jpeg {
            reject!(
                "background",
                "a transparent background needs output_format png or webp, not jpeg"
            );
        }
    }
    if let Some(fidelity) = params.input_fidelity {
        if !model.input_fidelity {
            let able = ids(|m| m.input_fidelity);
            reject!(
                "input_fidelity",
                "{id} does not take input_fidelity ({fidelity}); leave it unset, or use one of {able}"
            );
        }
        if op != Operation::Edit {
            reject!("input_fidelity", "input_fidelity applies to edits only, not to {what}");
        }
    }
    if params.stream && !model.streaming {
        reject!("stream", "{id} does not stream; set stream to false");
    }
    match params.partial_images {
        Some(k) if k > 3 => reject!("partial_images", "partial_images must be 0 to 3 (got {k})"),
        Some(k) if k > 0 && !params.stream => {
            reject!(
                "partial_images",
                "partial_images ({k}) needs stream: true; set stream or drop it"
            )
        }
        _ => Ok(model),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sz(s: &str) -> Size {
        s.parse().unwrap()
    }

    fn model(id: &str) -> &'static Model {
        lookup(id).unwrap()
    }

    fn params(model: &str) -> ImageParams {
        ImageParams {
            model: model.into(),
            ..ImageParams::default()
        }
    }

    #[test]
    fn size_parses_and_displays() {
        assert_eq!(sz("auto"), Size::Auto);
        assert_eq!(sz(" AUTO "), Size::Auto);
        let exact = Size::Exact {
            width: 1536,
            height: 1024,
        };
        for s in ["1536x1024", "1536X1024", "1536×1024", " 1536 x 1024 "] {
            assert_eq!(sz(s), exact, "{s}");
        }
        assert_eq!(exact.to_string(), "1536x1024");
        assert_eq!(Size::Auto.to_string(), "auto");
        assert_eq!(exact.pixels(), Some(1_572_864));
        assert_eq!(exact.dims(), Some((1536, 1024)));
        assert_eq!(Size::Auto.pixels(), None);
        for bad in [
            "",
            "x",
            "1024",
            "1024x",
            "x1024",
            "0x1024",
            "1024x0",
            "-1x5",
            "+5x5",
            "1e3x1024",
            "1024x1024x1",
        ] {
            let e = bad.parse::<Size>().unwrap_err();
            assert_eq!(e.param, "size");
            assert!(e.message.contains("WIDTHxHEIGHT"), "{bad}: {e}");
        }
        assert!("4294967296x1".parse::<Size>().is_err());
    }

    #[test]
    fn size_serde_uses_the_string_form() {
        assert_eq!(serde_json::to_string(&sz("1024x640")).unwrap(), r#""1024x640""#);
        assert_eq!(serde_json::to_string(&Size::Auto).unwrap(), r#""auto""#);
        assert_eq!(serde_json::from_str::<Size>(r#""2048x1152""#).unwrap(), sz("2048x1152"));
        assert!(serde_json::from_str::<Size>(r#""big""#).is_err());
        assert!(serde_json::from_str::<Size>("1024").is_err());
    }

    #[test]
    fn wire_enums_round_trip_through_every_form() {
        fn check<T>(all: &[T])
        where
            T: Copy + PartialEq + fmt::Debug + fmt::Display + FromStr + serde::Serialize + serde::de::DeserializeOwned,
        {
            for v in all {
                let s = v.to_string();
                assert_eq!(serde_json::to_string(v).unwrap(), format!("\"{s}\""));
                assert_eq!(serde_json::from_str::<T>(&format!("\"{s}\"")).unwrap(), *v);
                assert!(s.parse::<T>().ok() == Some(*v));
                assert!(s.to_uppercase().parse::<T>().ok() == Some(*v));
            }
        }
        check(Quality::ALL);
        check(OutputFormat::ALL);
        check(Background::ALL);
        check(Moderation::ALL);
        check(InputFidelity::ALL);
        check(Operation::ALL);
        assert_eq!(Quality::Hd.as_str(), "hd");
        assert_eq!("jpg".parse::<OutputFormat>().unwrap(), OutputFormat::Jpeg);
        assert_eq!(
            serde_json::from_str::<OutputFormat>(r#""jpg""#).unwrap(),
            OutputFormat::Jpeg
        );
        let e = "ultra".parse::<Quality>().unwrap_err();
        assert_eq!(e.param, "quality");
        assert_eq!(
            e.message,
            "quality 'ultra' is not one of: auto, low, medium, high, standard, hd"
        );
    }

    #[test]
    fn output_format_mime_extension_and_sniffing() {
        assert_eq!(OutputFormat::Jpeg.mime(), "image/jpeg");
        assert_eq!(OutputFormat::Jpeg.extension(), "jpg");
        assert_eq!(OutputFormat::Webp.extension(), "webp");
        for f in OutputFormat::ALL {
            assert_eq!(OutputFormat::from_mime(f.mime()), Some(*f));
            assert_eq!(OutputFormat::from_extension(f.extension()), Some(*f));
        }
        assert_eq!(
            OutputFormat::from_mime("Image/PNG; charset=binary"),
            Some(OutputFormat::Png)
        );
        assert_eq!(OutputFormat::from_mime("image/jpg"), Some(OutputFormat::Jpeg));
        assert_eq!(OutputFormat::from_mime("application/octet-stream"), None);
        assert_eq!(OutputFormat::from_extension(".JPEG"), Some(OutputFormat::Jpeg));
        assert_eq!(OutputFormat::from_extension("gif"), None);
        assert_eq!(
            OutputFormat::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(OutputFormat::Png)
        );
        assert_eq!(
            OutputFormat::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(OutputFormat::Jpeg)
        );
        assert_eq!(OutputFormat::sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some(OutputFormat::Webp));
        assert_eq!(OutputFormat::sniff(b"RIFF\x24\0\0\0WAVEfmt "), None);
        assert_eq!(OutputFormat::sniff(b"RIFF"), None);
        assert_eq!(OutputFormat::sniff(b"GIF89a"), None);
        assert_eq!(OutputFormat::sniff(&[]), None);
    }

    #[test]
    fn table_is_consistent() {
        assert_eq!(all()[0].id, DEFAULT_MODEL);
        for m in all() {
            assert!(lookup(m.id).is_some_and(|found| std::ptr::eq(found, m)));
            assert!((1..=10).contains(&m.n_max), "{}", m.id);
            assert!(m.qualities.contains(&Quality::Auto), "{}", m.id);
            assert!(m.formats.contains(&OutputFormat::Png), "{}", m.id);
            assert_eq!(m.edits || m.variations, m.max_input_images > 0, "{}", m.id);
            assert!(!m.input_fidelity || m.edits, "{}", m.id);
            let gpt = m.id.starts_with("gpt-image");
            assert_eq!(gpt, m.prices.is_some(), "{}", m.id);
            assert_eq!(gpt, m.auto_size && m.streaming, "{}", m.id);
            if let Some(date) = m.shutdown {
                assert_eq!(strip_snapshot(&format!("x-{date}")), Some("x"), "{}", m.id);
            }
            // Defaults (with the model's own size and quality) pass for every operation it supports.
            let size = match m.sizes {
                SizeRule::Presets(list) if !m.auto_size => Size::Exact {
                    width: list[0].0,
                    height: list[0].1,
                },
                _ => Size::Auto,
            };
            let p = ImageParams { size, ..params(m.id) };
            for op in Operation::ALL.iter().filter(|op| m.supports(**op)) {
                let prompt = if *op == Operation::Variation { "" } else { "a cat" };
                let images = usize::from(*op != Operation::Generate);
                assert!(validate(*op, &p, prompt, images, false).is_ok(), "{} {op}", m.id);
            }
        }
        assert_eq!(model("gpt-image-1").shutdown, Some("2026-10-23"));
        assert_eq!(model("gpt-image-1-mini").shutdown, Some("2026-12-01"));
        assert_eq!(model("gpt-image-1.5").shutdown, Some("2026-12-01"));
        assert_eq!(model("dall-e-2").shutdown, Some("2026-05-12"));
        assert_eq!(model("gpt-image-2").prices.unwrap().text_out, None);
        assert_eq!(model("gpt-image-1").prices.unwrap().image_out, 40.0);
    }

    #[test]
    fn lookup_resolves_snapshots() {
        assert_eq!(model("gpt-image-2-2026-04-21").id, "gpt-image-2");
        assert_eq!(model("gpt-image-1.5-2025-12-16").id, "gpt-image-1.5");
        assert_eq!(model("GPT-Image-1-Mini").id, "gpt-image-1-mini");
        assert_eq!(model("gpt-image-1").id, "gpt-image-1");
        for unknown in [
            "",
            "gpt-image-3",
            "gpt-image-2-2026-4-21",
            "gpt-image-2-latest",
            "-2026-04-21",
            "dall-e",
        ] {
            assert!(lookup(unknown).is_none(), "{unknown}");
        }
    }

    #[test]
    fn gpt_image_2_sizes() {
        let m = model("gpt-image-2");
        let cases: &[(&str, Result<SizeCheck, &str>)] = &[
            ("auto", Ok(SizeCheck::Ok)),
            ("1024x1024", Ok(SizeCheck::Ok)),
            ("2560x1440", Ok(SizeCheck::Ok)),
            ("1440x2560", Ok(SizeCheck::Ok)),
            ("2576x1440", Ok(SizeCheck::Experimental)),
            ("2048x2048", Ok(SizeCheck::Experimental)),
            ("3840x1280", Ok(SizeCheck::Experimental)), // exactly 3:1, longest edge exactly 3840
            ("1280x3840", Ok(SizeCheck::Experimental)),
            ("3840x2160", Ok(SizeCheck::Experimental)), // exactly 8,294,400 px
            ("2160x3840", Ok(SizeCheck::Experimental)),
            ("1024x640", Ok(SizeCheck::Ok)), // exactly 655,360 px
            ("1536x512", Ok(SizeCheck::Ok)), // 3:1 and 786,432 px
            (
                "1000x1000",
                Err("both edges must be multiples of 16 (try 992x992 or 1008x1008)"),
            ),
            ("1024x1000", Err("multiples of 16 (try 1024x992 or 1024x1008)")),
            ("3856x1296", Err("the longest edge may be at most 3840 px")),
            ("4096x2048", Err("at most 3840 px (try 3840x1920)")),
            ("3840x1264", Err("at most 3 times the short edge (3:1)")), // 3.04:1
            ("1936x640", Err("(3:1)")),                                 // 3.025:1
            ("1008x640", Err("it has 645,120 pixels and needs at least 655,360")),
            ("512x512", Err("needs at least 655,360 (try ")),
            (
                "3840x2176",
                Err("it has 8,355,840 pixels and may have at most 8,294,400 (try 3808x2160)"),
            ),
            ("16x16", Err("needs at least")),
        ];
        for (s, want) in cases {
            match (check_size(m, sz(s)), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, *want, "{s}"),
                (Err(e), Err(frag)) => {
                    assert_eq!(e.param, "size");
                    assert!(
                        e.message
                            .starts_with(&format!("size {s} is not valid for gpt-image-2: ")),
                        "{e}"
                    );
                    assert!(e.message.contains(frag), "{s}: {e}");
                }
                (got, want) => panic!("{s}: got {got:?}, want {want:?}"),
            }
        }
        // Every suggestion is itself valid.
        for s in [
            "1000x1000",
            "4096x2048",
            "3840x1264",
            "1008x640",
            "100x9000",
            "7x7",
            "3840x2176",
        ] {
            let e = check_size(m, sz(s)).unwrap_err().message;
            let hint = e.rsplit_once("(try ").unwrap().1.trim_end_matches(')');
            for alt in hint.split(" or ") {
                assert!(check_size(m, sz(alt)).is_ok(), "{s} suggested {alt}");
            }
        }
        // Directly built zero sizes are rejected, not a panic.
        assert!(check_size(m, Size::Exact { width: 0, height: 0 }).is_err());
        assert!(check_size(m, Size::Exact { width: 0, height: 1024 }).is_err());
    }

    #[test]
    fn preset_sizes() {
        for id in ["gpt-image-1", "gpt-image-1.5", "gpt-image-1-mini"] {
            let m = model(id);
            for s in ["auto", "1024x1024", "1536x1024", "1024x1536"] {
                assert_eq!(check_size(m, sz(s)), Ok(SizeCheck::Ok), "{id} {s}");
            }
            let e = check_size(m, sz("1000x1000")).unwrap_err();
            assert_eq!(
                e.message,
                format!(
                    "size 1000x1000 is not valid for {id}: use one of auto, 1024x1024, 1536x1024, 1024x1536 (try 1024x1024)"
                )
            );
            assert!(
                check_size(m, sz("2048x1152"))
                    .unwrap_err()
                    .message
                    .ends_with("(try 1536x1024)")
            );
        }
        let d3 = model("dall-e-3");
        assert!(check_size(d3, sz("1792x1024")).is_ok());
        let e = check_size(d3, Size::Auto).unwrap_err();
        assert_eq!(
            e.message,
            "size auto is not supported by dall-e-3: use one of 1024x1024, 1792x1024, 1024x1792"
        );
        let d2 = model("dall-e-2");
        assert!(check_size(d2, sz("256x256")).is_ok());
        assert!(
            check_size(d2, sz("1536x1024"))
                .unwrap_err()
                .message
                .contains("use one of 256x256, 512x512, 1024x1024")
        );
    }

    /// Runs `validate` for a case written as `"op model [images] [mask]"` plus a JSON patch over the
    /// default parameters. The prompt is "a cat" (empty for variations); images default to 0 for
    /// generation and 1 otherwise.
    fn run(call: &str, patch: &str, prompt: Option<&str>) -> Result<&'static Model, ParamError> {
        let words: Vec<&str> = call.split_whitespace().collect();
        let op: Operation = words[0].parse().unwrap();
        let mut json: serde_json::Value = serde_json::from_str(patch).unwrap();
        json["model"] = words[1].into();
        let p: ImageParams = serde_json::from_value(json).unwrap();
        let images = words
            .get(2)
            .and_then(|w| w.parse().ok())
            .unwrap_or(usize::from(op != Operation::Generate));
        let mask = words.contains(&"mask");
        let prompt = prompt.unwrap_or(if op == Operation::Variation { "" } else { "a cat" });
        validate(op, &p, prompt, images, mask)
    }

    #[test]
    fn validation_rules() {
        // (call, patch, "" when it must pass or "param: message fragment")
        #[rustfmt::skip]
        let cases: &[(&str, &str, &str)] = &[
            ("generate gpt-image-2", "{}", ""),
            ("edit gpt-image-2 16 mask", "{}", ""),
            ("edit gpt-image-2-2026-04-21", "{}", ""),
            ("generate gpt-image-9", "{}", "model: unknown model 'gpt-image-9': use one of gpt-image-2, "),
            ("variation gpt-image-2", "{}", "model: gpt-image-2 does not support variations; models that do: dall-e-2"),
            ("edit dall-e-3", "{}", "model: models that do: gpt-image-2, gpt-image-1.5, gpt-image-1, gpt-image-1-mini, dall-e-2"),
            ("generate gpt-image-2 1", "{}", "image: generation takes no input images (got 1); use an edit"),
            ("edit gpt-image-2 0", "{}", "image: edits with gpt-image-2 take 1 to 16 input images (got 0)"),
            ("edit gpt-image-1 17", "{}", "image: 1 to 16 input images (got 17)"),
            ("edit dall-e-2 2", r#"{"size":"256x256"}"#, "image: take exactly 1 input image (got 2)"),
            ("edit dall-e-2 1 mask", r#"{"size":"256x256"}"#, ""),
            ("variation dall-e-2", r#"{"size":"256x256","n":10}"#, ""),
            ("variation dall-e-2 2", r#"{"size":"256x256"}"#, "image: variations with dall-e-2 take exactly 1"),
            ("variation dall-e-2 1 mask", r#"{"size":"256x256"}"#, "mask: a mask is only used by edits, not by variations"),
            ("generate gpt-image-2 0 mask", "{}", "mask: only used by edits, not by generation"),
            ("generate gpt-image-2", r#"{"size":"1000x1000"}"#, "size: try 992x992 or 1008x1008"),
            ("generate gpt-image-2", r#"{"size":"3840x2160"}"#, ""),
            ("generate gpt-image-1", r#"{"size":"2048x2048"}"#, "size: use one of auto, 1024x1024, 1536x1024, 1024x1536"),
            ("generate dall-e-2", "{}", "size: size auto is not supported by dall-e-2: use one of 256x256, 512x512, 1024x1024"),
            ("generate gpt-image-2", r#"{"quality":"hd"}"#, "quality: quality hd is not supported by gpt-image-2: use one of auto, low, medium, high"),
            ("generate gpt-image-1-mini", r#"{"quality":"standard"}"#, "quality: use one of auto, low, medium, high"),
            ("generate dall-e-3", r#"{"size":"1024x1792","quality":"hd"}"#, ""),
            ("generate dall-e-3", r#"{"size":"1024x1792","quality":"high"}"#, "quality: use one of auto, standard, hd"),
            ("generate dall-e-2", r#"{"size":"512x512","quality":"standard"}"#, ""),
            ("generate dall-e-2", r#"{"size":"512x512","quality":"hd"}"#, "quality: use one of auto, standard"),
            ("generate gpt-image-2", r#"{"n":0}"#, "n: n must be 1 to 10 for gpt-image-2 (got 0)"),
            ("generate gpt-image-2", r#"{"n":11}"#, "n: n must be 1 to 10 for gpt-image-2 (got 11)"),
            ("edit gpt-image-1", r#"{"n":10}"#, ""),
            ("generate dall-e-3", r#"{"size":"1024x1024","n":2}"#, "n: n must be 1 for dall-e-3 (got 2)"),
            ("generate dall-e-2", r#"{"size":"256x256","output_format":"webp"}"#, "output_format: webp is not supported by dall-e-2: use png"),
            ("generate gpt-image-2", r#"{"output_compression":80}"#, "output_compression: applies only to jpeg and webp, not png"),
            ("generate gpt-image-2", r#"{"output_format":"jpeg","output_compression":101}"#, "output_compression: must be 0 to 100 (got 101)"),
            ("generate gpt-image-2", r#"{"output_format":"webp","output_compression":0}"#, ""),
            ("generate gpt-image-2", r#"{"output_format":"jpeg","output_compression":100}"#, ""),
            ("generate gpt-image-2", r#"{"background":"transparent"}"#, "background: gpt-image-2 cannot make transparent backgrounds; use opaque or auto, or one of gpt-image-1.5, gpt-image-1, gpt-image-1-mini"),
            ("generate gpt-image-2", r#"{"background":"opaque","output_format":"jpeg"}"#, ""),
            ("generate gpt-image-1", r#"{"background":"transparent"}"#, ""),
            ("edit gpt-image-1.5", r#"{"background":"transparent","output_format":"webp"}"#, ""),
            ("generate gpt-image-1-mini", r#"{"background":"transparent","output_format":"jpeg"}"#, "background: a transparent background needs output_format png or webp, not jpeg"),
            ("generate dall-e-3", r#"{"size":"1024x1024","background":"transparent"}"#, "background: dall-e-3 cannot make transparent backgrounds"),
            ("edit gpt-image-1 2", r#"{"input_fidelity":"high"}"#, ""),
            ("edit gpt-image-1.5", r#"{"input_fidelity":"low"}"#, ""),
            ("edit gpt-image-1-mini", r#"{"input_fidelity":"high"}"#, "input_fidelity: gpt-image-1-mini does not take input_fidelity (high); leave it unset, or use one of gpt-image-1.5, gpt-image-1"),
            ("edit gpt-image-2", r#"{"input_fidelity":"low"}"#, "input_fidelity: gpt-image-2 does not take input_fidelity"),
            ("generate gpt-image-1", r#"{"input_fidelity":"high"}"#, "input_fidelity: input_fidelity applies to edits only, not to generation"),
            ("generate gpt-image-2", r#"{"stream":true,"partial_images":3}"#, ""),
            ("edit gpt-image-1-mini 3", r#"{"stream":true}"#, ""),
            ("edit gpt-image-2", r#"{"stream":true,"partial_images":0}"#, ""),
            ("generate gpt-image-2", r#"{"stream":true,"partial_images":4}"#, "partial_images: partial_images must be 0 to 3 (got 4)"),
            ("generate gpt-image-2", r#"{"partial_images":2}"#, "partial_images: partial_images (2) needs stream: true"),
            ("generate gpt-image-2", r#"{"partial_images":0}"#, ""),
            ("generate dall-e-3", r#"{"size":"1024x1024","stream":true}"#, "stream: dall-e-3 does not stream; set stream to false"),
            ("variation dall-e-2", r#"{"size":"1024x1024","stream":true}"#, "stream: dall-e-2 does not stream"),
            ("generate gpt-image-2", r#"{"moderation":"low"}"#, ""),
        ];
        for (call, patch, want) in cases {
            match (run(call, patch, None), want.split_once(": ")) {
                (Ok(m), None) => assert!(lookup(call.split(' ').nth(1).unwrap()).is_some_and(|l| l.id == m.id)),
                (Err(e), Some((param, fragment))) => {
                    assert_eq!(e.param, param, "{call} {patch}: {e}");
                    assert!(e.message.contains(fragment), "{call} {patch}: {e}");
                }
                (got, _) => panic!("{call} {patch}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn prompt_rules() {
        let long = |n: usize| "a".repeat(n);
        let msg = |call: &str, prompt: &str| run(call, "{}", Some(prompt)).err().map(|e| (e.param, e.message));
        assert_eq!(
            msg("generate gpt-image-2", "  \n"),
            Some(("prompt", "the prompt is empty; describe the image".into()))
        );
        assert_eq!(
            msg("edit gpt-image-2", ""),
            Some(("prompt", "the prompt is empty; describe the image".into()))
        );
        assert_eq!(msg("generate gpt-image-2", &long(32_000)), None);
        let over = msg("generate gpt-image-1", &long(32_001)).unwrap();
        assert_eq!(
            over.1,
            "the prompt has 32001 characters; gpt-image-1 takes at most 32000"
        );
        let dalle2 = |prompt: &str| {
            let p = ImageParams {
                size: sz("512x512"),
                ..params("dall-e-2")
            };
            validate(Operation::Generate, &p, prompt, 0, false)
                .err()
                .map(|e| e.message)
        };
        assert_eq!(dalle2(&long(1000)), None);
        assert_eq!(
            dalle2(&long(1001)).unwrap(),
            "the prompt has 1001 characters; dall-e-2 takes at most 1000"
        );
        // Characters, not bytes.
        let p = ImageParams {
            size: sz("1024x1024"),
            ..params("dall-e-3")
        };
        assert!(validate(Operation::Generate, &p, &"é".repeat(4000), 0, false).is_ok());
        assert!(validate(Operation::Generate, &p, &"é".repeat(4001), 0, false).is_err());
        let p = ImageParams {
            size: sz("256x256"),
            ..params("dall-e-2")
        };
        let e = validate(Operation::Variation, &p, "a cat", 1, false).unwrap_err();
        assert_eq!(
            (e.param, e.message.as_str()),
            ("prompt", "variations take no prompt; leave it empty or use an edit")
        );
    }

    #[test]
    fn image_params_default_and_serde() {
        let d = ImageParams::default();
        assert_eq!(d.model, "gpt-image-2");
        assert_eq!(
            (d.size, d.quality, d.n, d.output_format),
            (Size::Auto, Quality::Auto, 1, OutputFormat::Png)
        );
        assert_eq!(
            (d.background, d.moderation, d.stream),
            (Background::Auto, Moderation::Auto, false)
        );
        assert_eq!(
            (d.output_compression, d.input_fidelity, d.partial_images),
            (None, None, None)
        );
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["size"], "auto");
        assert_eq!(serde_json::from_value::<ImageParams>(json).unwrap(), d);
        let partial: ImageParams = serde_json::from_str(r#"{"size":"1536x1024","quality":"high"}"#).unwrap();
        assert_eq!(partial.size, sz("1536x1024"));
        assert_eq!(partial.model, DEFAULT_MODEL);
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(655_360), "655,360");
        assert_eq!(thousands(8_294_400), "8,294,400");
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn size_parsing_never_panics(s in any::<String>()) {
                let _ = s.parse::<Size>();
            }

            #[test]
            fn size_parsing_never_panics_on_size_like_text(s in "[ 0-9xX×a-zA-Z+-]{0,24}") {
                if let Ok(size) = s.parse::<Size>() {
                    prop_assert_eq!(size.to_string().parse::<Size>(), Ok(size));
                }
            }

            #[test]
            fn valid_sizes_round_trip(width in 1u32.., height in 1u32..) {
                let size = Size::Exact { width, height };
                prop_assert_eq!(size.to_string().parse::<Size>(), Ok(size));
                let json = serde_json::to_string(&size).unwrap();
                prop_assert_eq!(serde_json::from_str::<Size>(&json).unwrap(), size);
            }

            #[test]
            fn size_check_never_panics_and_agrees_with_the_rule(width in 0u32..5000, height in 0u32..5000) {
                let m = lookup("gpt-image-2").unwrap();
                let ok = check_size(m, Size::Exact { width, height }).is_ok();
                prop_assert_eq!(ok, size_ok(m.sizes, width, height));
            }
        }

        #[test]
        fn extreme_sizes_are_rejected_without_panicking() {
            for m in all() {
                for (w, h) in [(u32::MAX, u32::MAX), (u32::MAX, 1), (1, u32::MAX), (0, 0)] {
                    assert!(check_size(m, Size::Exact { width: w, height: h }).is_err());
                }
            }
        }
    }
}
