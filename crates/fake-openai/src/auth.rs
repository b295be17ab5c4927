//! API key checks: `Authorization: Bearer` on OpenAI paths, `api-key` on Azure paths.

use crate::error::{ApiError, ApiResult};
use crate::record::Recorded;

/// The bearer token the request presented, if any.
pub fn bearer(rec: &Recorded) -> Option<&str> {
    let value = rec.header("authorization")?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Check an OpenAI-path request against `expected`.
pub fn check_openai(rec: &Recorded, expected: &str) -> ApiResult<()> {
    match bearer(rec) {
        None => Err(ApiError::new(
            401,
            "invalid_request_error",
            "You didn't provide an API key. You need to provide your API key in an Authorization \
             header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password \
             field (with blank username) if you're accessing the API from your browser and are \
             prompted for a username and password. You can obtain an API key from \
             https://platform.openai.com/account/api-keys.",
        )),
        Some(key) if key == expected => Ok(()),
        Some(key) => Err(incorrect_key(key)),
    }
}

/// Check an Azure-path request's `api-key` header against `expected`.
pub fn check_azure(rec: &Recorded, expected: &str) -> ApiResult<()> {
    if rec.header("api-key") == Some(expected) {
        return Ok(());
    }
    Err(ApiError::new(
        401,
        "invalid_request_error",
        "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide \
         a valid key for an active subscription and use a correct regional API endpoint for your \
         resource.",
    )
    .code("401"))
}

/// 401 `invalid_api_key` naming the presented key, masked.
pub fn incorrect_key(key: &str) -> ApiError {
    ApiError::new(
        401,
        "invalid_request_error",
        format!(
            "Incorrect API key provided: {}. You can find your API key at \
             https://platform.openai.com/account/api-keys.",
            mask(key)
        ),
    )
    .code("invalid_api_key")
}

/// Mask a key like OpenAI does: a short prefix and the last four characters at most, never
/// more than a third of the key in the clear.
pub fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let n = chars.len();
    let (h, t) = match n {
        0..=5 => (0, 0),
        6..=11 => (2, 2),
        12..=23 => (3, 4),
        _ => (8, 4),
    };
    let head: String = chars[..h].iter().collect();
    let tail: String = chars[n - t..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(n - h - t))
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn masks_never_reveal_the_key() {
        assert_eq!(mask("sk-wrong"), "sk****ng");
        assert_eq!(mask("abc"), "***");
        let long = "sk-proj-abcdefghijklmnopqrstuvwxyz0123";
        let masked = mask(long);
        assert_eq!(masked.len(), long.len());
        assert!(masked.starts_with("sk-proj-") && masked.ends_with("0123"));
        assert!(!masked.contains("abcdefgh"));
    }
}
