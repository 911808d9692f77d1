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

/// Progress of a project scan.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[tauri_specta(event_name = "project://scan")]
pub struct ScanProgressed {
    /// Markdown files found so far.
    pub files_seen: u32,
    /// Files parsed (new or changed).
    pub files_parsed: u32,
    /// Files not parsed again (same hash).
    pub files_unchanged: u32,
    /// Files not read (too large, binary, unreadable).
    pub files_skipped: u32,
    /// Bytes read (a float: may exceed 2^32).
    pub bytes_read: f64,
}

impl From<keyclave_core::scan::ScanProgress> for ScanProgressed {
    fn from(p: keyclave_core::scan::ScanProgress) -> Self {
        ScanProgressed {
            files_seen: p.files_seen,
            files_parsed: p.files_parsed,
            files_unchanged: p.files_unchanged,
            files_skipped: p.files_skipped,
            bytes_read: p.bytes_read as f64,
        }
    }
}
