//! Bulk import from pasted text or a file: preview (no values), then
//! import with a decision per conflicting key.

use keyclave_core::conflict::{ConflictDecision, ImportDecisions};
use keyclave_core::import::{self, Format, ImportOptions, ImportPreview, ImportReport, Parsed};
use keyclave_core::secrets::Provenance;
use keyclave_core::{Error, Result};
use serde::Deserialize;
use std::path::Path;
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

/// Where the text comes from. A file is read here, so its values never
/// pass through the web view.
#[derive(Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ImportSource {
    /// Text pasted into the window.
    Paste {
        /// The text.
        text: String,
    },
    /// A file on disk (absolute path).
    File {
        /// The path.
        path: String,
    },
}

/// What to read and how.
#[derive(Deserialize, specta::Type)]
pub struct ImportRequest {
    /// The text or file.
    pub source: ImportSource,
    /// auto, dotenv or json.
    pub format: Format,
    /// Store every entry under this provider.
    pub provider_id: Option<String>,
}

/// A decision for one previewed entry.
#[derive(Deserialize, specta::Type)]
pub struct ImportKeyDecision {
    /// Provider id as previewed.
    pub provider_id: String,
    /// Key name.
    pub key_name: String,
    /// Keep, replace or skip.
    pub decision: ConflictDecision,
}

/// Read and parse the request's input (on a blocking thread).
fn parse(request: &ImportRequest) -> Result<(Parsed, ImportOptions)> {
    let (bytes, provenance) = match &request.source {
        ImportSource::Paste { text } => {
            (zeroize::Zeroizing::new(text.as_bytes().to_vec()), Provenance::paste(None))
        }
        ImportSource::File { path } => {
            let p = Path::new(path.trim());
            if !p.is_absolute() {
                return Err(Error::invalid("the file path must be absolute")
                    .with_suggestion("Paste the file's full path."));
            }
            let file = std::fs::File::open(p)
                .map_err(|e| Error::invalid(format!("cannot read {}: {e}", file_label(p))))?;
            (import::read_input(file)?, Provenance::file_import(p))
        }
    };
    let parsed = import::parse(&bytes, request.format)?;
    let options = ImportOptions {
        provider_id: request.provider_id.clone().filter(|p| !p.is_empty()),
        strict: false,
        provenance,
        cancel: None,
    };
    Ok((parsed, options))
}

fn file_label(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// What importing would do; writes nothing.
#[tauri::command]
#[specta::specta]
pub async fn import_preview(state: State<'_, AppState>, request: ImportRequest) -> CmdResult<ImportPreview> {
    state
        .user(move |v| {
            let (parsed, options) = parse(&request)?;
            import::preview(&v, &parsed, &options)
        })
        .await
}

/// Import in one transaction (the input is read again: decisions are by
/// provider and key name, so they apply to what was previewed).
#[tauri::command]
#[specta::specta]
pub async fn import_apply(
    state: State<'_, AppState>,
    request: ImportRequest,
    default_decision: Option<ConflictDecision>,
    decisions: Vec<ImportKeyDecision>,
) -> CmdResult<ImportReport> {
    let decisions = ImportDecisions {
        default: default_decision,
        per_key: decisions.into_iter().map(|d| ((d.provider_id, d.key_name), d.decision)).collect(),
    };
    state
        .user(move |v| {
            let (parsed, options) = parse(&request)?;
            import::apply(&v, parsed, &options, &decisions)
        })
        .await
}
