//! Settings, passphrase, KDF, key rotation.

use keyclave_core::crypto::{KdfParams, SecretString};
use keyclave_core::settings::Settings;
use keyclave_core::vault::RotationStep;
use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_specta::Event;

use crate::error::CmdResult;
use crate::events::{RotationProgress, VaultLocked};
use crate::state::AppState;

/// Current and default KDF parameters.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct KdfInfo {
    /// Stored for the profile.
    pub current: KdfParams,
    /// KeyClave's default.
    pub default: KdfParams,
    /// Whether an upgrade is advised.
    pub weaker_than_default: bool,
}

/// The profile's settings.
#[tauri::command]
#[specta::specta]
pub async fn get_settings(state: State<'_, AppState>) -> CmdResult<Settings> {
    Ok(state.with_vault(|v| Ok(v.settings().clone()))?)
}

/// Change settings (validated in core).
#[tauri::command]
#[specta::specta]
pub async fn update_settings(state: State<'_, AppState>, settings: Settings) -> CmdResult<Settings> {
    Ok(state.with_vault(|v| {
        v.update_settings(settings)?;
        Ok(v.settings().clone())
    })?)
}

/// Change the passphrase (re-wrap only).
#[tauri::command]
#[specta::specta]
pub async fn change_passphrase(state: State<'_, AppState>, current: String, next: String) -> CmdResult<()> {
    let (current, next) = (SecretString::new(current), SecretString::new(next));
    Ok(state.with_vault(|v| v.change_passphrase(&current, &next))?)
}

/// KDF parameters.
#[tauri::command]
#[specta::specta]
pub async fn kdf_info(state: State<'_, AppState>) -> CmdResult<KdfInfo> {
    let current = state.with_vault(|v| v.kdf_params())?;
    Ok(KdfInfo { current, default: KdfParams::DEFAULT, weaker_than_default: current.weaker_than_default() })
}

/// Move to the default KDF parameters.
#[tauri::command]
#[specta::specta]
pub async fn upgrade_kdf(state: State<'_, AppState>, passphrase: String) -> CmdResult<KdfParams> {
    let passphrase = SecretString::new(passphrase);
    Ok(state.with_vault(|v| v.upgrade_kdf(&passphrase, KdfParams::DEFAULT))?)
}

/// Rotate the vault key, reporting progress as `RotationProgress` events.
/// The passphrase is checked first; then the vault is taken out of the
/// session for the rotation (no other command can use it meanwhile). If the
/// rotation itself fails, the vault stays locked and the UI is told.
#[tauri::command]
#[specta::specta]
pub async fn rotate_key(app: AppHandle, state: State<'_, AppState>, passphrase: String) -> CmdResult<u32> {
    let passphrase = SecretString::new(passphrase);
    let vault = {
        let mut session = state.session();
        session.vault()?.check_passphrase(&passphrase)?;
        session.take()?
    };
    let mut observer = |step: RotationStep| {
        let (name, done, total) = match step {
            RotationStep::Started => ("started", 0, 0),
            RotationStep::Exported => ("exported", 0, 0),
            RotationStep::Resealed { done, total } => ("resealed", done, total),
            RotationStep::Synced => ("synced", 0, 0),
            RotationStep::Prepared => ("prepared", 0, 0),
            RotationStep::Switched => ("switched", 0, 0),
            RotationStep::Committed => ("committed", 0, 0),
        };
        let _ = (RotationProgress {
            step: name.into(),
            done: u32::try_from(done).unwrap_or(u32::MAX),
            total: u32::try_from(total).unwrap_or(u32::MAX),
        })
        .emit(&app);
        Ok(())
    };
    let vault = match vault.rotate_key(&passphrase, &mut observer) {
        Ok(v) => v,
        Err(e) => {
            let _ = (VaultLocked { reason: "rotation_failed".into() }).emit(&app);
            return Err(e.into());
        }
    };
    let version = u32::try_from(vault.rotation_version()).unwrap_or(u32::MAX);
    state.session().unlocked(vault)?;
    Ok(version)
}
