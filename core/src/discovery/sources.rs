//! Where findings come from: a registry of built-in sources per provider
//! (machine-readable first — status APIs, feeds, advisory databases — then
//! watched pages), each an ordered list of addresses tried in turn (hosts
//! move: `status.anthropic.com` now redirects to `status.claude.com`, and a
//! redirect to another host is not followed), plus the user's own sources,
//! the way people use changedetection.io.
//!
//! A built-in source has a row in `discovery_sources` only once it has
//! been fetched or switched off (its conditional-request validators, a
//! page's last text, its on/off state); a user source is its row.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{Error, ErrorCode, Result};
use crate::vault::{Vault, Write};

/// What a source is and how it is read.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// An Atlassian Statuspage / incident.io API (`/api/v2/summary.json`).
    Statuspage,
    /// A provider's own status JSON (Slack, Stripe, Google Cloud, AWS).
    StatusJson,
    /// An RSS, Atom or JSON Feed (changelogs, deprecations, SDK releases).
    Feed,
    /// Security advisories of the official SDKs (OSV, GitHub advisories).
    Advisories,
    /// An HTML or Markdown page watched for changes (pricing, deprecations).
    Page,
}

impl SourceKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Statuspage => "statuspage",
            SourceKind::StatusJson => "status_json",
            SourceKind::Feed => "feed",
            SourceKind::Advisories => "advisories",
            SourceKind::Page => "page",
        }
    }

    /// Parse a stored or typed name (`status-json` is accepted).
    pub fn parse(s: &str) -> Result<SourceKind> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "statuspage" => Ok(SourceKind::Statuspage),
            "status_json" => Ok(SourceKind::StatusJson),
            "feed" => Ok(SourceKind::Feed),
            "advisories" => Ok(SourceKind::Advisories),
            "page" => Ok(SourceKind::Page),
            other => Err(Error::invalid(format!(
                "{other:?} is not a source kind: statuspage, status_json, feed, advisories or page"
            ))),
        }
    }
}

/// A source in the code's registry.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// Stable key (`openai/status`); the source's id is `builtin:<key>`.
    pub key: &'static str,
    /// The provider it watches.
    pub provider_id: &'static str,
    /// How it is read.
    pub kind: SourceKind,
    /// Addresses in the order tried.
    pub urls: &'static [&'static str],
    /// What it is, in words.
    pub title: &'static str,
    /// For pages: the part of the page watched.
    pub selector: Option<&'static str>,
}

macro_rules! sources {
    ($($key:literal, $provider:literal, $kind:ident, $title:literal, [$($url:literal),+] $(, $sel:literal)?;)*) => {
        /// Every built-in source.
        pub const BUILTIN: &[Builtin] = &[$(Builtin {
            key: $key,
            provider_id: $provider,
            kind: SourceKind::$kind,
            urls: &[$($url),+],
            title: $title,
            selector: sources!(@sel $($sel)?),
        }),*];
    };
    (@sel) => { None };
    (@sel $s:literal) => { Some($s) };
}

// Status pages and feeds named in the discovery issue; fallbacks where a
// host is known to have moved. OSV covers every provider with an SDK list
// in [`SDKS`] through one source each.
sources! {
    "github/status", "github", Statuspage, "GitHub Status", ["https://www.githubstatus.com/api/v2/summary.json"];
    "github/changelog", "github", Feed, "GitHub Changelog", ["https://github.blog/changelog/feed/"];
    "anthropic/status", "anthropic", Statuspage, "Claude Status",
        ["https://status.claude.com/api/v2/summary.json", "https://status.anthropic.com/api/v2/summary.json"];
    "anthropic/deprecations", "anthropic", Page, "Anthropic model deprecations",
        ["https://docs.claude.com/en/docs/about-claude/model-deprecations", "https://docs.anthropic.com/en/docs/about-claude/model-deprecations"], "main";
    "anthropic/sdk-releases", "anthropic", Feed, "Anthropic Python SDK releases",
        ["https://github.com/anthropics/anthropic-sdk-python/releases.atom"];
    "openai/status", "openai", Statuspage, "OpenAI Status", ["https://status.openai.com/api/v2/summary.json"];
    "openai/deprecations", "openai", Page, "OpenAI deprecations", ["https://platform.openai.com/docs/deprecations"], "main";
    "openai/sdk-releases", "openai", Feed, "OpenAI Python SDK releases", ["https://github.com/openai/openai-python/releases.atom"];
    "cloudflare/status", "cloudflare", Statuspage, "Cloudflare Status", ["https://www.cloudflarestatus.com/api/v2/summary.json"];
    "cloudflare/changelog", "cloudflare", Feed, "Cloudflare changelog", ["https://developers.cloudflare.com/changelog/rss/index.xml"];
    "twilio/status", "twilio", Statuspage, "Twilio Status", ["https://status.twilio.com/api/v2/summary.json"];
    "sendgrid/status", "sendgrid", Statuspage, "SendGrid Status", ["https://status.sendgrid.com/api/v2/summary.json"];
    "discord/status", "discord", Statuspage, "Discord Status", ["https://discordstatus.com/api/v2/summary.json"];
    "vercel/status", "vercel", Statuspage, "Vercel Status", ["https://www.vercel-status.com/api/v2/summary.json"];
    "supabase/status", "supabase", Statuspage, "Supabase Status", ["https://status.supabase.com/api/v2/summary.json"];
    "mapbox/status", "mapbox", Statuspage, "Mapbox Status", ["https://status.mapbox.com/api/v2/summary.json"];
    "replicate/status", "replicate", Statuspage, "Replicate Status", ["https://www.replicatestatus.com/api/v2/summary.json"];
    "slack/status", "slack", StatusJson, "Slack Status", ["https://slack-status.com/api/v2.0.0/current"];
    "stripe/status", "stripe", StatusJson, "Stripe Status", ["https://status.stripe.com/current/full"];
    "stripe/changelog", "stripe", Page, "Stripe changelog", ["https://docs.stripe.com/changelog.md"];
    "google_cloud/status", "google_cloud", StatusJson, "Google Cloud Status", ["https://status.cloud.google.com/incidents.json"];
    "aws/health", "aws", StatusJson, "AWS Health", ["https://health.aws.amazon.com/public/events"];
    "aws/whats-new", "aws", Feed, "AWS What's New", ["https://aws.amazon.com/about-aws/whats-new/recent/feed/"];
    "azure_openai/updates", "azure_openai", Feed, "Azure Updates", ["https://www.microsoft.com/releasecommunications/api/v2/azure/rss"];
    "openai/advisories", "openai", Advisories, "OSV advisories for the official SDKs", ["https://api.osv.dev/v1/query"];
    "anthropic/advisories", "anthropic", Advisories, "OSV advisories for the official SDKs", ["https://api.osv.dev/v1/query"];
    "stripe/advisories", "stripe", Advisories, "OSV advisories for the official SDKs", ["https://api.osv.dev/v1/query"];
    "twilio/advisories", "twilio", Advisories, "OSV advisories for the official SDKs", ["https://api.osv.dev/v1/query"];
    "sendgrid/advisories", "sendgrid", Advisories, "OSV advisories for the official SDKs", ["https://api.osv.dev/v1/query"];
    "github/advisories", "github", Advisories, "OSV advisories for the official SDKs", ["https://api.osv.dev/v1/query"];
    "slack/advisories", "slack", Advisories, "OSV advisories for the official SDKs", ["https://api.osv.dev/v1/query"];
    "supabase/advisories", "supabase", Advisories, "OSV advisories for the official SDKs", ["https://api.osv.dev/v1/query"];
    "cloudflare/advisories", "cloudflare", Advisories, "OSV advisories for the official SDKs", ["https://api.osv.dev/v1/query"];
    "google_gemini/advisories", "google_gemini", Advisories, "OSV advisories for the official SDKs", ["https://api.osv.dev/v1/query"];
    "mistral/advisories", "mistral", Advisories, "OSV advisories for the official SDKs", ["https://api.osv.dev/v1/query"];
    "cohere/advisories", "cohere", Advisories, "OSV advisories for the official SDKs", ["https://api.osv.dev/v1/query"];
    "groq/advisories", "groq", Advisories, "OSV advisories for the official SDKs", ["https://api.osv.dev/v1/query"];
    "replicate/advisories", "replicate", Advisories, "OSV advisories for the official SDKs", ["https://api.osv.dev/v1/query"];
    "pinecone/advisories", "pinecone", Advisories, "OSV advisories for the official SDKs", ["https://api.osv.dev/v1/query"];
    "aws/advisories", "aws", Advisories, "OSV advisories for the official SDKs", ["https://api.osv.dev/v1/query"];
}

/// The official SDK packages of a provider, for advisories: (ecosystem, name).
pub const SDKS: &[(&str, &[(&str, &str)])] = &[
    ("openai", &[("PyPI", "openai"), ("npm", "openai")]),
    ("anthropic", &[("PyPI", "anthropic"), ("npm", "@anthropic-ai/sdk")]),
    ("stripe", &[("PyPI", "stripe"), ("npm", "stripe")]),
    ("twilio", &[("PyPI", "twilio"), ("npm", "twilio")]),
    ("sendgrid", &[("PyPI", "sendgrid"), ("npm", "@sendgrid/mail")]),
    ("github", &[("npm", "@octokit/rest"), ("PyPI", "PyGithub")]),
    ("slack", &[("PyPI", "slack_sdk"), ("npm", "@slack/web-api")]),
    ("supabase", &[("npm", "@supabase/supabase-js"), ("PyPI", "supabase")]),
    ("cloudflare", &[("npm", "cloudflare"), ("PyPI", "cloudflare")]),
    ("google_gemini", &[("PyPI", "google-genai"), ("npm", "@google/genai")]),
    ("mistral", &[("PyPI", "mistralai"), ("npm", "@mistralai/mistralai")]),
    ("cohere", &[("PyPI", "cohere"), ("npm", "cohere-ai")]),
    ("groq", &[("PyPI", "groq"), ("npm", "groq-sdk")]),
    ("replicate", &[("PyPI", "replicate"), ("npm", "replicate")]),
    ("pinecone", &[("PyPI", "pinecone"), ("npm", "@pinecone-database/pinecone")]),
    ("aws", &[("PyPI", "boto3"), ("npm", "@aws-sdk/client-s3")]),
];

/// The OSV query endpoint (POST, one package per query).
pub const OSV_QUERY: &str = "https://api.osv.dev/v1/query";

/// The SDK packages of `provider_id`.
pub fn sdks(provider_id: &str) -> &'static [(&'static str, &'static str)] {
    SDKS.iter().find(|(p, _)| *p == provider_id).map_or(&[], |(_, s)| s)
}

/// The built-in sources of `provider_id`.
pub fn builtin(provider_id: &str) -> Vec<Builtin> {
    BUILTIN.iter().filter(|b| b.provider_id == provider_id).copied().collect()
}

/// What a source answered last.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    /// `ETag` of the last answer.
    pub etag: Option<String>,
    /// `Last-Modified` of the last answer.
    pub last_modified: Option<String>,
    /// A watched page's text at the last fetch.
    pub last_text: Option<String>,
    /// When it was last fetched.
    pub last_fetched_at: Option<String>,
    /// `changed`, `unchanged` or `failed`.
    pub last_status: Option<String>,
    /// The last error (code and message; never a secret: sources carry none).
    pub last_error: Option<String>,
}

/// A source with its state, as a run uses it.
#[derive(Debug, Clone)]
pub struct Source {
    /// `builtin:<key>`, or the row id of a user source.
    pub id: String,
    /// The row, when there is one.
    pub row_id: Option<String>,
    /// The provider watched.
    pub provider_id: String,
    /// How it is read.
    pub kind: SourceKind,
    /// Addresses in the order tried.
    pub urls: Vec<String>,
    /// For pages: the part watched.
    pub selector: Option<String>,
    /// What it is, in words.
    pub title: String,
    /// From the registry.
    pub builtin: bool,
    /// Fetched by runs.
    pub enabled: bool,
    /// What it answered last.
    pub state: State,
}

/// A source as the fronts list it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// Id for `source rm` / `source disable`.
    pub id: String,
    /// The provider watched.
    pub provider_id: String,
    /// How it is read.
    pub kind: SourceKind,
    /// The first address.
    pub url: String,
    /// The addresses tried after it.
    pub fallbacks: Vec<String>,
    /// For pages: the part watched.
    pub selector: Option<String>,
    /// What it is.
    pub title: String,
    /// From the registry (cannot be removed, only disabled).
    pub builtin: bool,
    /// Fetched by runs.
    pub enabled: bool,
    /// When it was last fetched.
    pub last_fetched_at: Option<String>,
    /// `changed`, `unchanged` or `failed`.
    pub last_status: Option<String>,
    /// Why the last fetch failed.
    pub last_error: Option<String>,
}

impl From<&Source> for SourceInfo {
    fn from(s: &Source) -> SourceInfo {
        SourceInfo {
            id: s.id.clone(),
            provider_id: s.provider_id.clone(),
            kind: s.kind,
            url: s.urls.first().cloned().unwrap_or_default(),
            fallbacks: s.urls.iter().skip(1).cloned().collect(),
            selector: s.selector.clone(),
            title: s.title.clone(),
            builtin: s.builtin,
            enabled: s.enabled,
            last_fetched_at: s.state.last_fetched_at.clone(),
            last_status: s.state.last_status.clone(),
            last_error: s.state.last_error.clone(),
        }
    }
}

/// The providers discovery watches: those the vault holds keys for and
/// those the user added a source to, minus the ones switched off
/// (`providers.discovery_enabled`), in id order.
pub(crate) fn watched(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM providers WHERE discovery_enabled = 1 AND id <> 'generic' AND id IN (
             SELECT provider_id FROM secrets UNION
             SELECT provider_id FROM discovery_sources WHERE builtin_key IS NULL)
         ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

const ROW: &str =
    "id, provider_id, builtin_key, kind, url, selector, enabled, etag, last_modified, last_text,
                   last_fetched_at, last_status, last_error";

struct Row {
    id: String,
    provider_id: String,
    builtin_key: Option<String>,
    kind: String,
    url: String,
    selector: Option<String>,
    enabled: bool,
    state: State,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        id: r.get(0)?,
        provider_id: r.get(1)?,
        builtin_key: r.get(2)?,
        kind: r.get(3)?,
        url: r.get(4)?,
        selector: r.get(5)?,
        enabled: r.get::<_, i64>(6)? == 1,
        state: State {
            etag: r.get(7)?,
            last_modified: r.get(8)?,
            last_text: r.get(9)?,
            last_fetched_at: r.get(10)?,
            last_status: r.get(11)?,
            last_error: r.get(12)?,
        },
    })
}

/// The sources of `providers` (built-in and the user's), with their state.
pub(crate) fn for_providers(conn: &Connection, providers: &[String]) -> Result<Vec<Source>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {ROW} FROM discovery_sources ORDER BY created_at, id"))?;
    let rows: Vec<Row> = stmt.query_map([], row)?.collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::new();
    for p in providers {
        for b in builtin(p) {
            let r = rows.iter().find(|r| r.builtin_key.as_deref() == Some(b.key));
            out.push(Source {
                id: format!("builtin:{}", b.key),
                row_id: r.map(|r| r.id.clone()),
                provider_id: b.provider_id.to_owned(),
                kind: b.kind,
                urls: b.urls.iter().map(|u| (*u).to_owned()).collect(),
                selector: b.selector.map(str::to_owned),
                title: b.title.to_owned(),
                builtin: true,
                enabled: r.is_none_or(|r| r.enabled),
                state: r.map(|r| r.state.clone()).unwrap_or_default(),
            });
        }
        for r in rows.iter().filter(|r| r.builtin_key.is_none() && &r.provider_id == p) {
            let kind = SourceKind::parse(&r.kind)?;
            out.push(Source {
                id: r.id.clone(),
                row_id: Some(r.id.clone()),
                provider_id: r.provider_id.clone(),
                kind,
                urls: vec![r.url.clone()],
                selector: r.selector.clone(),
                title: Url::parse(&r.url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_owned))
                    .unwrap_or_default(),
                builtin: false,
                enabled: r.enabled,
                state: r.state.clone(),
            });
        }
    }
    Ok(out)
}

/// Every source of the watched providers, for `discovery source list`.
pub fn list(vault: &Vault) -> Result<Vec<SourceInfo>> {
    vault.read(|conn| {
        let providers = watched(conn)?;
        Ok(for_providers(conn, &providers)?.iter().map(SourceInfo::from).collect())
    })
}

/// The hosts a run would contact (for the Discovery switch's list).
pub fn hosts(vault: &Vault) -> Result<Vec<String>> {
    let mut hosts: Vec<String> = list(vault)?
        .into_iter()
        .filter(|s| s.enabled)
        .flat_map(|s| std::iter::once(s.url).chain(s.fallbacks))
        .filter_map(|u| {
            let u = Url::parse(&u).ok()?;
            let host = u.host_str()?.to_owned();
            // A port other than the scheme's is part of what is contacted.
            Some(match u.port() {
                Some(p) => format!("{host}:{p}"),
                None => host,
            })
        })
        .collect();
    hosts.sort();
    hosts.dedup();
    Ok(hosts)
}

/// Check the address of a user source: http(s) with a host; plain HTTP
/// only for a loopback host (the rule of [`crate::endpoint`]); no user
/// name or password. The query is kept (GitHub advisories take one).
pub fn check_url(input: &str) -> Result<Url> {
    let invalid = |m: String| Error::invalid(m);
    let url = Url::parse(input.trim()).map_err(|e| invalid(format!("the source is not a URL ({e})")))?;
    let host = url.host().ok_or_else(|| invalid("the source has no host".into()))?;
    match url.scheme() {
        "https" => {}
        "http" if crate::endpoint::is_loopback(&host) => {}
        "http" => {
            return Err(invalid("a source must use https:// (plain http:// only for localhost)".into()));
        }
        other => return Err(invalid(format!("a source must be an https:// URL, not {other}:"))),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("a source must not hold a user name or password".into()));
    }
    Ok(url)
}

/// Add a user source for `provider_id`. A CSS `selector` is for pages only
/// and must parse.
pub fn add(
    vault: &Vault,
    provider_id: &str,
    url: &str,
    kind: SourceKind,
    selector: Option<&str>,
) -> Result<SourceInfo> {
    let url = check_url(url)?;
    let selector = selector.map(str::trim).filter(|s| !s.is_empty());
    if let Some(sel) = selector {
        if kind != SourceKind::Page {
            return Err(Error::invalid("a CSS selector is only for `page` sources"));
        }
        scraper::Selector::parse(sel)
            .map_err(|_| Error::invalid(format!("{sel:?} is not a CSS selector")))?;
    }
    if crate::providers::get(provider_id).is_none() || provider_id == "generic" {
        return Err(Error::new(ErrorCode::InputInvalid, format!("{provider_id:?} is not a known provider"))
            .with_suggestion("List provider ids with `keyclave providers`."));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let now = crate::time::now();
    let (url_s, sel) = (url.to_string(), selector.map(str::to_owned));
    vault.write(|w| {
        let taken: Option<String> = w
            .query_row(
                "SELECT id FROM discovery_sources WHERE provider_id = ?1 AND url = ?2",
                params![provider_id, url_s],
                |r| r.get(0),
            )
            .optional()?;
        if taken.is_some() || builtin(provider_id).iter().any(|b| b.urls.contains(&url_s.as_str())) {
            return Err(Error::invalid(format!("{url_s} is already a source of {provider_id}")));
        }
        w.execute(
            "INSERT INTO discovery_sources (id, profile_id, provider_id, kind, url, selector, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            params![id, w.profile_id(), provider_id, kind.as_str(), url_s, sel, now],
        )?;
        Ok(())
    })?;
    list(vault)?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| Error::internal("a source added was not listed"))
}

fn not_found(id: &str) -> Error {
    Error::new(ErrorCode::DiscoverySourceNotFound, format!("no discovery source {id:?}"))
}

/// Remove a user source (a built-in one can only be disabled).
pub fn remove(vault: &Vault, id: &str) -> Result<()> {
    if id.starts_with("builtin:") {
        return Err(Error::invalid(format!("{id} is built in; it can be disabled, not removed"))
            .with_suggestion("Use `keyclave discovery source disable ID`."));
    }
    vault.write(|w| {
        let n = w.execute("DELETE FROM discovery_sources WHERE id = ?1 AND builtin_key IS NULL", [id])?;
        if n == 0 { Err(not_found(id)) } else { Ok(()) }
    })
}

/// Switch a source off (or on again).
pub fn set_enabled(vault: &Vault, id: &str, enabled: bool) -> Result<SourceInfo> {
    let now = crate::time::now();
    vault.write(|w| {
        if let Some(key) = id.strip_prefix("builtin:") {
            let b = BUILTIN.iter().copied().find(|b| b.key == key).ok_or_else(|| not_found(id))?;
            ensure_row(w, &b, &now)?;
            w.execute(
                "UPDATE discovery_sources SET enabled = ?1, updated_at = ?2 WHERE builtin_key = ?3",
                params![enabled as i64, now, key],
            )?;
        } else {
            let n = w.execute(
                "UPDATE discovery_sources SET enabled = ?1, updated_at = ?2 WHERE id = ?3",
                params![enabled as i64, now, id],
            )?;
            if n == 0 {
                return Err(not_found(id));
            }
        }
        Ok(())
    })?;
    let all = vault.read(|conn| {
        let mut providers = watched(conn)?;
        if let Some(p) = id.strip_prefix("builtin:").and_then(|k| k.split('/').next()) {
            providers.push(p.to_owned());
            providers.dedup();
        }
        for_providers(conn, &providers)
    })?;
    all.iter().find(|s| s.id == id).map(SourceInfo::from).ok_or_else(|| not_found(id))
}

fn ensure_row(w: &Write<'_>, b: &Builtin, now: &str) -> Result<String> {
    let existing: Option<String> = w
        .query_row("SELECT id FROM discovery_sources WHERE builtin_key = ?1", [b.key], |r| r.get(0))
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let id = uuid::Uuid::new_v4().to_string();
    w.execute(
        "INSERT INTO discovery_sources (id, profile_id, provider_id, builtin_key, kind, url, selector, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![id, w.profile_id(), b.provider_id, b.key, b.kind.as_str(), b.urls[0], b.selector, now],
    )?;
    Ok(id)
}

/// Store what `source` answered (in the run's transaction for its provider).
pub(crate) fn save_state(w: &Write<'_>, source: &Source, state: &State) -> Result<()> {
    let now = crate::time::now();
    let row_id = match (&source.row_id, source.builtin) {
        (Some(id), _) => id.clone(),
        (None, true) => {
            let key = source.id.trim_start_matches("builtin:");
            let b = builtin(&source.provider_id)
                .into_iter()
                .find(|b| b.key == key)
                .ok_or_else(|| not_found(&source.id))?;
            ensure_row(w, &b, &now)?
        }
        (None, false) => return Err(Error::internal("a user source without a row")),
    };
    w.execute(
        "UPDATE discovery_sources SET etag = ?1, last_modified = ?2, last_text = ?3, last_fetched_at = ?4,
                last_status = ?5, last_error = ?6, updated_at = ?4 WHERE id = ?7",
        params![
            state.etag,
            state.last_modified,
            state.last_text,
            state.last_fetched_at,
            state.last_status,
            state.last_error,
            row_id
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_is_https_with_a_known_provider_and_a_unique_key() {
        let mut keys = std::collections::BTreeSet::new();
        for p in SDKS.iter().map(|(p, _)| *p).chain(BUILTIN.iter().map(|b| b.provider_id)) {
            for b in builtin(p) {
                assert!(crate::providers::get(b.provider_id).is_some(), "{}", b.key);
                for u in b.urls {
                    assert!(u.starts_with("https://"), "{u}");
                    check_url(u).unwrap();
                }
                assert!(b.key.starts_with(b.provider_id), "{}", b.key);
                keys.insert(b.key);
            }
        }
        assert_eq!(keys.len(), BUILTIN.len());
        for (p, _) in SDKS {
            let b = builtin(p);
            assert!(
                b.iter().any(|b| b.kind == SourceKind::Advisories),
                "{p} has SDKs but no advisories source"
            );
        }
    }

    #[test]
    fn user_urls_follow_the_endpoint_rules() {
        assert!(check_url("http://127.0.0.1:8080/feed.xml").is_ok());
        assert!(check_url("https://example.com/a?x=1").is_ok());
        assert_eq!(check_url("http://example.com/feed").unwrap_err().code(), ErrorCode::InputInvalid);
        assert!(check_url("https://u:p@example.com/").is_err());
        assert!(check_url("file:///etc/passwd").is_err());
    }
}
