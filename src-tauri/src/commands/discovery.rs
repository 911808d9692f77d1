//! The Alerts screen: discovery findings, "Check now", the sources, and
//! opening a finding's page in the system browser.

use keyclave_core::discovery::log::LogEntry;
use keyclave_core::discovery::schedule::DiscoveryStatus;
use keyclave_core::discovery::{
    self, Finding, FindingQuery, FindingStatus, RunReport, SourceInfo, SourceKind, Trigger, sources,
};
use keyclave_core::jobs::{JobKind, JobProgress};
use keyclave_core::{Error, ErrorCode};
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;

use crate::error::CmdResult;
use crate::state::{AppState, notify_critical};

/// The findings matching `query`, most urgent first.
#[tauri::command]
#[specta::specta]
pub async fn list_findings(state: State<'_, AppState>, query: FindingQuery) -> CmdResult<Vec<Finding>> {
    state.user(move |v| discovery::findings::list(&v, &query)).await
}

/// Mark a finding reviewed, actioned or dismissed (or new again), with an
/// optional note.
#[tauri::command]
#[specta::specta]
pub async fn mark_finding(
    state: State<'_, AppState>,
    id: String,
    status: FindingStatus,
    notes: Option<String>,
) -> CmdResult<Finding> {
    state.user(move |v| discovery::findings::mark(&v, &id, status, notes.as_deref())).await
}

/// What the Alerts header shows.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct DiscoveryOverview {
    /// Findings not looked at yet (the navigation badge).
    pub new_count: u32,
    /// The hosts a run contacts (listed beside the switch).
    pub hosts: Vec<String>,
    /// When the next daily run is due.
    pub next_run_at: Option<String>,
    /// When one last ran.
    pub last_run_at: Option<String>,
    /// What the daily loop is doing.
    pub status: DiscoveryStatus,
}

/// The Alerts header: the badge count, the hosts, the schedule.
#[tauri::command]
#[specta::specta]
pub async fn discovery_overview(state: State<'_, AppState>) -> CmdResult<DiscoveryOverview> {
    let status = state.discovery_status();
    state
        .user(move |v| {
            let (next_run_at, last_run_at) = discovery::schedule::times(&v)?;
            Ok(DiscoveryOverview {
                new_count: discovery::findings::count_new(&v)?,
                hosts: sources::hosts(&v)?,
                next_run_at,
                last_run_at,
                status,
            })
        })
        .await
}

/// "Check now": a run over every watched provider, as a job the status bar
/// shows; `net.offline` when the Discovery network is off.
#[tauri::command]
#[specta::specta]
pub async fn run_discovery(state: State<'_, AppState>) -> CmdResult<RunReport> {
    let vault = state.session().for_user()?;
    let job = state.session().jobs().start(&vault, JobKind::Discovery, "Checking providers");
    let progress = |done: u32, total: u32| {
        job.progress(JobProgress { done, total: Some(total), message: format!("{done}/{total} providers") });
    };
    let result = discovery::run(&vault, Trigger::OnDemand, None, job.token(), &progress).await;
    let report = job.finish(result)?;
    notify_critical(&state.notifier(), report.new_critical);
    Ok(report)
}

/// Every source of the watched providers.
#[tauri::command]
#[specta::specta]
pub async fn discovery_sources(state: State<'_, AppState>) -> CmdResult<Vec<SourceInfo>> {
    state.user(move |v| sources::list(&v)).await
}

/// Switch a source on or off.
#[tauri::command]
#[specta::specta]
pub async fn set_discovery_source_enabled(
    state: State<'_, AppState>,
    id: String,
    enabled: bool,
) -> CmdResult<SourceInfo> {
    state.user(move |v| sources::set_enabled(&v, &id, enabled)).await
}

/// Watch a URL of the user's own for a provider.
#[tauri::command]
#[specta::specta]
pub async fn add_discovery_source(
    state: State<'_, AppState>,
    provider_id: String,
    url: String,
    kind: SourceKind,
    selector: Option<String>,
) -> CmdResult<SourceInfo> {
    state.user(move |v| sources::add(&v, &provider_id, &url, kind, selector.as_deref())).await
}

/// Remove one of the user's sources.
#[tauri::command]
#[specta::specta]
pub async fn remove_discovery_source(state: State<'_, AppState>, id: String) -> CmdResult<()> {
    state.user(move |v| sources::remove(&v, &id)).await
}

/// The search log, newest first.
#[tauri::command]
#[specta::specta]
pub async fn discovery_log(state: State<'_, AppState>, limit: u32) -> CmdResult<Vec<LogEntry>> {
    state.user(move |v| discovery::log::list(&v, limit as usize)).await
}

/// Open a finding's page in the system browser. The address is the stored
/// finding's, never one the window sends, and only http(s).
#[tauri::command]
#[specta::specta]
pub async fn open_finding(app: AppHandle, state: State<'_, AppState>, id: String) -> CmdResult<()> {
    let f = state.user(move |v| discovery::findings::find(&v, &id)).await?;
    if !(f.source_url.starts_with("https://") || f.source_url.starts_with("http://")) {
        return Err(Error::invalid("the finding's address is not a web page").into());
    }
    app.opener()
        .open_url(f.source_url, None::<&str>)
        .map_err(|e| Error::new(ErrorCode::StorageIo, format!("the browser could not be opened: {e}")))?;
    Ok(())
}
