//! The allowlist: which hosts a request for a provider may go to.
//!
//! A provider's own API hosts come from the registry (its API base URL and
//! the hosts of its validation request), always over HTTPS on the default
//! port. A key's own endpoint, set by the user, adds exactly that origin
//! (scheme, host, port) for requests made with that key; it is the only way
//! to reach a loopback host, and the only way plain HTTP is ever used (the
//! endpoint rules allow it for loopback alone, see [`crate::endpoint`]).

use url::Url;

use crate::error::{Error, ErrorCode, Result};
use crate::providers;

fn normalise(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(normalise) == b.host_str().map(normalise)
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The registry hosts of `provider_id` (lower case).
pub fn provider_hosts(provider_id: &str) -> Vec<String> {
    providers::get(provider_id)
        .map(|p| providers::api_hosts(p).into_iter().map(normalise).collect())
        .unwrap_or_default()
}

/// Whether `url` may be requested for `provider_id`, with the key's own
/// `endpoint` when it has one. `net.domain_not_allowed` otherwise; nothing
/// is resolved here.
pub fn check(provider_id: &str, url: &Url, endpoint: Option<&Url>) -> Result<()> {
    let host = url.host_str().map(normalise).ok_or_else(|| refuse("the URL has no host"))?;
    if endpoint.is_some_and(|e| same_origin(e, url)) {
        return Ok(());
    }
    if url.scheme() != "https" {
        return Err(refuse(format!(
            "only HTTPS is used for {host} (plain HTTP only for a loopback endpoint)"
        )));
    }
    if url.port_or_known_default() != Some(443) || !url.username().is_empty() || url.password().is_some() {
        return Err(refuse(format!(
            "{host} is only contacted on the standard HTTPS port, without credentials"
        )));
    }
    if provider_hosts(provider_id).contains(&host) {
        return Ok(());
    }
    Err(refuse(format!("{host} is not an API host of {provider_id}; nothing was sent")))
}

fn refuse(message: impl AsRef<str>) -> Error {
    Error::new(ErrorCode::NetDomainNotAllowed, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn registry_hosts_over_https_only() {
        check("github", &url("https://api.github.com/user"), None).expect("github's API host");
        check("github", &url("https://API.GitHub.com./user"), None).expect("case and trailing dot");
        for bad in [
            "http://api.github.com/user",
            "https://api.github.com:8443/user",
            "https://evil.example/user",
            "https://api.openai.com/v1/models",
            "https://user:pw@api.github.com/user",
        ] {
            let e = check("github", &url(bad), None).expect_err(bad);
            assert_eq!(e.code(), ErrorCode::NetDomainNotAllowed, "{bad}");
        }
    }

    #[test]
    fn a_keys_endpoint_adds_its_origin_only() {
        let ep = url("http://127.0.0.1:4000");
        check("github", &url("http://127.0.0.1:4000/api/v3/user"), Some(&ep)).expect("the endpoint");
        for bad in ["http://127.0.0.1:4001/user", "https://127.0.0.1:4000/user", "http://localhost:4000/user"]
        {
            assert!(check("github", &url(bad), Some(&ep)).is_err(), "{bad}");
        }
        assert!(
            check("github", &url("http://127.0.0.1:4000/user"), None).is_err(),
            "loopback needs the endpoint"
        );
    }
}
