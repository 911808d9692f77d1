//! The per-profile audit log: security-relevant events, never values, never
//! paths. Metadata is redacted before it is stored; retention by count and
//! age runs at every unlock.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Result;
use crate::redact::redact_json;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// The vault was unlocked.
    Unlock,
    /// Failed unlock attempts since the last success (written at the next success).
    UnlockFailed,
    /// The vault was locked.
    Lock,
    /// The profile was created.
    ProfileCreate,
    /// The profile was renamed.
    ProfileRename,
    /// The profile was deleted (kept in index.db, the vault is gone).
    ProfileDelete,
    /// The passphrase was changed.
    PassphraseChange,
    /// The KDF parameters were changed.
    KdfUpgrade,
    /// The profile vault key was rotated.
    KeyRotation,
    /// A secret was added.
    SecretAdd,
    /// Secrets were imported from pasted text or a file (counts only).
    SecretImport,
    /// A secret was edited.
    SecretEdit,
    /// A secret was deleted.
    SecretDelete,
    /// A secret value was revealed.
    SecretReveal,
    /// A secret value was copied to the clipboard.
    SecretCopy,
    /// Profile settings changed.
    SettingsUpdate,
    /// Secrets were exported to a `.kcbundle` (count and bundle id only).
    BundleExport,
    /// Secrets were imported from a `.kcbundle` (counts and bundle id only).
    BundleImport,
    /// A TOTP enrollment was started (nothing about the secret).
    TotpEnroll,
    /// A TOTP enrollment was confirmed with a first code: TOTP is on.
    TotpConfirm,
    /// TOTP was disabled.
    TotpDisable,
    /// A TOTP code or recovery code was refused.
    TotpVerifyFailed,
    /// A recovery code was used (it no longer works).
    TotpRecoveryCodeUsed,
    /// When TOTP is required changed.
    TotpPolicyUpdate,
    /// A `.env` file was written from the vault (counts only).
    DotenvWrite,
    /// A `.env` file was restored from one of its backups.
    DotenvRestore,
    /// Secrets were put in a command's environment (key names only).
    SecretInject,
    /// A project folder was registered (its id only, never the path).
    ProjectAdd,
    /// A project was forgotten (its files are untouched).
    ProjectRemove,
    /// A project was scanned (counts only).
    ProjectScan,
    /// A requirement or recommendation was accepted or rejected.
    ProjectDecision,
    /// A key was checked with its provider (provider and status only).
    KeyValidate,
    /// Dashboard data was collected (counts only).
    DashboardRefresh,
    /// An automation script was saved (a new script or a new version).
    AutomationSave,
    /// An automation script version was approved or rejected.
    AutomationReview,
    /// An automation run ended (status and counts only).
    AutomationRun,
    /// A discovery run ended (counts only).
    DiscoveryRun,
    /// A discovery finding was marked (the status; the note stays out).
    DiscoveryMark,
    /// The profile's bundle identity (X25519) was created.
    IdentityCreate,
    /// Unlock with the OS keychain was turned on.
    KeychainEnable,
    /// Unlock with the OS keychain was turned off.
    KeychainDisable,
}

impl EventType {
    /// Every event type.
    pub const ALL: &'static [EventType] = &[
        EventType::Unlock,
        EventType::UnlockFailed,
        EventType::Lock,
        EventType::ProfileCreate,
        EventType::ProfileRename,
        EventType::ProfileDelete,
        EventType::PassphraseChange,
        EventType::KdfUpgrade,
        EventType::KeyRotation,
        EventType::SecretAdd,
        EventType::SecretImport,
        EventType::SecretEdit,
        EventType::SecretDelete,
        EventType::SecretReveal,
        EventType::SecretCopy,
        EventType::SettingsUpdate,
        EventType::BundleExport,
        EventType::BundleImport,
        EventType::TotpEnroll,
        EventType::TotpConfirm,
        EventType::TotpDisable,
        EventType::TotpVerifyFailed,
        EventType::TotpRecoveryCodeUsed,
        EventType::TotpPolicyUpdate,
        EventType::DotenvWrite,
        EventType::DotenvRestore,
        EventType::SecretInject,
        EventType::ProjectAdd,
        EventType::ProjectRemove,
        EventType::ProjectScan,
        EventType::ProjectDecision,
        EventType::KeyValidate,
        EventType::DashboardRefresh,
        EventType::AutomationSave,
        EventType::AutomationReview,
        EventType::AutomationRun,
        EventType::DiscoveryRun,
        EventType::DiscoveryMark,
        EventType::IdentityCreate,
        EventType::KeychainEnable,
        EventType::KeychainDisable,
    ];

    /// The stored name, e.g. `secret.reveal`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Unlock => "vault.unlock",
            EventType::UnlockFailed => "vault.unlock_failed",
            EventType::Lock => "vault.lock",
            EventType::ProfileCreate => "profile.create",
            EventType::ProfileRename => "profile.rename",
            EventType::ProfileDelete => "profile.delete",
            EventType::PassphraseChange => "profile.passphrase_change",
            EventType::KdfUpgrade => "profile.kdf_upgrade",
            EventType::KeyRotation => "profile.key_rotation",
            EventType::SecretAdd => "secret.add",
            EventType::SecretImport => "secret.import",
            EventType::SecretEdit => "secret.edit",
            EventType::SecretDelete => "secret.delete",
            EventType::SecretReveal => "secret.reveal",
            EventType::SecretCopy => "secret.copy",
            EventType::SettingsUpdate => "settings.update",
            EventType::BundleExport => "bundle.export",
            EventType::BundleImport => "bundle.import",
            EventType::TotpEnroll => "totp.enroll",
            EventType::TotpConfirm => "totp.confirm",
            EventType::TotpDisable => "totp.disable",
            EventType::TotpVerifyFailed => "totp.verify_failed",
            EventType::TotpRecoveryCodeUsed => "totp.recovery_code_used",
            EventType::TotpPolicyUpdate => "totp.policy_update",
            EventType::DotenvWrite => "dotenv.write",
            EventType::DotenvRestore => "dotenv.restore",
            EventType::SecretInject => "secret.inject",
            EventType::ProjectAdd => "project.add",
            EventType::ProjectRemove => "project.remove",
            EventType::ProjectScan => "project.scan",
            EventType::ProjectDecision => "project.decision",
            EventType::KeyValidate => "key.validate",
            EventType::DashboardRefresh => "dashboard.refresh",
            EventType::AutomationSave => "automation.save",
            EventType::AutomationReview => "automation.review",
            EventType::AutomationRun => "automation.run",
            EventType::DiscoveryRun => "discovery.run",
            EventType::DiscoveryMark => "discovery.mark",
            EventType::IdentityCreate => "identity.create",
            EventType::KeychainEnable => "profile.keychain_enable",
            EventType::KeychainDisable => "profile.keychain_disable",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.iter().copied().find(|e| e.as_str() == s)
    }
}

/// One stored audit event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Row id.
    pub id: String,
    /// `secret.reveal`, …
    pub event_type: String,
    /// UTC ISO 8601.
    pub created_at: String,
    /// Redacted metadata.
    pub metadata: Value,
}

/// Redact metadata and serialise it for storage.
pub fn prepare_metadata(mut metadata: Value) -> String {
    redact_json(&mut metadata);
    metadata.to_string()
}

/// Append an event. `id` and `created_at` are given so events recorded
/// elsewhere (index.db while locked) keep theirs; re-inserting the same id
/// is a no-op, which makes delivery idempotent.
pub(crate) fn insert(
    conn: &Connection,
    profile_id: &str,
    id: &str,
    event_type: &str,
    created_at: &str,
    metadata_json_redacted: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO audit_events (id, profile_id, event_type, created_at, metadata_json_redacted)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![id, profile_id, event_type, created_at, metadata_json_redacted])?;
    Ok(())
}

/// Record an event now.
pub(crate) fn record(conn: &Connection, profile_id: &str, event: EventType, metadata: Value) -> Result<()> {
    let id = uuid::Uuid::new_v4().to_string();
    insert(conn, profile_id, &id, event.as_str(), &crate::time::now(), &prepare_metadata(metadata))
}

/// Newest first, optionally only one event type.
pub(crate) fn list(conn: &Connection, limit: usize, event_type: Option<&str>) -> Result<Vec<AuditEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, event_type, created_at, metadata_json_redacted FROM audit_events
         WHERE (?1 IS NULL OR event_type = ?1)
         ORDER BY created_at DESC, rowid DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![event_type, limit as i64], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, event_type, created_at, meta) = row?;
        let metadata = serde_json::from_str(&meta).unwrap_or(Value::Null);
        out.push(AuditEvent { id, event_type, created_at, metadata });
    }
    Ok(out)
}

/// Delete events beyond `max_count` (oldest first) and older than
/// `max_days`. Returns how many were deleted.
pub(crate) fn apply_retention(
    conn: &Connection,
    profile_id: &str,
    max_count: u32,
    max_days: u32,
) -> Result<usize> {
    let cutoff = crate::time::format(chrono::Utc::now() - chrono::Duration::days(i64::from(max_days)));
    let mut deleted = conn
        .prepare_cached("DELETE FROM audit_events WHERE profile_id = ?1 AND created_at < ?2")?
        .execute(params![profile_id, cutoff])?;
    let count: i64 = conn
        .prepare_cached("SELECT count(*) FROM audit_events WHERE profile_id = ?1")?
        .query_row([profile_id], |r| r.get(0))?;
    if count > i64::from(max_count) {
        deleted += conn
            .prepare_cached(
                "DELETE FROM audit_events WHERE profile_id = ?1 AND rowid IN (
                   SELECT rowid FROM audit_events WHERE profile_id = ?1
                   ORDER BY created_at ASC, rowid ASC LIMIT ?2)",
            )?
            .execute(params![profile_id, count - i64::from(max_count)])?;
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in EventType::ALL {
            assert_eq!(EventType::parse(e.as_str()), Some(*e));
        }
        assert_eq!(EventType::SecretReveal.as_str(), "secret.reveal");
    }

    #[test]
    fn metadata_is_redacted() {
        let s = prepare_metadata(
            serde_json::json!({"key_name": "GITHUB_TOKEN", "value": "ghp_abcdefghijklmnopqrstuvwxyz0123456789"}),
        );
        assert!(s.contains("GITHUB_TOKEN"), "{s}");
        assert!(!s.contains("abcdefghijklmnop"), "{s}");
    }
}
