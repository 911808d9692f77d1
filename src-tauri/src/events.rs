//! Events the backend emits to the UI (typed, exported to bindings.ts).

use serde::{Deserialize, Serialize};

/// The vault was locked (`idle`: the auto-lock timer; `user`: the UI asked).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[tauri_specta(event_name = "vault://locked")]
pub struct VaultLocked {
    /// Why.
    pub reason: String,
}

/// Progress of a key rotation.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[tauri_specta(event_name = "vault://rotation")]
pub struct RotationProgress {
    /// Step name.
    pub step: String,
    /// Sealed fields re-sealed so far.
    pub done: u32,
    /// Sealed fields in all.
    pub total: u32,
}

/// A copied secret was cleared from the clipboard.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[tauri_specta(event_name = "vault://clipboard-cleared")]
pub struct ClipboardCleared {
    /// Key name of the secret that was copied.
    pub key_name: String,
}
