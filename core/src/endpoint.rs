//! A key's own API endpoint: the base URL of the host its API lives on when
//! that is not the provider's fixed one (an Azure OpenAI resource, GitHub
//! Enterprise Server, self-managed GitLab, a Supabase project, an EU
//! region). Setting it is an explicit user act that allowlists that one
//! host for that one key ([`crate::net`]).
//!
//! The rules here are the ones [`crate::net`] enforces on every request:
//! HTTPS, except for loopback hosts (so a test, or a local gateway, can be
//! plain HTTP on 127.0.0.1); a host; no user name or password (they would
//! be a second secret in a plain column); no query or fragment (a base URL
//! has neither).

use std::net::IpAddr;
use url::{Host, Url};

use crate::error::{Error, ErrorCode, Result};

/// Longest endpoint accepted.
pub const MAX_LEN: usize = 2048;

fn invalid(message: impl AsRef<str>) -> Error {
    Error::new(ErrorCode::SecretInvalidEndpoint, message)
}

/// Whether `host` is a loopback host: `localhost` (and `*.localhost`),
/// 127.0.0.0/8 or `::1`. Only these may be reached without TLS.
pub fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// Check and normalise an endpoint the user typed: the URL as stored
/// (lower-case scheme and host, no trailing `/`), or
/// `secret.invalid_endpoint` saying what is wrong. Nothing is contacted.
pub fn parse(input: &str) -> Result<String> {
    let input = input.trim();
    if input.is_empty() {
        return Err(invalid("the endpoint is empty"));
    }
    if input.len() > MAX_LEN {
        return Err(invalid(format!("the endpoint is longer than {MAX_LEN} characters")));
    }
    let url = Url::parse(input).map_err(|e| invalid(format!("the endpoint is not a URL ({e})")))?;
    let host = url.host().ok_or_else(|| invalid("the endpoint has no host"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => {
            return Err(invalid("the endpoint must use https:// (plain http:// only for localhost)"));
        }
        other => return Err(invalid(format!("the endpoint must be an https:// URL, not {other}:"))),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("the endpoint must not hold a user name or password").with_suggestion(
            "Store credentials as secrets of their own; the endpoint is only the host and path.",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("the endpoint must not have a query (?…) or fragment (#…)"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// An optional endpoint from a front: empty text means none.
pub fn parse_optional(input: Option<&str>) -> Result<Option<String>> {
    match input.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => parse(s).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_https_and_loopback_http_and_normalises() {
        assert_eq!(parse("https://MyRes.OpenAI.Azure.com/").expect("ok"), "https://myres.openai.azure.com");
        assert_eq!(
            parse(" https://gitlab.example.org/api/v4/ ").expect("ok"),
            "https://gitlab.example.org/api/v4"
        );
        assert_eq!(parse("http://127.0.0.1:8080").expect("ok"), "http://127.0.0.1:8080");
        assert_eq!(parse("http://localhost:9/x").expect("ok"), "http://localhost:9/x");
        assert_eq!(parse("http://[::1]:7").expect("ok"), "http://[::1]:7");
    }

    #[test]
    fn refuses_what_would_leak_or_downgrade() {
        for bad in [
            "",
            "example.com",
            "http://example.com",
            "http://127.0.0.1.nip.io",
            "ftp://example.com",
            "https://user:pw@example.com",
            "https://example.com/?key=1",
            "https://example.com/#frag",
            "file:///etc/passwd",
        ] {
            let e = parse(bad).expect_err(bad);
            assert_eq!(e.code(), ErrorCode::SecretInvalidEndpoint, "{bad}");
        }
        assert_eq!(parse_optional(Some("  ")).expect("empty is none"), None);
    }
}
