//! `.env` files: preview a patch (masked diff), apply exactly what was
//! previewed, list backups, restore one.

use keyclave_core::dotenv::{
    self, ApplyOptions, ApplyReport, Counts, Decision, GenerateOptions, KeyChange, Policy,
};
use keyclave_core::inject::{self, KeySelection};
use keyclave_core::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tauri::State;

use crate::error::CmdResult;
use crate::state::{AppState, blocking};

/// A key's own decision, overriding the default.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct KeyDecision {
    /// Env var name.
    pub key: String,
    /// Keep the file's value, overwrite it, or skip the key.
    pub decision: Decision,
}

/// Which file, which keys, and how to treat keys already in it.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct DotenvRequest {
    /// Project folder (absolute).
    pub dir: String,
    /// File name relative to the folder, e.g. `.env`.
    pub file: String,
    /// Vault keys, `KEY` or `provider/KEY`; empty means what the project
    /// needs (scanned requirements) and the keys the file names.
    pub keys: Vec<String>,
    /// For keys already in the file with another value.
    pub default_decision: Decision,
    /// Per-key overrides.
    pub overrides: Vec<KeyDecision>,
    /// Create a new file (header, provider blocks) instead of patching.
    pub generate: bool,
}

/// What applying would do; every value masked.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DotenvPreview {
    /// The file.
    pub path: String,
    /// Whether it exists now.
    pub exists: bool,
    /// Per key.
    pub changes: Vec<KeyChange>,
    /// Per action.
    pub counts: Counts,
    /// Duplicate keys and alias conflicts in the file.
    pub warnings: Vec<String>,
    /// Unified diff, values masked.
    pub diff: String,
    /// Whether applying changes nothing.
    pub noop: bool,
}

/// Which previewed file to write, and a TOTP code when the reveal policy
/// asks for one.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct DotenvApplyRequest {
    /// Project folder (absolute).
    pub dir: String,
    /// File name relative to the folder.
    pub file: String,
    /// A TOTP code (or recovery code), when "code required to reveal" is on.
    pub totp_code: Option<String>,
}

/// What a write or a restore did.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DotenvWritten {
    /// Per action.
    pub counts: Counts,
    /// Whether the file was written.
    pub written: bool,
    /// Whether it was created.
    pub created: bool,
    /// File name of the backup made, if any.
    pub backup: Option<String>,
}

/// A backup beside the file.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DotenvBackup {
    /// File name.
    pub name: String,
    /// When it was made (RFC 3339), from the file's modification time.
    pub modified_at: Option<String>,
}

/// The file a request names. The folder must be absolute (the window has
/// no working directory); that `file` stays inside it is core's rule.
fn target(dir: &str, file: &str) -> Result<PathBuf> {
    let dir = Path::new(dir.trim());
    if !dir.is_absolute() {
        return Err(Error::invalid("the project folder must be an absolute path")
            .with_suggestion("Paste the folder's full path, e.g. /home/me/project."));
    }
    inject::project_file(dir, Path::new(file.trim()))
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn written(r: &ApplyReport) -> DotenvWritten {
    DotenvWritten {
        counts: r.counts,
        written: r.written,
        created: r.created,
        backup: r.backup.as_deref().map(file_name),
    }
}

/// Preview a patch (or a new file) and keep the plan for [`dotenv_apply`].
#[tauri::command]
#[specta::specta]
pub async fn dotenv_preview(state: State<'_, AppState>, request: DotenvRequest) -> CmdResult<DotenvPreview> {
    let path = target(&request.dir, &request.file)?;
    let selection = KeySelection::from_keys(&request.keys, Some(Path::new(request.dir.trim())))?;
    let policy = request
        .overrides
        .iter()
        .fold(Policy::new(request.default_decision), |p, o| p.with(&o.key, o.decision));
    let session = state.session().clone();
    let vault = session.for_user()?;
    blocking(move || {
        let plan = if request.generate {
            inject::plan_new_dotenv(&vault, &selection, &GenerateOptions::default())?
        } else {
            inject::plan_dotenv(&vault, &path, &selection, &policy)?
        };
        let preview = DotenvPreview {
            path: path.display().to_string(),
            exists: path.exists(),
            changes: plan.changes().to_vec(),
            counts: plan.counts(),
            warnings: plan.warnings().iter().map(|w| w.message()).collect(),
            diff: plan.masked_diff(&file_name(&path)),
            noop: plan.is_noop(),
        };
        session.stage_plan(path, plan)?;
        Ok(preview)
    })
    .await
}

/// Write the plan last previewed for this file (refused if the file
/// changed since). Values leave the vault: with "code required to reveal"
/// on, `totp.required` until a code is given (the preview stays staged).
#[tauri::command]
#[specta::specta]
pub async fn dotenv_apply(
    state: State<'_, AppState>,
    request: DotenvApplyRequest,
) -> CmdResult<DotenvWritten> {
    let path = target(&request.dir, &request.file)?;
    let session = state.session().clone();
    let code = request.totp_code.filter(|c| !c.trim().is_empty());
    blocking(move || {
        session.apply_staged(&path, |vault, plan| {
            inject::write_dotenv(vault, &path, plan, &ApplyOptions::default(), code.as_deref())
        })
    })
    .await
    .map(|r| written(&r))
}

/// The file's backups, newest first.
#[tauri::command]
#[specta::specta]
pub async fn dotenv_backups(
    state: State<'_, AppState>,
    dir: String,
    file: String,
) -> CmdResult<Vec<DotenvBackup>> {
    let path = target(&dir, &file)?;
    state
        .user(move |_| {
            let mut backups: Vec<DotenvBackup> = dotenv::list_backups(&path)?
                .iter()
                .map(|b| DotenvBackup {
                    name: file_name(b),
                    modified_at: std::fs::metadata(b)
                        .and_then(|m| m.modified())
                        .ok()
                        .map(|t| chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339()),
                })
                .collect();
            backups.reverse();
            Ok(backups)
        })
        .await
}

/// Put a backup back (the current text is backed up first).
#[tauri::command]
#[specta::specta]
pub async fn dotenv_restore(
    state: State<'_, AppState>,
    dir: String,
    file: String,
    backup: String,
) -> CmdResult<DotenvWritten> {
    let path = target(&dir, &file)?;
    let backup_path = path.with_file_name(Path::new(&backup).file_name().unwrap_or_default());
    let report = state
        .user(move |v| inject::restore_dotenv(&v, &path, &backup_path, &ApplyOptions::default()))
        .await?;
    Ok(written(&report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_need_an_absolute_existing_project_folder() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let p = tmp.path().to_str().expect("utf-8");
        assert_eq!(target(p, ".env").expect("plain name"), tmp.path().join(".env"));
        let missing = format!("{p}/missing");
        for (dir, file) in
            [("p", ".env"), (p, "../.env"), (p, "/etc/passwd"), (p, ""), (missing.as_str(), ".env")]
        {
            assert!(target(dir, file).is_err(), "{dir} {file}");
        }
    }
}
