//! Canonical URLs: the dedup key of a finding. The same announcement linked
//! from a feed with `?utm_source=rss` and from a newsletter with
//! `?utm_medium=email#top` is one finding.

use url::Url;

/// `raw` (resolved against `base` when relative) with the scheme and host
/// lower-cased, the default port, the fragment and every `utm_*` query
/// parameter dropped; `None` when it is not an http(s) URL.
pub fn canonical(raw: &str, base: Option<&Url>) -> Option<String> {
    let raw = raw.trim();
    let mut url = match Url::parse(raw) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => base?.join(raw).ok()?,
        Err(_) => return None,
    };
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !k.to_ascii_lowercase().starts_with("utm_"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    // `Url` lower-cases the scheme and host and drops a default port.
    Some(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utm_parameters_fragments_and_case_do_not_make_two_findings() {
        let a = canonical("HTTPS://Example.COM:443/blog/Pricing?utm_source=rss#top", None).unwrap();
        let b = canonical("https://example.com/blog/Pricing?UTM_medium=email", None).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, "https://example.com/blog/Pricing");
        // Other parameters are part of the address.
        let c = canonical("https://example.com/p?id=7&utm_campaign=x", None).unwrap();
        assert_eq!(c, "https://example.com/p?id=7");
    }

    #[test]
    fn relative_links_resolve_and_other_schemes_are_refused() {
        let base = Url::parse("https://status.example.com/history").unwrap();
        assert_eq!(
            canonical("/incidents/abc", Some(&base)).as_deref(),
            Some("https://status.example.com/incidents/abc")
        );
        assert_eq!(canonical("javascript:alert(1)", Some(&base)), None);
        assert_eq!(canonical("mailto:a@b.c", None), None);
    }
}
