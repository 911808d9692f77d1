//! Settings, passphrase, KDF, key rotation.

use keyclave_core::crypto::{KdfParams, SecretString};
use keyclave_core::rotation::{self, RotationStep};
use keyclave_core::settings::Settings;
use keyclave_core::{ErrorCode, diagnostics, passphrase};
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

/// What a written diagnostics package holds, for the confirmation.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DiagnosticsWritten {
    /// Where it was written.
    pub path: String,
    /// Profiles listed.
    pub profiles: u32,
    /// Log records included.
    pub log_lines: u32,
    /// Whether the unlocked profile's integrity checks passed.
    pub integrity_ok: bool,
}

/// Write a diagnostics package of the unlocked profile to an absolute
/// path, or to the Downloads folder when `path` is empty
/// (`keyclave_core::diagnostics`: no value, key name, profile name or home
/// path; nothing is sent). An existing file is replaced only with
/// `overwrite`.
#[tauri::command]
#[specta::specta]
pub async fn export_diagnostics(
    state: State<'_, AppState>,
    path: String,
    overwrite: bool,
) -> CmdResult<DiagnosticsWritten> {
    let keyclave = state.keyclave();
    state
        .user(move |v| {
            let target = match path.trim() {
                "" => diagnostics::default_path().ok_or_else(|| {
                    keyclave_core::Error::invalid("there is no Downloads or home folder to write to")
                })?,
                typed => super::absolute_path(typed, "diagnostics")?.to_path_buf(),
            };
            let target = target.as_path();
            let package = diagnostics::collect(&keyclave?, Some(&v))?;
            diagnostics::write(&package, target, overwrite)?;
            Ok(DiagnosticsWritten {
                path: target.display().to_string(),
                profiles: u32::try_from(package.profile_count).unwrap_or(u32::MAX),
                log_lines: u32::try_from(package.log_tail.len()).unwrap_or(u32::MAX),
                integrity_ok: package.integrity_ok(),
            })
        })
        .await
}
