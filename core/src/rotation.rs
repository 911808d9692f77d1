//! Rotating the profile vault key (PVK): a new random key, the database
//! re-encrypted with it and every sealed field re-sealed — crash-safe, and
//! recovered at the next unlock whichever step was interrupted.

use rusqlite::params;
use serde_json::json;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

use crate::audit::{self, EventType};
use crate::crypto::{self, Kek, Pvk, SealContext, SecretString};
use crate::error::{Error, ErrorCode, Result};
use crate::exclusion;
use crate::index::{Index, ProfileRecord, VaultMeta};
use crate::paths::{self, Root};
use crate::session::Session;
use crate::vault::{self, Probe, Vault};

/// Columns sealed with the field key: (table, column, row id column).
/// Rotation re-seals exactly these.
pub const SEALED_COLUMNS: &[(&str, &str, &str)] = &[
    ("secrets", "secret_value_enc", "id"),
    ("profile_settings", "totp_secret_enc", "profile_id"),
    ("profile_settings", "recovery_codes_enc", "profile_id"),
    ("profile_settings", "totp_pending_secret_enc", "profile_id"),
    ("profile_settings", "identity_secret_enc", "profile_id"),
];

/// How long a rotation waits for in-flight work on the vault to finish.
const WAIT_FOR_EXCLUSIVE: std::time::Duration = std::time::Duration::from_secs(10);

/// A step of a PVK rotation, reported to the observer as it completes.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum RotationStep {
    /// The new key exists; nothing is written yet.
    Started,
    /// The database was copied, re-encrypted, into `vault.db.rotating`.
    Exported,
    /// Sealed fields re-sealed so far (inside one transaction).
    Resealed {
        /// Fields done.
        #[cfg_attr(feature = "specta", specta(type = u32))]
        done: usize,
        /// Fields in all.
        #[cfg_attr(feature = "specta", specta(type = u32))]
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

impl RotationStep {
    /// What the step is doing, for progress displays.
    pub fn label(self) -> &'static str {
        match self {
            RotationStep::Started => "Preparing a new key",
            RotationStep::Exported => "Copying the vault under the new key",
            RotationStep::Resealed { .. } => "Re-sealing values",
            RotationStep::Synced => "Writing to disk",
            RotationStep::Prepared => "Recording the new key",
            RotationStep::Switched => "Switching to the new vault",
            RotationStep::Committed => "Done",
        }
    }

    /// Progress from 0 to 1: the re-sealing is most of the work.
    pub fn fraction(self) -> f64 {
        match self {
            RotationStep::Started => 0.0,
            RotationStep::Exported => 0.1,
            RotationStep::Resealed { done, total } if total > 0 => 0.1 + 0.8 * (done as f64 / total as f64),
            RotationStep::Resealed { .. } => 0.9,
            RotationStep::Synced => 0.92,
            RotationStep::Prepared => 0.95,
            RotationStep::Switched => 0.98,
            RotationStep::Committed => 1.0,
        }
    }
}

/// Remove a rotation's leftover file, if any.
pub(crate) fn remove_leftovers(root: &Root, profile_id: &str) -> Result<()> {
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

/// Rotate the profile vault key.
///
/// The passphrase is checked first (a KDF, with no lock held); then the
/// unlock is taken whole ([`Vault`] is retired, so jobs stop, and the
/// rotation waits for in-flight work to let go of it). The new vault is
/// written beside the old one, index.db records the new wrapped key as
/// pending, the file is switched with an atomic rename, then the key is
/// committed. Unlock recovers from a stop at any point ([`recover`]). The
/// observer sees each step; if it returns an error the rotation stops
/// right there, exactly as a crash would, which is how the tests inject
/// faults. Returns the vault unlocked under the new key (a new epoch).
pub fn rotate(
    vault: Vault,
    passphrase: &SecretString,
    observer: &mut dyn FnMut(RotationStep) -> Result<()>,
) -> Result<Vault> {
    let auth = crate::passphrase::check(&vault, passphrase)?;
    let keychain = keychain_key(&vault);
    rotate_checked(vault, auth.kek, keychain, &auth.meta.kdf_salt, observer, &mut None)
}

/// The OS keychain's key when keychain unlock is on, read before any hold
/// is taken (it may block on the OS). `None` when off or unreachable: the
/// new key then gets no keychain wrap and the profile says it needs repair.
fn keychain_key(vault: &Vault) -> Option<Kek> {
    if !vault.profile().keychain_unlock {
        return None;
    }
    match crate::keychain::load_key(&vault.profile_id()) {
        Ok(k) => Some(k),
        Err(e) => {
            tracing::warn!(code = %e.code(), "the rotation cannot re-wrap the keychain key");
            None
        }
    }
}

/// [`rotate`] the vault unlocked in `session`: the passphrase is checked on
/// a clone first, so a wrong one leaves the session unlocked; then the
/// vault leaves the session for the rotation and the new one is put back.
/// If another process has the profile open, nothing is done and the
/// session is unlocked again (`vault.busy`). If the rotation itself fails,
/// the session stays locked (unlock again: the next unlock finishes or
/// rolls back what was done). Returns the new rotation version.
pub fn rotate_in_session(
    session: &Session,
    passphrase: &SecretString,
    observer: &mut dyn FnMut(RotationStep) -> Result<()>,
) -> Result<u64> {
    let current = session.for_user()?;
    let auth = crate::passphrase::check(&current, passphrase)?;
    let keychain = keychain_key(&current);
    drop(current);
    let vault = session.take()?;
    let mut not_started = None;
    let vault =
        match rotate_checked(vault, auth.kek, keychain, &auth.meta.kdf_salt, observer, &mut not_started) {
            Ok(v) => v,
            Err(e) => {
                if let Some(reopened) = not_started {
                    session.unlocked(reopened);
                }
                return Err(e);
            }
        };
    let version = vault.rotation_version();
    if let Some(previous) = session.unlocked(vault) {
        previous.close()?;
    }
    Ok(version)
}

/// `salt` is the KDF salt `kek` was derived with: the new key is wrapped
/// under `kek`, so a passphrase changed meanwhile by another process
/// (a new salt) must stop the rotation. When another process has the
/// profile open the rotation does not start: the vault is opened again
/// under its current key into `not_started`, and `vault.busy` returned.
fn rotate_checked(
    vault: Vault,
    kek: Kek,
    keychain: Option<Kek>,
    salt: &[u8],
    observer: &mut dyn FnMut(RotationStep) -> Result<()>,
    not_started: &mut Option<Vault>,
) -> Result<Vault> {
    let vault::Owned { root, hold, index, profile, conn, pvk: old_pvk, field_key: old_fk, rotation_version } =
        vault.into_owned(WAIT_FOR_EXCLUSIVE)?;
    let id = profile.id.clone();
    // No other process may write into the file about to be replaced: trade
    // this process's shared hold for the exclusive one (`vault.busy` while
    // another KeyClave has the profile open).
    drop(hold);
    let exclusive = match exclusion::exclusive(&root, &id, exclusion::EXCLUSIVE_WAIT) {
        Ok(x) => x,
        Err(e) => {
            drop(conn);
            let reopened = exclusion::shared(&root, &id, exclusion::SHARED_WAIT)
                .and_then(|hold| Vault::open(root, hold, index, profile, old_pvk, rotation_version));
            *not_started = reopened.ok();
            return Err(e);
        }
    };
    let meta = index.vault_meta(&id)?;
    if meta.rotation_version != rotation_version || meta.kdf_salt != salt {
        return Err(Error::new(ErrorCode::VaultBusy, "another KeyClave changed the profile's key meanwhile")
            .with_suggestion(
                "Unlock again and retry; the passphrase or the key was changed in another KeyClave.",
            ));
    }
    let new_pvk = Pvk::generate();
    let new_version = rotation_version + 1;
    let new_wrapped = crypto::wrap_pvk(&kek, &new_pvk, &id, new_version);
    drop(kek);
    // Re-wrapped under the keychain's key only if that key still opens the
    // current wrap (the entry may have been replaced by hand).
    let new_keychain_wrapped = keychain
        .filter(|k| {
            meta.keychain_wrapped_pvk
                .as_ref()
                .and_then(|w| crypto::unwrap_pvk(k, w, &id, rotation_version))
                .is_some_and(|p| p.expose_secret() == old_pvk.expose_secret())
        })
        .map(|k| crypto::wrap_pvk(&k, &new_pvk, &id, new_version));
    observer(RotationStep::Started)?;

    // 1. Copy the database, re-encrypted under the new key, beside the old.
    remove_leftovers(&root, &id)?;
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
    conn.execute_batch(&format!("PRAGMA rotated.user_version = {user_version}; DETACH DATABASE rotated;"))?;
    observer(RotationStep::Exported)?;

    // 2. Re-seal every sealed field in the copy, in one transaction.
    let Probe::Opens(mut new_conn, _) = vault::open_keyed(&rotating, &new_pvk.db_key(), false)? else {
        return Err(Error::internal("the rotated vault did not accept its new key"));
    };
    let new_fk = new_pvk.field_key();
    {
        let tx = new_conn.transaction()?;
        let mut rows: Vec<(&str, &str, &str, String, Vec<u8>)> = Vec::new();
        for &(table, column, id_col) in SEALED_COLUMNS {
            let mut stmt =
                tx.prepare(&format!("SELECT {id_col}, {column} FROM {table} WHERE {column} IS NOT NULL"))?;
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
    index.set_pending_rotation(&id, &new_wrapped, new_version, new_keychain_wrapped.as_deref())?;
    // Before the switch, or a rebuilt index could not open the new file:
    // if this fails the rotation stops here and is rolled back at unlock.
    crate::index_copy::save(&root, &index, &id)?;
    observer(RotationStep::Prepared)?;

    // 4. Switch atomically.
    let vault_path = root.vault_db(&id);
    std::fs::rename(&rotating, &vault_path)?;
    paths::sync_dir(&root.profile_dir(&id))?;
    observer(RotationStep::Switched)?;

    // 5. Commit the new key.
    index.commit_rotation(&id)?;
    crate::index_copy::save_or_warn(&root, &index, &id);
    observer(RotationStep::Committed)?;
    drop(exclusive);
    let hold = exclusion::shared(&root, &id, exclusion::SHARED_WAIT)?;
    Vault::open(root, hold, index, profile, new_pvk, new_version)
}

/// Finish or roll back a PVK rotation that stopped part-way. Returns the
/// key and version that open `vault.db`.
pub(crate) fn recover(
    root: &Root,
    index: &Index,
    rec: &ProfileRecord,
    kek: &Kek,
    meta: &VaultMeta,
    current: Pvk,
) -> Result<(Pvk, u64)> {
    let Some((pending_wrapped, pending_version)) = &meta.pending else {
        // Stopped before index.db knew of it: the copy is garbage.
        remove_leftovers(root, &rec.id)?;
        return Ok((current, meta.rotation_version));
    };
    let pending = crypto::unwrap_pvk(kek, pending_wrapped, &rec.id, *pending_version)
        .ok_or_else(|| Error::corruption("the pending rotation key in index.db does not authenticate"))?;
    let vault_path = root.vault_db(&rec.id);
    if vault::key_opens(&vault_path, &pending.db_key())? {
        // The switch happened; commit the new key.
        tracing::info!("completing an interrupted key rotation");
        index.commit_rotation(&rec.id)?;
        crate::index_copy::save_or_warn(root, index, &rec.id);
        remove_leftovers(root, &rec.id)?;
        Ok((pending, *pending_version))
    } else if vault::key_opens(&vault_path, &current.db_key())? {
        // The switch never happened; forget the new key.
        tracing::info!("rolling back an interrupted key rotation");
        index.clear_pending_rotation(&rec.id)?;
        crate::index_copy::save_or_warn(root, index, &rec.id);
        remove_leftovers(root, &rec.id)?;
        Ok((current, meta.rotation_version))
    } else {
        Err(Error::corruption("the vault file opens with neither the current nor the pending key"))
    }
}
