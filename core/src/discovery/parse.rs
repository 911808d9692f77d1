//! What a source answered, as entries: one announcement, incident or
//! advisory each, with its link, title, plain-text body and dates.
//!
//! Every parser is total: bad input is a `discovery.bad_source` error
//! naming what was wrong, never a panic and never part of an answer.

use chrono::{DateTime, Utc};
use serde_json::Value;
use url::Url;

use super::sources::SourceKind;
use crate::error::{Error, ErrorCode, Result};

/// How bad an incident is, as the status page says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Severity {
    /// Not said, or none.
    #[default]
    None,
    /// Minor, low, a notice.
    Minor,
    /// Major, high, an outage.
    Major,
    /// Critical.
    Critical,
}

/// A package an advisory affects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// Its name in its ecosystem (`openai`).
    pub name: String,
    /// `PyPI`, `npm`, `crates.io`, …
    pub ecosystem: String,
}

/// One entry of a source.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Entry {
    /// Its link (absolute, not yet canonical).
    pub url: String,
    /// Its title.
    pub title: String,
    /// Its text, plain.
    pub body: String,
    /// When it was published.
    pub published: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated: Option<DateTime<Utc>>,
    /// Packages it affects (advisories).
    pub packages: Vec<Package>,
    /// Components it affects (status pages).
    pub components: Vec<String>,
    /// An incident still going on.
    pub ongoing: bool,
    /// How bad (status pages, advisories).
    pub severity: Severity,
    /// Advisory ids (`CVE-…`, `GHSA-…`).
    pub ids: Vec<String>,
}

/// Longest body kept per entry, in characters.
const BODY_CHARS: usize = 4_000;

pub(crate) fn bad(message: impl AsRef<str>) -> Error {
    Error::new(ErrorCode::DiscoveryBadSource, message)
}

/// The body as text: a byte-order mark wins (AWS answers UTF-16 with one),
/// then the `charset` of the content type, then UTF-8 (invalid bytes
/// replaced).
pub fn decode(body: &[u8], content_type: Option<&str>) -> String {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(body) {
        return enc.decode_without_bom_handling(&body[bom..]).0.into_owned();
    }
    let label = content_type.and_then(|ct| {
        ct.split(';').map(str::trim).find_map(|p| p.strip_prefix("charset=")).map(|c| c.trim_matches('"'))
    });
    let enc =
        label.and_then(|l| encoding_rs::Encoding::for_label(l.as_bytes())).unwrap_or(encoding_rs::UTF_8);
    enc.decode_without_bom_handling(body).0.into_owned()
}

/// Parse `body` of a source of `kind` fetched from `url`. `page` sources
/// are not entries (see [`super::page`]).
pub fn parse(kind: SourceKind, body: &[u8], content_type: Option<&str>, url: &Url) -> Result<Vec<Entry>> {
    match kind {
        SourceKind::Feed => feed(body, url),
        SourceKind::Statuspage | SourceKind::StatusJson => {
            let text = decode(body, content_type);
            let v = json(&text)?;
            Ok(status(&v, url))
        }
        SourceKind::Advisories => {
            let text = decode(body, content_type);
            advisories(&json(&text)?)
        }
        SourceKind::Page => Err(Error::internal("a watched page is diffed, not parsed into entries")),
    }
}

fn json(text: &str) -> Result<Value> {
    let t = text.trim_start();
    if t.starts_with('<') {
        return Err(bad("the source answered an HTML or XML page where JSON was expected"));
    }
    serde_json::from_str(t)
        .map_err(|e| bad(format!("the source's JSON could not be read (line {})", e.line())))
}

/// The name of the first element of an XML document, skipping the
/// declaration, comments, processing instructions and a doctype.
fn root_element(text: &str) -> Option<String> {
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    loop {
        if let Some(r) = rest.strip_prefix("<?") {
            rest = r.split_once("?>")?.1.trim_start();
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = r.split_once("-->")?.1.trim_start();
        } else if rest.get(..9).is_some_and(|p| p.eq_ignore_ascii_case("<!doctype")) {
            // `get`: byte 9 may fall inside a character of a hostile body.
            return Some("!doctype".into());
        } else if let Some(r) = rest.strip_prefix('<') {
            let name: String =
                r.chars().take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/').collect();
            return Some(name.to_ascii_lowercase());
        } else {
            return None;
        }
    }
}

/// An RSS, Atom or JSON Feed document fetched from `base`. The root
/// element is checked first: some "feeds" answer 200 with an HTML page.
/// Relative links are resolved against `base`; an entry whose link is not
/// http(s) (`javascript:`, `data:`) is dropped.
pub fn feed(body: &[u8], base: &Url) -> Result<Vec<Entry>> {
    let text = decode(body, None);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if !trimmed.starts_with('{') {
        match root_element(trimmed).as_deref() {
            Some("rss" | "feed" | "rdf:rdf") => {}
            Some("html" | "!doctype" | "body" | "head") => {
                return Err(bad("the feed's address answered an HTML page, not a feed"));
            }
            Some(other) => {
                return Err(bad(format!("the answer is not a feed (its root element is <{other}>)")));
            }
            None => return Err(bad("the answer is not a feed (no XML or JSON document)")),
        }
    }
    let parsed = feed_rs::parser::Builder::new()
        .base_uri(Some(base.as_str()))
        .build()
        .parse(trimmed.as_bytes())
        .map_err(|e| bad(format!("the feed could not be read ({})", feed_error(&e))))?;
    Ok(parsed
        .entries
        .into_iter()
        .filter_map(|e| {
            let url = e
                .links
                .iter()
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .or(e.links.first())
                .map(|l| l.href.clone())
                .or_else(|| e.id.starts_with("http").then(|| e.id.clone()))
                .and_then(|href| base.join(&href).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"))?
                .to_string();
            let title = e.title.map(|t| plain(&t.content)).unwrap_or_default();
            let body = e
                .summary
                .map(|s| plain(&s.content))
                .or_else(|| e.content.and_then(|c| c.body).map(|b| plain(&b)))
                .unwrap_or_default();
            let categories: Vec<String> = e.categories.iter().map(|c| c.term.clone()).collect();
            let body =
                if categories.is_empty() { body } else { format!("[{}] {body}", categories.join(", ")) };
            Some(Entry {
                url,
                title,
                body: clip(&body),
                published: e.published.or(e.updated),
                updated: e.updated,
                ..Entry::default()
            })
        })
        .collect())
}

fn feed_error(e: &feed_rs::parser::ParseFeedError) -> &'static str {
    use feed_rs::parser::ParseFeedError as E;
    match e {
        E::ParseError(_) => "not a known feed format",
        E::IoError(_) => "it could not be read",
        E::JsonSerde(_) | E::JsonUnsupportedVersion(_) => "invalid JSON Feed",
        E::XmlReader(_) => "invalid XML",
    }
}

/// Markup to text (feed summaries are HTML more often than not).
pub fn plain(s: &str) -> String {
    let text = if s.contains('<') {
        html2text::config::plain().string_from_read(s.as_bytes(), 10_000).unwrap_or_else(|_| s.to_owned())
    } else {
        s.to_owned()
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn clip(s: &str) -> String {
    if s.chars().count() <= BODY_CHARS {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(BODY_CHARS).collect();
        t.push('…');
        t
    }
}

fn str_at<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|k| v.get(*k).and_then(Value::as_str).filter(|s| !s.trim().is_empty()))
}

fn date_at(v: &Value, keys: &[&str]) -> Option<DateTime<Utc>> {
    keys.iter().find_map(|k| v.get(*k).and_then(Value::as_str).and_then(parse_date))
}

/// RFC 3339, or the `2026-03-01 12:00:00` and RFC 2822 forms status APIs use.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Some(d.and_utc());
        }
    }
    // Epoch seconds as text (AWS).
    s.parse::<i64>().ok().filter(|n| *n > 1_000_000_000).and_then(|n| DateTime::from_timestamp(n, 0))
}

fn severity_of(v: &Value) -> Severity {
    let words = [
        str_at(v, &["impact", "severity", "status_impact", "type", "level"]).unwrap_or(""),
        v.get("database_specific").and_then(|d| d.get("severity")).and_then(Value::as_str).unwrap_or(""),
    ]
    .join(" ")
    .to_ascii_lowercase();
    if words.contains("critical") {
        Severity::Critical
    } else if words.contains("major") || words.contains("high") || words.contains("outage") {
        Severity::Major
    } else if words.contains("minor")
        || words.contains("low")
        || words.contains("medium")
        || words.contains("moderate")
        || words.contains("disruption")
        || words.contains("notice")
    {
        Severity::Minor
    } else {
        Severity::None
    }
}

const RESOLVED: &[&str] = &["resolved", "postmortem", "completed", "closed", "ok", "0"];

/// An incident-shaped object of any status API: Statuspage / incident.io
/// (`name`, `shortlink`, `incident_updates`), Slack (`title`, `url`,
/// `notes`), Google Cloud (`external_desc`, `uri`, `most_recent_update`),
/// AWS (`summary`, `event_log`, `service_name`).
fn incident(v: &Value, page: &Url) -> Option<Entry> {
    let title = str_at(v, &["name", "title", "external_desc", "summary", "service_name"])?.to_owned();
    let link = str_at(v, &["shortlink", "url", "uri", "link", "html_url"])
        .map(str::to_owned)
        .or_else(|| str_at(v, &["id", "arn"]).map(|id| format!("incidents/{id}")))?;
    let url = page.join(&link).ok()?.to_string();
    let mut texts: Vec<String> = Vec::new();
    for key in ["incident_updates", "updates", "notes", "event_log"] {
        if let Some(list) = v.get(key).and_then(Value::as_array) {
            texts.extend(
                list.iter().filter_map(|u| str_at(u, &["body", "text", "message", "summary"])).map(plain),
            );
        }
    }
    if let Some(t) = v.get("most_recent_update").and_then(|u| str_at(u, &["text"])) {
        texts.insert(0, plain(t));
    }
    if let Some(t) = str_at(v, &["description", "message", "body"]) {
        texts.insert(0, plain(t));
    }
    let mut components: Vec<String> = Vec::new();
    for key in ["components", "affected_products", "services", "affected_components"] {
        if let Some(list) = v.get(key).and_then(Value::as_array) {
            components.extend(list.iter().filter_map(|c| {
                c.as_str().map(str::to_owned).or_else(|| str_at(c, &["name", "title"]).map(str::to_owned))
            }));
        }
    }
    if let (Some(s), true) = (str_at(v, &["service_name", "service"]), components.is_empty()) {
        components.push(s.to_owned());
    }
    let status = str_at(v, &["status"]).unwrap_or("").to_ascii_lowercase();
    let ended = v.get("end").is_some_and(|e| !e.is_null())
        || v.get("resolved_at").is_some_and(|e| !e.is_null())
        || RESOLVED.contains(&status.as_str());
    let body =
        if status.is_empty() { texts.join(" ") } else { format!("Status: {status}. {}", texts.join(" ")) };
    Some(Entry {
        url,
        title: plain(&title),
        body: clip(&body),
        published: date_at(v, &["created_at", "date_created", "begin", "started_at", "date", "published"]),
        updated: date_at(v, &["updated_at", "date_updated", "modified", "end"]),
        components,
        ongoing: !ended,
        severity: severity_of(v),
        ..Entry::default()
    })
}

/// A status API answer: the incidents (and scheduled maintenances) found
/// in it, wherever it keeps them — `incidents`, `active_incidents`, a bare
/// array — read with [`incident`].
pub fn status(v: &Value, page: &Url) -> Vec<Entry> {
    let mut lists: Vec<&Vec<Value>> = Vec::new();
    match v {
        Value::Array(a) => lists.push(a),
        Value::Object(o) => {
            for key in ["incidents", "active_incidents", "scheduled_maintenances", "events", "current"] {
                if let Some(a) = o.get(key).and_then(Value::as_array) {
                    lists.push(a);
                }
            }
        }
        _ => {}
    }
    let base = v
        .get("page")
        .and_then(|p| str_at(p, &["url"]))
        .and_then(|u| Url::parse(u).ok())
        .filter(|u| u.host_str() == page.host_str())
        .unwrap_or_else(|| page.clone());
    lists.into_iter().flatten().filter_map(|i| incident(i, &base)).collect()
}

/// An OSV `/v1/query` answer (`{"vulns": […]}`) or a GitHub advisories
/// list (a bare array of `ghsa_id` objects).
pub fn advisories(v: &Value) -> Result<Vec<Entry>> {
    let list = match v {
        Value::Object(o) if o.is_empty() => return Ok(Vec::new()),
        Value::Object(o) => match o.get("vulns") {
            Some(Value::Array(a)) => a,
            None => return Ok(Vec::new()),
            Some(_) => return Err(bad("the advisories answer has a `vulns` that is not a list")),
        },
        Value::Array(a) => a,
        _ => return Err(bad("the advisories answer is not an OSV or GitHub advisories document")),
    };
    Ok(list
        .iter()
        .filter_map(|a| {
            let id = str_at(a, &["id", "ghsa_id"])?.to_owned();
            let mut ids = vec![id.clone()];
            if let Some(al) = a.get("aliases").and_then(Value::as_array) {
                ids.extend(al.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            if let Some(c) = str_at(a, &["cve_id"]) {
                ids.push(c.to_owned());
            }
            let url = str_at(a, &["html_url"])
                .map(str::to_owned)
                .or_else(|| {
                    a.get("references").and_then(Value::as_array).and_then(|r| {
                        r.iter()
                            .filter_map(|x| str_at(x, &["url"]))
                            .find(|u| u.contains(&id))
                            .map(str::to_owned)
                    })
                })
                .unwrap_or_else(|| format!("https://osv.dev/vulnerability/{id}"));
            let mut packages = Vec::new();
            for key in ["affected", "vulnerabilities"] {
                for x in a.get(key).and_then(Value::as_array).into_iter().flatten() {
                    if let Some(p) = x.get("package") {
                        if let Some(name) = str_at(p, &["name"]) {
                            let ecosystem = str_at(p, &["ecosystem"]).unwrap_or("").to_owned();
                            packages.push(Package { name: name.to_owned(), ecosystem });
                        }
                    }
                }
            }
            let title = str_at(a, &["summary"]).map_or_else(|| id.clone(), |s| format!("{id}: {s}"));
            Some(Entry {
                url,
                title: plain(&title),
                body: clip(&plain(str_at(a, &["details", "description"]).unwrap_or(""))),
                published: date_at(a, &["published", "published_at"]),
                updated: date_at(a, &["modified", "updated_at"]),
                packages,
                severity: severity_of(a),
                ids,
                ..Entry::default()
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_element_is_found_past_declarations_and_comments() {
        assert_eq!(
            root_element("<?xml version=\"1.0\"?>\n<!-- x -->\n<rss version=\"2.0\">").as_deref(),
            Some("rss")
        );
        assert_eq!(root_element("<feed xmlns=\"http://www.w3.org/2005/Atom\">").as_deref(), Some("feed"));
        assert_eq!(root_element("<!DOCTYPE html><html>").as_deref(), Some("!doctype"));
        assert_eq!(root_element("plain text"), None);
    }

    #[test]
    fn utf16_with_a_bom_decodes() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "[{\"summary\":\"é\"}]".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(decode(&bytes, Some("application/json")), "[{\"summary\":\"é\"}]");
    }

    #[test]
    fn dates_in_the_forms_status_apis_use() {
        assert!(parse_date("2026-03-01T10:00:00.000Z").is_some());
        assert!(parse_date("2026-03-01 10:00:00").is_some());
        assert!(parse_date("Sun, 01 Mar 2026 10:00:00 GMT").is_some());
        assert!(parse_date("1772359200").is_some());
        assert!(parse_date("soon").is_none());
    }
}
