//! `index.db`: the profile list and each profile's KDF metadata and wrapped
//! key, readable before unlock. Never holds a secret.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::path::Path;

use crate::audit;
use crate::crypto::KdfParams;
use crate::error::{Error, ErrorCode, Result};
use crate::time;

/// A profile as listed before unlock.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileRecord {
    /// Profile id (UUID; also its folder name).
    pub id: String,
    /// Unique, case-insensitive display name.
    pub display_name: String,
    /// UTC ISO 8601.
    pub created_at: String,
    /// UTC ISO 8601.
    pub updated_at: String,
    /// Whether TOTP is enabled for the profile.
    pub totp_enabled: bool,
    /// Whether the person turned on unlock with the OS keychain.
    pub keychain_unlock: bool,
}

/// Key material metadata of a profile (no secret: the PVK is wrapped).
#[derive(Debug, Clone)]
pub struct VaultMeta {
    /// Argon2id parameters.
    pub kdf_params: KdfParams,
    /// KDF salt.
    pub kdf_salt: Vec<u8>,
    /// PVK wrapped under the KEK.
    pub wrapped_pvk: Vec<u8>,
    /// Rotation version the wrap is bound to.
    pub rotation_version: u64,
    /// The next wrapped PVK and version while a rotation is in flight.
    pub pending: Option<(Vec<u8>, u64)>,
    /// Consecutive failed unlock attempts.
    pub failed_unlock_count: u32,
    /// When the last one happened.
    pub last_failed_unlock_at: Option<String>,
    /// The PVK wrapped under the OS keychain's key (keychain unlock on).
    pub keychain_wrapped_pvk: Option<Vec<u8>>,
}

/// An audit event recorded in index.db for a profile while it was locked.
#[derive(Debug, Clone)]
pub struct PendingEvent {
    /// Event id (kept when delivered to the vault).
    pub id: String,
    /// Event type name.
    pub event_type: String,
    /// When it happened.
    pub created_at: String,
    /// Redacted metadata JSON.
    pub metadata_json_redacted: String,
}

/// Open connection to `index.db`.
pub struct Index {
    conn: Connection,
}

const PROFILE_COLUMNS: &str = "id, display_name, created_at, updated_at, totp_enabled, vault_storage_mode";

/// `vault_storage_mode` of a profile with keychain unlock on.
const KEYCHAIN_MODE: &str = "os_keychain_optional";

fn profile_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ProfileRecord> {
    Ok(ProfileRecord {
        id: r.get(0)?,
        display_name: r.get(1)?,
        created_at: r.get(2)?,
        updated_at: r.get(3)?,
        totp_enabled: r.get(4)?,
        keychain_unlock: r.get::<_, String>(5)? == KEYCHAIN_MODE,
    })
}

/// SQLite's "not a database" / "malformed" (mapped to corruption): the
/// file itself is damaged.
fn is_damaged(e: &Error) -> bool {
    e.code() == ErrorCode::VaultCorruption
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
        || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

fn name_taken(name: &str) -> Error {
    Error::new(ErrorCode::ProfileAlreadyExists, format!("a profile named '{name}' already exists"))
}

impl Index {
    /// Open (creating and migrating if needed) the index database.
    pub fn open(path: &Path) -> Result<Self> {
        let open = || -> Result<Self> {
            let (mut conn, access) = crate::sqlite_file::open(path, true)?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            if access == crate::sqlite_file::Access::ReadWrite {
                conn.pragma_update(None, "journal_mode", "WAL")?;
            }
            conn.pragma_update(None, "foreign_keys", "ON")?;
            crate::migrations::index().to_latest(&mut conn)?;
            Ok(Index { conn })
        };
        open().map_err(|e| {
            if is_damaged(&e) {
                return Error::new(ErrorCode::IndexDamaged, "the list of profiles (index.db) is damaged");
            }
            crate::paths::explain_storage_failure(e, path)
        })
    }

    /// Run `f` on the index connection (read-only checks).
    pub(crate) fn with_connection<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        f(&self.conn)
    }

    /// All profiles, by name.
    pub fn profiles(&self) -> Result<Vec<ProfileRecord>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {PROFILE_COLUMNS} FROM app_profiles ORDER BY display_name COLLATE NOCASE"
        ))?;
        let rows = stmt.query_map([], profile_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The profile with this name (case-insensitive).
    pub fn find_by_name(&self, name: &str) -> Result<ProfileRecord> {
        self.conn
            .prepare_cached(&format!("SELECT {PROFILE_COLUMNS} FROM app_profiles WHERE display_name = ?1"))?
            .query_row([name], profile_from_row)
            .optional()?
            .ok_or_else(|| Error::new(ErrorCode::ProfileNotFound, format!("no profile named '{name}'")))
    }

    /// Whether a name is taken (case-insensitive).
    pub fn name_exists(&self, name: &str) -> Result<bool> {
        Ok(self.conn.prepare_cached("SELECT 1 FROM app_profiles WHERE display_name = ?1")?.exists([name])?)
    }

    /// One profile by id.
    pub fn find_by_id(&self, id: &str) -> Result<ProfileRecord> {
        self.conn
            .prepare_cached(&format!("SELECT {PROFILE_COLUMNS} FROM app_profiles WHERE id = ?1"))?
            .query_row([id], profile_from_row)
            .optional()?
            .ok_or_else(|| Error::new(ErrorCode::ProfileNotFound, "no such profile"))
    }

    /// Add a profile's row and key metadata: a new profile, or one put
    /// back when index.db is rebuilt from the profiles' copies (with a
    /// rotation's pending key, if one was in flight).
    pub fn insert_profile(&mut self, rec: &ProfileRecord, meta: &VaultMeta) -> Result<()> {
        let (pending_w, pending_v) = match &meta.pending {
            Some((w, v)) => (Some(w.as_slice()), Some(*v as i64)),
            None => (None, None),
        };
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO app_profiles (id, display_name, created_at, updated_at) VALUES (?1, ?2, ?3, ?4)",
            params![rec.id, rec.display_name, rec.created_at, rec.updated_at],
        )
        .map_err(|e| if is_unique_violation(&e) { name_taken(&rec.display_name) } else { e.into() })?;
        tx.execute(
            "INSERT INTO profile_vault_meta (profile_id, kdf_params_json, kdf_salt, wrapped_pvk, rotation_version,
                 pending_wrapped_pvk, pending_rotation_version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                rec.id,
                crate::error::to_json(&meta.kdf_params)?,
                meta.kdf_salt,
                meta.wrapped_pvk,
                meta.rotation_version as i64,
                pending_w,
                pending_v
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Rename a profile.
    pub fn rename(&self, id: &str, new_name: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE app_profiles SET display_name = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, new_name, time::now()],
            )
            .map_err(|e| if is_unique_violation(&e) { name_taken(new_name) } else { e.into() })?;
        Ok(())
    }

    /// Remove a profile's rows (its metadata cascades). Undelivered events of
    /// the profile are dropped with it.
    pub fn delete(&self, id: &str) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute("DELETE FROM app_audit_events WHERE profile_id = ?1 AND delivered_at IS NULL", [id])?;
        tx.execute("DELETE FROM app_profiles WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(())
    }

    /// Key metadata of a profile. Anything unreadable is corruption.
    pub fn vault_meta(&self, id: &str) -> Result<VaultMeta> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT kdf_params_json, kdf_salt, wrapped_pvk, rotation_version, pending_wrapped_pvk,
                        pending_rotation_version, failed_unlock_count, last_failed_unlock_at,
                        keychain_wrapped_pvk
                 FROM profile_vault_meta WHERE profile_id = ?1",
            )?
            .query_row([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<Vec<u8>>>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<Vec<u8>>>(8)?,
                ))
            })
            .optional()?
            .ok_or_else(|| Error::corruption("the profile has no key metadata in index.db"))?;
        let (params_json, salt, wrapped, version, pending_w, pending_v, failed, last_failed, keychain) = row;
        let kdf_params: KdfParams = serde_json::from_str(&params_json)
            .map_err(|_| Error::corruption("the profile's KDF parameters in index.db are unreadable"))?;
        kdf_params
            .validate()
            .map_err(|_| Error::corruption("the profile's KDF parameters in index.db are out of range"))?;
        let version = u64::try_from(version).map_err(|_| Error::corruption("negative rotation version"))?;
        let pending = match (pending_w, pending_v) {
            (Some(w), Some(v)) => {
                Some((w, u64::try_from(v).map_err(|_| Error::corruption("negative rotation version"))?))
            }
            _ => None,
        };
        Ok(VaultMeta {
            kdf_params,
            kdf_salt: salt,
            wrapped_pvk: wrapped,
            rotation_version: version,
            pending,
            failed_unlock_count: u32::try_from(failed).unwrap_or(u32::MAX),
            last_failed_unlock_at: last_failed,
            keychain_wrapped_pvk: keychain,
        })
    }

    /// Count one more failed unlock attempt.
    pub fn record_failed_unlock(&self, id: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE profile_vault_meta SET failed_unlock_count = failed_unlock_count + 1,
               last_failed_unlock_at = ?2 WHERE profile_id = ?1",
            params![id, time::now()],
        )?;
        Ok(())
    }

    /// Reset the failure counter after a successful unlock.
    pub fn reset_failed_unlocks(&self, id: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE profile_vault_meta SET failed_unlock_count = 0, last_failed_unlock_at = NULL
             WHERE profile_id = ?1 AND failed_unlock_count > 0",
            [id],
        )?;
        Ok(())
    }

    /// Store a new wrap of the same PVK (passphrase change, KDF upgrade).
    pub fn set_wrap(&self, id: &str, params: KdfParams, salt: &[u8], wrapped: &[u8]) -> Result<()> {
        self.conn.execute(
            "UPDATE profile_vault_meta SET kdf_params_json = ?2, kdf_salt = ?3, wrapped_pvk = ?4
             WHERE profile_id = ?1",
            params![id, crate::error::to_json(&params)?, salt, wrapped],
        )?;
        self.touch(id)
    }

    /// Rotation step: remember the next wrapped PVK (and its keychain
    /// wrap, when keychain unlock is on and reachable) before the vault
    /// switches.
    pub fn set_pending_rotation(
        &self,
        id: &str,
        wrapped: &[u8],
        version: u64,
        keychain_wrapped: Option<&[u8]>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE profile_vault_meta SET pending_wrapped_pvk = ?2, pending_rotation_version = ?3,
               pending_keychain_wrapped_pvk = ?4
             WHERE profile_id = ?1",
            params![id, wrapped, version as i64, keychain_wrapped],
        )?;
        Ok(())
    }

    /// Turn keychain unlock on (with the PVK's keychain wrap) or off.
    pub fn set_keychain_wrap(&self, id: &str, wrapped: Option<&[u8]>) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "UPDATE profile_vault_meta SET keychain_wrapped_pvk = ?2 WHERE profile_id = ?1",
            params![id, wrapped],
        )?;
        tx.execute(
            "UPDATE app_profiles SET vault_storage_mode = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, if wrapped.is_some() { KEYCHAIN_MODE } else { "passphrase_only" }, time::now()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Rotation step: the vault has switched; make the pending key current.
    pub fn commit_rotation(&self, id: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE profile_vault_meta SET wrapped_pvk = pending_wrapped_pvk,
               rotation_version = pending_rotation_version,
               keychain_wrapped_pvk = pending_keychain_wrapped_pvk,
               pending_wrapped_pvk = NULL, pending_rotation_version = NULL,
               pending_keychain_wrapped_pvk = NULL
             WHERE profile_id = ?1 AND pending_wrapped_pvk IS NOT NULL",
            [id],
        )?;
        self.touch(id)
    }

    /// Rotation recovery: the vault never switched; forget the pending key.
    pub fn clear_pending_rotation(&self, id: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE profile_vault_meta SET pending_wrapped_pvk = NULL, pending_rotation_version = NULL,
               pending_keychain_wrapped_pvk = NULL
             WHERE profile_id = ?1",
            [id],
        )?;
        Ok(())
    }

    /// Mirror whether TOTP is enabled for a profile (the vault holds the
    /// secret; this flag only lets fronts show it before unlock).
    pub fn set_totp_enabled(&self, id: &str, enabled: bool) -> Result<()> {
        self.conn.execute(
            "UPDATE app_profiles SET totp_enabled = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, enabled, time::now()],
        )?;
        Ok(())
    }

    fn touch(&self, id: &str) -> Result<()> {
        self.conn
            .execute("UPDATE app_profiles SET updated_at = ?2 WHERE id = ?1", params![id, time::now()])?;
        Ok(())
    }

    /// Record an audit event while the profile is locked (or gone). It is
    /// moved into the vault's audit log at the next unlock.
    pub fn push_event(
        &self,
        profile_id: &str,
        event: audit::EventType,
        metadata: serde_json::Value,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO app_audit_events (id, profile_id, event_type, created_at, metadata_json_redacted)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                uuid::Uuid::new_v4().to_string(),
                profile_id,
                event.as_str(),
                time::now(),
                audit::prepare_metadata(metadata)
            ],
        )?;
        Ok(())
    }

    /// Undelivered events of a profile, oldest first.
    pub fn pending_events(&self, profile_id: &str) -> Result<Vec<PendingEvent>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, event_type, created_at, metadata_json_redacted FROM app_audit_events
             WHERE profile_id = ?1 AND delivered_at IS NULL ORDER BY created_at, rowid",
        )?;
        let rows = stmt.query_map([profile_id], |r| {
            Ok(PendingEvent {
                id: r.get(0)?,
                event_type: r.get(1)?,
                created_at: r.get(2)?,
                metadata_json_redacted: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Mark events delivered to the vault.
    pub fn mark_delivered(&self, ids: &[String]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let tx = self.conn.unchecked_transaction()?;
        let now = time::now();
        for id in ids {
            tx.execute("UPDATE app_audit_events SET delivered_at = ?2 WHERE id = ?1", params![id, now])?;
        }
        tx.commit()?;
        Ok(())
    }
}
