//! The profile passphrase: checking it (one rule, with back-off, for unlock
//! and for every operation that asks for it again), changing it, and
//! moving the KDF to new parameters.
//!
//! The KDF (Argon2id, ~0.4 s and 128 MiB by default) always runs with no
//! lock held: the stored metadata is read first, the key derived, then the
//! result committed in one short step.

use serde_json::json;

use crate::audit::EventType;
use crate::backoff;
use crate::crypto::{self, KdfParams, Kek, Pvk, SecretString};
use crate::error::{Error, ErrorCode, Result};
use crate::index::{Index, VaultMeta};
use crate::vault::Vault;

/// What a right passphrase gives: the KEK and the stored metadata it was
/// checked against (the KEK unwraps the profile vault key again when that
/// metadata moved on meanwhile).
pub(crate) struct Authenticated {
    pub(crate) kek: Kek,
    pub(crate) meta: VaultMeta,
}

/// Refuse early attempts after repeated failures (`vault.throttled`).
fn throttle(meta: &VaultMeta) -> Result<()> {
    backoff::check(
        meta.failed_unlock_count,
        meta.last_failed_unlock_at.as_deref(),
        chrono::Utc::now(),
        ErrorCode::VaultThrottled,
        "failed attempts",
    )
}

/// Count a failure in index.db and build the `vault.wrong_passphrase`
/// error, saying when the next attempt is allowed once a delay applies.
fn wrong(index: &Index, profile_id: &str, meta: &VaultMeta) -> Result<Error> {
    match index.record_failed_unlock(profile_id) {
        Ok(()) => {}
        // A disk that cannot be written still gets "wrong passphrase", not
        // a storage error; its back-off cannot be kept (a copy there can be
        // attacked offline anyway, the back-off is no defence for it).
        Err(e) if matches!(e.code(), ErrorCode::StorageFull | ErrorCode::StorageReadOnly) => {
            tracing::warn!(code = %e.code(), "a failed unlock could not be counted");
        }
        Err(e) => return Err(e),
    }
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
    Ok(err)
}

/// Refuse an empty passphrase before anything else: no passphrase was
/// given (a cron job's closed stdin), which is not a wrong guess and
/// never counts towards the back-off. No profile has an empty one.
fn given(passphrase: &SecretString) -> Result<()> {
    if passphrase.expose_secret().is_empty() {
        return Err(Error::new(ErrorCode::VaultPassphraseMissing, "no passphrase was given"));
    }
    Ok(())
}

/// Derive the KEK from `passphrase` and unwrap the PVK (no lock held).
fn unwrap(meta: &VaultMeta, profile_id: &str, passphrase: &SecretString) -> Result<Option<(Kek, Pvk)>> {
    let kek = crypto::derive_kek(passphrase.expose_secret().as_bytes(), &meta.kdf_salt, meta.kdf_params)?;
    Ok(crypto::unwrap_pvk(&kek, &meta.wrapped_pvk, profile_id, meta.rotation_version).map(|pvk| (kek, pvk)))
}

/// Check a profile's passphrase before unlock: back-off first, then the
/// KDF; a wrong passphrase changes nothing but the failure counter.
pub(crate) fn authenticate(
    index: &Index,
    profile_id: &str,
    passphrase: &SecretString,
) -> Result<Authenticated> {
    given(passphrase)?;
    let meta = index.vault_meta(profile_id)?;
    throttle(&meta)?;
    match unwrap(&meta, profile_id, passphrase)? {
        Some((kek, _)) => Ok(Authenticated { kek, meta }),
        None => Err(wrong(index, profile_id, &meta)?),
    }
}

/// Check that `passphrase` is the unlocked profile's current one (before
/// an operation that asks for it again). Same back-off and counting as
/// unlocking; the KDF runs with no lock held.
pub(crate) fn check(vault: &Vault, passphrase: &SecretString) -> Result<Authenticated> {
    given(passphrase)?;
    let profile_id = vault.profile_id();
    let meta = vault.index().vault_meta(&profile_id)?;
    throttle(&meta)?;
    match unwrap(&meta, &profile_id, passphrase)? {
        Some((kek, pvk)) if pvk.expose_secret() == vault.pvk().expose_secret() => {
            if meta.failed_unlock_count > 0 {
                vault.index().reset_failed_unlocks(&profile_id)?;
            }
            Ok(Authenticated { kek, meta })
        }
        _ => Err(wrong(&vault.index(), &profile_id, &meta)?
            .with_suggestion("Check the current passphrase and try again.")),
    }
}

/// Check the current passphrase (for fronts that confirm it before a
/// destructive step). `vault.wrong_passphrase` when it is not.
pub fn verify(vault: &Vault, passphrase: &SecretString) -> Result<()> {
    check(vault, passphrase).map(|_| ())
}

/// Re-wrap the same PVK under `new` with `params` (new salt): derive the
/// new KEK with no lock held, then store the wrap and the audit event
/// together. Returns the parameters used (the 64 MiB fallback if memory
/// ran out).
fn rewrap(
    vault: &Vault,
    new: &SecretString,
    params: KdfParams,
    event: EventType,
    metadata: impl FnOnce(KdfParams) -> serde_json::Value,
) -> Result<KdfParams> {
    params.validate()?;
    let salt: [u8; crypto::SALT_LEN] = crypto::random_bytes();
    let (kek, used) = crypto::derive_kek_with_fallback(new.expose_secret().as_bytes(), &salt, params)?;
    let profile_id = vault.profile_id();
    let wrapped = crypto::wrap_pvk(&kek, vault.pvk(), &profile_id, vault.rotation_version());
    drop(kek);
    // Inside the vault's write: refused if the vault locked meanwhile.
    vault.write(|w| {
        vault.index().set_wrap(&profile_id, used, &salt, &wrapped)?;
        crate::index_copy::save_or_warn(vault.root(), &vault.index(), &profile_id);
        w.record(event, metadata(used))
    })?;
    Ok(used)
}

/// Change the passphrase (re-wrap only; the vault is untouched).
pub fn change(vault: &Vault, current: &SecretString, new: &SecretString) -> Result<()> {
    crate::profile::validate_new_passphrase(new)?;
    let auth = check(vault, current)?;
    rewrap(vault, new, auth.meta.kdf_params, EventType::PassphraseChange, |_| json!({}))?;
    Ok(())
}

/// The KDF parameters stored for the profile.
pub fn kdf_params(vault: &Vault) -> Result<KdfParams> {
    Ok(vault.index().vault_meta(&vault.profile_id())?.kdf_params)
}

/// Re-derive the KEK with new parameters (e.g. upgrade to the default).
/// Returns the parameters stored (the 64 MiB fallback if memory ran out).
pub fn upgrade_kdf(vault: &Vault, passphrase: &SecretString, params: KdfParams) -> Result<KdfParams> {
    params.validate()?;
    let auth = check(vault, passphrase)?;
    let old = auth.meta.kdf_params;
    rewrap(vault, passphrase, params, EventType::KdfUpgrade, |used| json!({ "from": old, "to": used }))
}
