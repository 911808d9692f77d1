//! Settings, passphrase, KDF, key rotation.

use keyclave_core::crypto::{KdfParams, SecretString};
use keyclave_core::rotation::{self, RotationStep};
use keyclave_core::settings::Settings;
use keyclave_core::{ErrorCode, passphrase};
use serde::Serialize;
use tauri::State;

use crate::error::CmdResult;
use crate::events::{AppEvent, RotationProgress, VaultLocked};
use crate::state::{AppState, blocking};

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
    Ok(state.session().for_user()?.settings())
}

/// Change settings (validated in core).
#[tauri::command]
#[specta::specta]
pub async fn update_settings(state: State<'_, AppState>, settings: Settings) -> CmdResult<Settings> {
    let saved = state.user(move |v| v.update_settings(settings)).await?;
    // Online/Autonomous Mode, the interval or quiet hours may have changed.
    state.start_scheduler();
    Ok(saved)
}

/// Change the passphrase (re-wrap only; both KDFs on a blocking thread).
#[tauri::command]
#[specta::specta]
pub async fn change_passphrase(state: State<'_, AppState>, current: String, next: String) -> CmdResult<()> {
    let (current, next) = (SecretString::new(current), SecretString::new(next));
    state.user(move |v| passphrase::change(&v, &current, &next)).await
}

/// KDF parameters.
#[tauri::command]
#[specta::specta]
pub async fn kdf_info(state: State<'_, AppState>) -> CmdResult<KdfInfo> {
    let current = state.user(move |v| passphrase::kdf_params(&v)).await?;
    Ok(KdfInfo { current, default: KdfParams::DEFAULT, weaker_than_default: current.weaker_than_default() })
}

/// Move to the default KDF parameters.
#[tauri::command]
#[specta::specta]
pub async fn upgrade_kdf(state: State<'_, AppState>, passphrase: String) -> CmdResult<KdfParams> {
    let passphrase = SecretString::new(passphrase);
    state.user(move |v| passphrase::upgrade_kdf(&v, &passphrase, KdfParams::DEFAULT)).await
}

/// Rotate the vault key, reporting progress as `vault://rotation` events.
/// The passphrase is checked first (a wrong one changes nothing); then the
/// vault leaves the session for the rotation (jobs stop, nothing else can
/// use it) and the new one is put back. If the rotation itself fails, the
/// vault stays locked and the UI is told.
#[tauri::command]
#[specta::specta]
pub async fn rotate_key(state: State<'_, AppState>, passphrase: String) -> CmdResult<u32> {
    let passphrase = SecretString::new(passphrase);
    let session = state.session().clone();
    let emit = state.emitter();
    let result = blocking(move || {
        let mut observer = |step: RotationStep| {
            emit(AppEvent::Rotation(RotationProgress::from(step)));
            Ok(())
        };
        rotation::rotate_in_session(&session, &passphrase, &mut observer)
    })
    .await;
    match result {
        Ok(version) => Ok(u32::try_from(version).unwrap_or(u32::MAX)),
        Err(e) => {
            if !state.session().is_unlocked() && e.code != ErrorCode::VaultWrongPassphrase {
                state.emit(AppEvent::Locked(VaultLocked { reason: "rotation_failed".into() }));
            }
            Err(e)
        }
    }
}
