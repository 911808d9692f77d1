//! Unlock with the OS keychain: its state, and turning it on or off
//! (both need the passphrase).

use keyclave_core::crypto::SecretString;
use keyclave_core::keychain::{self, KeychainState};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

/// Whether keychain unlock is on for the unlocked profile and would work.
#[tauri::command]
#[specta::specta]
pub async fn keychain_status(state: State<'_, AppState>) -> CmdResult<KeychainState> {
    state.user(|v| keychain::status(&v)).await
}

/// Turn keychain unlock on (or repair it).
#[tauri::command]
#[specta::specta]
pub async fn keychain_enable(state: State<'_, AppState>, passphrase: String) -> CmdResult<KeychainState> {
    let passphrase = SecretString::new(passphrase);
    state
        .user(move |v| {
            keychain::enable(&v, &passphrase)?;
            keychain::status(&v)
        })
        .await
}

/// Turn keychain unlock off and remove the OS keychain's entry.
#[tauri::command]
#[specta::specta]
pub async fn keychain_disable(state: State<'_, AppState>, passphrase: String) -> CmdResult<KeychainState> {
    let passphrase = SecretString::new(passphrase);
    state
        .user(move |v| {
            keychain::disable(&v, &passphrase)?;
            keychain::status(&v)
        })
        .await
}
