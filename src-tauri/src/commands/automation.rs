//! Automation: scripts, their review, runs as jobs, and the checkpoints a
//! person decides in the window's approval dialog (`hitl://checkpoint`).
//!
//! A run works on a blocking thread with no lock held; a checkpoint is
//! shown through an event and decided by [`decide_checkpoint`], which core
//! checks against the rules (financial and irreversible only by a person,
//! TOTP for financial, once per checkpoint). Locking the vault cancels the
//! run's job token: the script is killed and the dialog closes.

use keyclave_core::automation::check::Report;
use keyclave_core::automation::checkpoint::{Decided, Decision, Pending};
use keyclave_core::automation::executor::{self, Person, RunEvent, RunOptions, RunSummary};
use keyclave_core::automation::history::{self, CheckpointRecord, Execution};
use keyclave_core::automation::script::{self, NewScript, Script};
use keyclave_core::automation::templates::{self, Template};
use keyclave_core::automation::{TaskType, python, setup};
use keyclave_core::jobs::JobKind;
use keyclave_core::{Error, Result};
use tauri::State;

use crate::error::CmdResult;
use crate::events::{AppEvent, AutomationLogged, CheckpointAsked, CheckpointClosed};
use crate::state::{AppState, blocking};

/// The built-in templates.
#[tauri::command]
#[specta::specta]
pub async fn automation_templates() -> CmdResult<Vec<Template>> {
    Ok(templates::ALL.to_vec())
}

/// What the automation runtime has and lacks (Python, Playwright, Chromium, bubblewrap).
#[tauri::command]
#[specta::specta]
pub async fn automation_setup_status(state: State<'_, AppState>) -> CmdResult<setup::Status> {
    let venv = python::venv_dir(state.root());
    blocking(move || Ok(setup::status(&venv))).await
}

/// Make the automation runtime (a venv with the pinned Playwright, from
/// PyPI) as a job whose progress the status bar shows. The window asks the
/// person first.
#[tauri::command]
#[specta::specta]
pub async fn automation_setup(state: State<'_, AppState>) -> CmdResult<setup::Status> {
    let vault = state.session().for_user()?;
    let job = state.session().jobs().start(&vault, JobKind::Automation, "Setting up automation");
    let venv = python::venv_dir(state.root());
    let work = tauri::async_runtime::spawn_blocking(move || {
        let result = setup::install(&venv, &|line| {
            let message: String = line.chars().take(120).collect();
            job.progress(keyclave_core::jobs::JobProgress { done: 0, total: None, message });
        });
        job.finish(result)
    });
    match work.await {
        Ok(r) => Ok(r?),
        Err(e) => Err(Error::internal(format!("a background task failed: {e}")).into()),
    }
}

/// Every script, by provider.
#[tauri::command]
#[specta::specta]
pub async fn list_scripts(state: State<'_, AppState>) -> CmdResult<Vec<Script>> {
    state.user(move |v| script::list(&v, None)).await
}

/// A new script from a template (or a source the person pasted).
#[derive(Debug, Clone, serde::Deserialize, specta::Type)]
pub struct NewScriptInput {
    /// Provider id.
    pub provider_id: String,
    /// Task type.
    pub task_type: TaskType,
    /// A template's name, or none for `source`.
    pub template: Option<String>,
    /// The source when there is no template.
    pub source: Option<String>,
    /// Title (default from the task).
    pub title: Option<String>,
    /// The page a template opens (default: the provider's dashboard).
    pub url: Option<String>,
}

/// Save a new script (pending review).
#[tauri::command]
#[specta::specta]
pub async fn create_script(state: State<'_, AppState>, input: NewScriptInput) -> CmdResult<Script> {
    state.user(move |v| create(&v, input)).await
}

fn create(v: &keyclave_core::Vault, input: NewScriptInput) -> Result<Script> {
    let (source, model_used) = match (&input.template, input.source) {
        (Some(name), _) => (
            templates::source_for(v, name, input.task_type, &input.provider_id, input.url)?,
            format!("template:{name}"),
        ),
        (None, Some(source)) => (source, "file".to_string()),
        (None, None) => return Err(Error::invalid("choose a template or paste a script")),
    };
    script::create(
        v,
        NewScript {
            provider_id: input.provider_id,
            task_type: input.task_type,
            title: input.title.unwrap_or_default(),
            description: String::new(),
            source,
            model_used,
            research: None,
            plan: None,
        },
    )
}

/// Save a new version of a script's source (pending review again).
#[tauri::command]
#[specta::specta]
pub async fn edit_script(state: State<'_, AppState>, id: String, source: String) -> CmdResult<Script> {
    state.user(move |v| script::edit(&v, &id, &source)).await
}

/// A script with the static checks of its current version.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct ScriptReview {
    /// The script.
    pub script: Script,
    /// The checks.
    pub report: Report,
    /// Its past reviews.
    pub reviews: Vec<CheckpointRecord>,
}

/// The static checks of a script (runs Python; no lock held).
#[tauri::command]
#[specta::specta]
pub async fn check_script(state: State<'_, AppState>, id: String) -> CmdResult<ScriptReview> {
    let root = state.root().clone();
    state
        .user(move |v| {
            let py = python::find(&root)?;
            let (script, report) = script::check(&v, &py, &id)?;
            let reviews = history::checkpoints(&v, None, Some(&script.id))?;
            Ok(ScriptReview { script, report, reviews })
        })
        .await
}

/// Approve or reject the version that was shown (`sha256`: its SHA-256;
/// a script changed since decides nothing). `repeat`: later runs of this
/// version start without asking first.
#[tauri::command]
#[specta::specta]
pub async fn review_script(
    state: State<'_, AppState>,
    id: String,
    sha256: String,
    approve: bool,
    notes: Option<String>,
    repeat: bool,
) -> CmdResult<Script> {
    let root = state.root().clone();
    state
        .user(move |v| {
            let py = python::find(&root)?;
            Ok(script::decide(&v, &py, &id, Some(&sha256), approve, notes.as_deref(), repeat)?.0)
        })
        .await
}

/// Delete a script with its runs.
#[tauri::command]
#[specta::specta]
pub async fn delete_script(state: State<'_, AppState>, id: String) -> CmdResult<Script> {
    state.user(move |v| script::delete(&v, &id)).await
}

/// The window as the person of a run.
/// Shows a desktop notification (title, body).
type Notify = Box<dyn Fn(&str, &str) + Send + Sync>;

struct Window {
    emit: Box<dyn Fn(AppEvent) + Send + Sync>,
    notify: Notify,
}

impl Person for Window {
    fn ask(&self, pending: &Pending) -> Result<()> {
        (self.emit)(AppEvent::Checkpoint(CheckpointAsked { checkpoint: pending.clone() }));
        // The description is the script's own words, checked to hold no
        // secret before it got here.
        (self.notify)(
            &format!("KeyClave: approval needed ({})", pending.kind.as_str()),
            &pending.description,
        );
        Ok(())
    }

    fn closed(&self, checkpoint_id: &str) {
        (self.emit)(AppEvent::CheckpointClosed(CheckpointClosed { id: checkpoint_id.to_string() }));
    }

    fn event(&self, event: &RunEvent) {
        (self.emit)(AppEvent::Automation(AutomationLogged { event: event.clone() }));
    }
}

/// Run an approved script as a job; its checkpoints come as
/// `hitl://checkpoint` events, its log as `automation://event`.
#[tauri::command]
#[specta::specta]
pub async fn run_script(state: State<'_, AppState>, id: String, headless: bool) -> CmdResult<RunSummary> {
    run(&state, id, headless).await
}

/// [`run_script`] without Tauri's wrapper.
pub async fn run(state: &AppState, id: String, headless: bool) -> CmdResult<RunSummary> {
    let vault = state.session().for_user()?;
    let v = vault.clone();
    let lookup = id.clone();
    let s = blocking(move || script::get(&v, &lookup)).await?;
    let job = state.session().jobs().start(&vault, JobKind::Automation, s.title.clone());
    let checkpoints = state.checkpoints().clone();
    let root = state.root().clone();
    let emit = state.emitter();
    let person = Window { emit: Box::new(emit), notify: Box::new(state.notifier()) };
    let token = job.token().clone();
    let work = tauri::async_runtime::spawn_blocking(move || {
        let py = python::find(&root)?;
        let options = RunOptions { headless, ..RunOptions::default() };
        executor::run(&vault, &py, &s.id, &checkpoints, &person, options, token)
    });
    let result = match work.await {
        Ok(r) => r,
        Err(e) => Err(Error::internal(format!("a background task failed: {e}"))),
    };
    Ok(job.finish(result)?)
}

/// Checkpoints waiting for a person now (the dialog after a reload).
#[tauri::command]
#[specta::specta]
pub async fn pending_checkpoints(state: State<'_, AppState>) -> CmdResult<Vec<Pending>> {
    state.session().for_user()?;
    Ok(state.checkpoints().pending())
}

/// The person's decision on a checkpoint (checked and recorded by core
/// before the script hears it).
#[tauri::command]
#[specta::specta]
pub async fn decide_checkpoint(state: State<'_, AppState>, decision: Decision) -> CmdResult<Decided> {
    let checkpoints = state.checkpoints().clone();
    state.user(move |v| checkpoints.decide(&v, decision)).await
}

/// Past runs (of one script, or all), newest first.
#[tauri::command]
#[specta::specta]
pub async fn run_history(state: State<'_, AppState>, script_id: Option<String>) -> CmdResult<Vec<Execution>> {
    state.user(move |v| history::executions(&v, script_id.as_deref(), 50)).await
}

/// One run: its events and checkpoint decisions.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct RunDetails {
    /// Events in order.
    pub events: Vec<RunEvent>,
    /// Checkpoint decisions.
    pub checkpoints: Vec<CheckpointRecord>,
}

/// A run's events and decisions.
#[tauri::command]
#[specta::specta]
pub async fn run_details(state: State<'_, AppState>, execution_id: String) -> CmdResult<RunDetails> {
    state
        .user(move |v| {
            Ok(RunDetails {
                events: history::events(&v, &execution_id)?,
                checkpoints: history::checkpoints(&v, Some(&execution_id), None)?,
            })
        })
        .await
}
