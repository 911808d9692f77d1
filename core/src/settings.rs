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
    /// Autonomous Mode: read-only background work (dashboard refresh,
    /// discovery) without a per-action confirmation — off by default.
    pub autonomous_mode_enabled: bool,
    /// Discovery network (feeds, status pages), independent of Online Mode — off by default.
    pub discovery_network_enabled: bool,
    /// Local hour of day (0–23) of the daily discovery run.
    pub discovery_schedule_hour: u8,
    /// Seconds between automatic dashboard refreshes of a key.
    pub dashboard_refresh_interval_seconds: u32,
    /// Local hour (0–23) at which background refresh stops; `None`: no quiet hours.
    pub dashboard_quiet_hours_start: Option<u8>,
    /// Local hour (0–23) at which background refresh resumes.
    pub dashboard_quiet_hours_end: Option<u8>,
    /// Retries of a failed request (and of an automation step) before giving up.
    pub automation_max_retries: u32,
    /// Days discovery findings are kept.
    pub discovery_retention_days: u32,
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
            autonomous_mode_enabled: false,
            discovery_network_enabled: false,
            discovery_schedule_hour: 3,
            dashboard_refresh_interval_seconds: 3600,
            dashboard_quiet_hours_start: None,
            dashboard_quiet_hours_end: None,
            automation_max_retries: 3,
            discovery_retention_days: 90,
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
        check(self.discovery_schedule_hour <= 23, "discovery hour", "between 0 and 23")?;
        check(
            (60..=604_800).contains(&self.dashboard_refresh_interval_seconds),
            "dashboard refresh interval",
            "between 60 seconds and 7 days (604800 seconds)",
        )?;
        match (self.dashboard_quiet_hours_start, self.dashboard_quiet_hours_end) {
            (None, None) => {}
            (Some(a), Some(b)) => {
                check(a <= 23 && b <= 23, "quiet hours", "hours between 0 and 23")?;
                check(a != b, "quiet hours", "a range of different start and end hours, e.g. 22-7")?;
            }
            _ => return Err(Error::invalid("quiet hours need both a start and an end hour")),
        }
        check(self.automation_max_retries <= 10, "retry count", "between 0 and 10")?;
        check(
            (1..=3_650).contains(&self.discovery_retention_days),
            "discovery retention",
            "between 1 and 3650 days",
        )?;
        Ok(())
    }
}

/// A setting as the fronts name it (`online-mode`, `quiet-hours`): one
/// table, so the CLI's `settings get/set` and the app agree on names,
/// value syntax and meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NamedSetting {
    /// The name, kebab-case.
    pub name: &'static str,
    /// What it does, in one line.
    pub description: &'static str,
    /// The value syntax, e.g. `on|off`, `SECONDS`, `START-END|off`.
    pub syntax: &'static str,
}

/// Every named setting, in the order `settings list` shows them.
pub const NAMED: &[NamedSetting] = &[
    NamedSetting {
        name: "online-mode",
        description: "key validation and dashboard collection from provider APIs",
        syntax: "on|off",
    },
    NamedSetting {
        name: "autonomous-mode",
        description: "background refresh and discovery without asking each time",
        syntax: "on|off",
    },
    NamedSetting {
        name: "discovery-network",
        description: "discovery fetches (feeds, status pages), independent of Online Mode",
        syntax: "on|off",
    },
    NamedSetting {
        name: "local-llm-assist",
        description: "prompts to a local model (never secrets)",
        syntax: "on|off",
    },
    NamedSetting {
        name: "dashboard-refresh-interval",
        description: "seconds between automatic refreshes of a key",
        syntax: "SECONDS (60-604800)",
    },
    NamedSetting {
        name: "quiet-hours",
        description: "local hours without background refresh",
        syntax: "START-END (e.g. 22-7) | off",
    },
    NamedSetting {
        name: "discovery-hour",
        description: "local hour of the daily discovery run",
        syntax: "0-23",
    },
    NamedSetting {
        name: "max-retries",
        description: "retries of a failed request or automation step",
        syntax: "0-10",
    },
    NamedSetting {
        name: "discovery-retention-days",
        description: "days discovery findings are kept",
        syntax: "DAYS (1-3650)",
    },
    NamedSetting {
        name: "auto-lock",
        description: "seconds without activity before the vault locks",
        syntax: "SECONDS (5-86400)",
    },
    NamedSetting {
        name: "clipboard-clear",
        description: "seconds before a copied secret is cleared",
        syntax: "SECONDS (5-3600)",
    },
    NamedSetting {
        name: "audit-retention-count",
        description: "audit events kept at most",
        syntax: "COUNT (100-10000000)",
    },
    NamedSetting {
        name: "audit-retention-days",
        description: "days audit events are kept",
        syntax: "DAYS (1-36500)",
    },
];

fn on_off(b: bool) -> String {
    if b { "on" } else { "off" }.to_owned()
}

fn parse_on_off(name: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Ok(true),
        "off" | "false" | "no" | "0" => Ok(false),
        _ => Err(Error::invalid(format!("{name} takes on or off, not {value:?}"))),
    }
}

fn parse_number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T> {
    value.trim().parse().map_err(|_| Error::invalid(format!("{name} takes a whole number, not {value:?}")))
}

fn unknown_setting(name: &str) -> Error {
    Error::invalid(format!("there is no setting {name:?}"))
        .with_suggestion("List the settings with `keyclave settings list`.")
}

impl Settings {
    /// The value of a named setting, as `settings get` prints it.
    pub fn get_named(&self, name: &str) -> Result<String> {
        Ok(match name {
            "online-mode" => on_off(self.online_mode_enabled),
            "autonomous-mode" => on_off(self.autonomous_mode_enabled),
            "discovery-network" => on_off(self.discovery_network_enabled),
            "local-llm-assist" => on_off(self.local_llm_assist_enabled),
            "dashboard-refresh-interval" => self.dashboard_refresh_interval_seconds.to_string(),
            "quiet-hours" => match (self.dashboard_quiet_hours_start, self.dashboard_quiet_hours_end) {
                (Some(a), Some(b)) => format!("{a}-{b}"),
                _ => "off".to_owned(),
            },
            "discovery-hour" => self.discovery_schedule_hour.to_string(),
            "max-retries" => self.automation_max_retries.to_string(),
            "discovery-retention-days" => self.discovery_retention_days.to_string(),
            "auto-lock" => self.auto_lock_timeout_seconds.to_string(),
            "clipboard-clear" => self.clipboard_auto_clear_seconds.to_string(),
            "audit-retention-count" => self.audit_retention_max_count.to_string(),
            "audit-retention-days" => self.audit_retention_max_days.to_string(),
            _ => return Err(unknown_setting(name)),
        })
    }

    /// These settings with one named setting changed (validated).
    pub fn with_named(&self, name: &str, value: &str) -> Result<Settings> {
        let mut s = self.clone();
        match name {
            "online-mode" => s.online_mode_enabled = parse_on_off(name, value)?,
            "autonomous-mode" => s.autonomous_mode_enabled = parse_on_off(name, value)?,
            "discovery-network" => s.discovery_network_enabled = parse_on_off(name, value)?,
            "local-llm-assist" => s.local_llm_assist_enabled = parse_on_off(name, value)?,
            "dashboard-refresh-interval" => s.dashboard_refresh_interval_seconds = parse_number(name, value)?,
            "quiet-hours" => {
                let v = value.trim();
                if v.eq_ignore_ascii_case("off") || v.eq_ignore_ascii_case("none") {
                    s.dashboard_quiet_hours_start = None;
                    s.dashboard_quiet_hours_end = None;
                } else {
                    let (a, b) = v.split_once('-').ok_or_else(|| {
                        Error::invalid(format!(
                            "quiet-hours takes START-END hours (e.g. 22-7) or off, not {value:?}"
                        ))
                    })?;
                    s.dashboard_quiet_hours_start = Some(parse_number(name, a)?);
                    s.dashboard_quiet_hours_end = Some(parse_number(name, b)?);
                }
            }
            "discovery-hour" => s.discovery_schedule_hour = parse_number(name, value)?,
            "max-retries" => s.automation_max_retries = parse_number(name, value)?,
            "discovery-retention-days" => s.discovery_retention_days = parse_number(name, value)?,
            "auto-lock" => s.auto_lock_timeout_seconds = parse_number(name, value)?,
            "clipboard-clear" => s.clipboard_auto_clear_seconds = parse_number(name, value)?,
            "audit-retention-count" => s.audit_retention_max_count = parse_number(name, value)?,
            "audit-retention-days" => s.audit_retention_max_days = parse_number(name, value)?,
            _ => return Err(unknown_setting(name)),
        }
        s.validate()?;
        Ok(s)
    }

    /// Whether `hour` (local, 0–23) is inside the quiet hours; a range may
    /// wrap midnight (22-7 is quiet from 22:00 to 06:59).
    pub fn is_quiet_hour(&self, hour: u8) -> bool {
        match (self.dashboard_quiet_hours_start, self.dashboard_quiet_hours_end) {
            (Some(a), Some(b)) if a < b => (a..b).contains(&hour),
            (Some(a), Some(b)) if a > b => hour >= a || hour < b,
            _ => false,
        }
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
                audit_retention_max_days, online_mode_enabled, local_llm_assist_enabled,
                autonomous_mode_enabled, discovery_network_enabled, discovery_schedule_hour,
                dashboard_refresh_interval_seconds, dashboard_quiet_hours_start, dashboard_quiet_hours_end,
                automation_max_retries, discovery_retention_days
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
            autonomous_mode_enabled: r.get(6)?,
            discovery_network_enabled: r.get(7)?,
            discovery_schedule_hour: r.get(8)?,
            dashboard_refresh_interval_seconds: r.get(9)?,
            dashboard_quiet_hours_start: r.get(10)?,
            dashboard_quiet_hours_end: r.get(11)?,
            automation_max_retries: r.get(12)?,
            discovery_retention_days: r.get(13)?,
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
           local_llm_assist_enabled = ?7, updated_at = ?8, autonomous_mode_enabled = ?9,
           discovery_network_enabled = ?10, discovery_schedule_hour = ?11,
           dashboard_refresh_interval_seconds = ?12, dashboard_quiet_hours_start = ?13,
           dashboard_quiet_hours_end = ?14, automation_max_retries = ?15, discovery_retention_days = ?16
         WHERE profile_id = ?1",
        params![
            profile_id,
            s.auto_lock_timeout_seconds,
            s.clipboard_auto_clear_seconds,
            s.audit_retention_max_count,
            s.audit_retention_max_days,
            s.online_mode_enabled,
            s.local_llm_assist_enabled,
            crate::time::now(),
            s.autonomous_mode_enabled,
            s.discovery_network_enabled,
            s.discovery_schedule_hour,
            s.dashboard_refresh_interval_seconds,
            s.dashboard_quiet_hours_start,
            s.dashboard_quiet_hours_end,
            s.automation_max_retries,
            s.discovery_retention_days,
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

    #[test]
    fn every_named_setting_reads_back_what_was_set() {
        let s = Settings::default();
        for n in NAMED {
            let now = s.get_named(n.name).expect("known name");
            let again = s.with_named(n.name, &now).expect("its own value is valid");
            assert_eq!(again, s, "{}", n.name);
        }
        let on = s.with_named("online-mode", "on").expect("on");
        assert!(on.online_mode_enabled && on.get_named("online-mode").expect("get") == "on");
        let quiet = s.with_named("quiet-hours", "22-7").expect("range");
        assert_eq!((quiet.dashboard_quiet_hours_start, quiet.dashboard_quiet_hours_end), (Some(22), Some(7)));
        assert_eq!(quiet.get_named("quiet-hours").expect("get"), "22-7");
        assert!(quiet.is_quiet_hour(23) && quiet.is_quiet_hour(0) && quiet.is_quiet_hour(6));
        assert!(!quiet.is_quiet_hour(7) && !quiet.is_quiet_hour(21));
        assert!(!s.is_quiet_hour(3), "no quiet hours by default");
        for (name, bad) in [
            ("online-mode", "maybe"),
            ("quiet-hours", "7-7"),
            ("quiet-hours", "25-3"),
            ("dashboard-refresh-interval", "5"),
            ("auto-lock", "x"),
            ("nope", "1"),
        ] {
            let e = s.with_named(name, bad).expect_err(bad);
            assert_eq!(e.code(), crate::ErrorCode::InputInvalid, "{name}={bad}");
        }
    }
}
