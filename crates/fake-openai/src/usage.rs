//! Token accounting for image responses.
//!
//! - Text input: `ceil(prompt chars / 4)`.
//! - Image input, per image: scale to fit 2048x2048, then so the short side is at most 768;
//!   `65 + 129 × (512 px tiles)`. High fidelity (always on for gpt-image-2, or
//!   `input_fidelity=high`) doubles it. A 1024x1024 input is 581 tokens (1162 at high fidelity).
//! - Image output, per image: the model table ([`crate::models::Model::output_tokens`]), plus 100
//!   per partial image streamed.

use serde_json::{Value, json};

use crate::inputs::InputImage;
use crate::validate::Job;

/// Token counts of one Images API answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub text_in: u64,
    pub image_in: u64,
    pub image_out: u64,
}

pub fn text_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

pub fn image_input_tokens(width: u32, height: u32, high_fidelity: bool) -> u64 {
    let (mut w, mut h) = (width.max(1) as f64, height.max(1) as f64);
    let fit = (2048.0 / w.max(h)).min(1.0);
    w *= fit;
    h *= fit;
    let short = (768.0 / w.min(h)).min(1.0);
    w *= short;
    h *= short;
    let tiles = (w / 512.0).ceil() as u64 * (h / 512.0).ceil() as u64;
    let base = 65 + 129 * tiles;
    if high_fidelity { base * 2 } else { base }
}

impl Usage {
    /// Usage for `job` producing `images` outputs of `size` with `partials` partial images each.
    pub fn for_job(job: &Job, size: (u32, u32), inputs: &[InputImage], images: u32, partials: u32) -> Usage {
        let per_image = job.model.output_tokens(job.quality, size.0, size.1);
        Usage {
            text_in: text_tokens(&job.prompt),
            image_in: inputs
                .iter()
                .map(|i| image_input_tokens(i.width, i.height, job.high_fidelity))
                .sum(),
            image_out: (per_image + 100 * partials as u64) * images as u64,
        }
    }

    pub fn json(&self) -> Value {
        let input = self.text_in + self.image_in;
        json!({
            "input_tokens": input,
            "input_tokens_details": { "text_tokens": self.text_in, "image_tokens": self.image_in },
            "output_tokens": self.image_out,
            "output_tokens_details": { "image_tokens": self.image_out, "text_tokens": 0 },
            "total_tokens": input + self.image_out,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_tokens_round_up() {
        assert_eq!(text_tokens(""), 0);
        assert_eq!(text_tokens("abcde"), 2);
    }

    #[test]
    fn image_tokens_follow_tiles() {
        assert_eq!(image_input_tokens(1024, 1024, false), 65 + 129 * 4);
        assert_eq!(image_input_tokens(512, 512, false), 65 + 129);
        assert_eq!(image_input_tokens(1024, 1024, true), 2 * (65 + 129 * 4));
    }
}
