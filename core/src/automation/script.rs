//! Automation scripts and their versions.
//!
//! A script belongs to a provider and a task type. Its source holds
//! placeholders (`{{OPENAI_API_KEY}}`, `kc.secret("OPENAI_API_KEY")`),
//! never values: saving a source with a line the redaction function calls a
//! secret is refused, naming the line. Every edit makes a new version
//! (kept in `automation_script_versions`), pending review again.
//!
//! Approving is itself a recorded `script_review` decision in
//! `hitl_checkpoints`, bound to the SHA-256 of that exact version's source,
//! and only possible when the static checks find no error. Its context
//! keeps what the person approved with the source: the keys the script may
//! ask for and store, the hosts and checkpoint types. Every run compares the
//! source it is about to start with that hash.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use url::Url;

use super::check::{self, Allowlist, Report};
use super::python::Interpreter;
use super::{CheckpointType, TaskType, sha256_hex};
use crate::audit::EventType;
use crate::catalog::SecretQuery;
use crate::error::{Error, ErrorCode, Result};
use crate::vault::Vault;

/// The longest source accepted, in bytes.
pub const MAX_SOURCE: usize = 256 * 1024;

/// Approval state (`automation_scripts.approval_status`).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[serde(rename = "ScriptApproval")]
pub enum Approval {
    /// Waiting for review (new, or a new version).
    Pending,
    /// Approved (this version).
    Approved,
    /// Rejected (this version).
    Rejected,
}

impl Approval {
    fn parse(s: &str) -> Approval {
        match s {
            "approved" => Approval::Approved,
            "rejected" => Approval::Rejected,
            _ => Approval::Pending,
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Approval::Pending => "pending",
            Approval::Approved => "approved",
            Approval::Rejected => "rejected",
        }
    }
}

/// A script, at its current version.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Script {
    /// Its id.
    pub id: String,
    /// Its provider.
    pub provider_id: String,
    /// What it is for.
    pub task_type: TaskType,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// The current version's source.
    pub source: String,
    /// SHA-256 of the source.
    pub sha256: String,
    /// `template:<name>`, `file`, or the model that wrote it.
    pub model_used: String,
    /// Current version (from 1).
    pub version: u32,
    /// Review state of the current version.
    pub approval: Approval,
    /// When it was approved.
    pub approved_at: Option<String>,
    /// Runs in all.
    pub execution_count: u32,
    /// When it last ran.
    pub last_executed_at: Option<String>,
    /// How the last run ended.
    pub last_execution_status: Option<String>,
    /// Skip the per-run confirmation of an unchanged approved version.
    pub auto_approve_repeat: bool,
    /// Created.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
    /// Research notes (a model's), when any.
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Unknown>))]
    pub research: Option<serde_json::Value>,
    /// The plan (a model's), when any.
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Unknown>))]
    pub plan: Option<serde_json::Value>,
}

/// A new script.
#[derive(Debug, Clone)]
pub struct NewScript {
    /// Its provider (a registry id).
    pub provider_id: String,
    /// What it is for.
    pub task_type: TaskType,
    /// Title (defaults from the task when empty).
    pub title: String,
    /// Description.
    pub description: String,
    /// The Python source.
    pub source: String,
    /// `template:<name>`, `file`, or a model.
    pub model_used: String,
    /// What a model found out before writing it (shown in the review; no secrets).
    pub research: Option<serde_json::Value>,
    /// The steps it planned (shown in the review; no secrets).
    pub plan: Option<serde_json::Value>,
}

/// What an approval covered, read back by a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Approved {
    /// The version approved.
    pub version: u32,
    /// Its SHA-256.
    pub sha256: String,
    /// Keys the script may ask for.
    pub placeholders: Vec<String>,
    /// Keys it may store.
    pub stores: Vec<String>,
    /// Hosts its URLs name.
    pub hosts: Vec<String>,
    /// Checkpoint types it raises.
    pub checkpoints: Vec<CheckpointType>,
}

const COLUMNS: &str = "id, provider_id, task_type, title, description, script_content, model_used, version,
     approval_status, approved_at, execution_count, last_executed_at, last_execution_status,
     auto_approve_repeat, created_at, updated_at, research_data_json, plan_data_json";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Script> {
    let source: String = r.get(5)?;
    let task: String = r.get(2)?;
    Ok(Script {
        id: r.get(0)?,
        provider_id: r.get(1)?,
        task_type: TaskType::parse(&task).unwrap_or(TaskType::Custom),
        title: r.get(3)?,
        description: r.get(4)?,
        sha256: sha256_hex(source.as_bytes()),
        source,
        model_used: r.get(6)?,
        version: r.get(7)?,
        approval: Approval::parse(&r.get::<_, String>(8)?),
        approved_at: r.get(9)?,
        execution_count: r.get(10)?,
        last_executed_at: r.get(11)?,
        last_execution_status: r.get(12)?,
        auto_approve_repeat: r.get(13)?,
        created_at: r.get(14)?,
        updated_at: r.get(15)?,
        research: r.get::<_, Option<String>>(16)?.and_then(|j| serde_json::from_str(&j).ok()),
        plan: r.get::<_, Option<String>>(17)?.and_then(|j| serde_json::from_str(&j).ok()),
    })
}

fn not_found(id: &str) -> Error {
    Error::new(ErrorCode::AutomationScriptNotFound, format!("no automation script {id:?}"))
}

/// The source's own problems that block saving it: too long, empty, or a
/// line that looks like it holds a secret (named by line).
fn check_saveable(source: &str) -> Result<()> {
    if source.trim().is_empty() {
        return Err(Error::invalid("the script is empty"));
    }
    if source.len() > MAX_SOURCE {
        return Err(Error::invalid(format!("the script is larger than {} KiB", MAX_SOURCE / 1024)));
    }
    let lines = check::secret_lines(source);
    if !lines.is_empty() {
        let shown: Vec<String> = lines.iter().take(5).map(u32::to_string).collect();
        return Err(Error::new(
            ErrorCode::AutomationScriptRefused,
            format!("the script was not saved: line {} looks like it holds a secret value", shown.join(", ")),
        )
        .with_suggestion("Scripts hold placeholders, never values: write {{NAME}} or kc.secret(\"NAME\") and keep the value in the vault."));
    }
    Ok(())
}

fn clean_title(title: &str, task: TaskType, provider_id: &str) -> Result<String> {
    let title = title.trim();
    if title.chars().any(char::is_control) || title.chars().count() > 200 {
        return Err(Error::invalid("a script title has at most 200 characters and no control characters"));
    }
    Ok(if title.is_empty() {
        format!("{} ({provider_id})", task.as_str().replace('_', " "))
    } else {
        title.to_string()
    })
}

/// Research or plan JSON, checked to hold no secret (it is shown and stored).
fn clean_notes_json(what: &str, value: Option<&serde_json::Value>) -> Result<Option<String>> {
    let Some(v) = value else { return Ok(None) };
    let mut redacted = v.clone();
    crate::redact::redact_json(&mut redacted);
    if &redacted != v {
        return Err(Error::new(
            ErrorCode::AutomationScriptRefused,
            format!("the script's {what} looks like it holds a secret; it was not saved"),
        ));
    }
    let text = v.to_string();
    if text.len() > MAX_SOURCE {
        return Err(Error::invalid(format!("the script's {what} is larger than {} KiB", MAX_SOURCE / 1024)));
    }
    Ok(Some(text))
}

/// Save a new script (version 1, pending review).
pub fn create(vault: &Vault, new: NewScript) -> Result<Script> {
    let provider_id = crate::secrets::check_provider(&new.provider_id)?.to_string();
    let title = clean_title(&new.title, new.task_type, &provider_id)?;
    check_saveable(&new.source)?;
    let research = clean_notes_json("research", new.research.as_ref())?;
    let plan = clean_notes_json("plan", new.plan.as_ref())?;
    let id = uuid::Uuid::new_v4().to_string();
    let now = crate::time::now();
    let sha = sha256_hex(new.source.as_bytes());
    vault.write(|w| {
        let profile_id = w.profile_id().to_string();
        w.execute(
            "INSERT INTO automation_scripts (id, profile_id, provider_id, task_type, title, description,
                 script_content, model_used, research_data_json, plan_data_json, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
            params![
                id,
                profile_id,
                provider_id,
                new.task_type.as_str(),
                title,
                new.description,
                new.source,
                new.model_used,
                research,
                plan,
                now
            ],
        )?;
        insert_version(w, &id, 1, &new.source, &sha, &now)?;
        w.record(
            EventType::AutomationSave,
            json!({ "script_id": id, "provider_id": provider_id, "task_type": new.task_type.as_str(), "version": 1 }),
        )
    })?;
    get(vault, &id)
}

fn insert_version(
    conn: &rusqlite::Connection,
    id: &str,
    version: u32,
    source: &str,
    sha: &str,
    now: &str,
) -> Result<()> {
    conn.execute(
        "INSERT INTO automation_script_versions (id, script_id, version, script_content, source_sha256, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![uuid::Uuid::new_v4().to_string(), id, version, source, sha, now],
    )?;
    Ok(())
}

/// Save a new version of a script's source: pending review again.
pub fn edit(vault: &Vault, id: &str, source: &str) -> Result<Script> {
    check_saveable(source)?;
    let current = get(vault, id)?;
    if current.source == source {
        return Ok(current);
    }
    let version = current.version + 1;
    let now = crate::time::now();
    let sha = sha256_hex(source.as_bytes());
    vault.write(|w| {
        let changed = w.execute(
            "UPDATE automation_scripts SET script_content = ?2, version = ?3, approval_status = 'pending',
                 approved_at = NULL, approved_sha256 = NULL, updated_at = ?4
             WHERE id = ?1 AND version = ?5",
            params![current.id, source, version, now, current.version],
        )?;
        if changed == 0 {
            return Err(Error::new(ErrorCode::ImportConflict, "the script was changed meanwhile")
                .with_suggestion("Show it again and repeat the edit."));
        }
        insert_version(w, &current.id, version, source, &sha, &now)?;
        w.record(
            EventType::AutomationSave,
            json!({ "script_id": current.id, "provider_id": current.provider_id, "version": version }),
        )
    })?;
    get(vault, &current.id)
}

/// A script by id, or by a unique id prefix of at least 4 characters.
pub fn get(vault: &Vault, id: &str) -> Result<Script> {
    let id = id.trim();
    if id.len() < 4 {
        return Err(not_found(id)
            .with_suggestion("Give at least 4 characters of the id (`keyclave automation list`)."));
    }
    let pattern = format!("{}%", id.replace(['%', '_'], ""));
    let mut found: Vec<Script> = vault.read(|conn| {
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM automation_scripts WHERE id LIKE ?1 LIMIT 2"))?;
        let rows = stmt.query_map([&pattern], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    })?;
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(not_found(id)),
        _ => Err(Error::new(
            ErrorCode::AutomationScriptNotFound,
            format!("the id {id:?} names several scripts"),
        )
        .with_suggestion("Give more characters of the id.")),
    }
}

/// Every script, by provider then title (`provider`: only this one).
pub fn list(vault: &Vault, provider: Option<&str>) -> Result<Vec<Script>> {
    vault.read(|conn| {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM automation_scripts WHERE ?1 IS NULL OR provider_id = ?1
             ORDER BY provider_id, title, created_at"
        ))?;
        let rows = stmt.query_map([provider], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    })
}

/// The source of one version.
pub fn version_source(vault: &Vault, id: &str, version: u32) -> Result<String> {
    vault.read(|conn| {
        conn.query_row(
            "SELECT script_content FROM automation_script_versions WHERE script_id = ?1 AND version = ?2",
            params![id, version],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| {
            Error::new(
                ErrorCode::AutomationScriptNotFound,
                format!("version {version} of the script is not kept"),
            )
        })
    })
}

/// The hosts a script of `provider_id` may name in this vault: the
/// registry's, and the endpoints the user set on the provider's keys.
pub fn allowlist(vault: &Vault, provider_id: &str) -> Allowlist {
    let page = crate::secrets::list(
        vault,
        &SecretQuery { provider_id: Some(provider_id.to_string()), ..Default::default() },
    );
    let endpoints: Vec<Url> =
        page.items.iter().filter_map(|s| s.endpoint.as_deref()).filter_map(|e| Url::parse(e).ok()).collect();
    Allowlist::for_provider(provider_id, &endpoints)
}

/// Run the static checks on a script's current version. Starts Python:
/// no vault lock is held meanwhile.
pub fn check(vault: &Vault, python: &Interpreter, id: &str) -> Result<(Script, Report)> {
    let script = get(vault, id)?;
    let allowlist = allowlist(vault, &script.provider_id);
    let report = check::run(python, &script.source, &allowlist)?;
    Ok((script, report))
}

/// Approve or reject the version `checked` was checked at: recorded as a
/// `script_review` decision bound to its SHA-256. Approval is refused when
/// the report has errors, or when the script changed since the check.
pub fn review(
    vault: &Vault,
    checked: &Script,
    report: &Report,
    approve: bool,
    notes: Option<&str>,
) -> Result<Script> {
    if approve {
        if let Some(refusal) = report.refusal() {
            return Err(refusal);
        }
    }
    let notes = notes.map(str::trim).filter(|n| !n.is_empty()).map(|n| crate::redact::redact(n).into_owned());
    let now = crate::time::now();
    let approved = Approved {
        version: checked.version,
        sha256: checked.sha256.clone(),
        placeholders: report.placeholders.clone(),
        stores: report.stores.clone(),
        hosts: report.hosts.clone(),
        checkpoints: report.checkpoints.clone(),
    };
    let context = serde_json::to_value(&approved).map_err(|e| Error::internal(e.to_string()))?;
    let description = format!("Review of {:?}, version {}", checked.title, checked.version);
    let proposed = format!("Run version {} (SHA-256 {})", checked.version, &checked.sha256[..16]);
    let digest = super::checkpoint::digest(CheckpointType::ScriptReview, &description, &proposed, &context);
    let decision = if approve { "approved" } else { "rejected" };
    vault.write(|w| {
        let current: Option<String> =
            w.query_row("SELECT script_content FROM automation_scripts WHERE id = ?1", [&checked.id], |r| r.get(0)).optional()?;
        let current = current.ok_or_else(|| not_found(&checked.id))?;
        if sha256_hex(current.as_bytes()) != checked.sha256 {
            return Err(Error::new(ErrorCode::AutomationHashMismatch, "the script changed after it was checked; nothing was approved")
                .with_suggestion("Check the new version and review it again."));
        }
        let profile_id = w.profile_id().to_string();
        w.execute(
            "INSERT INTO hitl_checkpoints (id, profile_id, execution_id, script_id, script_version, checkpoint_type,
                 checkpoint_description, proposed_action, context_json, checkpoint_sha256, decision, user_notes, decided_at)
             VALUES (?1, ?2, NULL, ?3, ?4, 'script_review', ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![super::checkpoint::token(), profile_id, checked.id, checked.version, description, proposed, context.to_string(), digest, decision, notes, now],
        )?;
        w.execute(
            "UPDATE automation_scripts SET approval_status = ?2, approved_at = ?3, approved_sha256 = ?4, updated_at = ?5 WHERE id = ?1",
            params![
                checked.id,
                decision,
                approve.then_some(now.as_str()),
                approve.then_some(checked.sha256.as_str()),
                now
            ],
        )?;
        w.record(
            EventType::AutomationReview,
            json!({ "script_id": checked.id, "version": checked.version, "decision": decision }),
        )
    })?;
    get(vault, &checked.id)
}

/// Whether an unchanged, approved version may run without the per-run
/// confirmation (it never skips any other checkpoint).
pub fn set_auto_approve_repeat(vault: &Vault, id: &str, on: bool) -> Result<Script> {
    let script = get(vault, id)?;
    vault.write(|w| {
        w.execute(
            "UPDATE automation_scripts SET auto_approve_repeat = ?2, updated_at = ?3 WHERE id = ?1",
            params![script.id, on, crate::time::now()],
        )?;
        Ok(())
    })?;
    get(vault, &script.id)
}

/// Delete a script with its versions, runs and checkpoints.
pub fn delete(vault: &Vault, id: &str) -> Result<Script> {
    let script = get(vault, id)?;
    vault.write(|w| {
        w.execute("DELETE FROM automation_scripts WHERE id = ?1", [&script.id])?;
        w.record(EventType::AutomationSave, json!({ "script_id": script.id, "deleted": true }))
    })?;
    Ok(script)
}

/// What the approval of the script's current version covered, when the
/// approval holds: approved, the stored hash equal to the current source's,
/// and a recorded review of that version with that hash.
pub(crate) fn approval_of(vault: &Vault, script: &Script) -> Result<Approved> {
    let (approved_sha, review): (Option<String>, Option<String>) = vault.read(|conn| {
        let sha: Option<String> = conn
            .query_row("SELECT approved_sha256 FROM automation_scripts WHERE id = ?1", [&script.id], |r| {
                r.get(0)
            })
            .optional()?
            .flatten();
        let review: Option<String> = conn
            .query_row(
                "SELECT context_json FROM hitl_checkpoints
                 WHERE script_id = ?1 AND script_version = ?2 AND checkpoint_type = 'script_review'
                   AND execution_id IS NULL AND decision = 'approved'
                 ORDER BY decided_at DESC LIMIT 1",
                params![script.id, script.version],
                |r| r.get(0),
            )
            .optional()?;
        Ok((sha, review))
    })?;
    if script.approval != Approval::Approved {
        return Err(Error::new(
            ErrorCode::AutomationNotApproved,
            format!("version {} of {:?} is not approved", script.version, script.title),
        ));
    }
    let approved: Approved =
        review.as_deref().and_then(|r| serde_json::from_str(r).ok()).ok_or_else(|| {
            Error::new(ErrorCode::AutomationNotApproved, "the script's approval has no recorded review")
        })?;
    let current = script.sha256.as_str();
    if approved_sha.as_deref() != Some(current)
        || approved.sha256 != current
        || approved.version != script.version
    {
        return Err(Error::new(
            ErrorCode::AutomationHashMismatch,
            "the script's source is not the source that was approved; it was not run",
        ));
    }
    Ok(approved)
}

/// Check the script's current version and approve or reject it in one go
/// (the fronts' review action). `shown`: the SHA-256 the person was shown,
/// when the front showed one — a different current source decides nothing.
/// `repeat`: later runs of an approved version start without asking.
pub fn decide(
    vault: &Vault,
    python: &Interpreter,
    id: &str,
    shown: Option<&str>,
    approve: bool,
    notes: Option<&str>,
    repeat: bool,
) -> Result<(Script, Report)> {
    let (script, report) = check(vault, python, id)?;
    if shown.is_some_and(|sha| sha != script.sha256) {
        return Err(Error::new(
            ErrorCode::AutomationHashMismatch,
            "the script changed since it was shown; nothing was decided",
        ));
    }
    let decided = review(vault, &script, &report, approve, notes)?;
    let decided = if approve { set_auto_approve_repeat(vault, &decided.id, repeat)? } else { decided };
    Ok((decided, report))
}
