//! When and how long to wait before trying a request again, the way the official SDKs do it:
//! 408/409/429/5xx and connection failures are retried (2 retries by default); `x-should-retry`
//! overrides the status rule; `retry-after-ms` then `retry-after` (seconds or an HTTP date) are honoured
//! up to 120 s (a longer wait is not retried); otherwise exponential backoff 0.5 s → 8 s with jitter.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// A server-requested wait longer than this is not waited for: the call fails with the hint instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decision {
    RetryAfter(Duration),
    GiveUp,
}

/// What the server asked for, if anything (`retry-after-ms` wins over `retry-after`).
pub fn requested_wait(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = header("retry-after")?;
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = httpdate_parse(value)?;
    Some(at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

fn httpdate_parse(value: &str) -> Option<SystemTime> {
    // IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT"; jiff parses RFC 2822, which covers it.
    let ts = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(ts.as_second()).ok()?))
}

/// Whether a status is retryable by itself (before `x-should-retry` and body checks).
pub fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || status >= 500
}

impl RetryPolicy {
    /// Decide after a failed HTTP answer. `retries_done` counts retries already made (0 after the first try).
    /// `permanent` is true when the body says retrying cannot help (e.g. `insufficient_quota`).
    pub fn decide(&self, status: u16, headers: &HeaderMap, retries_done: u32, permanent: bool) -> Decision {
        if retries_done >= self.max_retries {
            return Decision::GiveUp;
        }
        let should = match headers.get("x-should-retry").and_then(|v| v.to_str().ok()) {
            Some("true") => true,
            Some("false") => false,
            _ => retryable_status(status) && !permanent,
        };
        if !should {
            return Decision::GiveUp;
        }
        match requested_wait(headers) {
            Some(wait) if wait <= self.max_retry_after => Decision::RetryAfter(wait),
            Some(_) => Decision::GiveUp,
            None => Decision::RetryAfter(self.backoff(retries_done)),
        }
    }

    /// Decide after a transport failure (connect error, timeout): retried with backoff.
    pub fn decide_transport(&self, retries_done: u32) -> Decision {
        if retries_done >= self.max_retries {
            Decision::GiveUp
        } else {
            Decision::RetryAfter(self.backoff(retries_done))
        }
    }

    /// initial × 2^n capped at max, minus up to 25 % jitter.
    pub fn backoff(&self, retries_done: u32) -> Duration {
        let base = self.initial_backoff.as_secs_f64() * 2f64.powi(retries_done.min(16) as i32);
        let capped = base.min(self.max_backoff.as_secs_f64());
        Duration::from_secs_f64(capped * (1.0 - 0.25 * fastrand::f64()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn statuses_like_the_sdks() {
        let p = RetryPolicy::default();
        for s in [408, 409, 429, 500, 502, 503, 504] {
            assert!(
                matches!(p.decide(s, &headers(&[]), 0, false), Decision::RetryAfter(_)),
                "{s}"
            );
        }
        for s in [400, 401, 403, 404, 422] {
            assert_eq!(p.decide(s, &headers(&[]), 0, false), Decision::GiveUp, "{s}");
        }
        assert_eq!(
            p.decide(500, &headers(&[]), 2, false),
            Decision::GiveUp,
            "two retries by default"
        );
        assert_eq!(
            p.decide(429, &headers(&[]), 0, true),
            Decision::GiveUp,
            "insufficient_quota"
        );
    }

    #[test]
    fn should_retry_header_overrides() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.decide(500, &headers(&[("x-should-retry", "false")]), 0, false),
            Decision::GiveUp
        );
        assert!(matches!(
            p.decide(400, &headers(&[("x-should-retry", "true")]), 0, false),
            Decision::RetryAfter(_)
        ));
    }

    #[test]
    fn retry_after_headers() {
        let p = RetryPolicy::default();
        let d = |h: &[(&str, &str)]| p.decide(429, &headers(h), 0, false);
        assert_eq!(
            d(&[("retry-after-ms", "250")]),
            Decision::RetryAfter(Duration::from_millis(250))
        );
        assert_eq!(
            d(&[("retry-after-ms", "1500"), ("retry-after", "30")]),
            Decision::RetryAfter(Duration::from_millis(1500)),
            "ms wins"
        );
        assert_eq!(d(&[("retry-after", "3")]), Decision::RetryAfter(Duration::from_secs(3)));
        assert_eq!(
            d(&[("retry-after", "120")]),
            Decision::RetryAfter(Duration::from_secs(120))
        );
        assert_eq!(
            d(&[("retry-after", "121")]),
            Decision::GiveUp,
            "longer than 120 s is not waited for"
        );
        let past = "Sun, 06 Nov 1994 08:49:37 GMT";
        assert_eq!(d(&[("retry-after", past)]), Decision::RetryAfter(Duration::ZERO));
        assert!(matches!(d(&[("retry-after", "soon")]), Decision::RetryAfter(w) if w <= Duration::from_millis(500)));
    }

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let p = RetryPolicy::default();
        for _ in 0..100 {
            let b0 = p.backoff(0);
            assert!(
                b0 >= Duration::from_millis(375) && b0 <= Duration::from_millis(500),
                "{b0:?}"
            );
            let b1 = p.backoff(1);
            assert!(
                b1 >= Duration::from_millis(750) && b1 <= Duration::from_millis(1000),
                "{b1:?}"
            );
            let b9 = p.backoff(9);
            assert!(b9 >= Duration::from_secs(6) && b9 <= Duration::from_secs(8), "{b9:?}");
        }
    }
}
