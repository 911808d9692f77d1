//! Per-profile settings (`profile_settings`, one row in the vault).

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The user-tunable settings of a profile.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Lock after this many seconds without activity.
    pub auto_lock_timeout_seconds: u32,
    /// Clear a copied secret from the clipboard after this many seconds.
    pub clipboard_auto_clear_seconds: u32,
    /// Keep at most this many audit events.
    pub audit_retention_max_count: u32,
    /// Keep audit events at most this many days.
    pub audit_retention_max_days: u32,
    /// Online Mode (provider API calls) — off by default.
    pub online_mode_enabled: bool,
    /// Local LLM assist — off by default.
    pub local_llm_assist_enabled: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            auto_lock_timeout_seconds: 300,
            clipboard_auto_clear_seconds: 30,
            audit_retention_max_count: 10_000,
            audit_retention_max_days: 365,
            online_mode_enabled: false,
            local_llm_assist_enabled: false,
        }
    }
}

impl Settings {
    /// Reject values no careful user would want (a 0 s auto-lock, an
    /// audit log of 3 events).
    pub fn validate(&self) -> Result<()> {
        let check = |ok: bool, what: &str, range: &str| {
            if ok { Ok(()) } else { Err(Error::invalid(format!("{what} must be {range}"))) }
        };
        check(
            (5..=86_400).contains(&self.auto_lock_timeout_seconds),
            "auto-lock timeout",
            "between 5 and 86400 seconds",
        )?;
        check(
            (5..=3_600).contains(&self.clipboard_auto_clear_seconds),
            "clipboard clear delay",
            "between 5 and 3600 seconds",
        )?;
        check(
            (100..=10_000_000).contains(&self.audit_retention_max_count),
            "audit retention count",
            "between 100 and 10000000",
        )?;
        check(
            (1..=36_500).contains(&self.audit_retention_max_days),
            "audit retention age",
            "between 1 and 36500 days",
        )?;
        Ok(())
    }
}

/// Insert the default row for a new profile.
pub(crate) fn insert_default(conn: &Connection, profile_id: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO profile_settings (profile_id, updated_at) VALUES (?1, ?2)",
        params![profile_id, crate::time::now()],
    )?;
    Ok(())
}

/// Load the settings row.
pub(crate) fn load(conn: &Connection, profile_id: &str) -> Result<Settings> {
    conn.prepare_cached(
        "SELECT auto_lock_timeout_seconds, clipboard_auto_clear_seconds, audit_retention_max_count,
                audit_retention_max_days, online_mode_enabled, local_llm_assist_enabled
         FROM profile_settings WHERE profile_id = ?1",
    )?
    .query_row([profile_id], |r| {
        Ok(Settings {
            auto_lock_timeout_seconds: r.get(0)?,
            clipboard_auto_clear_seconds: r.get(1)?,
            audit_retention_max_count: r.get(2)?,
            audit_retention_max_days: r.get(3)?,
            online_mode_enabled: r.get(4)?,
            local_llm_assist_enabled: r.get(5)?,
        })
    })
    .map_err(|e| match e {
        rusqlite::Error::QueryReturnedNoRows => Error::corruption("the profile's settings row is missing"),
        other => other.into(),
    })
}

/// Store validated settings.
pub(crate) fn save(conn: &Connection, profile_id: &str, s: &Settings) -> Result<()> {
    s.validate()?;
    conn.execute(
        "UPDATE profile_settings SET auto_lock_timeout_seconds = ?2, clipboard_auto_clear_seconds = ?3,
           audit_retention_max_count = ?4, audit_retention_max_days = ?5, online_mode_enabled = ?6,
           local_llm_assist_enabled = ?7, updated_at = ?8 WHERE profile_id = ?1",
        params![
            profile_id,
            s.auto_lock_timeout_seconds,
            s.clipboard_auto_clear_seconds,
            s.audit_retention_max_count,
            s.audit_retention_max_days,
            s.online_mode_enabled,
            s.local_llm_assist_enabled,
            crate::time::now()
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_data_model_and_validate() {
        let s = Settings::default();
        assert_eq!((s.auto_lock_timeout_seconds, s.clipboard_auto_clear_seconds), (300, 30));
        assert_eq!((s.audit_retention_max_count, s.audit_retention_max_days), (10_000, 365));
        assert!(!s.online_mode_enabled && !s.local_llm_assist_enabled);
        s.validate().expect("defaults are valid");
        let bad = Settings { auto_lock_timeout_seconds: 0, ..Settings::default() };
        assert!(bad.validate().is_err());
    }
}
