//! The daily discovery run while the vault is unlocked: due at
//! `discovery_schedule_hour` local time plus a jitter fixed per profile and
//! day (so machines do not all ask at 03:00:00), with the due time stored
//! in the vault. A due time already past at unlock is a missed run (the
//! laptop slept): it runs at once as a `launch_catchup`. A tokio loop of
//! the job runner, not cron; only while the Discovery network **and**
//! Autonomous Mode are on; it ends when the vault locks.

use chrono::{DateTime, Local, TimeZone, Utc};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use std::hash::{Hash, Hasher};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use super::Trigger;
use crate::error::Result;
use crate::jobs::{JobKind, JobProgress, Jobs, pause};
use crate::validation::blocking;
use crate::vault::{Vault, Write};

/// Longest sleep between looks at the settings and the clock.
const RECHECK: Duration = Duration::from_secs(30);
/// The jitter after the hour, at most.
const JITTER_MINUTES: u64 = 45;

/// The first run time strictly after `after`: `hour`:00 local time on the
/// next day it has not passed, plus the profile's jitter for that day.
pub fn next_due(profile_id: &str, hour: u8, after: DateTime<Utc>) -> DateTime<Utc> {
    let local = after.with_timezone(&Local);
    for day in 0..3 {
        let date = local.date_naive() + chrono::Days::new(day);
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (profile_id, date).hash(&mut h);
        let jitter = chrono::Duration::seconds((h.finish() % (JITTER_MINUTES * 60)) as i64);
        let Some(naive) = date.and_hms_opt(u32::from(hour.min(23)), 0, 0) else { continue };
        // A time skipped by a DST change falls back to the next day.
        let Some(at) = Local.from_local_datetime(&naive).earliest() else { continue };
        let at = at.with_timezone(&Utc) + jitter;
        if at > after {
            return at;
        }
    }
    after + chrono::Duration::hours(24)
}

/// When the next run is due, and when one last ran.
pub(crate) type Times = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// When the next run is due and when one last ran.
pub(crate) fn state(conn: &Connection) -> Result<Times> {
    let (next, last): (Option<String>, Option<String>) = conn.query_row(
        "SELECT discovery_next_due_at, discovery_last_run_at FROM profile_settings",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok((next.as_deref().and_then(crate::time::parse), last.as_deref().and_then(crate::time::parse)))
}

/// When the next daily run is due and when one last ran (RFC 3339).
pub fn times(vault: &Vault) -> Result<(Option<String>, Option<String>)> {
    vault.read(|conn| {
        let (next, last) = state(conn)?;
        Ok((next.map(crate::time::format), last.map(crate::time::format)))
    })
}

/// A whole run ended at `now`: store it and the next due time.
pub(crate) fn ran(w: &Write<'_>, now: DateTime<Utc>) -> Result<()> {
    let hour: u8 = w.query_row("SELECT discovery_schedule_hour FROM profile_settings", [], |r| r.get(0))?;
    let next = next_due(w.profile_id(), hour, now);
    w.execute(
        "UPDATE profile_settings SET discovery_last_run_at = ?1, discovery_next_due_at = ?2",
        params![crate::time::format(now), crate::time::format(next)],
    )?;
    Ok(())
}

/// The stored due time, unless it is further ahead than a daily schedule
/// can put it: then the clock was set back, and waiting for it would skip
/// a day or more (`None`: schedule again from now).
fn trusted_due(stored: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    stored.filter(|due| *due - now <= chrono::Duration::hours(25))
}

/// Set the next due time without a run (first unlock, or a run that could
/// not happen): never a hot loop.
fn postpone(vault: &Vault, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let next = next_due(&vault.profile_id(), vault.settings().discovery_schedule_hour, now);
    vault.write(|w| {
        w.execute("UPDATE profile_settings SET discovery_next_due_at = ?1", [crate::time::format(next)])?;
        Ok(())
    })?;
    Ok(next)
}

/// What the loop is doing, for the Alerts screen.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DiscoveryStatus {
    /// The Discovery network or Autonomous Mode is off: only "Check now".
    Off {
        /// Which switch.
        reason: String,
    },
    /// Waiting for the next daily run.
    Idle {
        /// When it is due (RFC 3339).
        next_at: Option<String>,
    },
    /// Running.
    Running {
        /// Providers done.
        done: u32,
        /// Providers in this run.
        total: u32,
    },
    /// A run just ended (then `Idle`): the findings changed.
    Ran {
        /// New findings.
        new_findings: u32,
        /// Of them, critical (a desktop notification).
        new_critical: u32,
    },
}

/// The loop for one unlock: returns when the vault locks or `cancel`
/// fires, and at once on a read-only data folder. Runs are jobs of kind
/// `discovery`.
pub async fn run(
    vault: Vault,
    jobs: Jobs,
    cancel: CancellationToken,
    report: impl Fn(DiscoveryStatus) + Send + Sync,
) {
    if vault.read_only() {
        // A read-only data folder: no pass could store what it collected.
        return;
    }
    let stop = vault.job_token().child_token();
    let relay = {
        let (c, s) = (cancel.clone(), stop.clone());
        tokio::spawn(async move {
            c.cancelled().await;
            s.cancel();
        })
    };
    {
        let v = vault.clone();
        if let Err(e) = blocking(move || super::retention::run(&v)).await {
            tracing::debug!("discovery retention at unlock failed: {}", e.code());
        }
    }
    let mut last: Option<DiscoveryStatus> = None;
    let mut say = |s: DiscoveryStatus| {
        if last.as_ref() != Some(&s) {
            report(s.clone());
            last = Some(s);
        }
    };
    let mut first = true;
    while !stop.is_cancelled() {
        let settings = vault.settings();
        if !settings.discovery_network_enabled || !settings.autonomous_mode_enabled {
            let reason = if settings.discovery_network_enabled {
                "Autonomous Mode is off"
            } else {
                "the Discovery network is off"
            };
            say(DiscoveryStatus::Off { reason: reason.into() });
            first = false;
            if !pause(&stop, RECHECK).await {
                break;
            }
            continue;
        }
        let now = Utc::now();
        let v = vault.clone();
        let due = match blocking(move || v.read(state)).await.map(|(due, _)| trusted_due(due, now)) {
            Ok(Some(due)) => due,
            Ok(None) => {
                let v = vault.clone();
                match blocking(move || postpone(&v, now)).await {
                    Ok(d) => d,
                    Err(_) => now + chrono::Duration::hours(24),
                }
            }
            Err(e) => {
                tracing::debug!("the discovery schedule could not be read: {}", e.code());
                if !pause(&stop, RECHECK).await {
                    break;
                }
                continue;
            }
        };
        if due > now {
            say(DiscoveryStatus::Idle { next_at: Some(crate::time::format(due)) });
            first = false;
            let wait = (due - now).to_std().unwrap_or(RECHECK).min(RECHECK).max(Duration::from_millis(200));
            if !pause(&stop, wait).await {
                break;
            }
            continue;
        }
        let trigger = if first { Trigger::LaunchCatchup } else { Trigger::Scheduled };
        first = false;
        let job = jobs.start(&vault, JobKind::Discovery, "Discovery");
        say(DiscoveryStatus::Running { done: 0, total: 0 });
        let progress = |done: u32, total: u32| {
            job.progress(JobProgress {
                done,
                total: Some(total),
                message: format!("{done}/{total} providers"),
            });
        };
        let outcome = super::run(&vault, trigger, None, job.token(), &progress).await;
        if let Ok(r) = &outcome {
            say(DiscoveryStatus::Ran { new_findings: r.new_findings, new_critical: r.new_critical });
        }
        if let Err(e) = &outcome {
            tracing::debug!("a scheduled discovery run failed: {}", e.code());
            if vault.is_open() && !job.is_cancelled() {
                let v = vault.clone();
                let _ = blocking(move || postpone(&v, Utc::now())).await;
            }
        }
        drop(job.finish(outcome.map(|_| ())));
    }
    relay.abort();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_due_time_from_a_clock_set_back_is_scheduled_again() {
        let now = Utc::now();
        // What the schedule stores is always trusted, whatever the hour now.
        let scheduled = next_due("p", 3, now);
        assert_eq!(trusted_due(Some(scheduled), now), Some(scheduled));
        assert_eq!(
            trusted_due(Some(now - chrono::Duration::hours(1)), now),
            Some(now - chrono::Duration::hours(1))
        );
        // A run due in 20 h, then the clock goes back a day: 44 h ahead.
        let next = now + chrono::Duration::hours(20);
        assert_eq!(trusted_due(Some(next), now), Some(next));
        assert_eq!(trusted_due(Some(next), now - chrono::Duration::days(1)), None);
        assert_eq!(trusted_due(None, now), None);
    }

    #[test]
    fn due_at_the_hour_with_a_jitter_and_always_ahead() {
        let now = Utc::now();
        let mut seen = std::collections::BTreeSet::new();
        for p in 0..20 {
            let id = format!("p{p}");
            let at = next_due(&id, 3, now);
            assert!(at > now);
            assert!(at - now <= chrono::Duration::hours(25), "{at} {now}");
            let local = at.with_timezone(&Local);
            assert!(
                local.format("%H").to_string() == "03" || local.format("%H").to_string() == "04",
                "{local}"
            );
            seen.insert(at);
            // The next one after it is about a day later.
            let then = next_due(&id, 3, at);
            assert!(then - at > chrono::Duration::hours(22), "{at} {then}");
        }
        assert!(seen.len() > 10, "jitter spreads profiles");
    }
}
