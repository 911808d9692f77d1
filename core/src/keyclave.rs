//! [`KeyClave`]: the profiles of one data root, before unlock — create,
//! list, rename, delete, unlock (with back-off and rotation recovery; or
//! with the OS keychain).

use serde_json::json;

use crate::audit::{self, EventType};
use crate::crypto::{self, KdfParams, Kek, Pvk, SecretString};
use crate::error::{Error, ErrorCode, Result};
use crate::index::{Index, ProfileRecord, VaultMeta};
use crate::paths::{self, Root};
use crate::time;
use crate::vault::{self, Vault};
use crate::{exclusion, passphrase, profile, rotation};

/// The data root and its profile index.
pub struct KeyClave {
    root: Root,
    index: Index,
}

impl KeyClave {
    /// Open (creating if needed) the data root.
    pub fn open(root: Root) -> Result<Self> {
        paths::create_private_dir(root.dir())?;
        paths::create_private_dir(&root.profiles_dir())?;
        let index = Index::open(&root.index_db())?;
        Ok(KeyClave { root, index })
    }

    /// The data root.
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// All profiles, by name.
    pub fn profiles(&self) -> Result<Vec<ProfileRecord>> {
        self.index.profiles()
    }

    /// The named profile; with no name, the only profile if there is one.
    pub fn select_profile(&self, name: Option<&str>) -> Result<ProfileRecord> {
        if let Some(name) = name {
            return self.index.find_by_name(name);
        }
        let mut all = self.index.profiles()?;
        match all.len() {
            0 => Err(Error::new(ErrorCode::ProfileNotFound, "there is no profile yet")
                .with_suggestion("Create one with `keyclave profile create NAME`.")),
            1 => Ok(all.remove(0)),
            n => Err(Error::new(ErrorCode::ProfileNotSelected, format!("{n} profiles exist; choose one"))),
        }
    }

    /// Create a profile: a random PVK wrapped under a key derived from the
    /// passphrase with `params` (falling back to 64 MiB if memory runs out),
    /// and a new encrypted vault.
    pub fn create_profile(
        &mut self,
        name: &str,
        passphrase: &SecretString,
        params: KdfParams,
    ) -> Result<ProfileRecord> {
        let name = profile::validate_name(name)?;
        profile::validate_new_passphrase(passphrase)?;
        params.validate()?;
        if self.index.name_exists(&name)? {
            return Err(Error::new(
                ErrorCode::ProfileAlreadyExists,
                format!("a profile named '{name}' already exists"),
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let salt: [u8; crypto::SALT_LEN] = crypto::random_bytes();
        let (kek, used) =
            crypto::derive_kek_with_fallback(passphrase.expose_secret().as_bytes(), &salt, params)?;
        let pvk = Pvk::generate();
        let wrapped = crypto::wrap_pvk(&kek, &pvk, &id, 1);
        drop(kek);

        // The vault is written first; the index row makes the profile exist.
        // A crash in between leaves an unreferenced folder, never a profile
        // without a vault.
        let created = vault::create_vault_db(&self.root, &id, &pvk, &name).and_then(|()| {
            let now = time::now();
            let rec = ProfileRecord {
                id: id.clone(),
                display_name: name.clone(),
                created_at: now.clone(),
                updated_at: now,
                totp_enabled: false,
                keychain_unlock: false,
            };
            let meta = VaultMeta {
                kdf_params: used,
                kdf_salt: salt.to_vec(),
                wrapped_pvk: wrapped,
                rotation_version: 1,
                pending: None,
                keychain_wrapped_pvk: None,
                failed_unlock_count: 0,
                last_failed_unlock_at: None,
            };
            self.index.insert_profile(&rec, &meta)?;
            crate::index_copy::save_or_warn(&self.root, &self.index, &id);
            Ok(rec)
        });
        if created.is_err() {
            let _ = std::fs::remove_dir_all(self.root.profile_dir(&id));
        }
        created
    }

    /// Rename a profile (no unlock needed; the event reaches the profile's
    /// audit log at its next unlock).
    pub fn rename_profile(&self, old: &str, new: &str) -> Result<ProfileRecord> {
        let rec = self.index.find_by_name(old)?;
        let new = profile::validate_name(new)?;
        let taken_by_other = match self.index.find_by_name(&new) {
            Ok(other) => other.id != rec.id,
            Err(e) if e.code() == ErrorCode::ProfileNotFound => false,
            Err(e) => return Err(e),
        };
        if taken_by_other {
            return Err(Error::new(
                ErrorCode::ProfileAlreadyExists,
                format!("a profile named '{new}' already exists"),
            ));
        }
        self.index.rename(&rec.id, &new)?;
        crate::index_copy::save_or_warn(&self.root, &self.index, &rec.id);
        self.index.push_event(
            &rec.id,
            EventType::ProfileRename,
            json!({ "from": rec.display_name, "to": new }),
        )?;
        self.index.find_by_name(&new)
    }

    /// Delete a profile and its folder. Needs the passphrase.
    pub fn delete_profile(&self, name: &str, passphrase: &SecretString) -> Result<()> {
        let rec = self.index.find_by_name(name)?;
        passphrase::authenticate(&self.index, &rec.id, passphrase)?;
        // Rename the folder out of the way first, so a crash never leaves a
        // listed profile with half a vault.
        let dir = self.root.profile_dir(&rec.id);
        let doomed = self.root.profiles_dir().join(format!(".deleting-{}", rec.id));
        if dir.exists() {
            // Not while another process has it open (`vault.busy`).
            let exclusive = exclusion::exclusive(&self.root, &rec.id, exclusion::EXCLUSIVE_WAIT)?;
            // Windows cannot rename a folder holding an open file.
            #[cfg(windows)]
            drop(exclusive);
            std::fs::rename(&dir, &doomed)?;
            #[cfg(not(windows))]
            drop(exclusive);
        }
        self.index.delete(&rec.id)?;
        // Never delivered (the vault is gone): it stays in index.db as an
        // app-level record of the deletion.
        self.index.push_event(
            &rec.id,
            EventType::ProfileDelete,
            json!({ "display_name": rec.display_name }),
        )?;
        if doomed.exists() {
            std::fs::remove_dir_all(&doomed)?;
        }
        if rec.keychain_unlock {
            crate::keychain::forget(&rec.id);
        }
        Ok(())
    }

    /// Run `f` on `index.db`'s connection (diagnostics: schema version and
    /// row counts).
    pub(crate) fn with_index_connection<T>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> Result<T>,
    ) -> Result<T> {
        self.index.with_connection(f)
    }

    /// Unlock a profile by name.
    pub fn unlock(&self, name: &str, passphrase: &SecretString) -> Result<Vault> {
        let rec = self.index.find_by_name(name)?;
        self.unlock_profile(rec, passphrase)
    }

    /// Unlock a profile record: check the passphrase (back-off, then the
    /// KDF), finish or roll back an interrupted key rotation, open the
    /// vault (a new epoch) and record the unlock.
    pub fn unlock_profile(&self, rec: ProfileRecord, passphrase: &SecretString) -> Result<Vault> {
        let auth = passphrase::authenticate(&self.index, &rec.id, passphrase)?;
        let (hold, pvk, version) = self.hold_for_open(&rec, &auth.kek, Wrap::Passphrase)?;
        drop(auth.kek);
        self.open_unlocked(rec, hold, pvk, version, &auth.meta)
    }

    /// Unlock a profile with the key the OS keychain holds for it, without
    /// the passphrase ([`crate::keychain`]). `keychain.not_enabled`,
    /// `keychain.entry_missing` or `keychain.unavailable` when it cannot;
    /// `keychain.needs_passphrase` when a key rotation was interrupted (its
    /// recovery needs the passphrase's key). The keychain is asked with no
    /// lock held.
    pub fn unlock_with_keychain(&self, rec: ProfileRecord) -> Result<Vault> {
        let meta = self.index.vault_meta(&rec.id)?;
        if !rec.keychain_unlock {
            return Err(Error::new(ErrorCode::KeychainNotEnabled, "keychain unlock is off for this profile"));
        }
        if meta.keychain_wrapped_pvk.is_none() {
            return Err(Error::new(
                ErrorCode::KeychainNeedsPassphrase,
                "the profile's key changed while the OS keychain was unreachable",
            )
            .with_suggestion("Unlock with the passphrase, then turn keychain unlock off and on again."));
        }
        let key = crate::keychain::load_key(&rec.id)?;
        let (hold, pvk, version) = self.hold_for_open(&rec, &key, Wrap::Keychain)?;
        drop(key);
        self.open_unlocked(rec, hold, pvk, version, &meta)
    }

    fn open_unlocked(
        &self,
        rec: ProfileRecord,
        hold: exclusion::Hold,
        pvk: Pvk,
        version: u64,
        meta: &VaultMeta,
    ) -> Result<Vault> {
        let index = Index::open(&self.root.index_db())?;
        let v = Vault::open(self.root.clone(), hold, index, rec, pvk, version)?;
        if v.read_only() {
            // Nothing of the unlock can be kept there; fronts say so once.
            tracing::debug!("unlocked read-only: the unlock is not recorded");
            return Ok(v);
        }
        match after_unlock(&v, meta.failed_unlock_count, meta.last_failed_unlock_at.as_deref()) {
            Ok(()) => {}
            // A full or read-only disk must not keep a person from their
            // keys: the unlock goes unrecorded (events recorded while
            // locked stay queued in index.db); every write is refused.
            Err(e) if matches!(e.code(), ErrorCode::StorageFull | ErrorCode::StorageReadOnly) => {
                tracing::warn!(code = %e.code(), "the unlock could not be recorded");
            }
            Err(e) => return Err(e),
        }
        Ok(v)
    }

    /// Take this process's shared hold on the profile, then read the key
    /// state under it: the KDF ran without it, and another process may have
    /// rotated the key or changed the passphrase meanwhile (the KEK is kept,
    /// so re-reading costs no KDF). A rotation that stopped part-way is
    /// finished or rolled back under the exclusive hold first (with the
    /// passphrase's KEK only).
    fn hold_for_open(
        &self,
        rec: &ProfileRecord,
        kek: &Kek,
        wrap: Wrap,
    ) -> Result<(exclusion::Hold, Pvk, u64)> {
        // Twice at most: once to recover, once to open what it left.
        for _ in 0..2 {
            let hold = exclusion::shared(&self.root, &rec.id, exclusion::SHARED_WAIT)?;
            let meta = self.index.vault_meta(&rec.id)?;
            let wrapped = match wrap {
                Wrap::Passphrase => Some(&meta.wrapped_pvk),
                Wrap::Keychain => meta.keychain_wrapped_pvk.as_ref(),
            };
            let current = wrapped
                .and_then(|w| crypto::unwrap_pvk(kek, w, &rec.id, meta.rotation_version))
                .ok_or_else(|| match wrap {
                    Wrap::Passphrase => Error::new(
                        ErrorCode::VaultBusy,
                        "the passphrase was changed in another KeyClave meanwhile",
                    )
                    .with_suggestion("Unlock again with the profile's current passphrase."),
                    Wrap::Keychain => Error::new(
                        ErrorCode::KeychainEntryMissing,
                        "the OS keychain's entry does not open this profile (it was replaced)",
                    ),
                })?;
            let leftover = self.root.rotating_vault_db(&rec.id).exists();
            if meta.pending.is_none() && !leftover {
                return Ok((hold, current, meta.rotation_version));
            }
            if wrap == Wrap::Keychain {
                return Err(Error::new(
                    ErrorCode::KeychainNeedsPassphrase,
                    "a key rotation was interrupted; finishing it needs the passphrase",
                ));
            }
            // Holding the shared lock, no rotation is running: these are a
            // crash's leftovers.
            drop(hold);
            let exclusive = exclusion::exclusive(&self.root, &rec.id, exclusion::EXCLUSIVE_WAIT)?;
            let meta = self.index.vault_meta(&rec.id)?;
            if let Some(current) = crypto::unwrap_pvk(kek, &meta.wrapped_pvk, &rec.id, meta.rotation_version)
            {
                rotation::recover(&self.root, &self.index, rec, kek, &meta, current)?;
            }
            drop(exclusive);
        }
        Err(Error::new(ErrorCode::VaultBusy, "the profile's key kept changing while it was being unlocked")
            .with_suggestion(
                "Another KeyClave is rotating this profile's key; wait for it to finish and unlock again.",
            ))
    }
}

/// Which wrap of the PVK a KEK opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wrap {
    /// The passphrase's (Argon2id) KEK.
    Passphrase,
    /// The OS keychain's random key.
    Keychain,
}

/// Work done right after unlock, in one transaction: deliver events
/// recorded while locked, note failed attempts, record the unlock, apply
/// audit retention, and read whether TOTP is on (to repair index.db's
/// mirror of it).
fn after_unlock(vault: &Vault, failed_attempts: u32, last_failed_at: Option<&str>) -> Result<()> {
    let profile_id = vault.profile_id();
    // Written here too, so profiles made before the copy existed get one.
    crate::index_copy::save_or_warn(vault.root(), &vault.index(), &profile_id);
    let pending = vault.index().pending_events(&profile_id)?;
    let s = vault.settings();
    let totp_enabled = vault.write(|w| {
        for e in &pending {
            audit::insert(w, &profile_id, &e.id, &e.event_type, &e.created_at, &e.metadata_json_redacted)?;
        }
        if failed_attempts > 0 {
            w.record(
                EventType::UnlockFailed,
                json!({ "failed_attempts": failed_attempts, "last_failed_at": last_failed_at }),
            )?;
        }
        w.record(EventType::Unlock, json!({}))?;
        audit::apply_retention(w, &profile_id, s.audit_retention_max_count, s.audit_retention_max_days)?;
        crate::totp::enabled_in(w, &profile_id)
    })?;
    crate::totp::sync_flag(vault, totp_enabled)?;
    // Delivery is idempotent (events keep their ids), so marking after the
    // vault commit is safe even if we crash in between.
    let ids: Vec<String> = pending.into_iter().map(|e| e.id).collect();
    let index = vault.index();
    index.mark_delivered(&ids)?;
    if failed_attempts > 0 {
        index.reset_failed_unlocks(&profile_id)?;
    }
    drop(index);
    // Runs a crash or a lock left open are marked aborted (a dead script is
    // never resumed). Not worth refusing the unlock over.
    if let Err(e) = crate::automation::history::sweep_interrupted(vault) {
        tracing::warn!(code = %e.code(), "marking interrupted automation runs failed");
    }
    Ok(())
}
