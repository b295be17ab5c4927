//! The checks in front of every HTTP route: `Host` (DNS rebinding), `Origin` (web pages), the bearer
//! token, and the per-token rate limit. Pure functions over header values, so they are tested here.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use axum::http::Uri;
use axum::http::uri::Authority;
use subtle::ConstantTimeEq as _;

use crate::error::{Error, Result};

/// Whether a `Host` header names this server: a loopback name or address, the address it is bound
/// to, or a name the settings allow (`mcp_http.allowed_hosts`, with or without a port).
pub fn host_allowed(header: &str, bound: IpAddr, allowed: &[String]) -> bool {
    let Ok(authority) = Authority::try_from(header.trim()) else {
        return false;
    };
    let host = bare_host(authority.host());
    if is_loopback(&host)
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip == bound && !ip.is_unspecified())
    {
        return true;
    }
    allowed
        .iter()
        .map(|a| a.trim().to_ascii_lowercase())
        .any(|a| a == host || a == authority.as_str().to_ascii_lowercase())
}

/// An origin from the settings, compared as scheme, host and port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// `scheme://host[:port]` exactly, as browsers send it; `None` for anything else (`null` included).
    pub fn parse(value: &str) -> Option<Origin> {
        let uri = Uri::try_from(value.trim()).ok()?;
        if uri.path_and_query().is_some_and(|p| p.as_str() != "/") {
            return None;
        }
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let port = uri.port_u16().or(match scheme.as_str() {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        })?;
        Some(Origin {
            host: bare_host(uri.host()?),
            scheme,
            port,
        })
    }

    /// The settings' `mcp_http.allowed_origins`, each checked.
    pub fn parse_all(values: &[String]) -> Result<Vec<Origin>> {
        values
            .iter()
            .map(|v| {
                Origin::parse(v).ok_or_else(|| {
                    Error::Config(format!(
                        "mcp_http.allowed_origins: '{v}' is not an origin like https://app.example.com"
                    ))
                })
            })
            .collect()
    }
}

/// Whether a request with this `Origin` header may go on: pages served from this machine
/// (http or https on localhost, 127.0.0.0/8 or [::1], any port) and the settings' origins.
pub fn origin_allowed(header: &str, allowed: &[Origin]) -> bool {
    let Some(origin) = Origin::parse(header) else {
        return false;
    };
    (matches!(origin.scheme.as_str(), "http" | "https") && is_loopback(&origin.host)) || allowed.contains(&origin)
}

fn bare_host(host: &str) -> String {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether an `Authorization` header carries `token` as a bearer token, compared in constant time.
pub fn bearer_matches(header: &[u8], token: &str) -> bool {
    let Some(scheme) = header.get(..7) else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return false;
    }
    let presented = header[7..].trim_ascii();
    presented.ct_eq(token.as_bytes()).into()
}

/// A token bucket: `burst` requests at once, refilled at `per_second`.
#[derive(Clone, Copy, Debug)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: u32,
}

#[derive(Debug)]
pub struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    pub fn full(limit: RateLimit) -> Bucket {
        Bucket {
            tokens: f64::from(limit.burst),
            updated: Instant::now(),
        }
    }

    /// Takes one request's worth, or says how long until there is one.
    pub fn take(&mut self, limit: RateLimit, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * limit.per_second).min(f64::from(limit.burst));
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / limit.per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCAL: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn hosts_must_be_loopback_the_bound_address_or_listed() {
        for ok in [
            "127.0.0.1:8765",
            "localhost:1",
            "LOCALHOST",
            "[::1]:9",
            "127.1.2.3",
            "localhost.",
        ] {
            assert!(host_allowed(ok, LOCAL, &[]), "{ok}");
        }
        for bad in [
            "evil.example:8765",
            "127.0.0.1.evil.example",
            "",
            "localhost.evil",
            "0.0.0.0:1",
            "[::]",
        ] {
            assert!(!host_allowed(bad, LOCAL, &[]), "{bad}");
        }
        let lan: IpAddr = "192.168.1.20".parse().unwrap();
        assert!(host_allowed("192.168.1.20:8765", lan, &[]));
        assert!(!host_allowed("0.0.0.0:8765", "0.0.0.0".parse().unwrap(), &[]));
        let listed = ["Studio.Example".to_string(), "box:9000".to_string()];
        assert!(host_allowed("studio.example:8765", LOCAL, &listed));
        assert!(host_allowed("box:9000", LOCAL, &listed));
        assert!(!host_allowed("box:9001", LOCAL, &listed));
    }

    #[test]
    fn origins_must_be_local_pages_or_listed() {
        let listed = Origin::parse_all(&["https://app.example.com".into()]).unwrap();
        for ok in [
            "http://localhost:5173",
            "https://127.0.0.1",
            "http://[::1]:3000",
            "https://app.example.com",
            "https://APP.example.com:443",
        ] {
            assert!(origin_allowed(ok, &listed), "{ok}");
        }
        for bad in [
            "null",
            "https://evil.example",
            "http://app.example.com",
            "https://app.example.com:8443",
            "http://localhost.evil.example",
            "file://",
            "chrome-extension://abc",
            "http://127.0.0.1.nip.io",
            "",
        ] {
            assert!(!origin_allowed(bad, &listed), "{bad}");
        }
        let e = Origin::parse_all(&["app.example.com".into()]).unwrap_err().to_string();
        assert!(e.contains("mcp_http.allowed_origins") && e.contains("https://"), "{e}");
    }

    #[test]
    fn bearer_tokens_compare_whole() {
        let token = "tok_abcdefghijklmnopqrstuvwxyz012345";
        assert!(bearer_matches(format!("Bearer {token}").as_bytes(), token));
        assert!(bearer_matches(format!("bearer  {token} ").as_bytes(), token));
        for bad in [
            token.to_string(),
            format!("Basic {token}"),
            format!("Bearer {}", &token[..token.len() - 1]),
            format!("Bearer {token}x"),
            "Bearer ".to_string(),
            String::new(),
        ] {
            assert!(!bearer_matches(bad.as_bytes(), token), "{bad}");
        }
    }

    #[test]
    fn the_bucket_allows_a_burst_then_the_refill_rate() {
        let limit = RateLimit {
            per_second: 10.0,
            burst: 3,
        };
        let start = Instant::now();
        let mut bucket = Bucket {
            tokens: 3.0,
            updated: start,
        };
        for _ in 0..3 {
            assert!(bucket.take(limit, start).is_ok());
        }
        let wait = bucket.take(limit, start).unwrap_err();
        assert!((wait.as_secs_f64() - 0.1).abs() < 1e-6, "{wait:?}");
        assert!(bucket.take(limit, start + Duration::from_millis(100)).is_ok());
        assert!(bucket.take(limit, start + Duration::from_millis(100)).is_err());
        // Idle time refills up to the burst, no further.
        for _ in 0..3 {
            assert!(bucket.take(limit, start + Duration::from_secs(60)).is_ok());
        }
        assert!(bucket.take(limit, start + Duration::from_secs(60)).is_err());
    }
}
