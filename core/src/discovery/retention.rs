//! Retention: findings are kept `discovery_retention_days` (90 by default)
//! after they last changed, the search log 30 days (it only needs the last
//! day for the budget; a month explains what ran). Applied at unlock and
//! after every run.

use rusqlite::params;

use crate::error::Result;
use crate::vault::{Vault, Write};

/// Days the search log is kept.
pub const LOG_DAYS: i64 = 30;

/// What retention removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Findings removed.
    pub findings: usize,
    /// Log rows removed.
    pub log_rows: usize,
}

/// Remove what is older than the limits at `now`.
pub(crate) fn apply(
    w: &Write<'_>,
    retention_days: u32,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Pruned> {
    let findings_before = crate::time::format(now - chrono::Duration::days(i64::from(retention_days)));
    let log_before = crate::time::format(now - chrono::Duration::days(LOG_DAYS));
    let findings = w.execute(
        "DELETE FROM discovery_findings WHERE coalesce(updated_at, discovered_at) < ?1",
        params![findings_before],
    )?;
    let log_rows =
        w.execute("DELETE FROM discovery_search_log WHERE searched_at < ?1", params![log_before])?;
    Ok(Pruned { findings, log_rows })
}

/// Apply retention now.
pub fn run(vault: &Vault) -> Result<Pruned> {
    let days = vault.settings().discovery_retention_days;
    vault.write(|w| apply(w, days, chrono::Utc::now()))
}
