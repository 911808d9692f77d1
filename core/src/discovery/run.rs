//! One discovery run: read → fetch → commit, per provider.
//!
//! 1. One short read: the watched providers, their sources and states, the
//!    user's use of each provider ([`super::relevance::load`]), and each
//!    provider's fetches of the last 24 hours (the budget).
//! 2. Providers are fetched concurrently (at most [`PARALLEL`] at once;
//!    `core::net` keeps each provider's own politeness), their sources one
//!    after another, with no lock held.
//! 3. As each provider is done, its findings, source states and log row are
//!    committed in one short transaction; a lock or a cancellation stops
//!    the run and nothing more is written.

use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::fetch::{self, Answer};
use super::findings::{self, NewFinding, Stored};
use super::log::{self, DAILY_FETCHES, LogEntry};
use super::parse::{self, Entry};
use super::relevance::{self, Usage};
use super::sources::{self, Source, SourceKind, State};
use super::{Trigger, canonical, classify, page, retention, urgency};
use crate::audit::EventType;
use crate::error::{Error, ErrorCode, Result};
use crate::net::{Gate, Net};
use crate::settings::Settings;
use crate::validation::blocking;
use crate::vault::Vault;

/// Providers fetched at once.
pub const PARALLEL: usize = 8;
/// Longest snippet stored, in characters.
const SNIPPET_CHARS: usize = 600;

/// One provider's part of a run.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProviderReport {
    /// The provider.
    pub provider_id: String,
    /// Requests made.
    pub fetches: u32,
    /// Sources that answered "no change" (304, or a page unchanged).
    pub unchanged: u32,
    /// Entries read.
    pub entries: u32,
    /// New findings.
    pub new_findings: u32,
    /// Findings updated.
    pub updated_findings: u32,
    /// Sources that failed, with why (`host: code: message`).
    pub errors: Vec<String>,
    /// The daily budget stopped it.
    pub budget_reached: bool,
}

/// What a run did.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// Per provider, in id order.
    pub providers: Vec<ProviderReport>,
    /// Requests made in all.
    pub fetches: u32,
    /// New findings in all.
    pub new_findings: u32,
    /// Findings updated in all.
    pub updated_findings: u32,
    /// New critical findings (a desktop notification each).
    pub new_critical: u32,
}

/// What a provider's fetch brought back, before it is stored.
struct Work {
    provider_id: String,
    fetches: u32,
    unchanged: u32,
    entries: u32,
    findings: Vec<NewFinding>,
    states: Vec<(Source, State)>,
    errors: Vec<String>,
    budget_reached: bool,
}

/// Run discovery for every watched provider (or only `provider`):
/// `net.offline` before anything is read or sent unless the Discovery
/// network is on. `progress(done, total)` counts providers.
pub async fn run(
    vault: &Vault,
    trigger: Trigger,
    provider: Option<&str>,
    cancel: &CancellationToken,
    progress: &(dyn Fn(u32, u32) + Send + Sync),
) -> Result<RunReport> {
    let settings = vault.settings();
    if !Gate::Discovery.is_open(&settings) {
        return Err(Error::new(ErrorCode::NetOffline, "the Discovery network is off: nothing was sent")
            .with_suggestion(
                "Turn the Discovery network on (`keyclave settings set discovery-network on`).",
            ));
    }
    let net = vault.net()?;
    let only = provider.map(str::to_owned);
    let v = vault.clone();
    let (plan, usage) = blocking(move || plan(&v, only.as_deref())).await?;
    let total = plan.len() as u32;
    progress(0, total);
    let usage = Arc::new(usage);
    let settings = Arc::new(settings);
    let gate = Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    let mut set = tokio::task::JoinSet::new();
    for (provider_id, srcs, used) in plan {
        let (net, settings, usage, cancel, gate) =
            (net.clone(), settings.clone(), usage.clone(), cancel.clone(), gate.clone());
        set.spawn(async move {
            let _permit = gate.acquire_owned().await;
            let u = usage.get(&provider_id).cloned().unwrap_or_default();
            provider_work(&net, &settings, provider_id, srcs, used, &u, &cancel).await
        });
    }
    let mut report = RunReport::default();
    let mut done = 0;
    while let Some(joined) = set.join_next().await {
        let work = joined.map_err(|e| Error::internal(format!("a discovery task failed: {e}")))?;
        if cancel.is_cancelled() || !vault.is_open() {
            set.abort_all();
            return Err(Error::new(
                ErrorCode::JobCancelled,
                "discovery was stopped; providers not yet done were left as they were",
            ));
        }
        let (v, c) = (vault.clone(), cancel.clone());
        let (r, critical) = blocking(move || commit(&v, work, trigger, &c)).await?;
        report.fetches += r.fetches;
        report.new_findings += r.new_findings;
        report.updated_findings += r.updated_findings;
        report.new_critical += critical;
        report.providers.push(r);
        done += 1;
        progress(done, total);
    }
    report.providers.sort_by(|a, b| a.provider_id.cmp(&b.provider_id));
    let (v, c) = (vault.clone(), cancel.clone());
    let whole = provider.is_none();
    let counts = json!({
        "trigger": trigger.as_str(),
        "providers": report.providers.len(),
        "fetches": report.fetches,
        "new": report.new_findings,
        "updated": report.updated_findings,
    });
    let days = settings.discovery_retention_days;
    blocking(move || {
        v.write_for(Some(&c), |w| {
            retention::apply(w, days, chrono::Utc::now())?;
            if whole {
                super::schedule::ran(w, chrono::Utc::now())?;
            }
            w.record(EventType::DiscoveryRun, counts)
        })
    })
    .await?;
    Ok(report)
}

type Plan = Vec<(String, Vec<Source>, u32)>;

fn plan(vault: &Vault, only: Option<&str>) -> Result<(Plan, BTreeMap<String, Usage>)> {
    vault.read(|conn| {
        let mut providers = sources::watched(conn)?;
        if let Some(p) = only {
            if crate::providers::get(p).is_none() {
                return Err(Error::invalid(format!("{p:?} is not a known provider"))
                    .with_suggestion("List provider ids with `keyclave providers`."));
            }
            providers = vec![p.to_owned()];
        }
        let all = sources::for_providers(conn, &providers)?;
        let now = chrono::Utc::now();
        let mut plan = Vec::new();
        for p in providers {
            let srcs: Vec<Source> = all.iter().filter(|s| s.provider_id == p && s.enabled).cloned().collect();
            if srcs.is_empty() {
                continue;
            }
            let used = log::fetches_today(conn, &p, now)?;
            plan.push((p, srcs, used));
        }
        Ok((plan, relevance::load(conn)?))
    })
}

fn describe(src: &Source, e: &Error) -> String {
    let host =
        src.urls.first().and_then(|u| Url::parse(u).ok()).and_then(|u| u.host_str().map(str::to_owned));
    format!("{}: {}: {}", host.unwrap_or_default(), e.code().as_str(), e.message())
}

async fn provider_work(
    net: &Net,
    settings: &Settings,
    provider_id: String,
    srcs: Vec<Source>,
    used: u32,
    usage: &Usage,
    cancel: &CancellationToken,
) -> Work {
    let mut work = Work {
        provider_id: provider_id.clone(),
        fetches: 0,
        unchanged: 0,
        entries: 0,
        findings: Vec::new(),
        states: Vec::new(),
        errors: Vec::new(),
        budget_reached: false,
    };
    let mut budget = DAILY_FETCHES.saturating_sub(used);
    let name = crate::providers::get(&provider_id).map_or(provider_id.clone(), |p| p.display_name.to_owned());
    for src in srcs {
        if cancel.is_cancelled() {
            break;
        }
        if budget == 0 {
            work.budget_reached = true;
            break;
        }
        let f = fetch::fetch(net, settings, &src, &mut budget, cancel).await;
        work.fetches += f.requests;
        let mut state = src.state.clone();
        state.last_fetched_at = Some(crate::time::now());
        match f.answer.and_then(|a| read(&src, a, &mut state)) {
            Ok(None) => {
                work.unchanged += 1;
                state.last_status = Some("unchanged".into());
                state.last_error = None;
            }
            Ok(Some(entries)) => {
                work.entries += entries.len() as u32;
                state.last_status = Some("changed".into());
                state.last_error = None;
                work.findings.extend(findings_for(&name, &provider_id, &src, &entries, usage));
            }
            Err(e) => {
                if e.code() == ErrorCode::DiscoveryBudgetReached {
                    work.budget_reached = true;
                }
                if e.code() == ErrorCode::JobCancelled {
                    break;
                }
                let d = describe(&src, &e);
                state.last_status = Some("failed".into());
                state.last_error = Some(d.clone());
                work.errors.push(d);
            }
        }
        work.states.push((src, state));
    }
    if work.budget_reached && !work.errors.iter().any(|e| e.contains("discovery.budget_reached")) {
        work.errors.push(format!(
            "discovery.budget_reached: the daily budget of {DAILY_FETCHES} fetches for {provider_id} is spent"
        ));
    }
    work
}

/// The entries of an answer (`None`: no change). A watched page's text is
/// compared with the last one: the first fetch is the baseline, a change
/// is one entry.
fn read(src: &Source, answer: Answer, state: &mut State) -> Result<Option<Vec<Entry>>> {
    let (bodies, etag, last_modified) = match answer {
        Answer::Unchanged => return Ok(None),
        Answer::Changed { bodies, etag, last_modified } => (bodies, etag, last_modified),
    };
    let mut entries = Vec::new();
    for b in &bodies {
        if src.kind == SourceKind::Page {
            let text = page::extract(&b.bytes, b.content_type.as_deref(), src.selector.as_deref())?;
            let before = state.last_text.replace(text.clone());
            let Some(before) = before else { continue };
            let change = page::diff(&before, &text);
            if change.is_empty() {
                state.etag = etag.clone();
                state.last_modified = last_modified.clone();
                return Ok(None);
            }
            let snippet = change.snippet();
            let tag = &findings::content_hash(&src.id, &snippet)[..12];
            let mut url = b.url.clone();
            url.set_fragment(Some(&format!("change-{tag}")));
            entries.push(Entry {
                url: url.to_string(),
                title: format!("{} changed", src.title),
                body: snippet,
                published: Some(chrono::Utc::now()),
                ..Entry::default()
            });
        } else {
            entries.extend(parse::parse(src.kind, &b.bytes, b.content_type.as_deref(), &b.url)?);
        }
    }
    state.etag = etag;
    state.last_modified = last_modified;
    Ok(Some(entries))
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

/// The findings of a source's `entries`, one per canonical URL (the first
/// listed wins): classified, scored against `usage`, with urgency, impact
/// and action.
pub fn findings_for(
    provider_name: &str,
    provider_id: &str,
    src: &Source,
    entries: &[Entry],
    usage: &Usage,
) -> Vec<NewFinding> {
    let mut seen = std::collections::HashSet::new();
    // Once per source: the local date reads the time zone.
    let (now, today) = (chrono::Utc::now(), chrono::Local::now().date_naive());
    let base = src.urls.first().and_then(|u| Url::parse(u).ok());
    let at = Context { now, today, base: base.as_ref() };
    // Dedup before judging: a feed repeating an entry (other `utm_`
    // parameters) costs one address parse, not a classification.
    entries
        .iter()
        .filter_map(|e| Some((address(src, e, &at)?, e)))
        .filter(|(url, _)| seen.insert(url.clone()))
        .map(|(url, e)| finding(provider_name, provider_id, src, e, url, usage, &at))
        .collect()
}

/// The address a finding of `e` is known by (none when its link is not an
/// http(s) URL). A page change keeps its `#change-…` tag: each change is a
/// finding.
fn address(src: &Source, e: &Entry, at: &Context<'_>) -> Option<String> {
    if src.kind == SourceKind::Page {
        Some(Url::parse(&e.url).ok()?.to_string())
    } else {
        canonical::canonical(&e.url, at.base)
    }
}

/// What every entry of one source is judged against.
struct Context<'a> {
    now: chrono::DateTime<chrono::Utc>,
    today: chrono::NaiveDate,
    base: Option<&'a Url>,
}

/// The finding entry `e`, known by `url`, makes.
fn finding(
    provider_name: &str,
    provider_id: &str,
    src: &Source,
    e: &Entry,
    url: String,
    usage: &Usage,
    at: &Context<'_>,
) -> NewFinding {
    let (now, today) = (at.now, at.today);
    let category = classify::category(src.kind, e, src.urls.first().map_or("", String::as_str));
    let rel = relevance::assess(e, usage, now, src.kind == SourceKind::Statuspage);
    let deadline = classify::deadline(e, today);
    let urg = urgency::assess(category, e, &rel, deadline, today);
    let (impact, action) = urgency::texts(provider_name, category, urg, e, &rel, deadline, today);
    let title = clip(if e.title.is_empty() { &src.title } else { &e.title }, 300);
    let snippet = clip(&e.body, SNIPPET_CHARS);
    NewFinding {
        provider_id: provider_id.to_owned(),
        content_sha256: findings::content_hash(&title, &format!("{snippet}\n{}", urg.as_str())),
        url,
        title,
        snippet,
        category,
        impact,
        action,
        urgency: urg,
        score: rel.score,
        reason: rel.reason,
        published_at: e.published.or(e.updated).map(crate::time::format),
        source_kind: src.kind.as_str(),
    }
}

fn commit(
    vault: &Vault,
    work: Work,
    trigger: Trigger,
    cancel: &CancellationToken,
) -> Result<(ProviderReport, u32)> {
    let mut r = ProviderReport {
        provider_id: work.provider_id.clone(),
        fetches: work.fetches,
        unchanged: work.unchanged,
        entries: work.entries,
        errors: work.errors.clone(),
        budget_reached: work.budget_reached,
        ..ProviderReport::default()
    };
    let mut critical = 0;
    vault.write_for(Some(cancel), |w| {
        // One finding per canonical URL, even when a feed lists it twice.
        let mut seen = std::collections::BTreeSet::new();
        for f in &work.findings {
            if !seen.insert(f.url.clone()) {
                continue;
            }
            match findings::upsert(w, f)? {
                Stored::New => {
                    r.new_findings += 1;
                    if f.urgency == super::Urgency::Critical {
                        critical += 1;
                    }
                }
                Stored::Updated => r.updated_findings += 1,
                Stored::Unchanged => {}
            }
        }
        for (src, state) in &work.states {
            sources::save_state(w, src, state)?;
        }
        let failed = work.states.iter().filter(|(_, s)| s.last_status.as_deref() == Some("failed")).count();
        let status = if failed == 0 && !work.budget_reached {
            "success"
        } else if work.states.is_empty() || failed == work.states.len() {
            "failed"
        } else {
            "partial"
        };
        log::record(
            w,
            &LogEntry {
                provider_id: work.provider_id.clone(),
                searched_at: crate::time::now(),
                trigger_type: trigger,
                queries_executed: work.fetches,
                results_found: work.entries,
                findings_generated: r.new_findings + r.updated_findings,
                status: status.into(),
                error_message_redacted: (!work.errors.is_empty()).then(|| work.errors.join("; ")),
            },
        )
    })?;
    Ok((r, critical))
}
