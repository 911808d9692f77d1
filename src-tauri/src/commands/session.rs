//! Profiles, unlock, lock, activity.

use keyclave_core::Vault;
use keyclave_core::crypto::{KdfParams, SecretString};
use keyclave_core::index::ProfileRecord;
use keyclave_core::profile::{self, Strength};
use keyclave_core::secrets;
use keyclave_core::settings::Settings;
use serde::Serialize;
use tauri::State;

use crate::error::CmdResult;
use crate::state::{AppState, blocking};

/// The unlocked profile, as the UI needs it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Unlocked {
    /// The profile.
    pub profile: ProfileRecord,
    /// Its settings.
    pub settings: Settings,
    /// How many secrets it holds.
    pub secret_count: u32,
    /// Its folder cannot be written (a read-only disk): keys read and go
    /// out, every change is refused, nothing is recorded, and no
    /// background job runs.
    pub read_only: bool,
}

impl Unlocked {
    fn of(v: &Vault) -> Self {
        Unlocked {
            profile: v.profile(),
            settings: v.settings(),
            secret_count: u32::try_from(secrets::count(v)).unwrap_or(u32::MAX),
            read_only: v.read_only(),
        }
    }
}

/// Everything the UI needs at start.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AppStatus {
    /// Profiles, by name.
    pub profiles: Vec<ProfileRecord>,
    /// The unlocked profile, if any.
    pub unlocked: Option<Unlocked>,
}

/// Profiles and lock state.
#[tauri::command]
#[specta::specta]
pub async fn app_status(state: State<'_, AppState>) -> CmdResult<AppStatus> {
    let kc = state.keyclave();
    let profiles = blocking(move || kc?.profiles()).await?;
    let unlocked = state.session().vault().ok().map(|v| Unlocked::of(&v));
    Ok(AppStatus { profiles, unlocked })
}

/// Strength of a candidate passphrase, for the meter.
#[tauri::command]
#[specta::specta]
pub async fn passphrase_strength(passphrase: String, profile_name: String) -> CmdResult<Strength> {
    let passphrase = SecretString::new(passphrase);
    blocking(move || Ok(profile::strength(passphrase.expose_secret(), &[profile_name.as_str()]))).await
}

/// Store a vault unlocked off the async runtime in the session.
fn store(state: &AppState, vault: Vault) -> Unlocked {
    let info = Unlocked::of(&vault);
    if let Some(previous) = state.session().unlocked(vault) {
        // Replaced, not locked: the window stays unlocked.
        crate::state::close_in_background(previous);
    }
    state.start_scheduler();
    info
}

/// Create a profile with the default KDF and unlock it.
#[tauri::command]
#[specta::specta]
pub async fn create_profile(
    state: State<'_, AppState>,
    name: String,
    passphrase: String,
) -> CmdResult<Unlocked> {
    let passphrase = SecretString::new(passphrase);
    let kc = state.keyclave();
    let vault = blocking(move || {
        let mut kc = kc?;
        let rec = kc.create_profile(&name, &passphrase, KdfParams::DEFAULT)?;
        kc.unlock_profile(rec, &passphrase)
    })
    .await?;
    Ok(store(&state, vault))
}

/// Unlock a profile by name. The KDF runs on a blocking thread.
#[tauri::command]
#[specta::specta]
pub async fn unlock(state: State<'_, AppState>, profile: String, passphrase: String) -> CmdResult<Unlocked> {
    let passphrase = SecretString::new(passphrase);
    let kc = state.keyclave();
    let vault = blocking(move || kc?.unlock(&profile, &passphrase)).await?;
    Ok(store(&state, vault))
}

/// Unlock with the key the OS keychain holds for the profile (keychain
/// unlock on); a `keychain.*` error tells the window to ask for the
/// passphrase instead.
#[tauri::command]
#[specta::specta]
pub async fn unlock_with_keychain(state: State<'_, AppState>, profile: String) -> CmdResult<Unlocked> {
    let kc = state.keyclave();
    let vault = blocking(move || {
        let kc = kc?;
        let rec = kc.select_profile(Some(&profile))?;
        kc.unlock_with_keychain(rec)
    })
    .await?;
    Ok(store(&state, vault))
}

/// Rebuild index.db from the profile folders (after `index.damaged` at
/// start); the damaged file is kept beside it.
#[tauri::command]
#[specta::specta]
pub async fn repair_index(state: State<'_, AppState>) -> CmdResult<keyclave_core::index_copy::RebuildReport> {
    let root = state.root().clone();
    blocking(move || keyclave_core::index_copy::rebuild(&root)).await
}

/// Lock now. Answers at once: the vault leaves the session, running jobs
/// stop, and the lock is recorded once in-flight work has committed.
#[tauri::command]
#[specta::specta]
pub async fn lock(state: State<'_, AppState>) -> CmdResult<()> {
    state.lock_now("user");
    Ok(())
}

/// User activity in the window: restart the idle timer.
#[tauri::command]
#[specta::specta]
pub async fn touch(state: State<'_, AppState>) -> CmdResult<()> {
    state.session().touch();
    Ok(())
}
