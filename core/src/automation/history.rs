//! Runs as recorded: executions, their events and checkpoint decisions, and
//! the sweep that marks runs a crash or a lock interrupted.

use rusqlite::params;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::executor::{RunEvent, run_dir, run_is_live};
use crate::error::Result;
use crate::vault::Vault;

/// One run, as listed.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Execution {
    /// Its id.
    pub id: String,
    /// The script.
    pub script_id: String,
    /// The script's version it ran.
    pub script_version: Option<u32>,
    /// Started (RFC 3339).
    pub started_at: String,
    /// Ended.
    pub completed_at: Option<String>,
    /// `running`, `paused_at_checkpoint`, `success`, `failure`, `aborted`.
    pub status: String,
    /// `full` or `reduced`.
    pub sandbox: Option<String>,
    /// Checkpoints asked.
    pub checkpoints_reached: u32,
    /// Approved or modified.
    pub checkpoints_approved: u32,
    /// Rejected.
    pub checkpoints_rejected: u32,
    /// Why it did not succeed.
    pub error: Option<String>,
    /// The script's result.
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Unknown>))]
    pub result: Option<Value>,
}

/// One recorded checkpoint decision.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointRecord {
    /// Its id.
    pub id: String,
    /// Its run (none for a script review).
    pub execution_id: Option<String>,
    /// Type.
    pub checkpoint_type: String,
    /// Description.
    pub description: String,
    /// Proposed action.
    pub proposed_action: String,
    /// Context shown.
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Unknown))]
    pub context: Value,
    /// `approved`, `rejected`, `modified`.
    pub decision: String,
    /// Notes.
    pub notes: Option<String>,
    /// The action taken instead.
    pub modified_action: Option<String>,
    /// A TOTP code was verified.
    pub decided_by_totp: bool,
    /// When.
    pub decided_at: String,
}

const EXECUTION_COLUMNS: &str = "id, script_id, script_version, started_at, completed_at, status, sandbox,
     checkpoints_reached, checkpoints_approved, checkpoints_rejected, error_message_redacted, result_summary_json";

fn execution_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Execution> {
    let result: Option<String> = r.get(11)?;
    Ok(Execution {
        id: r.get(0)?,
        script_id: r.get(1)?,
        script_version: r.get(2)?,
        started_at: r.get(3)?,
        completed_at: r.get(4)?,
        status: r.get(5)?,
        sandbox: r.get(6)?,
        checkpoints_reached: r.get(7)?,
        checkpoints_approved: r.get(8)?,
        checkpoints_rejected: r.get(9)?,
        error: r.get(10)?,
        result: result.and_then(|r| serde_json::from_str(&r).ok()),
    })
}

/// Runs, newest first (`script_id`: only that script's), at most `limit`.
pub fn executions(vault: &Vault, script_id: Option<&str>, limit: usize) -> Result<Vec<Execution>> {
    vault.read(|conn| {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {EXECUTION_COLUMNS} FROM automation_executions
             WHERE ?1 IS NULL OR script_id = ?1 ORDER BY started_at DESC, rowid DESC LIMIT ?2"
        ))?;
        let rows = stmt
            .query_map(params![script_id, i64::try_from(limit).unwrap_or(i64::MAX)], execution_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    })
}

/// A run's events in order.
pub fn events(vault: &Vault, execution_id: &str) -> Result<Vec<RunEvent>> {
    vault.read(|conn| {
        let mut stmt = conn.prepare_cached(
            "SELECT execution_id, seq, created_at, level, message_redacted, data_json
             FROM automation_execution_events WHERE execution_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt
            .query_map([execution_id], |r| {
                let data: Option<String> = r.get(5)?;
                Ok(RunEvent {
                    execution_id: r.get(0)?,
                    seq: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                    created_at: r.get(2)?,
                    level: r.get(3)?,
                    message: r.get(4)?,
                    data: data.and_then(|d| serde_json::from_str(&d).ok()),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    })
}

/// Checkpoint decisions of a run, or (`execution_id` none) the reviews of
/// a script.
pub fn checkpoints(
    vault: &Vault,
    execution_id: Option<&str>,
    script_id: Option<&str>,
) -> Result<Vec<CheckpointRecord>> {
    vault.read(|conn| {
        let mut stmt = conn.prepare_cached(
            "SELECT id, execution_id, checkpoint_type, checkpoint_description, proposed_action, context_json,
                    decision, user_notes, modified_action, decided_by_totp, decided_at
             FROM hitl_checkpoints
             WHERE (?1 IS NOT NULL AND execution_id = ?1) OR (?1 IS NULL AND script_id = ?2 AND execution_id IS NULL)
             ORDER BY decided_at, rowid",
        )?;
        let rows = stmt
            .query_map(params![execution_id, script_id], |r| {
                let context: String = r.get(5)?;
                Ok(CheckpointRecord {
                    id: r.get(0)?,
                    execution_id: r.get(1)?,
                    checkpoint_type: r.get(2)?,
                    description: r.get(3)?,
                    proposed_action: r.get(4)?,
                    context: serde_json::from_str(&context).unwrap_or(Value::Null),
                    decision: r.get(6)?,
                    notes: r.get(7)?,
                    modified_action: r.get(8)?,
                    decided_by_totp: r.get(9)?,
                    decided_at: r.get(10)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    })
}

/// Mark runs left `running` or `paused_at_checkpoint` by a crash or a lock
/// as `aborted` (reason: interrupted), and remove their folders. A run
/// another process is still doing (its folder's lock is held) is left
/// alone. A dead child is never resumed: a new run starts from the top.
/// Returns how many were marked.
pub fn sweep_interrupted(vault: &Vault) -> Result<usize> {
    let open: Vec<String> = vault.read(|conn| {
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM automation_executions WHERE status IN ('running', 'paused_at_checkpoint')",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(rows)
    })?;
    let dead: Vec<String> = open.into_iter().filter(|id| !run_is_live(&run_dir(vault, id).root)).collect();
    if dead.is_empty() {
        return Ok(0);
    }
    let now = crate::time::now();
    vault.write(|w| {
        for id in &dead {
            w.execute(
                "UPDATE automation_executions SET status = 'aborted', completed_at = ?2,
                     error_message_redacted = 'interrupted: the run ended with the vault locked or KeyClave stopped'
                 WHERE id = ?1 AND status IN ('running', 'paused_at_checkpoint')",
                params![id, now],
            )?;
        }
        Ok(())
    })?;
    for id in &dead {
        let _ = std::fs::remove_dir_all(run_dir(vault, id).root);
    }
    Ok(dead.len())
}
