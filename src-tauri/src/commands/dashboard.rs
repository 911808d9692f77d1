//! The key dashboard, validation and the background refresh schedule.

use keyclave_core::dashboard::schedule::SchedulerStatus;
use keyclave_core::dashboard::{self, HistoryPoint, Overview, RefreshReport};
use keyclave_core::jobs::{JobKind, JobProgress};
use keyclave_core::validation::{self, Outcome};
use tauri::State;

use crate::error::CmdResult;
use crate::state::{AppState, blocking};

/// Every key with its latest snapshot, from cached data (no network).
#[tauri::command]
#[specta::specta]
pub async fn get_dashboard(state: State<'_, AppState>) -> CmdResult<Overview> {
    state.user(move |v| dashboard::overview(&v)).await
}

/// A key's daily history (for the chart), oldest first.
#[tauri::command]
#[specta::specta]
pub async fn key_history(
    state: State<'_, AppState>,
    key_name: String,
    provider_id: String,
    days: u32,
) -> CmdResult<Vec<HistoryPoint>> {
    state
        .user(move |v| {
            let s = keyclave_core::secrets::find(&v, &key_name, Some(&provider_id))?;
            dashboard::history(&v, &s, days)
        })
        .await
}

/// `provider/KEY` names for core's selection; none means every key.
fn names(keys: &[KeyRef]) -> Vec<String> {
    keys.iter().map(|k| format!("{}/{}", k.provider_id, k.key_name)).collect()
}

/// A key named by the UI.
#[derive(Debug, Clone, serde::Deserialize, specta::Type)]
pub struct KeyRef {
    /// Env var name.
    pub key_name: String,
    /// Provider id.
    pub provider_id: String,
}

/// Refresh keys now (every key when `keys` is empty), as a job the status
/// bar shows; `net.offline` when Online Mode is off.
#[tauri::command]
#[specta::specta]
pub async fn refresh_dashboard(state: State<'_, AppState>, keys: Vec<KeyRef>) -> CmdResult<RefreshReport> {
    refresh(&state, keys).await
}

/// [`refresh_dashboard`] without Tauri's wrapper.
pub async fn refresh(state: &AppState, keys: Vec<KeyRef>) -> CmdResult<RefreshReport> {
    let vault = state.session().for_user()?;
    let names = names(&keys);
    let v = vault.clone();
    let targets = blocking(move || validation::select(&v, &names, names.is_empty())).await?;
    let job = state.session().jobs().start(&vault, JobKind::Refresh, "Refreshing the dashboard");
    let progress = |done: u32, total: u32| {
        job.progress(JobProgress { done, total: Some(total), message: format!("{done}/{total} keys") });
    };
    let result = dashboard::refresh(&vault, targets, job.token(), &progress).await;
    Ok(job.finish(result)?)
}

/// Check keys with their providers (every key when `keys` is empty).
#[tauri::command]
#[specta::specta]
pub async fn validate_keys(state: State<'_, AppState>, keys: Vec<KeyRef>) -> CmdResult<Vec<Outcome>> {
    validate(&state, keys).await
}

/// [`validate_keys`] without Tauri's wrapper.
pub async fn validate(state: &AppState, keys: Vec<KeyRef>) -> CmdResult<Vec<Outcome>> {
    let vault = state.session().for_user()?;
    let names = names(&keys);
    let v = vault.clone();
    let targets = blocking(move || validation::select(&v, &names, names.is_empty())).await?;
    let job = state.session().jobs().start(&vault, JobKind::Validate, "Checking keys");
    let progress = |done: u32, total: u32| {
        job.progress(JobProgress { done, total: Some(total), message: format!("{done}/{total} keys") });
    };
    let result = validation::validate(&vault, targets, job.token(), &progress).await;
    Ok(job.finish(result)?)
}

/// The hosts validation and refresh would contact for the vault's keys:
/// shown before Online Mode is turned on.
#[tauri::command]
#[specta::specta]
pub async fn online_hosts(state: State<'_, AppState>) -> CmdResult<Vec<String>> {
    state.user(move |v| validation::hosts_to_contact(&v)).await
}

/// What the background refresh is doing.
#[tauri::command]
#[specta::specta]
pub async fn scheduler_status(state: State<'_, AppState>) -> CmdResult<SchedulerStatus> {
    Ok(state.scheduler_status())
}
