//! The search log: one row per provider per run (trigger, fetches made,
//! entries read, findings made, status, a redacted error). It is also the
//! daily budget: at most [`DAILY_FETCHES`] fetches per provider in any
//! 24 hours, counted from the rows, so the limit holds across runs,
//! processes and restarts.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::Trigger;
use crate::error::Result;
use crate::vault::{Vault, Write};

/// Fetches per provider per rolling day.
pub const DAILY_FETCHES: u32 = 10;

/// Fetches made for `provider_id` in the 24 hours before `now`.
pub(crate) fn fetches_today(
    conn: &Connection,
    provider_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<u32> {
    let since = crate::time::format(now - chrono::Duration::hours(24));
    let n: i64 = conn.query_row(
        "SELECT coalesce(sum(queries_executed), 0) FROM discovery_search_log WHERE provider_id = ?1 AND searched_at > ?2",
        params![provider_id, since],
        |r| r.get(0),
    )?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// One provider's part of a run, as logged.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// The provider.
    pub provider_id: String,
    /// When.
    pub searched_at: String,
    /// What started it.
    pub trigger_type: Trigger,
    /// Fetches made.
    pub queries_executed: u32,
    /// Entries read.
    pub results_found: u32,
    /// Findings made or updated.
    pub findings_generated: u32,
    /// `success`, `partial` or `failed`.
    pub status: String,
    /// What went wrong (codes and messages; sources carry no secret).
    pub error_message_redacted: Option<String>,
}

/// Write `e` (in the provider's commit).
pub(crate) fn record(w: &Write<'_>, e: &LogEntry) -> Result<()> {
    w.execute(
        "INSERT INTO discovery_search_log (id, profile_id, provider_id, searched_at, trigger_type, queries_executed,
             results_found, findings_generated, status, error_message_redacted)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            uuid::Uuid::new_v4().to_string(),
            w.profile_id(),
            e.provider_id,
            e.searched_at,
            e.trigger_type.as_str(),
            e.queries_executed,
            e.results_found,
            e.findings_generated,
            e.status,
            e.error_message_redacted.as_deref().map(|m| crate::redact::redact(m).into_owned()),
        ],
    )?;
    Ok(())
}

/// The log, newest first (at most `limit` rows).
pub fn list(vault: &Vault, limit: usize) -> Result<Vec<LogEntry>> {
    vault.read(|conn| {
        let mut stmt = conn.prepare_cached(
            "SELECT provider_id, searched_at, trigger_type, queries_executed, results_found, findings_generated,
                    status, error_message_redacted
             FROM discovery_search_log ORDER BY searched_at DESC, rowid DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok((
                LogEntry {
                    provider_id: r.get(0)?,
                    searched_at: r.get(1)?,
                    trigger_type: Trigger::OnDemand,
                    queries_executed: r.get(3)?,
                    results_found: r.get(4)?,
                    findings_generated: r.get(5)?,
                    status: r.get(6)?,
                    error_message_redacted: r.get(7)?,
                },
                r.get::<_, String>(2)?,
            ))
        })?;
        rows.map(|r| {
            let (mut e, t) = r?;
            e.trigger_type = Trigger::parse(&t)?;
            Ok(e)
        })
        .collect()
    })
}
