//! Events the backend emits to the UI (typed, exported to bindings.ts).

use keyclave_core::jobs::{JobInfo, JobOutcome};
use keyclave_core::rotation::RotationStep;
use keyclave_core::scan::ScanProgress;
use serde::{Deserialize, Serialize};
use tauri::AppHandle;
use tauri_specta::Event;

/// The vault was locked (`idle`: the auto-lock timer; `user`: the UI
/// asked; `rotation_failed`: a key rotation stopped part-way).
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
    /// What the step does, in words (from core).
    pub label: String,
    /// 0 to 1.
    pub fraction: f64,
    /// Sealed fields re-sealed so far.
    pub done: u32,
    /// Sealed fields in all.
    pub total: u32,
}

impl From<RotationStep> for RotationProgress {
    fn from(step: RotationStep) -> Self {
        let (done, total) = match step {
            RotationStep::Resealed { done, total } => (done, total),
            _ => (0, 0),
        };
        RotationProgress {
            label: step.label().to_owned(),
            fraction: step.fraction(),
            done: u32::try_from(done).unwrap_or(u32::MAX),
            total: u32::try_from(total).unwrap_or(u32::MAX),
        }
    }
}

/// A copied secret was cleared from the clipboard.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[tauri_specta(event_name = "vault://clipboard-cleared")]
pub struct ClipboardCleared {
    /// Key name of the secret that was copied.
    pub key_name: String,
}

/// Progress of a project scan (a job).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[tauri_specta(event_name = "project://scan")]
pub struct ScanProgressed {
    /// The scan's job id (to cancel it).
    pub job_id: f64,
    /// The counters so far.
    pub progress: ScanProgress,
}

/// The running jobs changed (one started, progressed or ended).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[tauri_specta(event_name = "jobs://changed")]
pub struct JobsChanged {
    /// What runs now, oldest first.
    pub running: Vec<JobInfo>,
    /// The job that just ended, if one did, and how.
    pub ended: Option<JobEnded>,
}

/// A job that ended.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct JobEnded {
    /// Its id.
    pub id: f64,
    /// How it ended.
    pub outcome: JobOutcome,
}

/// The background refresh loop changed state (off, quiet, idle with the
/// next time, refreshing n of m); a pass that refreshed keys means the
/// dashboard has new data.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[tauri_specta(event_name = "dashboard://scheduler")]
pub struct SchedulerChanged {
    /// What it does now.
    pub status: keyclave_core::dashboard::schedule::SchedulerStatus,
}

/// The daily discovery loop changed state; `ran` means the findings
/// changed (the Alerts screen and its badge reload).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[tauri_specta(event_name = "discovery://changed")]
pub struct DiscoveryChanged {
    /// What it does now.
    pub status: keyclave_core::discovery::schedule::DiscoveryStatus,
}

/// A checkpoint waits for a person: the global approval dialog shows it.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[tauri_specta(event_name = "hitl://checkpoint")]
pub struct CheckpointAsked {
    /// What to show, with the id and nonce the decision must carry.
    pub checkpoint: keyclave_core::automation::checkpoint::Pending,
}

/// A checkpoint stopped waiting (decided, expired, its run ended).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[tauri_specta(event_name = "hitl://closed")]
pub struct CheckpointClosed {
    /// Its id.
    pub id: String,
}

/// A run recorded an event (redacted), for the live log.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[tauri_specta(event_name = "automation://event")]
pub struct AutomationLogged {
    /// The event.
    pub event: keyclave_core::automation::executor::RunEvent,
}

/// Any event, for the one emitter the state holds.
#[derive(Debug, Clone)]
pub enum AppEvent {
    /// `vault://locked`.
    Locked(VaultLocked),
    /// `vault://rotation`.
    Rotation(RotationProgress),
    /// `vault://clipboard-cleared`.
    ClipboardCleared(ClipboardCleared),
    /// `project://scan`.
    Scan(ScanProgressed),
    /// `jobs://changed`.
    Jobs(JobsChanged),
    /// `dashboard://scheduler`.
    Scheduler(SchedulerChanged),
    /// `discovery://changed`.
    Discovery(DiscoveryChanged),
    /// `hitl://checkpoint`.
    Checkpoint(CheckpointAsked),
    /// `hitl://closed`.
    CheckpointClosed(CheckpointClosed),
    /// `automation://event`.
    Automation(AutomationLogged),
}

impl AppEvent {
    /// Emit to every window.
    pub fn emit(self, app: &AppHandle) {
        let result = match self {
            AppEvent::Locked(e) => e.emit(app),
            AppEvent::Rotation(e) => e.emit(app),
            AppEvent::ClipboardCleared(e) => e.emit(app),
            AppEvent::Scan(e) => e.emit(app),
            AppEvent::Jobs(e) => e.emit(app),
            AppEvent::Scheduler(e) => e.emit(app),
            AppEvent::Discovery(e) => e.emit(app),
            AppEvent::Checkpoint(e) => e.emit(app),
            AppEvent::CheckpointClosed(e) => e.emit(app),
            AppEvent::Automation(e) => e.emit(app),
        };
        if let Err(e) = result {
            tracing::warn!("cannot emit an event: {e}");
        }
    }
}
