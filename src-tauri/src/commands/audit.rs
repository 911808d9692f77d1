//! The audit log.

use serde::Serialize;
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

/// One audit event for the UI; metadata (already redacted) as JSON text.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AuditEntry {
    /// Row id.
    pub id: String,
    /// `secret.reveal`, …
    pub event_type: String,
    /// UTC ISO 8601.
    pub created_at: String,
    /// Redacted metadata, a JSON object.
    pub metadata_json: String,
}

/// Newest first, optionally one event type.
#[tauri::command]
#[specta::specta]
pub async fn audit_log(
    state: State<'_, AppState>,
    limit: u32,
    event_type: Option<String>,
) -> CmdResult<Vec<AuditEntry>> {
    let events = state.user(move |v| v.audit_log(limit as usize, event_type.as_deref())).await?;
    Ok(events
        .into_iter()
        .map(|e| AuditEntry {
            id: e.id,
            event_type: e.event_type,
            created_at: e.created_at,
            metadata_json: e.metadata.to_string(),
        })
        .collect())
}
