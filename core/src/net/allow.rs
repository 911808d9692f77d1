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

/// The hosts a script for a provider may name: the provider's domains and
/// their subdomains, its API and dashboard hosts, and the exact origins the
/// user set as the endpoint of one of its keys (the only way to a loopback
/// host, as for validation).
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    domains: Vec<String>,
    origins: Vec<Url>,
}

impl Allowlist {
    /// The allowlist of `provider_id`, plus `endpoints` (its keys' own).
    pub fn for_provider(provider_id: &str, endpoints: &[Url]) -> Allowlist {
        let mut domains: Vec<String> = Vec::new();
        if let Some(p) = providers::get(provider_id) {
            domains.extend(p.domains.iter().map(|d| d.to_ascii_lowercase()));
            domains.extend(providers::api_hosts(p).into_iter().map(str::to_string));
            let dashboard = p.dashboard_url.and_then(|u| Url::parse(u).ok());
            domains.extend(dashboard.and_then(|u| u.host_str().map(str::to_string)));
        }
        domains.sort();
        domains.dedup();
        Allowlist { domains, origins: endpoints.to_vec() }
    }

    /// Whether a request to `url` is allowed: an endpoint's exact origin,
    /// or HTTPS to a provider host.
    pub fn allows(&self, url: &Url) -> bool {
        let Some(host) = url.host_str().map(|h| h.trim_end_matches('.').to_ascii_lowercase()) else {
            return false;
        };
        if self.origins.iter().any(|o| o.origin() == url.origin()) {
            return true;
        }
        url.scheme() == "https" && self.allows_host(&host, url.port_or_known_default().unwrap_or(0))
    }

    /// Whether `host:port` may be reached (the proxy's question: a CONNECT
    /// names no scheme).
    pub fn allows_host(&self, host: &str, port: u16) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let origin = self.origins.iter().any(|o| {
            o.host_str().is_some_and(|h| h.eq_ignore_ascii_case(&host))
                && o.port_or_known_default() == Some(port)
        });
        origin || (port == 443 && self.domains.iter().any(|d| host == *d || host.ends_with(&format!(".{d}"))))
    }

    /// The hosts, for the review panel.
    pub fn describe(&self) -> Vec<String> {
        let mut out = self.domains.clone();
        out.extend(self.origins.iter().map(|o| o.origin().ascii_serialization()));
        out
    }
}

fn refuse(message: impl AsRef<str>) -> Error {
    Error::new(ErrorCode::NetDomainNotAllowed, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowlist_takes_provider_domains_and_exact_endpoint_origins() {
        let fake = Url::parse("http://127.0.0.1:4545").unwrap();
        let list = Allowlist::for_provider("openai", &[fake]);
        assert!(list.allows(&Url::parse("https://platform.openai.com/usage").unwrap()));
        assert!(list.allows(&Url::parse("http://127.0.0.1:4545/login").unwrap()));
        assert!(!list.allows(&Url::parse("http://127.0.0.1:4546/login").unwrap()));
        assert!(!list.allows(&Url::parse("http://platform.openai.com/usage").unwrap()));
        assert!(!list.allows(&Url::parse("https://evil.example/").unwrap()));
        assert!(!list.allows(&Url::parse("https://notopenai.com/").unwrap()));
        assert!(list.allows_host("api.openai.com", 443));
        assert!(!list.allows_host("api.openai.com", 80));
    }

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
