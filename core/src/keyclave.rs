//! [`KeyClave`]: the profiles of one data root, before unlock — create,
//! list, rename, delete, unlock (with back-off and rotation recovery).

use serde_json::json;

use crate::audit::EventType;
use crate::backoff;
use crate::crypto::{self, KdfParams, Kek, Pvk, SecretString};
use crate::error::{Error, ErrorCode, Result};
use crate::index::{Index, ProfileRecord, VaultMeta};
use crate::paths::{self, Root};
use crate::profile;
use crate::time;
use crate::vault::{self, Vault};

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

    /// The profile index (read-only use by fronts and tests).
    pub fn index(&self) -> &Index {
        &self.index
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
            };
            let meta = VaultMeta {
                kdf_params: used,
                kdf_salt: salt.to_vec(),
                wrapped_pvk: wrapped,
                rotation_version: 1,
                pending: None,
                failed_unlock_count: 0,
                last_failed_unlock_at: None,
            };
            self.index.insert_profile(&rec, &meta)?;
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
        self.authenticate(&rec, passphrase)?;
        // Rename the folder out of the way first, so a crash never leaves a
        // listed profile with half a vault.
        let dir = self.root.profile_dir(&rec.id);
        let doomed = self.root.profiles_dir().join(format!(".deleting-{}", rec.id));
        if dir.exists() {
            std::fs::rename(&dir, &doomed)?;
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
        Ok(())
    }

    /// Derive the KEK and unwrap the PVK, applying back-off and counting
    /// failures. A wrong passphrase changes nothing but the counter.
    fn authenticate(&self, rec: &ProfileRecord, passphrase: &SecretString) -> Result<(Kek, VaultMeta, Pvk)> {
        let meta = self.index.vault_meta(&rec.id)?;
        let last_failed = meta.last_failed_unlock_at.as_deref().and_then(time::parse);
        let wait = backoff::remaining(meta.failed_unlock_count, last_failed, chrono::Utc::now());
        if !wait.is_zero() {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Err(Error::new(
                ErrorCode::VaultThrottled,
                format!("too many failed attempts; try again in {secs} s"),
            )
            .with_retry_after(secs));
        }
        let kek = crypto::derive_kek(passphrase.expose_secret().as_bytes(), &meta.kdf_salt, meta.kdf_params)?;
        match crypto::unwrap_pvk(&kek, &meta.wrapped_pvk, &rec.id, meta.rotation_version) {
            Some(pvk) => Ok((kek, meta, pvk)),
            None => {
                self.index.record_failed_unlock(&rec.id)?;
                let failed = meta.failed_unlock_count.saturating_add(1);
                let mut err = Error::new(ErrorCode::VaultWrongPassphrase, "wrong passphrase");
                let next = backoff::delay_after(failed);
                if !next.is_zero() {
                    // Say when the next attempt is allowed, so a front can count down now.
                    err = err
                        .with_suggestion(format!(
                            "Check the passphrase and try again in {} s ({failed} failed attempts). A lost passphrase cannot be recovered.",
                            next.as_secs()
                        ))
                        .with_retry_after(next.as_secs());
                }
                Err(err)
            }
        }
    }

    /// Unlock a profile by name.
    pub fn unlock(&self, name: &str, passphrase: &SecretString) -> Result<Vault> {
        let rec = self.index.find_by_name(name)?;
        self.unlock_profile(rec, passphrase)
    }

    /// Unlock a profile record.
    pub fn unlock_profile(&self, rec: ProfileRecord, passphrase: &SecretString) -> Result<Vault> {
        let (kek, meta, pvk) = self.authenticate(&rec, passphrase)?;
        let (pvk, version) = self.recover_rotation(&rec, &kek, &meta, pvk)?;
        drop(kek);
        let index = Index::open(&self.root.index_db())?;
        let mut v = Vault::open(self.root.clone(), index, rec, pvk, version)?;
        v.after_unlock(meta.failed_unlock_count, meta.last_failed_unlock_at.as_deref())?;
        Ok(v)
    }

    /// Finish or roll back a PVK rotation that stopped part-way. Returns the
    /// key and version that open `vault.db`.
    fn recover_rotation(
        &self,
        rec: &ProfileRecord,
        kek: &Kek,
        meta: &VaultMeta,
        current: Pvk,
    ) -> Result<(Pvk, u64)> {
        let Some((pending_wrapped, pending_version)) = &meta.pending else {
            // Stopped before index.db knew of it: the copy is garbage.
            vault::remove_rotation_leftovers(&self.root, &rec.id)?;
            return Ok((current, meta.rotation_version));
        };
        let pending = crypto::unwrap_pvk(kek, pending_wrapped, &rec.id, *pending_version)
            .ok_or_else(|| Error::corruption("the pending rotation key in index.db does not authenticate"))?;
        let vault_path = self.root.vault_db(&rec.id);
        if vault::key_opens(&vault_path, &pending.db_key())? {
            // The switch happened; commit the new key.
            tracing::info!("completing an interrupted key rotation");
            self.index.commit_rotation(&rec.id)?;
            vault::remove_rotation_leftovers(&self.root, &rec.id)?;
            Ok((pending, *pending_version))
        } else if vault::key_opens(&vault_path, &current.db_key())? {
            // The switch never happened; forget the new key.
            tracing::info!("rolling back an interrupted key rotation");
            self.index.clear_pending_rotation(&rec.id)?;
            vault::remove_rotation_leftovers(&self.root, &rec.id)?;
            Ok((current, meta.rotation_version))
        } else {
            Err(Error::corruption("the vault file opens with neither the current nor the pending key"))
        }
    }
}
