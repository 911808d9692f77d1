//! Links that are not evidence of use.
//!
//! A project's README links to where its code lives, where it is
//! published, where its community talks and how to deploy it: a clone URL
//! on GitHub, an npm badge, a Discord invite, a "Deploy with Vercel"
//! button. None of them says the project calls that provider's API, so a
//! provider's domain inside such a link, or its name in the text of such a
//! link (`[Open in GitHub Codespaces](…)`, `![npm](…)`), is dropped. A
//! link to the page where the provider's keys are made (its registry
//! `dashboard_url`, e.g. `github.com/settings/tokens`) and an API host
//! (`api.github.com`) still count.

use crate::providers;

/// Hosts (optionally with a path prefix) whose links are about the
/// project, not about an API it calls: repository hosts, package
/// registries and badges, communities, deploy buttons, social media.
/// Without `www.`; a host matches its subdomains too, except `api.` ones.
const LINK_ONLY: &[&str] = &[
    "github.com",
    "gitlab.com",
    "codespaces.new",
    "npmjs.com",
    "npmjs.org/package",
    "npm.im",
    "pypi.org",
    "crates.io",
    "pkg.go.dev",
    "godoc.org",
    "goreportcard.com",
    "shields.io",
    "badge.fury.io",
    "discord.gg",
    "discord.com/invite",
    "discordapp.com/invite",
    "vercel.com/new",
    "vercel.com/button",
    "vercel.com/import",
    "vercel.com/templates",
    "app.netlify.com/start",
    "netlify.com/img/deploy",
    "api.netlify.com/api/v1/badges",
    "deploy.workers.cloudflare.com",
    "huggingface.co/spaces",
    "twitter.com",
    "x.com",
    "youtube.com",
    "youtu.be",
    "linkedin.com",
];

fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'-'
}

fn ends_url(b: u8) -> bool {
    b.is_ascii_whitespace()
        // `=` too: `module=github.com/acme/plugin` is a path after an option.
        || matches!(b, b'(' | b')' | b'[' | b']' | b'<' | b'>' | b'"' | b'\'' | b'`' | b'|' | b'=')
}

/// `host/path` of the URL-like text around `line[at]` (scheme, user and
/// `www.` dropped), or `None` when `at` is not inside one. Bytes, any case.
fn url_at(line: &[u8], at: usize) -> Option<&[u8]> {
    if line.get(at).is_none_or(|&b| ends_url(b)) {
        return None;
    }
    let mut start = at;
    while start > 0 && !ends_url(line[start - 1]) {
        start -= 1;
    }
    let mut end = at;
    while end < line.len() && !ends_url(line[end]) {
        end += 1;
    }
    let mut text = &line[start..end];
    if let Some(i) = memchr::memmem::find(text, b"://") {
        text = &text[i + 3..];
    } else {
        // A bare `host/path` counts only when it starts at a domain.
        let host = text.split(|&b| b == b'/').next().unwrap_or_default();
        if !line[start..at].iter().all(|&b| is_host_byte(b)) || !host.contains(&b'.') {
            return None;
        }
    }
    // `user@host` (a DSN) keeps the host.
    let host_end = memchr::memchr(b'/', text).unwrap_or(text.len());
    if let Some(i) = memchr::memrchr(b'@', &text[..host_end]) {
        text = &text[i + 1..];
    }
    if text.len() >= 4 && text[..4].eq_ignore_ascii_case(b"www.") {
        text = &text[4..];
    }
    Some(text)
}

fn matches_prefix(url: &[u8], entry: &str) -> bool {
    let split = memchr::memchr(b'/', url).unwrap_or(url.len());
    let (host, path) = (&url[..split], url.get(split + 1..).unwrap_or_default());
    let (e_host, e_path) = entry.split_once('/').unwrap_or((entry, ""));
    let (e_host, e_path) = (e_host.as_bytes(), e_path.as_bytes());
    // A subdomain matches too (`img.shields.io`), but never an API host
    // (`api.github.com` is use of GitHub's API).
    let subdomain = host.len() > e_host.len()
        && host[host.len() - e_host.len()..].eq_ignore_ascii_case(e_host)
        && host[host.len() - e_host.len() - 1] == b'.'
        && !(host.len() >= 4 && host[..4].eq_ignore_ascii_case(b"api."));
    let host_ok = host.eq_ignore_ascii_case(e_host) || subdomain;
    host_ok && path.len() >= e_path.len() && path[..e_path.len()].eq_ignore_ascii_case(e_path)
}

/// Whether a link to `url` (`host/path`) says nothing about API use.
fn is_link_only_url(url: &[u8]) -> bool {
    LINK_ONLY.iter().any(|e| matches_prefix(url, e)) && !is_key_page(url)
}

/// Whether `url` is under a provider's page for making keys.
fn is_key_page(url: &[u8]) -> bool {
    providers::all().iter().filter_map(|p| p.dashboard_url).any(|d| {
        let d = d.trim_start_matches("https://").trim_start_matches("www.").trim_end_matches('/');
        d.contains('/') && matches_prefix(url, d)
    })
}

/// The destination of the Markdown link whose text holds `line[at]`
/// (`[text](dest)`, images and badges nested in links included).
fn link_text_destination(line: &[u8], at: usize) -> Option<&[u8]> {
    let mut depth = 0usize;
    let mut open = None;
    for i in (0..at).rev() {
        match line[i] {
            b']' => depth += 1,
            b'[' if depth == 0 => {
                open = Some(i);
                break;
            }
            b'[' => depth -= 1,
            _ => {}
        }
    }
    open?;
    let mut depth = 0usize;
    for i in at..line.len() {
        match line[i] {
            b'[' => depth += 1,
            b']' if depth == 0 => {
                if line.get(i + 1) != Some(&b'(') {
                    return None;
                }
                return url_at(line, i + 2);
            }
            b']' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Whether `url` (with its scheme) points to a public page about the
/// project on a [`LINK_ONLY`] host, with no user or password in it: its
/// path (commit hashes, asset ids) is no secret.
pub(crate) fn is_public_page(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    let rest = rest.strip_prefix("www.").unwrap_or(rest);
    is_link_only_url(rest.as_bytes())
}

/// Whether the hit at `line[at..at + len]` is only part of a link about
/// the project (see the module doc): inside such a URL, or in the text of
/// a Markdown link to one.
pub(crate) fn is_link_only(line: &[u8], at: usize, len: usize) -> bool {
    // Most lines hold neither a URL, a path nor a link: nothing to look at.
    if memchr::memchr2(b'/', b']', line).is_none() {
        return false;
    }
    let in_url = url_at(line, at).or_else(|| url_at(line, at + len.saturating_sub(1)));
    if let Some(url) = in_url {
        return is_link_only_url(url);
    }
    link_text_destination(line, at).is_some_and(is_link_only_url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(line: &str, needle: &str) -> bool {
        let at = line.find(needle).expect("needle in line");
        is_link_only(line.as_bytes(), at, needle.len())
    }

    #[test]
    fn repo_registry_community_and_deploy_links_are_not_use() {
        assert!(only("git clone https://github.com/acme/app.git", "github.com"));
        assert!(only("[Open in GitHub Codespaces](https://codespaces.new/acme/app)", "GitHub"));
        assert!(only("[![npm](https://img.shields.io/npm/v/app)](https://www.npmjs.com/package/app)", "npm"));
        assert!(only("[Join our Discord](https://discord.gg/abc123)", "Discord"));
        assert!(only(
            "[![Deploy with Vercel](https://vercel.com/button)](https://vercel.com/new/clone?repo=x)",
            "Vercel"
        ));
        assert!(only("see github.com/acme/app for the source", "github.com"));
        assert!(only("--plugins.demo.modulename=github.com/acme/plugin", "github.com"));
    }

    #[test]
    fn api_hosts_key_pages_and_plain_mentions_still_count() {
        assert!(!only("curl https://api.github.com/user", "api.github.com"));
        assert!(!only("Create one at https://github.com/settings/tokens", "github.com"));
        assert!(!only("[Stripe](https://stripe.com) takes the payments", "Stripe"));
        assert!(!only("We deploy on Vercel.", "Vercel"));
        assert!(!only("SENTRY_DSN=https://abc@o1.ingest.sentry.io/1", "sentry.io"));
        assert!(!only("[docs](https://vercel.com/docs) and Vercel", "Vercel"));
    }

    #[test]
    fn public_pages_have_no_user_or_password() {
        assert!(is_public_page("https://github.com/acme/app/commit/0123abcd"));
        assert!(is_public_page("https://img.shields.io/discord/864066819866624010"));
        assert!(!is_public_page("https://user:pw@github.com/acme/app"));
        assert!(!is_public_page("https://api.github.com/user"));
        assert!(!is_public_page("https://hooks.slack.com/services/T0/B0/xyz"));
        assert!(!is_public_page("github.com/acme"));
    }

    #[test]
    fn odd_lines_do_not_panic() {
        for line in ["[", "]", "](", "[x](", "https://", "://x", "[a[b]c](d", "\u{e9}github.com"] {
            for at in 0..line.len() {
                let _ = is_link_only(line.as_bytes(), at, 1);
            }
        }
    }
}
