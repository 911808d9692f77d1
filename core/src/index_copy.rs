//! Each profile folder keeps a copy of its row of index.db (name, KDF
//! parameters and salt, the wrapped key, a rotation's pending key) in
//! `index-copy.json`, so a damaged index.db can be rebuilt from the
//! folders ([`rebuild`]). It holds what index.db holds, nothing more (no
//! secret: the key is wrapped under the passphrase) and is rewritten after
//! every change of that row: a crash in between leaves the previous row,
//! whose key still opens the vault (or whose pending key unlock recovers).
//! The keychain wrap and the failure counters are not copied: a rebuilt
//! profile has keychain unlock off.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

use crate::crypto::KdfParams;
use crate::error::{Error, ErrorCode, Result};
use crate::index::{Index, ProfileRecord, VaultMeta};
use crate::paths::Root;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Copy {
    v: u8,
    id: String,
    display_name: String,
    created_at: String,
    kdf_params: KdfParams,
    kdf_salt: String,
    wrapped_pvk: String,
    rotation_version: u64,
    #[serde(default)]
    pending: Option<PendingCopy>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PendingCopy {
    wrapped_pvk: String,
    rotation_version: u64,
}

/// Write the profile's current row of `index` into its folder.
pub(crate) fn save(root: &Root, index: &Index, profile_id: &str) -> Result<()> {
    let rec = index.find_by_id(profile_id)?;
    let meta = index.vault_meta(profile_id)?;
    let copy = Copy {
        v: 1,
        id: rec.id.clone(),
        display_name: rec.display_name,
        created_at: rec.created_at,
        kdf_params: meta.kdf_params,
        kdf_salt: hex::encode(&meta.kdf_salt),
        wrapped_pvk: hex::encode(&meta.wrapped_pvk),
        rotation_version: meta.rotation_version,
        pending: meta.pending.map(|(w, v)| PendingCopy { wrapped_pvk: hex::encode(w), rotation_version: v }),
    };
    let bytes = crate::error::to_json(&copy)?.into_bytes();
    crate::paths::write_private_atomic(&root.index_copy(&rec.id), &bytes, true)
}

/// [`save`], logging instead of failing: the copy is a spare; the change
/// it follows has already committed.
pub(crate) fn save_or_warn(root: &Root, index: &Index, profile_id: &str) {
    if let Err(e) = save(root, index, profile_id) {
        tracing::warn!(code = %e.code(), "the profile folder's copy of its index row was not updated");
    }
}

/// What [`rebuild`] did.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct RebuildReport {
    /// Profiles put back, by name.
    pub restored: Vec<String>,
    /// Profile folders that could not be put back, and why.
    pub skipped: Vec<String>,
    /// Where the damaged index.db was moved (kept for inspection).
    pub damaged_copy: Option<PathBuf>,
}

fn load(root: &Root, folder: &str) -> Result<(ProfileRecord, VaultMeta)> {
    let path = root.index_copy(folder);
    let text = std::fs::read_to_string(&path).map_err(|_| Error::invalid("it has no index-copy.json"))?;
    let c: Copy =
        serde_json::from_str(&text).map_err(|_| Error::invalid("its index-copy.json is unreadable"))?;
    let hex = |s: &str| hex::decode(s).map_err(|_| Error::invalid("its index-copy.json is unreadable"));
    if c.v != 1 || c.id != folder || !root.vault_db(folder).exists() {
        return Err(Error::invalid("its index-copy.json does not match the folder"));
    }
    c.kdf_params.validate().map_err(|_| Error::invalid("its KDF parameters are out of range"))?;
    let pending = match c.pending {
        Some(p) => Some((hex(&p.wrapped_pvk)?, p.rotation_version)),
        None => None,
    };
    let rec = ProfileRecord {
        id: c.id,
        display_name: c.display_name,
        created_at: c.created_at.clone(),
        updated_at: crate::time::now(),
        totp_enabled: false,
        keychain_unlock: false,
    };
    let meta = VaultMeta {
        kdf_params: c.kdf_params,
        kdf_salt: hex(&c.kdf_salt)?,
        wrapped_pvk: hex(&c.wrapped_pvk)?,
        rotation_version: c.rotation_version,
        pending,
        keychain_wrapped_pvk: None,
        failed_unlock_count: 0,
        last_failed_unlock_at: None,
    };
    Ok((rec, meta))
}

/// Rebuild index.db from the profile folders' copies: the damaged file
/// (and its -wal/-shm) is moved aside as `index.db.damaged-<time>`, a new
/// index is created, and each folder with a valid copy and a vault is put
/// back. The vaults are not touched; TOTP's flag is repaired at the next
/// unlock, audit events that were waiting in the old index are lost.
pub fn rebuild(root: &Root) -> Result<RebuildReport> {
    let index_path = root.index_db();
    let mut damaged_copy = None;
    if index_path.exists() {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let aside = root.dir().join(format!("index.db.damaged-{stamp}"));
        std::fs::rename(&index_path, &aside)?;
        for side in ["-wal", "-shm"] {
            let from = root.dir().join(format!("index.db{side}"));
            if from.exists() {
                std::fs::rename(&from, root.dir().join(format!("index.db.damaged-{stamp}{side}")))?;
            }
        }
        damaged_copy = Some(aside);
    }
    let mut index = Index::open(&index_path)?;
    let mut report = RebuildReport { restored: Vec::new(), skipped: Vec::new(), damaged_copy };
    let mut folders: Vec<String> = match std::fs::read_dir(root.profiles_dir()) {
        Ok(rd) => rd.filter_map(|e| e.ok()).filter_map(|e| e.file_name().into_string().ok()).collect(),
        Err(_) => Vec::new(),
    };
    folders.sort();
    for folder in folders.into_iter().filter(|f| uuid::Uuid::parse_str(f).is_ok()) {
        match load(root, &folder).and_then(|(rec, meta)| index.insert_profile(&rec, &meta).map(|()| rec)) {
            Ok(rec) => report.restored.push(rec.display_name),
            Err(e) => {
                let why = if e.code() == ErrorCode::ProfileAlreadyExists {
                    "its name is taken"
                } else {
                    e.message()
                };
                report.skipped.push(format!("{folder}: {why}"));
            }
        }
    }
    Ok(report)
}
