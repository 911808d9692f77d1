//! Projects: scan a folder's Markdown (progress as events), show its
//! requirements with citations and its service recommendations, record
//! accept/reject decisions, forget a project.

use keyclave_core::project::{Project, Recommendation, Requirement, ReviewStatus, ScanReport};
use keyclave_core::scan::{ScanOptions, ScanProgress};
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, Instant};
use tauri::{AppHandle, State};
use tauri_specta::Event;

use crate::error::CmdResult;
use crate::events::ScanProgressed;
use crate::state::AppState;

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
    Ok(state.session().vault()?.projects()?)
}

/// Scan a folder (registering it as a project), emitting `project://scan`
/// progress events about five times a second.
#[tauri::command]
#[specta::specta]
pub async fn scan_project(app: AppHandle, state: State<'_, AppState>, dir: String) -> CmdResult<ScanReport> {
    let options = ScanOptions { cancel: Some(state.scan_cancel_flag()), ..ScanOptions::default() };
    let mut session = state.session();
    let vault = session.vault()?;
    let mut last = Instant::now();
    let mut progress = |p: &ScanProgress| {
        if last.elapsed() >= Duration::from_millis(200) {
            let _ = ScanProgressed::from(*p).emit(&app);
            last = Instant::now();
        }
    };
    let report = vault.scan_project(Path::new(dir.trim()), &options, &mut progress)?;
    let _ = ScanProgressed::from(report.progress).emit(&app);
    Ok(report)
}

/// Stop the running scan (it ends with `scan.cancelled`, storing nothing).
#[tauri::command]
#[specta::specta]
pub async fn cancel_scan(state: State<'_, AppState>) -> CmdResult<()> {
    state.cancel_scan();
    Ok(())
}

/// A project's requirements and recommendations (by id, folder or name).
#[tauri::command]
#[specta::specta]
pub async fn project_details(state: State<'_, AppState>, project: String) -> CmdResult<ProjectDetails> {
    let mut session = state.session();
    let vault = session.vault()?;
    let project = vault.find_project(&project)?;
    Ok(ProjectDetails {
        requirements: vault.project_requirements(&project.id)?,
        recommendations: vault.recommendations(&project.id)?,
        project,
    })
}

/// Accept, reject or reset a requirement.
#[tauri::command]
#[specta::specta]
pub async fn set_requirement_status(
    state: State<'_, AppState>,
    id: String,
    decision: ReviewStatus,
) -> CmdResult<()> {
    Ok(state.session().vault()?.set_requirement_status(&id, decision)?)
}

/// Accept, reject or reset a service recommendation.
#[tauri::command]
#[specta::specta]
pub async fn set_recommendation_status(
    state: State<'_, AppState>,
    id: String,
    decision: ReviewStatus,
) -> CmdResult<()> {
    Ok(state.session().vault()?.set_recommendation_status(&id, decision)?)
}

/// Forget a project (its folder and the vault's keys are untouched).
#[tauri::command]
#[specta::specta]
pub async fn remove_project(state: State<'_, AppState>, project: String) -> CmdResult<Project> {
    Ok(state.session().vault()?.remove_project(&project)?)
}
