//! The background refresh schedule: which keys are due, and the loop that
//! refreshes them while the vault is unlocked.
//!
//! A key is due `dashboard_refresh_interval_seconds` after its last
//! collection, ±10 % (a jitter fixed per key and collection, so keys
//! collected together drift apart instead of refreshing in step); a key
//! never collected is due at once — which makes the loop's first pass the
//! catch-up at unlock. Due keys go stale-first, `prod` first among equals,
//! and start one after another with a pause between them (never a burst).
//!
//! The loop ([`run`]) runs only while Online Mode **and** Autonomous Mode
//! are on and outside the quiet hours; it ends when the vault locks (its
//! token is the unlock's). Without Autonomous Mode only manual refreshes
//! run. Its state goes to a callback for the status bar.

use chrono::Timelike;
use serde::{Deserialize, Serialize};
use std::hash::{Hash, Hasher};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use crate::catalog::{Environment, SecretSummary};
use crate::error::Result;
use crate::jobs::{JobKind, JobProgress, Jobs, pause};
use crate::settings::Settings;
use crate::validation::blocking;
use crate::vault::Vault;

/// Longest sleep between looks at the settings and the clock.
const RECHECK: Duration = Duration::from_secs(30);

/// When `secret`, last collected at `last`, is next due.
pub fn next_due(
    secret: &SecretSummary,
    last: Option<&str>,
    settings: &Settings,
    now: chrono::DateTime<chrono::Utc>,
) -> chrono::DateTime<chrono::Utc> {
    let Some(last_at) = last.and_then(crate::time::parse) else {
        return now;
    };
    // A collection "in the future" means the clock was set back: count the
    // interval from now, not from a time that will take a day to come.
    let last_at = last_at.min(now);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&secret.id, last).hash(&mut h);
    // 0.90 ..= 1.10 of the interval.
    let factor = 0.9 + (h.finish() % 2001) as f64 / 10_000.0;
    let secs = f64::from(settings.dashboard_refresh_interval_seconds) * factor;
    last_at + chrono::Duration::milliseconds((secs * 1000.0) as i64)
}

/// The keys due at `now`, in refresh order, and when the next one not yet
/// due will be.
pub fn due(
    vault: &Vault,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Vec<SecretSummary>, Option<chrono::DateTime<chrono::Utc>>)> {
    let settings = vault.settings();
    let overview = super::overview(vault)?;
    let mut due: Vec<(Option<String>, bool, SecretSummary)> = Vec::new();
    let mut next: Option<chrono::DateTime<chrono::Utc>> = None;
    for row in overview.keys {
        if row.not_collectable.is_some() {
            continue;
        }
        let last = row.latest.as_ref().map(|s| s.collected_at.clone());
        let at = next_due(&row.secret, last.as_deref(), &settings, now);
        if at <= now {
            let prod = row.secret.environment == Some(Environment::Prod);
            due.push((last, !prod, row.secret));
        } else {
            next = Some(next.map_or(at, |n| n.min(at)));
        }
    }
    // Never collected (None) sorts first, then the oldest; prod first among equals.
    due.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    Ok((due.into_iter().map(|(_, _, s)| s).collect(), next))
}

/// The keys due now, in refresh order (`dashboard refresh --due`).
pub fn due_now(vault: &Vault) -> Result<Vec<SecretSummary>> {
    Ok(due(vault, chrono::Utc::now())?.0)
}

/// What the loop is doing, for the status bar.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SchedulerStatus {
    /// Online Mode or Autonomous Mode is off: only manual refreshes.
    Off {
        /// Which switch.
        reason: String,
    },
    /// Inside the quiet hours.
    Quiet {
        /// When they end (local hour).
        until_hour: u8,
    },
    /// Nothing due.
    Idle {
        /// When the next key is due (RFC 3339), if any can be collected.
        next_at: Option<String>,
    },
    /// Refreshing due keys.
    Refreshing {
        /// Keys done.
        done: u32,
        /// Keys in this pass.
        total: u32,
    },
}

/// The pause between two keys of a background pass: the interval spread
/// over the keys, between 0.5 s and 5 s.
pub fn stagger(settings: &Settings, keys: usize) -> Duration {
    let per = f64::from(settings.dashboard_refresh_interval_seconds) / 20.0 / keys.max(1) as f64;
    Duration::from_secs_f64(per.clamp(0.5, 5.0))
}

/// The background loop for one unlock: returns when the vault locks or
/// `cancel` fires, and at once on a read-only data folder. Refresh passes
/// are jobs in `jobs` (kind `refresh`), so the status bar and `cancel` of
/// a job work on them as on any job.
pub async fn run(
    vault: Vault,
    jobs: Jobs,
    cancel: CancellationToken,
    report: impl Fn(SchedulerStatus) + Send + Sync,
) {
    if vault.read_only() {
        // A read-only data folder: no pass could store what it collected.
        return;
    }
    let token = vault.job_token();
    let stop = CancellationToken::new();
    let any = {
        let (t, c, s) = (token.clone(), cancel.clone(), stop.clone());
        tokio::spawn(async move {
            tokio::select! { _ = t.cancelled() => {}, _ = c.cancelled() => {} }
            s.cancel();
        })
    };
    let mut last = None;
    let mut say = |s: SchedulerStatus| {
        if last.as_ref() != Some(&s) {
            report(s.clone());
            last = Some(s);
        }
    };
    if let Err(e) = {
        let v = vault.clone();
        blocking(move || super::apply_retention(&v)).await
    } {
        tracing::debug!("retention at unlock failed: {}", e.code());
    }
    while !stop.is_cancelled() {
        let settings = vault.settings();
        if !settings.online_mode_enabled || !settings.autonomous_mode_enabled {
            let reason =
                if settings.online_mode_enabled { "Autonomous Mode is off" } else { "Online Mode is off" };
            say(SchedulerStatus::Off { reason: reason.into() });
            if !pause(&stop, RECHECK).await {
                break;
            }
            continue;
        }
        let local = chrono::Local::now();
        if settings.is_quiet_hour(local.hour() as u8) {
            say(SchedulerStatus::Quiet { until_hour: settings.dashboard_quiet_hours_end.unwrap_or(0) });
            if !pause(&stop, RECHECK).await {
                break;
            }
            continue;
        }
        let v = vault.clone();
        let (keys, next) = match blocking(move || due(&v, chrono::Utc::now())).await {
            Ok(d) => d,
            Err(e) => {
                tracing::debug!("the refresh schedule could not be read: {}", e.code());
                if !pause(&stop, RECHECK).await {
                    break;
                }
                continue;
            }
        };
        if keys.is_empty() {
            say(SchedulerStatus::Idle { next_at: next.map(crate::time::format) });
            let wait = next
                .and_then(|n| (n - chrono::Utc::now()).to_std().ok())
                .map_or(RECHECK, |d| d.min(RECHECK).max(Duration::from_millis(200)));
            if !pause(&stop, wait).await {
                break;
            }
            continue;
        }
        let total = keys.len() as u32;
        let gap = stagger(&settings, keys.len());
        let job = jobs.start(&vault, JobKind::Refresh, "Background refresh");
        let mut done = 0;
        say(SchedulerStatus::Refreshing { done, total });
        for key in keys {
            if job.is_cancelled() || stop.is_cancelled() {
                break;
            }
            let r = super::refresh_with(&vault, vec![key], job.token(), &|_, _| {}, false).await;
            if let Err(e) = r {
                tracing::debug!("a background refresh failed: {}", e.code());
                if job.is_cancelled() || !vault.is_open() {
                    break;
                }
            }
            done += 1;
            job.progress(JobProgress { done, total: Some(total), message: format!("{done}/{total} keys") });
            say(SchedulerStatus::Refreshing { done, total });
            if done < total && !pause(job.token(), gap).await {
                break;
            }
        }
        drop(job.finish(Ok::<(), crate::Error>(())));
    }
    any.abort();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(id: &str) -> SecretSummary {
        SecretSummary {
            id: id.into(),
            provider_id: "github".into(),
            key_name: "GITHUB_TOKEN".into(),
            environment: None,
            project_id: None,
            notes: None,
            tags: Vec::new(),
            source_type: crate::catalog::SourceType::Manual,
            source_label: None,
            imported_at: None,
            created_at: String::new(),
            updated_at: String::new(),
            endpoint: None,
        }
    }

    #[test]
    fn a_clock_set_back_counts_the_interval_from_now() {
        let settings = Settings::default();
        let now = chrono::Utc::now();
        let tomorrow = crate::time::format(now + chrono::Duration::days(1));
        let at = next_due(&secret("k"), Some(&tomorrow), &settings, now);
        let secs = (at - now).num_seconds();
        assert!((3239..=3960).contains(&secs), "due {secs} s from now, not a day and an hour");
    }

    #[test]
    fn due_within_ten_percent_of_the_interval_and_spread() {
        let settings = Settings::default();
        let now = chrono::Utc::now();
        let last = crate::time::format(now);
        // Measured from the stored time, which keeps milliseconds only
        // (from `now` a due time could read 3239.9 s, i.e. 3239).
        let collected = crate::time::parse(&last).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..50 {
            let s = secret(&format!("k{i}"));
            let at = next_due(&s, Some(&last), &settings, now);
            let secs = (at - collected).num_seconds();
            assert!((3240..=3960).contains(&secs), "{secs}");
            seen.insert(secs);
        }
        assert!(seen.len() > 20, "jitter spreads keys: {seen:?}");
        assert_eq!(next_due(&secret("x"), None, &settings, now), now, "never collected: due now");
    }

    #[test]
    fn stagger_spreads_a_pass() {
        let s = Settings::default();
        assert_eq!(stagger(&s, 1), Duration::from_secs(5));
        assert_eq!(stagger(&s, 1000), Duration::from_millis(500));
        assert!(stagger(&s, 60) > Duration::from_millis(500));
    }
}
