//! Secrets: list, add, edit, delete, reveal, copy.

use keyclave_core::crypto::SecretString;
use keyclave_core::providers;
use keyclave_core::secrets::{
    self, Environment, NewSecret, Provenance, Saved, SecretEdit, SecretPage, SecretQuery, SecretSummary,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tauri::{AppHandle, State};
use tauri_plugin_clipboard_manager::ClipboardExt;
use tauri_specta::Event;
use zeroize::Zeroizing;

use crate::error::{CmdResult, UiError};
use crate::events::ClipboardCleared;
use crate::state::AppState;

/// A provider for pickers.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ProviderInfo {
    /// Id (`github`).
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Canonical env var.
    pub env_var: String,
}

/// Filters for the list.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct SecretQueryInput {
    /// Only this provider.
    pub provider_id: Option<String>,
    /// Only this environment.
    pub environment: Option<Environment>,
    /// Substring search.
    pub search: Option<String>,
    /// Skip this many.
    pub offset: Option<u32>,
    /// At most this many.
    pub limit: Option<u32>,
}

/// A new secret from the add dialog.
#[derive(Deserialize, specta::Type)]
pub struct NewSecretInput {
    /// Env var name.
    pub key_name: String,
    /// The value.
    pub value: String,
    /// Provider (suggested from the key name when absent).
    pub provider_id: Option<String>,
    /// Environment.
    pub environment: Option<Environment>,
    /// Notes.
    pub notes: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// The key's own API base URL (empty or absent: none).
    pub endpoint: Option<String>,
}

/// The edit dialog's full desired state; `value` absent keeps the value.
#[derive(Deserialize, specta::Type)]
pub struct SecretEditInput {
    /// New value, or keep.
    pub value: Option<String>,
    /// Provider.
    pub provider_id: String,
    /// Environment.
    pub environment: Option<Environment>,
    /// Notes.
    pub notes: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// The key's own API base URL (empty or absent: none).
    pub endpoint: Option<String>,
}

/// What a copy did.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Copied {
    /// The clipboard is cleared after this many seconds.
    pub clear_after_seconds: u32,
}

/// Every provider, `generic` first.
#[tauri::command]
#[specta::specta]
pub async fn list_providers() -> CmdResult<Vec<ProviderInfo>> {
    Ok(providers::all()
        .iter()
        .map(|p| ProviderInfo {
            id: p.id.into(),
            display_name: p.display_name.into(),
            env_var: p.env_var.into(),
        })
        .collect())
}

/// The provider a key name suggests.
#[tauri::command]
#[specta::specta]
pub async fn suggest_provider(key_name: String) -> CmdResult<String> {
    Ok(secrets::suggest_provider(&key_name).to_owned())
}

/// List or search (values never included).
#[tauri::command]
#[specta::specta]
pub async fn list_secrets(state: State<'_, AppState>, query: SecretQueryInput) -> CmdResult<SecretPage> {
    let q = SecretQuery {
        provider_id: query.provider_id,
        environment: query.environment,
        search: query.search,
        offset: query.offset.unwrap_or(0) as usize,
        limit: query.limit.map(|l| l as usize),
    };
    state.user(move |v| Ok(secrets::list(&v, &q))).await
}

/// Add a secret.
#[tauri::command]
#[specta::specta]
pub async fn add_secret(state: State<'_, AppState>, input: NewSecretInput) -> CmdResult<Saved> {
    let new = NewSecret {
        key_name: input.key_name,
        value: SecretString::new(input.value),
        provider_id: input.provider_id,
        environment: input.environment,
        notes: input.notes,
        tags: input.tags,
        provenance: Provenance::manual(),
        endpoint: keyclave_core::endpoint::parse_optional(input.endpoint.as_deref())?,
    };
    state.user(move |v| secrets::add(&v, new)).await
}

/// Edit a secret.
#[tauri::command]
#[specta::specta]
pub async fn edit_secret(
    state: State<'_, AppState>,
    key_name: String,
    provider_id: String,
    edit: SecretEditInput,
) -> CmdResult<Saved> {
    let edit = SecretEdit {
        value: edit.value.map(SecretString::new),
        provider_id: Some(edit.provider_id),
        environment: Some(edit.environment),
        notes: Some(edit.notes),
        tags: Some(edit.tags),
        endpoint: Some(keyclave_core::endpoint::parse_optional(edit.endpoint.as_deref())?),
    };
    state.user(move |v| secrets::edit(&v, &key_name, Some(&provider_id), edit)).await
}

/// Delete a secret.
#[tauri::command]
#[specta::specta]
pub async fn delete_secret(
    state: State<'_, AppState>,
    key_name: String,
    provider_id: String,
) -> CmdResult<SecretSummary> {
    state.user(move |v| secrets::delete(&v, &key_name, Some(&provider_id))).await
}

/// Reveal a value (explicit; audited). The UI hides it again after 10 s.
#[tauri::command]
#[specta::specta]
pub async fn reveal_secret(
    state: State<'_, AppState>,
    key_name: String,
    provider_id: String,
    totp_code: Option<String>,
) -> CmdResult<String> {
    let value =
        state.user(move |v| secrets::reveal(&v, &key_name, Some(&provider_id), totp_code.as_deref())).await?;
    Ok(value.expose_secret().to_owned())
}

/// Copy a value to the clipboard (it never reaches the web view) and clear
/// it after the profile's delay if it is still there.
#[tauri::command]
#[specta::specta]
pub async fn copy_secret(
    app: AppHandle,
    state: State<'_, AppState>,
    key_name: String,
    provider_id: String,
    totp_code: Option<String>,
) -> CmdResult<Copied> {
    let name = key_name.clone();
    let (value, delay) = state
        .user(move |v| {
            let value = secrets::copy(&v, &name, Some(&provider_id), totp_code.as_deref())?;
            Ok((value, v.settings().clipboard_auto_clear_seconds))
        })
        .await?;
    let text = Zeroizing::new(value.expose_secret().to_owned());
    app.clipboard().write_text(text.as_str()).map_err(|e| {
        UiError::from(keyclave_core::Error::invalid(format!("cannot use the clipboard: {e}")))
    })?;
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(u64::from(delay)));
        let still_ours = app.clipboard().read_text().map(|t| Zeroizing::new(t) == text).unwrap_or(false);
        if still_ours {
            let _ = app.clipboard().write_text("");
            let _ = (ClipboardCleared { key_name }).emit(&app);
        }
    });
    Ok(Copied { clear_after_seconds: delay })
}
