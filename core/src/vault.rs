//! One unlocked profile: its SQLCipher database, keys and lock state.
//!
//! Lock state is `Option<Vault>` in the fronts: unlocking builds a [`Vault`],
//! locking drops it, and dropping wipes the keys (they are zeroizing types).
//! This module also owns what changes key material: passphrase change, KDF
//! upgrade and the crash-safe PVK rotation.

use rusqlite::{Connection, OpenFlags, params};
use serde_json::json;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

use crate::audit::{self, AuditEvent, EventType};
use crate::crypto::{self, DbKey, FieldKey, KdfParams, Pvk, SealContext, SecretString};
use crate::error::{Error, ErrorCode, Result};
use crate::index::{Index, ProfileRecord};
use crate::paths::{self, Root};
use crate::providers;
use crate::secrets::Catalog;
use crate::settings::{self, Settings};

/// Columns sealed with the field key: (table, column, row id column).
/// Rotation re-seals exactly these.
pub const SEALED_COLUMNS: &[(&str, &str, &str)] = &[
    ("secrets", "secret_value_enc", "id"),
    ("profile_settings", "totp_secret_enc", "profile_id"),
    ("profile_settings", "recovery_codes_enc", "profile_id"),
    ("profile_settings", "totp_pending_secret_enc", "profile_id"),
];

/// A step of a PVK rotation, reported to the observer as it completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationStep {
    /// The new key exists; nothing is written yet.
    Started,
    /// The database was copied, re-encrypted, into `vault.db.rotating`.
    Exported,
    /// Sealed fields re-sealed so far (inside one transaction).
    Resealed {
        /// Fields done.
        done: usize,
        /// Fields in all.
        total: usize,
    },
    /// The re-sealed copy is committed and flushed to disk.
    Synced,
    /// index.db holds the new wrapped key as pending.
    Prepared,
    /// The new file replaced `vault.db`.
    Switched,
    /// index.db made the new key current.
    Committed,
}

/// Outcome of probing a database file with a key.
enum Probe {
    Opens(Connection),
    WrongKey,
}

/// Open a SQLCipher database with the raw key, check the key, set the
/// connection pragmas. No migrations.
fn open_keyed(path: &Path, key: &DbKey, create: bool) -> Result<Probe> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    } else if !path.exists() {
        return Err(Error::corruption("the profile's vault file is missing")
            .with_suggestion("Restore the profile folder from a backup, or delete the profile."));
    }
    let conn = Connection::open_with_flags(path, flags)?;
    // SQLCipher logs a failed key check to stderr itself; we report it as a
    // structured error instead.
    conn.query_row("PRAGMA cipher_log_level = NONE", [], |_| Ok(())).or_else(ignore_no_rows)?;
    let pragma = Zeroizing::new(format!("PRAGMA key = \"{}\";", key.pragma_value().as_str()));
    conn.execute_batch(&pragma)?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
        Ok(_) => {}
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ffi::ErrorCode::NotADatabase) => {
            return Ok(Probe::WrongKey);
        }
        Err(e) => return Err(e.into()),
    }
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Keep temporary tables and sort spills in memory: no plaintext temp files.
    conn.execute_batch("PRAGMA temp_store = MEMORY; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;")?;
    Ok(Probe::Opens(conn))
}

fn ignore_no_rows(e: rusqlite::Error) -> rusqlite::Result<()> {
    match e {
        rusqlite::Error::QueryReturnedNoRows => Ok(()),
        other => Err(other),
    }
}

/// Open an existing vault file whose key is known to be right (it was
/// unwrapped by an authenticated AEAD): failing to read it is corruption.
fn open_vault_db(path: &Path, key: &DbKey) -> Result<Connection> {
    match open_keyed(path, key, false)? {
        Probe::Opens(conn) => {
            conn.pragma_update(None, "journal_mode", "WAL")?;
            Ok(conn)
        }
        Probe::WrongKey => {
            Err(Error::corruption("the vault file cannot be decrypted with the profile's key"))
        }
    }
}

/// Create the vault of a new profile: schema, settings row, providers,
/// the `profile.create` event.
pub(crate) fn create_vault_db(root: &Root, profile_id: &str, pvk: &Pvk, name: &str) -> Result<()> {
    let dir = root.profile_dir(profile_id);
    paths::create_private_dir(&dir)?;
    let path = root.vault_db(profile_id);
    let Probe::Opens(mut conn) = open_keyed(&path, &pvk.db_key(), true)? else {
        return Err(Error::internal("a new vault file did not accept its key"));
    };
    conn.pragma_update(None, "journal_mode", "WAL")?;
    crate::migrations::vault().to_latest(&mut conn)?;
    let tx = conn.transaction()?;
    settings::insert_default(&tx, profile_id)?;
    providers::seed(&tx, &crate::time::now())?;
    audit::record(&tx, profile_id, EventType::ProfileCreate, json!({ "display_name": name }))?;
    tx.commit()?;
    Ok(())
}

/// Whether `key` opens the database at `path` (rotation recovery).
pub(crate) fn key_opens(path: &Path, key: &DbKey) -> Result<bool> {
    Ok(matches!(open_keyed(path, key, false)?, Probe::Opens(_)))
}

/// Remove a rotation's leftover file, if any.
pub(crate) fn remove_rotation_leftovers(root: &Root, profile_id: &str) -> Result<()> {
    let rotating = root.rotating_vault_db(profile_id);
    for p in [rotating.clone(), with_suffix(&rotating, "-journal")] {
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Create an empty file readable only by the user.
fn create_private_file(path: &Path) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?;
    Ok(())
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// An unlocked profile.
pub struct Vault {
    root: Root,
    index: Index,
    profile: ProfileRecord,
    conn: Connection,
    pvk: Pvk,
    field_key: FieldKey,
    rotation_version: u64,
    settings: Settings,
    pub(crate) catalog: Catalog,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").field("profile", &self.profile.display_name).finish_non_exhaustive()
    }
}

impl Vault {
    /// Open the vault of an authenticated profile: migrate, seed providers,
    /// load settings and the in-memory catalog of secret names.
    pub(crate) fn open(
        root: Root,
        index: Index,
        profile: ProfileRecord,
        pvk: Pvk,
        rotation_version: u64,
    ) -> Result<Vault> {
        let mut conn = open_vault_db(&root.vault_db(&profile.id), &pvk.db_key())?;
        crate::migrations::vault().to_latest(&mut conn)?;
        {
            let tx = conn.transaction()?;
            providers::seed(&tx, &crate::time::now())?;
            tx.commit()?;
        }
        let settings = settings::load(&conn, &profile.id)?;
        let catalog = Catalog::load(&conn)?;
        let field_key = pvk.field_key();
        let mut vault =
            Vault { root, index, profile, conn, pvk, field_key, rotation_version, settings, catalog };
        vault.sync_totp_flag()?;
        Ok(vault)
    }

    /// index.db mirrors whether TOTP is on (so it can be shown before
    /// unlock); the vault is the source of truth. Repair the mirror if a
    /// crash fell between the two writes.
    fn sync_totp_flag(&mut self) -> Result<()> {
        let enabled = crate::totp::is_enabled(&self.conn, &self.profile.id)?;
        if enabled != self.profile.totp_enabled {
            self.set_totp_flag(enabled)?;
        }
        Ok(())
    }

    /// Record in index.db (and the in-memory profile) whether TOTP is on.
    pub(crate) fn set_totp_flag(&mut self, enabled: bool) -> Result<()> {
        self.index.set_totp_enabled(&self.profile.id, enabled)?;
        self.profile.totp_enabled = enabled;
        Ok(())
    }

    /// The unlocked profile.
    pub fn profile(&self) -> &ProfileRecord {
        &self.profile
    }

    /// The profile's settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Current rotation version of the profile vault key.
    pub fn rotation_version(&self) -> u64 {
        self.rotation_version
    }

    /// Path of the vault file (diagnostics and tests).
    pub fn db_path(&self) -> PathBuf {
        self.root.vault_db(&self.profile.id)
    }

    /// The database connection (for core modules and tests; fronts use the
    /// typed methods).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub(crate) fn field_key(&self) -> &FieldKey {
        &self.field_key
    }

    /// Record an audit event for this profile.
    pub fn record(&self, event: EventType, metadata: serde_json::Value) -> Result<()> {
        audit::record(&self.conn, &self.profile.id, event, metadata)
    }

    /// Audit events, newest first.
    pub fn audit_log(&self, limit: usize, event_type: Option<&str>) -> Result<Vec<AuditEvent>> {
        audit::list(&self.conn, limit, event_type)
    }

    /// Change and store the settings.
    pub fn update_settings(&mut self, new: Settings) -> Result<()> {
        settings::save(&self.conn, &self.profile.id, &new)?;
        self.record(EventType::SettingsUpdate, json!({}))?;
        self.settings = new;
        Ok(())
    }

    /// Work done right after unlock, in one transaction: deliver events
    /// recorded while locked, note failed attempts, record the unlock,
    /// apply audit retention.
    pub(crate) fn after_unlock(&mut self, failed_attempts: u32, last_failed_at: Option<&str>) -> Result<()> {
        let pending = self.index.pending_events(&self.profile.id)?;
        let profile_id = self.profile.id.clone();
        let s = self.settings.clone();
        let tx = self.conn.transaction()?;
        for e in &pending {
            audit::insert(&tx, &profile_id, &e.id, &e.event_type, &e.created_at, &e.metadata_json_redacted)?;
        }
        if failed_attempts > 0 {
            audit::record(
                &tx,
                &profile_id,
                EventType::UnlockFailed,
                json!({ "failed_attempts": failed_attempts, "last_failed_at": last_failed_at }),
            )?;
        }
        audit::record(&tx, &profile_id, EventType::Unlock, json!({}))?;
        audit::apply_retention(&tx, &profile_id, s.audit_retention_max_count, s.audit_retention_max_days)?;
        tx.commit()?;
        // Delivery is idempotent (events keep their ids), so marking after
        // the vault commit is safe even if we crash in between.
        let ids: Vec<String> = pending.into_iter().map(|e| e.id).collect();
        self.index.mark_delivered(&ids)?;
        if failed_attempts > 0 {
            self.index.reset_failed_unlocks(&self.profile.id)?;
        }
        Ok(())
    }

    /// Lock: record it and drop the connection and keys.
    pub fn lock(self) -> Result<()> {
        self.record(EventType::Lock, json!({}))
    }

    /// Check that `passphrase` is this profile's current passphrase (before
    /// an operation that consumes the vault, like rotation).
    pub fn check_passphrase(&self, passphrase: &SecretString) -> Result<()> {
        self.verify_passphrase(passphrase).map(|_| ())
    }

    /// Check a passphrase against the current wrap; returns the KEK.
    fn verify_passphrase(&self, passphrase: &SecretString) -> Result<(crypto::Kek, crate::index::VaultMeta)> {
        let meta = self.index.vault_meta(&self.profile.id)?;
        let kek = crypto::derive_kek(passphrase.expose_secret().as_bytes(), &meta.kdf_salt, meta.kdf_params)?;
        match crypto::unwrap_pvk(&kek, &meta.wrapped_pvk, &self.profile.id, meta.rotation_version) {
            Some(pvk) if pvk.expose_secret() == self.pvk.expose_secret() => Ok((kek, meta)),
            _ => Err(Error::new(ErrorCode::VaultWrongPassphrase, "the current passphrase is wrong")),
        }
    }

    /// Re-wrap the same PVK under a new passphrase and/or KDF parameters
    /// (new salt). The vault itself is not touched.
    fn rewrap(&mut self, current: &SecretString, new: &SecretString, params: KdfParams) -> Result<KdfParams> {
        self.verify_passphrase(current)?;
        params.validate()?;
        let salt: [u8; crypto::SALT_LEN] = crypto::random_bytes();
        let (kek, used) = crypto::derive_kek_with_fallback(new.expose_secret().as_bytes(), &salt, params)?;
        let wrapped = crypto::wrap_pvk(&kek, &self.pvk, &self.profile.id, self.rotation_version);
        self.index.set_wrap(&self.profile.id, used, &salt, &wrapped)?;
        Ok(used)
    }

    /// Change the passphrase (re-wrap only; the vault is untouched).
    pub fn change_passphrase(&mut self, current: &SecretString, new: &SecretString) -> Result<()> {
        crate::profile::validate_new_passphrase(new)?;
        let params = self.index.vault_meta(&self.profile.id)?.kdf_params;
        self.rewrap(current, new, params)?;
        self.record(EventType::PassphraseChange, json!({}))
    }

    /// The KDF parameters currently stored for the profile.
    pub fn kdf_params(&self) -> Result<KdfParams> {
        Ok(self.index.vault_meta(&self.profile.id)?.kdf_params)
    }

    /// Re-derive the KEK with new parameters (e.g. upgrade to the default).
    /// Returns the parameters stored (the 64 MiB fallback if memory ran out).
    pub fn upgrade_kdf(&mut self, passphrase: &SecretString, params: KdfParams) -> Result<KdfParams> {
        let old = self.kdf_params()?;
        let used = self.rewrap(passphrase, passphrase, params)?;
        self.record(EventType::KdfUpgrade, json!({ "from": old, "to": used }))?;
        Ok(used)
    }

    /// Rotate the profile vault key: a new random PVK, the database
    /// re-encrypted with its key and every sealed field re-sealed.
    ///
    /// Crash-safe: the new vault is written beside the old one, index.db
    /// records the new wrapped key as pending, the file is switched with an
    /// atomic rename, then the key is committed. Unlock recovers from a stop
    /// at any point (see `KeyClave::unlock`). The observer sees each step;
    /// if it returns an error the rotation stops right there, exactly as a
    /// crash would, which is how the tests inject faults.
    pub fn rotate_key(
        self,
        passphrase: &SecretString,
        observer: &mut dyn FnMut(RotationStep) -> Result<()>,
    ) -> Result<Vault> {
        let (kek, _) = self.verify_passphrase(passphrase)?;
        let Vault { root, index, profile, conn, pvk: old_pvk, field_key: old_fk, rotation_version, .. } =
            self;
        let id = profile.id.clone();
        let new_pvk = Pvk::generate();
        let new_version = rotation_version + 1;
        let new_wrapped = crypto::wrap_pvk(&kek, &new_pvk, &id, new_version);
        drop(kek);
        observer(RotationStep::Started)?;

        // 1. Copy the database, re-encrypted under the new key, beside the old.
        remove_rotation_leftovers(&root, &id)?;
        let rotating = root.rotating_vault_db(&id);
        let user_version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        // ATTACH cannot create files on a connection opened without CREATE.
        create_private_file(&rotating)?;
        let attach = Zeroizing::new(format!(
            "ATTACH DATABASE ?1 AS rotated KEY \"{}\";",
            new_pvk.db_key().pragma_value().as_str()
        ));
        conn.execute(&attach, [rotating.to_string_lossy()])?;
        conn.query_row("SELECT sqlcipher_export('rotated')", [], |_| Ok(()))?;
        conn.execute_batch(&format!(
            "PRAGMA rotated.user_version = {user_version}; DETACH DATABASE rotated;"
        ))?;
        observer(RotationStep::Exported)?;

        // 2. Re-seal every sealed field in the copy, in one transaction.
        let Probe::Opens(mut new_conn) = open_keyed(&rotating, &new_pvk.db_key(), false)? else {
            return Err(Error::internal("the rotated vault did not accept its new key"));
        };
        let new_fk = new_pvk.field_key();
        {
            let tx = new_conn.transaction()?;
            let mut rows: Vec<(&str, &str, &str, String, Vec<u8>)> = Vec::new();
            for &(table, column, id_col) in SEALED_COLUMNS {
                let mut stmt = tx
                    .prepare(&format!("SELECT {id_col}, {column} FROM {table} WHERE {column} IS NOT NULL"))?;
                let found = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
                for row in found {
                    let (row_id, blob) = row?;
                    rows.push((table, column, id_col, row_id, blob));
                }
            }
            let total = rows.len();
            for (done, (table, column, id_col, row_id, blob)) in rows.into_iter().enumerate() {
                let ctx = SealContext { profile_id: &id, table, column, row_id: &row_id };
                let plain = old_fk.open(&blob, ctx)?;
                let sealed = new_fk.seal(&plain, ctx);
                tx.execute(
                    &format!("UPDATE {table} SET {column} = ?1 WHERE {id_col} = ?2"),
                    params![sealed, row_id],
                )?;
                observer(RotationStep::Resealed { done: done + 1, total })?;
            }
            audit::record(&tx, &id, EventType::KeyRotation, json!({ "rotation_version": new_version }))?;
            tx.commit()?;
        }
        drop(new_conn);
        std::fs::File::open(&rotating)?.sync_all()?;
        observer(RotationStep::Synced)?;

        // 3. Fold the old WAL into vault.db and close it, so no stale WAL can
        //    be replayed onto the new file after the switch.
        conn.pragma_update(None, "journal_mode", "DELETE")?;
        drop(conn);
        drop(old_pvk);
        index.set_pending_rotation(&id, &new_wrapped, new_version)?;
        observer(RotationStep::Prepared)?;

        // 4. Switch atomically.
        let vault_path = root.vault_db(&id);
        std::fs::rename(&rotating, &vault_path)?;
        paths::sync_dir(&root.profile_dir(&id))?;
        observer(RotationStep::Switched)?;

        // 5. Commit the new key.
        index.commit_rotation(&id)?;
        observer(RotationStep::Committed)?;
        Vault::open(root, index, profile, new_pvk, new_version)
    }
}
