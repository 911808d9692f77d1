//! `keyclave dashboard [refresh [KEY…] [--due] | history KEY]`

use keyclave_core::Result;
use keyclave_core::dashboard::{KeyRow, Overview, Staleness};
use serde_json::json;

use super::{Context, unexpected};
use crate::agent::protocol::{Reply, VaultOp};
use crate::args::DashboardCmd;
use crate::output::{self, outln};

pub fn run(ctx: Context, cmd: Option<DashboardCmd>) -> Result<()> {
    match cmd {
        None => show(&ctx),
        Some(DashboardCmd::Refresh { keys, due }) => {
            let reply = ctx.run_op_with_progress(VaultOp::Refresh { keys, due }, "refreshing")?;
            let report = match reply {
                Reply::Refreshed(r) => r,
                other => return Err(unexpected(&other)),
            };
            if ctx.json {
                output::json(&report);
            } else {
                outln!(
                    "Refreshed {} key(s){}{}.",
                    report.refreshed,
                    if report.failed > 0 {
                        format!(", {} could not be checked", report.failed)
                    } else {
                        String::new()
                    },
                    if report.skipped > 0 {
                        format!(", {} cannot be collected", report.skipped)
                    } else {
                        String::new()
                    },
                );
                if report.refreshed > 0 {
                    outln!("See them with `keyclave dashboard`.");
                }
            }
            Ok(())
        }
        Some(DashboardCmd::History { key, days }) => {
            let (secret, points) = match ctx.run_op(VaultOp::History { key, days }, &mut |_| false)? {
                Reply::History { key, points } => (key, points),
                other => return Err(unexpected(&other)),
            };
            if ctx.json {
                output::json(
                    &json!({ "key_name": secret.key_name, "provider_id": secret.provider_id, "days": points }),
                );
                return Ok(());
            }
            if points.is_empty() {
                outln!(
                    "No history for {} yet; `keyclave dashboard refresh {}` collects it.",
                    secret.key_name,
                    secret.key_name
                );
                return Ok(());
            }
            let pct = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.1} %"));
            let rows: Vec<Vec<String>> = points
                .iter()
                .map(|p| {
                    vec![
                        p.date.clone(),
                        pct(p.avg_usage_percent),
                        pct(p.max_usage_percent),
                        p.total_cost.map_or("-".to_owned(), |c| {
                            format!("{c:.2} {}", p.cost_currency.as_deref().unwrap_or(""))
                        }),
                        p.health.clone(),
                        format!("{}/{}", p.successes, p.failures),
                    ]
                })
                .collect();
            output::table(&["DATE", "AVG USE", "MAX USE", "COST", "HEALTH", "OK/FAILED"], &rows);
            Ok(())
        }
    }
}

fn staleness(s: Staleness) -> &'static str {
    match s {
        Staleness::Fresh => "fresh",
        Staleness::Aging => "aging",
        Staleness::Stale => "stale",
    }
}

/// The `--json` shape: per key, the latest snapshot's fields and the staleness.
fn json_row(k: &KeyRow) -> serde_json::Value {
    let s = k.latest.as_ref();
    json!({
        "key_name": k.secret.key_name,
        "provider_id": k.secret.provider_id,
        "environment": k.secret.environment,
        "endpoint": k.secret.endpoint,
        "health_status": s.map_or("unknown", |s| s.health_status.as_str()),
        "service_status": s.map_or("unknown", |s| s.service_status.as_str()),
        "collection_status": s.map(|s| s.collection_status.as_str()),
        "collected_at": s.map(|s| s.collected_at.as_str()),
        "staleness": staleness(k.staleness),
        "usage": s.map(|s| &s.usage),
        "config": s.map(|s| &s.config),
        "restrictions": s.map(|s| &s.restrictions),
        "warnings": s.map(|s| &s.warnings),
        "error": s.and_then(|s| s.error_message.as_deref()),
        "not_collectable": k.not_collectable,
        "next_refresh_at": k.next_refresh_at,
    })
}

fn expiry(at: Option<&str>) -> String {
    let Some(t) = at.and_then(keyclave_core::time::parse) else {
        return "-".into();
    };
    let days = (t - chrono::Utc::now()).num_days();
    if days < 0 { "expired".into() } else { format!("in {days} d") }
}

fn show(ctx: &Context) -> Result<()> {
    let overview: Overview = match ctx.run_op(VaultOp::Dashboard, &mut |_| false)? {
        Reply::Dashboard(o) => o,
        other => return Err(unexpected(&other)),
    };
    if ctx.json {
        output::json(&overview.keys.iter().map(json_row).collect::<Vec<_>>());
        return Ok(());
    }
    let c = overview.cards;
    outln!(
        "{} keys · {} valid · {} invalid · {} expiring · {} stale",
        c.total,
        c.valid,
        c.invalid,
        c.expiring,
        c.stale
    );
    if overview.keys.is_empty() {
        return Ok(());
    }
    let rows: Vec<Vec<String>> = overview
        .keys
        .iter()
        .map(|k| {
            let s = k.latest.as_ref();
            let health = match (s, &k.not_collectable) {
                (Some(s), _) => s.health_status.clone(),
                (None, Some(_)) => "not collectable".into(),
                (None, None) => "never collected".into(),
            };
            let usage = s.map(|s| usage_cell(&s.usage)).unwrap_or_else(|| "-".into());
            let scopes = s
                .map(|s| s.restrictions.scopes.join(","))
                .filter(|x| !x.is_empty())
                .unwrap_or_else(|| "-".into());
            let warnings =
                s.map(|s| s.warnings.iter().map(|w| w.message.clone()).collect::<Vec<_>>().join("; "));
            vec![
                k.secret.key_name.clone(),
                k.secret.provider_id.clone(),
                health,
                if k.not_collectable.is_some() { "-".into() } else { staleness(k.staleness).to_owned() },
                usage,
                scopes,
                expiry(s.and_then(|s| s.restrictions.expires_at.as_deref())),
                warnings
                    .filter(|w| !w.is_empty())
                    .or_else(|| k.not_collectable.clone())
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    output::table(&["KEY", "PROVIDER", "HEALTH", "DATA", "USAGE", "SCOPES", "EXPIRES", "NOTES"], &rows);
    Ok(())
}

/// "25 % · 150 emails left", "12.5 EUR left", "85 % · 1.5 USD left · 2.25 USD this month".
fn usage_cell(u: &keyclave_core::dashboard::snapshot::Usage) -> String {
    let unit = |x: &Option<String>| x.as_deref().map(|x| format!(" {x}")).unwrap_or_default();
    let mut parts: Vec<String> = u.quota_percent.map(|q| format!("{q:.0} %")).into_iter().collect();
    if let Some(r) = u.credits_remaining {
        parts.push(format!("{r}{} left", unit(&u.credits_unit)));
    }
    if let Some(c) = u.cost {
        parts.push(format!("{c}{} this {}", unit(&u.currency), u.period.as_deref().unwrap_or("period")));
    }
    if parts.is_empty() { "-".into() } else { parts.join(" · ") }
}
