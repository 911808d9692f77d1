//! The key dashboard: one view of every key's health, usage, scopes and
//! expiry, collected from the providers' APIs ([`refresh`]), kept as
//! snapshots ([`snapshot`], the normalized shape), folded into daily
//! summaries ([`retention`]) and refreshed in the background on a schedule
//! ([`schedule`]).
//!
//! Collection is a background job by the vault's rule: values are read in a
//! short read, the vault is released while the network works, and each
//! key's snapshot (with its `validations` row) is committed in one short
//! transaction of its own as soon as its answer is in — so a lock in the
//! middle leaves every key either refreshed whole or untouched. Nothing is
//! written after a lock or a cancellation.
//!
//! Offline (Online Mode off) a refresh is `net.offline` and sends nothing;
//! [`overview`] and [`history`] still show the cached data.

pub mod retention;
pub mod schedule;
pub mod scopes;
pub mod snapshot;

use rusqlite::params;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::audit::EventType;
use crate::catalog::SecretSummary;
use crate::error::{Error, ErrorCode, Result};
use crate::net::Gate;
use crate::secrets;
use crate::validation::{self, Outcome, Status, blocking};
use crate::vault::Vault;
pub use snapshot::Snapshot;

/// How old a key's data is: the colour of its staleness dot.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Staleness {
    /// Collected less than an hour ago (green).
    Fresh,
    /// Less than a day (yellow).
    Aging,
    /// Older, never collected, or the last collection failed (red).
    Stale,
}

/// The staleness of data collected at `collected_at` with `status`.
pub fn staleness(
    collected_at: Option<&str>,
    collection_status: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Staleness {
    let Some(at) = collected_at.and_then(crate::time::parse) else {
        return Staleness::Stale;
    };
    if collection_status == Some("failed") {
        return Staleness::Stale;
    }
    let age = now - at;
    if age < chrono::Duration::hours(1) {
        Staleness::Fresh
    } else if age < chrono::Duration::hours(24) {
        Staleness::Aging
    } else {
        Staleness::Stale
    }
}

/// Providers whose usage and cost need an admin key the dashboard does not
/// ask for: said in the snapshot rather than guessed.
pub fn needs_admin_key(provider_id: &str) -> Option<&'static str> {
    match provider_id {
        "openai" => Some(
            "usage and cost need an organization admin key (Usage and Costs API); this key only proves it works",
        ),
        "anthropic" => {
            Some("usage and cost need an Admin API key (sk-ant-admin…); this key only proves it works")
        }
        _ => None,
    }
}

/// One key on the dashboard.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRow {
    /// The key (names and tags, never the value).
    pub secret: SecretSummary,
    /// Its provider's name.
    pub provider_name: String,
    /// The latest snapshot, if any.
    pub latest: Option<Snapshot>,
    /// How old it is.
    pub staleness: Staleness,
    /// Why this key cannot be collected (no safe check, a missing
    /// companion or endpoint); `None` when it can.
    pub not_collectable: Option<String>,
    /// When the schedule will refresh it next (when it can be collected).
    pub next_refresh_at: Option<String>,
}

/// The summary cards.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cards {
    /// Keys in the vault.
    pub total: u32,
    /// Latest health valid (or degraded: valid but limited).
    pub valid: u32,
    /// Latest health invalid.
    pub invalid: u32,
    /// Expiring within 14 days (or expired).
    pub expiring: u32,
    /// Collectable keys whose data is stale (red).
    pub stale: u32,
}

/// The whole dashboard.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    /// Counts.
    pub cards: Cards,
    /// Every key, stale and invalid first.
    pub keys: Vec<KeyRow>,
}

fn latest_snapshots(vault: &Vault) -> Result<std::collections::HashMap<String, Snapshot>> {
    vault.read(|conn| {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {} FROM (SELECT *, row_number() OVER (PARTITION BY secret_id ORDER BY collected_at DESC, id DESC) AS n
                             FROM dashboard_snapshots)
             WHERE n = 1",
            snapshot::COLUMNS
        ))?;
        let rows = stmt.query_map([], snapshot::from_row)?;
        let mut out = std::collections::HashMap::new();
        for r in rows {
            let s = r?;
            out.insert(s.secret_id.clone(), s);
        }
        Ok(out)
    })
}

/// The dashboard from cached data (no network): every key with its latest
/// snapshot, staleness and next scheduled refresh.
pub fn overview(vault: &Vault) -> Result<Overview> {
    let now = chrono::Utc::now();
    let settings = vault.settings();
    let mut latest = latest_snapshots(vault)?;
    let mut cards = Cards::default();
    let mut keys = Vec::new();
    for s in secrets::list(vault, &Default::default()).items {
        let snap = latest.remove(&s.id);
        let not_collectable = validation::not_checkable(vault, &s)?;
        let staleness = staleness(
            snap.as_ref().map(|x| x.collected_at.as_str()),
            snap.as_ref().map(|x| x.collection_status.as_str()),
            now,
        );
        cards.total += 1;
        if let Some(x) = &snap {
            match x.health_status.as_str() {
                "valid" | "degraded" => cards.valid += 1,
                "invalid" => cards.invalid += 1,
                _ => {}
            }
            if x.warnings.iter().any(|w| w.code == "expiring" || w.code == "expired") {
                cards.expiring += 1;
            }
        }
        if not_collectable.is_none() && staleness == Staleness::Stale {
            cards.stale += 1;
        }
        let next_refresh_at = not_collectable
            .is_none()
            .then(|| schedule::next_due(&s, snap.as_ref().map(|x| x.collected_at.as_str()), &settings, now))
            .map(crate::time::format);
        let provider_name = crate::providers::get(&s.provider_id)
            .map_or(s.provider_id.clone(), |p| p.display_name.to_owned());
        keys.push(KeyRow {
            secret: s,
            provider_name,
            latest: snap,
            staleness,
            not_collectable,
            next_refresh_at,
        });
    }
    let rank = |k: &KeyRow| {
        let health = k.latest.as_ref().map_or("unknown", |s| s.health_status.as_str());
        (
            health != "invalid",
            k.not_collectable.is_some(),
            k.staleness != Staleness::Stale,
            k.secret.key_name.clone(),
        )
    };
    keys.sort_by_key(rank);
    Ok(Overview { cards, keys })
}

/// One day of a key's history (for the chart).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPoint {
    /// The UTC date, `YYYY-MM-DD`.
    pub date: String,
    /// Mean quota use that day, percent.
    pub avg_usage_percent: Option<f64>,
    /// Highest quota use that day, percent.
    pub max_usage_percent: Option<f64>,
    /// Cost that day.
    pub total_cost: Option<f64>,
    /// Its currency.
    pub cost_currency: Option<String>,
    /// Most common health that day.
    pub health: String,
    /// Successful collections.
    pub successes: u32,
    /// Failed collections.
    pub failures: u32,
}

/// A key's last `days` days, oldest first: the daily summaries, plus the
/// days of the snapshots not folded yet (so today shows too).
pub fn history(vault: &Vault, secret: &SecretSummary, days: u32) -> Result<Vec<HistoryPoint>> {
    if !(1..=366).contains(&days) {
        return Err(Error::invalid("history covers 1 to 366 days"));
    }
    let cutoff =
        (chrono::Utc::now() - chrono::Duration::days(i64::from(days) - 1)).format("%Y-%m-%d").to_string();
    let id = secret.id.clone();
    vault.read(move |conn| {
        let mut by_day: std::collections::BTreeMap<String, HistoryPoint> = std::collections::BTreeMap::new();
        let mut stmt = conn.prepare_cached(
            "SELECT summary_date, avg_usage_percent, max_usage_percent, total_cost, cost_currency, health_summary,
                    collection_success_count, collection_failure_count
             FROM dashboard_daily_summaries WHERE secret_id = ?1 AND summary_date >= ?2",
        )?;
        let rows = stmt.query_map(params![id, cutoff], |r| {
            Ok(HistoryPoint {
                date: r.get(0)?,
                avg_usage_percent: r.get(1)?,
                max_usage_percent: r.get(2)?,
                total_cost: r.get(3)?,
                cost_currency: r.get(4)?,
                health: r.get(5)?,
                successes: r.get(6)?,
                failures: r.get(7)?,
            })
        })?;
        for r in rows {
            let p = r?;
            by_day.insert(p.date.clone(), p);
        }
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {} FROM dashboard_snapshots WHERE secret_id = ?1 AND substr(collected_at, 1, 10) >= ?2
             ORDER BY collected_at",
            snapshot::COLUMNS
        ))?;
        let snaps = stmt.query_map(params![id, cutoff], snapshot::from_row)?;
        let mut live: std::collections::BTreeMap<String, Vec<Snapshot>> = std::collections::BTreeMap::new();
        for s in snaps {
            let s = s?;
            live.entry(s.collected_at.get(..10).unwrap_or("").to_owned()).or_default().push(s);
        }
        for (date, snaps) in live {
            let usage: Vec<f64> = snaps.iter().filter_map(|s| s.usage.quota_percent).collect();
            let failures = snaps.iter().filter(|s| s.collection_status == "failed").count() as u32;
            let mut health: std::collections::BTreeMap<&str, u32> = std::collections::BTreeMap::new();
            for s in &snaps {
                *health.entry(s.health_status.as_str()).or_default() += 1;
            }
            let p = by_day.entry(date.clone()).or_insert_with(|| HistoryPoint {
                date,
                avg_usage_percent: None,
                max_usage_percent: None,
                total_cost: None,
                cost_currency: None,
                health: "unknown".into(),
                successes: 0,
                failures: 0,
            });
            let n0 = f64::from(p.successes + p.failures);
            if !usage.is_empty() {
                let mean = usage.iter().sum::<f64>() / usage.len() as f64;
                p.avg_usage_percent =
                    Some(p.avg_usage_percent.map_or(mean, |a| (a * n0 + mean * usage.len() as f64) / (n0 + usage.len() as f64)));
                let max = usage.iter().copied().fold(f64::MIN, f64::max);
                p.max_usage_percent = Some(p.max_usage_percent.map_or(max, |m| m.max(max)));
            }
            for s in &snaps {
                if let Some(c) = s.usage.cost {
                    p.total_cost = Some(p.total_cost.map_or(c, |x| x.max(c)));
                    p.cost_currency = s.usage.currency.clone().or(p.cost_currency.take());
                }
            }
            if let Some((h, _)) = health.iter().max_by_key(|(_, n)| **n) {
                p.health = (*h).to_owned();
            }
            p.successes += snaps.len() as u32 - failures;
            p.failures += failures;
        }
        Ok(by_day.into_values().collect())
    })
}

/// What a refresh did.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RefreshReport {
    /// Keys whose snapshot was written.
    pub refreshed: u32,
    /// Of those, how many could not be told (error).
    pub failed: u32,
    /// Keys that cannot be collected (no check, companion or endpoint missing).
    pub skipped: u32,
    /// The results, key by key.
    pub outcomes: Vec<Outcome>,
}

/// Refresh `targets`: `net.offline` (before any value is read) unless
/// Online Mode is on. Keys that cannot be collected are skipped; every
/// other key gets a snapshot committed on its own as soon as its answer is
/// in; then retention runs and one `dashboard.refresh` event records the
/// counts. A lock or `cancel` stops it: what was committed stays whole,
/// nothing more is written, and the result is `job.cancelled`.
pub async fn refresh(
    vault: &Vault,
    targets: Vec<SecretSummary>,
    cancel: &CancellationToken,
    progress: &(dyn Fn(u32, u32) + Send + Sync),
) -> Result<RefreshReport> {
    refresh_with(vault, targets, cancel, progress, true).await
}

/// [`refresh`]; `audit` false for the scheduler's one-key passes (which
/// would otherwise write an event per key per hour).
pub(crate) async fn refresh_with(
    vault: &Vault,
    targets: Vec<SecretSummary>,
    cancel: &CancellationToken,
    progress: &(dyn Fn(u32, u32) + Send + Sync),
    audit: bool,
) -> Result<RefreshReport> {
    let settings = vault.settings();
    if !Gate::Online.is_open(&settings) {
        return Err(Error::new(
            ErrorCode::NetOffline,
            "Online Mode is off: nothing was refreshed and nothing was sent",
        ));
    }
    let net = vault.net()?;
    let v = vault.clone();
    let probes = blocking(move || validation::prepare(&v, targets)).await?;
    let mut report = RefreshReport::default();
    let mut collectable = Vec::new();
    for p in probes {
        if p.work.is_err() {
            report.skipped += 1;
        } else {
            collectable.push(p);
        }
    }
    let total = collectable.len() as u32;
    progress(0, total);
    let mut set = tokio::task::JoinSet::new();
    let shared = std::sync::Arc::new(settings.clone());
    for p in collectable {
        let (net, settings, cancel) = (net.clone(), shared.clone(), cancel.clone());
        let secret = p.summary.clone();
        set.spawn(async move { (secret, validation::run(&net, &settings, p, &cancel, true).await.0) });
    }
    while let Some(joined) = set.join_next().await {
        let (secret, outcome) = joined.map_err(|e| Error::internal(format!("a refresh task failed: {e}")))?;
        if cancel.is_cancelled() || !vault.is_open() {
            set.abort_all();
            return Err(Error::new(
                ErrorCode::JobCancelled,
                "the refresh was stopped; keys not yet collected were left as they were",
            ));
        }
        let (v, c, o, s) = (vault.clone(), cancel.clone(), outcome.clone(), secret);
        blocking(move || commit(&v, &s, &o, &c)).await?;
        report.refreshed += 1;
        if outcome.status == Status::Error {
            report.failed += 1;
        }
        report.outcomes.push(outcome);
        progress(report.refreshed, total);
    }
    let (v, c) = (vault.clone(), cancel.clone());
    let (refreshed, failed, skipped) = (report.refreshed, report.failed, report.skipped);
    blocking(move || {
        v.write_for(Some(&c), |w| {
            retention::apply(w, w.profile_id(), chrono::Utc::now().date_naive())?;
            if audit {
                w.record(
                    EventType::DashboardRefresh,
                    json!({ "refreshed": refreshed, "failed": failed, "skipped": skipped }),
                )?;
            }
            Ok(())
        })
    })
    .await?;
    Ok(report)
}

/// One key's snapshot and validation row, in one short transaction.
fn commit(
    vault: &Vault,
    secret: &SecretSummary,
    outcome: &Outcome,
    cancel: &CancellationToken,
) -> Result<()> {
    vault.write_for(Some(cancel), |w| {
        let wanted = scopes::from_projects(w, &secret.provider_id)?;
        let snap = snapshot::build(secret, outcome, &wanted, chrono::Utc::now());
        snapshot::insert(w, w.profile_id(), &snap)?;
        validation::store(w, outcome)
    })
}

/// Apply retention now (at unlock, and by the scheduler).
pub fn apply_retention(vault: &Vault) -> Result<retention::Folded> {
    vault.write(|w| retention::apply(w, w.profile_id(), chrono::Utc::now().date_naive()))
}
