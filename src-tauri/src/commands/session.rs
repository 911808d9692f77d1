//! Profiles, unlock, lock, activity.

use keyclave_core::Vault;
use keyclave_core::crypto::{KdfParams, SecretString};
use keyclave_core::index::ProfileRecord;
use keyclave_core::profile::{self, Strength};
use keyclave_core::settings::Settings;
use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_specta::Event;

use crate::error::CmdResult;
use crate::events::VaultLocked;
use crate::state::AppState;

/// The unlocked profile, as the UI needs it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Unlocked {
    /// The profile.
    pub profile: ProfileRecord,
    /// Its settings.
    pub settings: Settings,
    /// How many secrets it holds.
    pub secret_count: u32,
}

impl Unlocked {
    fn of(v: &Vault) -> Self {
        Unlocked {
            profile: v.profile().clone(),
            settings: v.settings().clone(),
            secret_count: u32::try_from(v.secret_count()).unwrap_or(u32::MAX),
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
    let profiles = state.keyclave()?.profiles()?;
    let unlocked = state.session().peek().map(Unlocked::of);
    Ok(AppStatus { profiles, unlocked })
}

/// Strength of a candidate passphrase, for the meter.
#[tauri::command]
#[specta::specta]
pub async fn passphrase_strength(passphrase: String, profile_name: String) -> CmdResult<Strength> {
    let passphrase = SecretString::new(passphrase);
    Ok(profile::strength(passphrase.expose_secret(), &[profile_name.as_str()]))
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
    let mut kc = state.keyclave()?;
    let rec = kc.create_profile(&name, &passphrase, KdfParams::DEFAULT)?;
    let vault = kc.unlock_profile(rec, &passphrase)?;
    let info = Unlocked::of(&vault);
    state.session().unlocked(vault)?;
    Ok(info)
}

/// Unlock a profile by name.
#[tauri::command]
#[specta::specta]
pub async fn unlock(state: State<'_, AppState>, profile: String, passphrase: String) -> CmdResult<Unlocked> {
    let passphrase = SecretString::new(passphrase);
    // The KDF runs without holding the session lock.
    let vault = state.keyclave()?.unlock(&profile, &passphrase)?;
    let info = Unlocked::of(&vault);
    state.session().unlocked(vault)?;
    Ok(info)
}

/// Lock now.
#[tauri::command]
#[specta::specta]
pub async fn lock(app: AppHandle, state: State<'_, AppState>) -> CmdResult<()> {
    if state.session().lock()? {
        let _ = (VaultLocked { reason: "user".into() }).emit(&app);
    }
    Ok(())
}

/// User activity in the window: restart the idle timer.
#[tauri::command]
#[specta::specta]
pub async fn touch(state: State<'_, AppState>) -> CmdResult<()> {
    state.session().touch();
    Ok(())
}
