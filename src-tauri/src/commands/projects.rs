//! Projects: scan a folder's Markdown as a background job (progress as
//! events, cancel by job id, stopped by lock), show its requirements with
//! citations and its service recommendations, record accept/reject
//! decisions, forget a project. Also the list of running jobs.

use keyclave_core::jobs::{JobInfo, JobKind, JobProgress};
use keyclave_core::projects::{self, Project, Recommendation, Requirement, ReviewStatus, ScanReport};
use keyclave_core::scan::{ScanOptions, ScanProgress};
use serde::Serialize;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tauri::State;

use crate::error::CmdResult;
use crate::events::{AppEvent, ScanProgressed};
use crate::state::{AppState, blocking};

/// A project with what its last scan found.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ProjectDetails {
    /// The project.
    pub project: Project,
    /// Requirements, highest confidence first.
    pub requirements: Vec<Requirement>,
    /// Recommendations, highest score first.
    pub recommendations: Vec<Recommendation>,
}

/// Every registered project.
#[tauri::command]
#[specta::specta]
pub async fn list_projects(state: State<'_, AppState>) -> CmdResult<Vec<Project>> {
    state.user(move |v| projects::list(&v)).await
}

/// How often scan progress reaches the window.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// Scan a folder (registering it as a project) as a job: `project://scan`
/// progress events about five times a second and `jobs://changed` for the
/// status bar. The walk runs on a blocking thread with no lock held; the
/// vault locking, or `cancel_job`, stops it and nothing is stored.
pub async fn scan(state: &AppState, dir: String) -> CmdResult<ScanReport> {
    let vault = state.session().for_user()?;
    let root = PathBuf::from(dir.trim());
    let label =
        root.file_name().map_or_else(|| root.display().to_string(), |n| n.to_string_lossy().into_owned());
    // One scan at a time: a new one replaces the one before.
    state.session().jobs().cancel_kind(JobKind::Scan);
    let job = state.session().jobs().start(&vault, JobKind::Scan, label);
    let emit = state.emitter();
    blocking(move || {
        // A background job leaves a core to the window (on two cores, a
        // scan on both starves the web view's rendering of answers).
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1));
        let options = ScanOptions { cancel: Some(job.token().clone()), threads, ..ScanOptions::default() };
        let job_id = job.id() as f64;
        // The first report goes out at once ("finding files" → counts).
        let mut last: Option<Instant> = None;
        let mut progress = |p: &ScanProgress| {
            if last.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) {
                emit(AppEvent::Scan(ScanProgressed { job_id, progress: *p }));
                job.progress(JobProgress {
                    done: p.files_seen,
                    total: None,
                    message: format!("{} docs read", p.files_seen),
                });
                last = Some(Instant::now());
            }
        };
        let report = projects::scan(&vault, &root, &options, &mut progress);
        if let Ok(r) = &report {
            emit(AppEvent::Scan(ScanProgressed { job_id, progress: r.progress }));
        }
        job.finish(report)
    })
    .await
}

/// Scan a folder; see [`scan`].
#[tauri::command]
#[specta::specta]
pub async fn scan_project(state: State<'_, AppState>, dir: String) -> CmdResult<ScanReport> {
    scan(&state, dir).await
}

/// Stop the running scan (it ends with `scan.cancelled`, storing nothing).
#[tauri::command]
#[specta::specta]
pub async fn cancel_scan(state: State<'_, AppState>) -> CmdResult<()> {
    state.session().jobs().cancel_kind(JobKind::Scan);
    Ok(())
}

/// What runs in the background now (for the status bar).
#[tauri::command]
#[specta::specta]
pub async fn list_jobs(state: State<'_, AppState>) -> CmdResult<Vec<JobInfo>> {
    Ok(state.session().jobs().list())
}

/// Stop one background job (`job.not_found` when it already ended).
#[tauri::command]
#[specta::specta]
pub async fn cancel_job(state: State<'_, AppState>, id: f64) -> CmdResult<()> {
    Ok(state.session().jobs().cancel(id as u64)?)
}

/// A project's requirements and recommendations (by id, folder or name).
#[tauri::command]
#[specta::specta]
pub async fn project_details(state: State<'_, AppState>, project: String) -> CmdResult<ProjectDetails> {
    state
        .user(move |v| {
            let project = projects::find(&v, &project)?;
            Ok(ProjectDetails {
                requirements: projects::requirements(&v, &project.id)?,
                recommendations: projects::recommendations(&v, &project.id)?,
                project,
            })
        })
        .await
}

/// Accept, reject or reset a requirement.
#[tauri::command]
#[specta::specta]
pub async fn set_requirement_status(
    state: State<'_, AppState>,
    id: String,
    decision: ReviewStatus,
) -> CmdResult<()> {
    state.user(move |v| projects::set_requirement_status(&v, &id, decision)).await
}

/// Accept, reject or reset a service recommendation.
#[tauri::command]
#[specta::specta]
pub async fn set_recommendation_status(
    state: State<'_, AppState>,
    id: String,
    decision: ReviewStatus,
) -> CmdResult<()> {
    state.user(move |v| projects::set_recommendation_status(&v, &id, decision)).await
}

/// Forget a project (its folder and the vault's keys are untouched).
#[tauri::command]
#[specta::specta]
pub async fn remove_project(state: State<'_, AppState>, project: String) -> CmdResult<Project> {
    state.user(move |v| projects::remove(&v, &project)).await
}
