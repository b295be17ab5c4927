//! Input images from the web, fetched safely for an MCP client that passes a URL: https only, never to a
//! private, loopback, link-local or otherwise internal address (the host is resolved once, checked,
//! and the connection pinned to that address, so DNS rebinding cannot swap it), no redirects, at most
//! [`MAX_BYTES`] and [`TIMEOUT`]. `allow_private` (settings: `mcp.allow_private_urls`) lifts the address
//! check and also admits plain http, for images served on the user's own network.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::error::{Error, Result};

/// The largest image fetched.
pub const MAX_BYTES: usize = crate::imaging::MAX_INPUT_BYTES;
/// The longest a download may take, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Whether `ip` is reachable only inside a host or a private network (or is not a real destination).
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return internal_v4(v4);
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
                || (first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
                || first == 0x0064 && v6.segments()[1] == 0xff9b // NAT64 (may reach IPv4 internals)
        }
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT 100.64/10
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

/// The bytes at `url` (see the module docs for what is refused). `what` names the input in errors.
pub async fn fetch(url: &str, allow_private: bool, what: &str) -> Result<Vec<u8>> {
    let refuse = |why: String| Error::InvalidInput(format!("{what}: {why}"));
    let parsed = reqwest::Url::parse(url).map_err(|e| refuse(format!("'{url}' is not a valid URL ({e})")))?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_private => {}
        "http" => {
            return Err(refuse(
                "only https URLs are fetched; use https or pass a local path".into(),
            ));
        }
        other => return Err(refuse(format!("'{other}:' URLs are not fetched; use https"))),
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| refuse("the URL has no host".into()))?
        .to_string();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::time::timeout(TIMEOUT, tokio::net::lookup_host((bare, port)))
            .await
            .map_err(|_| refuse(format!("looking up {host} timed out")))?
            .map_err(|e| refuse(format!("cannot resolve {host} ({e})")))?
            .collect(),
    };
    let addr = *addrs.first().ok_or_else(|| refuse(format!("{host} has no address")))?;
    if !allow_private && let Some(bad) = addrs.iter().find(|a| is_internal(a.ip())) {
        return Err(refuse(format!(
            "{host} resolves to {}, a private, loopback or link-local address; Easel does not fetch from \
             internal addresses (set mcp.allow_private_urls in the settings to allow it)",
            bad.ip()
        )));
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .resolve(bare, addr)
        .build()
        .map_err(|e| refuse(format!("cannot set up the download ({e})")))?;
    let mut response = client
        .get(parsed.clone())
        .send()
        .await
        .map_err(|e| refuse(format!("cannot download {url} ({})", without_url(&e))))?;
    let status = response.status();
    if status.is_redirection() {
        let to = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("elsewhere");
        return Err(refuse(format!("{url} redirects to {to}; pass the final URL")));
    }
    if !status.is_success() {
        return Err(refuse(format!("{url} answered HTTP {status}")));
    }
    if response.content_length().is_some_and(|n| n > MAX_BYTES as u64) {
        return Err(too_large(what));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| refuse(format!("the download of {url} failed ({})", without_url(&e))))?
    {
        if body.len() + chunk.len() > MAX_BYTES {
            return Err(too_large(what));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn too_large(what: &str) -> Error {
    Error::InvalidInput(format!(
        "{what} is larger than {} MB; pass a smaller image",
        MAX_BYTES / (1024 * 1024)
    ))
}

fn without_url(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("timed out after {} s", TIMEOUT.as_secs());
    }
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(&format!(" for url ({url})"), "");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_recognised() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(is_internal(internal.parse().unwrap()), "{internal} passed");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "1.1.1.1"] {
            assert!(!is_internal(public.parse().unwrap()), "{public} refused");
        }
    }

    #[tokio::test]
    async fn only_https_and_only_public_hosts() {
        let err = fetch("http://example.com/a.png", false, "image 1").await.unwrap_err();
        assert!(err.to_string().contains("only https"), "{err}");
        let err = fetch("ftp://example.com/a.png", false, "image 1").await.unwrap_err();
        assert!(err.to_string().contains("'ftp:'"), "{err}");
        for url in [
            "https://127.0.0.1/a.png",
            "https://[::1]:8443/a.png",
            "https://localhost/a.png",
            "https://169.254.169.254/latest",
        ] {
            let err = fetch(url, false, "image 1").await.unwrap_err();
            assert!(err.to_string().contains("internal addresses"), "{url}: {err}");
        }
    }
}
