//! Retention (seed 003 §3.1–3.2): the newest 24 snapshots of each key are
//! kept; older ones are folded into that day's `dashboard_daily_summaries`
//! row, and summaries older than 365 days are dropped. One transaction,
//! applied at unlock and by the scheduler.

use rusqlite::{Connection, OptionalExtension, params};
use std::collections::BTreeMap;

use crate::error::Result;

/// Snapshots kept per key.
pub const SNAPSHOTS_PER_KEY: i64 = 24;
/// Days a daily summary is kept.
pub const SUMMARY_DAYS: i64 = 365;

/// A snapshot to fold: id, secret, provider, UTC date, usage JSON, health,
/// collection status.
type OldRow = (String, String, String, String, Option<String>, String, String);
/// A stored summary: avg, max, cost, health, successes, failures.
type SummaryRow = (Option<f64>, Option<f64>, Option<f64>, String, i64, i64);

#[derive(Default)]
struct Day {
    provider_id: String,
    usage: Vec<f64>,
    cost: Option<f64>,
    currency: Option<String>,
    health: BTreeMap<String, u32>,
    ok: i64,
    failed: i64,
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Folded {
    /// Snapshots folded into summaries (and deleted).
    pub snapshots: usize,
    /// Summaries dropped for age.
    pub summaries_dropped: usize,
}

/// Fold and prune, in the caller's transaction. `today` is the UTC date
/// (YYYY-MM-DD) retention counts back from.
pub(crate) fn apply(conn: &Connection, profile_id: &str, today: chrono::NaiveDate) -> Result<Folded> {
    let old: Vec<OldRow> = {
        let mut stmt = conn.prepare_cached(
            "SELECT id, secret_id, provider_id, substr(collected_at, 1, 10), usage_stats_json, health_status,
                    collection_status
             FROM (SELECT *, row_number() OVER (PARTITION BY secret_id ORDER BY collected_at DESC, id DESC) AS n
                   FROM dashboard_snapshots WHERE profile_id = ?1)
             WHERE n > ?2",
        )?;
        let rows = stmt.query_map(params![profile_id, SNAPSHOTS_PER_KEY], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut days: BTreeMap<(String, String), Day> = BTreeMap::new();
    for (_, secret_id, provider_id, date, usage, health, status) in &old {
        let d = days.entry((secret_id.clone(), date.clone())).or_default();
        d.provider_id = provider_id.clone();
        let u: serde_json::Value =
            usage.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default();
        if let Some(q) = u["quota_percent"].as_f64() {
            d.usage.push(q);
        }
        if let Some(c) = u["cost"].as_f64() {
            // Cost is the period's running total: the day's is its highest.
            d.cost = Some(d.cost.map_or(c, |x: f64| x.max(c)));
            d.currency = u["currency"].as_str().map(str::to_owned).or(d.currency.take());
        }
        *d.health.entry(health.clone()).or_default() += 1;
        if status == "failed" {
            d.failed += 1;
        } else {
            d.ok += 1;
        }
    }
    for ((secret_id, date), d) in &days {
        let existing: Option<SummaryRow> = conn
            .prepare_cached(
                "SELECT avg_usage_percent, max_usage_percent, total_cost, health_summary, collection_success_count,
                        collection_failure_count
                 FROM dashboard_daily_summaries WHERE secret_id = ?1 AND summary_date = ?2",
            )?
            .query_row(params![secret_id, date], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
            .optional()?;
        let (mut avg, mut max, mut cost) = (mean(&d.usage), d.usage.iter().copied().reduce(f64::max), d.cost);
        let mut health = d.health.clone();
        let (mut ok, mut failed) = (d.ok, d.failed);
        if let Some((a0, m0, c0, h0, ok0, f0)) = existing {
            let n0 = (ok0 + f0) as f64;
            let n1 = d.usage.len() as f64;
            avg = match (a0, avg) {
                (Some(a), Some(b)) => Some((a * n0 + b * n1) / (n0 + n1).max(1.0)),
                (a, b) => a.or(b),
            };
            max = match (m0, max) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            cost = match (c0, cost) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            *health.entry(h0).or_default() += u32::try_from(ok0 + f0).unwrap_or(u32::MAX);
            ok += ok0;
            failed += f0;
        }
        let summary =
            health.iter().max_by_key(|(_, n)| **n).map_or("unknown", |(h, _)| h.as_str()).to_owned();
        conn.prepare_cached(
            "INSERT INTO dashboard_daily_summaries (id, profile_id, secret_id, provider_id, summary_date,
               avg_usage_percent, max_usage_percent, total_cost, cost_currency, health_summary,
               collection_success_count, collection_failure_count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT (secret_id, summary_date) DO UPDATE SET avg_usage_percent = excluded.avg_usage_percent,
               max_usage_percent = excluded.max_usage_percent, total_cost = excluded.total_cost,
               cost_currency = COALESCE(excluded.cost_currency, cost_currency),
               health_summary = excluded.health_summary,
               collection_success_count = excluded.collection_success_count,
               collection_failure_count = excluded.collection_failure_count",
        )?
        .execute(params![
            uuid::Uuid::new_v4().to_string(),
            profile_id,
            secret_id,
            d.provider_id,
            date,
            avg,
            max,
            cost,
            d.currency,
            summary,
            ok,
            failed
        ])?;
    }
    let mut del = conn.prepare_cached("DELETE FROM dashboard_snapshots WHERE id = ?1")?;
    for (id, ..) in &old {
        del.execute([id])?;
    }
    let cutoff = (today - chrono::Duration::days(SUMMARY_DAYS)).format("%Y-%m-%d").to_string();
    let dropped = conn.execute(
        "DELETE FROM dashboard_daily_summaries WHERE profile_id = ?1 AND summary_date < ?2",
        params![profile_id, cutoff],
    )?;
    Ok(Folded { snapshots: old.len(), summaries_dropped: dropped })
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}
