//! Opt-in unlock with the OS keychain (Secret Service on Linux, Keychain on
//! macOS, Credential Manager on Windows, through the `keyring` crate).
//!
//! Turning it on stores a random 32-byte key in the OS credential store
//! and a second wrap of the PVK under that key in index.db
//! (`keychain_wrapped_pvk`); the passphrase wrap is untouched and always
//! works. Turning it on or off needs the passphrase. A key rotation
//! re-wraps both ([`crate::rotation`] reads the keychain key first). When
//! the entry is gone (removed by hand, or the profile folder was copied to
//! another machine) keychain unlock fails with `keychain.entry_missing`
//! and the fronts fall back to the passphrase.
//!
//! Every call here may block on the OS (a D-Bus round trip, a keyring
//! unlock prompt): fronts call it off the async runtime, and no vault or
//! index lock is held across it.

use serde::Serialize;
use serde_json::json;

use crate::audit::EventType;
use crate::crypto::{self, KEY_LEN, Kek, SecretString};
use crate::error::{Error, ErrorCode, Result};
use crate::vault::Vault;

/// The service name of KeyClave's entries in the OS credential store.
pub const SERVICE: &str = "KeyClave";

/// Whether keychain unlock is on for a profile and whether it would work.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeychainState {
    /// Off: only the passphrase unlocks.
    Off,
    /// On, and the OS keychain holds the profile's entry.
    Ready,
    /// On, but the OS keychain has no entry for it (removed, another machine).
    EntryMissing,
    /// On, but the OS keychain cannot be reached or refused access.
    Unavailable,
    /// On, but the key changed without the keychain (a rotation while the
    /// keychain was unreachable): turn it off and on again.
    NeedsRepair,
}

fn entry(profile_id: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, &format!("profile {profile_id}")).map_err(unavailable)
}

fn unavailable(e: keyring::Error) -> Error {
    match e {
        keyring::Error::NoEntry => Error::new(
            ErrorCode::KeychainEntryMissing,
            "the OS keychain has no entry for this profile (it was removed, or this is another machine)",
        ),
        // The platform's message says what is wrong (no Secret Service on
        // the bus, a locked collection) and holds no secret.
        other => {
            Error::new(ErrorCode::KeychainUnavailable, format!("the OS keychain cannot be used: {other}"))
        }
    }
}

/// Read the keychain key of a profile from the OS credential store.
pub(crate) fn load_key(profile_id: &str) -> Result<Kek> {
    let bytes = zeroize::Zeroizing::new(entry(profile_id)?.get_secret().map_err(unavailable)?);
    let arr: [u8; KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
        Error::new(
            ErrorCode::KeychainEntryMissing,
            "the OS keychain's entry for this profile is not KeyClave's key",
        )
    })?;
    Ok(Kek::from_bytes(arr))
}

/// Whether a failed keychain unlock should make a front ask for the
/// passphrase instead (every `keychain.*` refusal), rather than fail.
pub fn falls_back(e: &Error) -> bool {
    matches!(
        e.code(),
        ErrorCode::KeychainNotEnabled
            | ErrorCode::KeychainEntryMissing
            | ErrorCode::KeychainUnavailable
            | ErrorCode::KeychainNeedsPassphrase
    )
}

/// The state of keychain unlock for a profile, asking the OS keychain
/// whether the entry is there (the key is read, and dropped at once).
fn state(keychain_unlock: bool, keychain_wrapped: bool, profile_id: &str) -> KeychainState {
    if !keychain_unlock {
        return KeychainState::Off;
    }
    if !keychain_wrapped {
        return KeychainState::NeedsRepair;
    }
    match load_key(profile_id) {
        Ok(_) => KeychainState::Ready,
        Err(e) if e.code() == ErrorCode::KeychainEntryMissing => KeychainState::EntryMissing,
        Err(_) => KeychainState::Unavailable,
    }
}

/// The state of keychain unlock for the unlocked profile.
pub fn status(vault: &Vault) -> Result<KeychainState> {
    let profile = vault.profile();
    let meta = vault.index().vault_meta(&profile.id)?;
    Ok(state(profile.keychain_unlock, meta.keychain_wrapped_pvk.is_some(), &profile.id))
}

/// Turn keychain unlock on (or repair it): check the passphrase, store a
/// new random key in the OS keychain, then its wrap of the PVK in
/// index.db. Records `profile.keychain_enable`.
pub fn enable(vault: &Vault, passphrase: &SecretString) -> Result<()> {
    let auth = crate::passphrase::check(vault, passphrase)?;
    drop(auth.kek);
    let id = vault.profile_id();
    let key = Kek::generate();
    entry(&id)?.set_secret(key.expose_secret()).map_err(unavailable)?;
    let wrapped = crypto::wrap_pvk(&key, vault.pvk(), &id, vault.rotation_version());
    vault.index().set_keychain_wrap(&id, Some(&wrapped))?;
    vault.set_keychain_flag(true);
    vault.write(|w| w.record(EventType::KeychainEnable, json!({})))
}

/// Turn keychain unlock off: check the passphrase, forget the wrap in
/// index.db, then remove the OS keychain's entry (already gone is fine).
/// Records `profile.keychain_disable`.
pub fn disable(vault: &Vault, passphrase: &SecretString) -> Result<()> {
    let auth = crate::passphrase::check(vault, passphrase)?;
    drop(auth.kek);
    let id = vault.profile_id();
    vault.index().set_keychain_wrap(&id, None)?;
    vault.set_keychain_flag(false);
    forget(&id);
    vault.write(|w| w.record(EventType::KeychainDisable, json!({})))
}

/// Remove a profile's entry from the OS keychain (turned off, or the
/// profile deleted); already gone is fine. The wrap in index.db is gone
/// first, so a stale entry left in an unreachable keychain opens nothing
/// and is only untidy.
pub(crate) fn forget(profile_id: &str) {
    match entry(profile_id).and_then(|e| e.delete_credential().map_err(unavailable)) {
        Ok(()) => {}
        Err(e) if e.code() == ErrorCode::KeychainEntryMissing => {}
        Err(e) => tracing::warn!(code = %e.code(), "the keychain entry could not be removed"),
    }
}
