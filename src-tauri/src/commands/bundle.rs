//! Encrypted bundles: export selected secrets, inspect a file's header,
//! preview and import one.

use keyclave_core::bundle::{
    self, BundleExport, BundleHeader, BundleKey, BundleMode, BundlePreview, BundleSelection,
    ConflictDecision, ExportSummary, ImportCounts, ImportDecisions,
};
use keyclave_core::crypto::{KdfParams, SecretString};
use keyclave_core::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tauri::State;

use crate::error::CmdResult;
use crate::state::{AppState, blocking};

/// The export wizard's choices.
#[derive(Deserialize, specta::Type)]
pub struct BundleExportInput {
    /// Absolute path of the file to write.
    pub path: String,
    /// Key names; empty exports every secret.
    pub keys: Vec<String>,
    /// The bundle password (not the profile passphrase); ignored when
    /// `recipients` is not empty.
    pub password: String,
    /// Recipients (`age1…`) to encrypt to instead of a password.
    pub recipients: Vec<String>,
    /// Refuse the bundle after this time (RFC 3339).
    pub expires_at: Option<String>,
    /// A TOTP code, when TOTP is on.
    pub totp_code: Option<String>,
    /// Replace an existing file.
    pub overwrite: bool,
}

/// A bundle file's header and whether it has expired (no password needed).
#[derive(Serialize, specta::Type)]
pub struct BundleInfo {
    /// The authenticated-on-open header.
    pub header: BundleHeader,
    /// Past its expiry.
    pub expired: bool,
    /// Whether it opens with a password or with this profile's identity.
    pub mode: BundleMode,
}

/// A decision for one previewed secret.
#[derive(Deserialize, specta::Type)]
pub struct BundleKeyDecision {
    /// Provider id as previewed.
    pub provider_id: String,
    /// Key name.
    pub key_name: String,
    /// Keep, replace or skip.
    pub decision: ConflictDecision,
}

fn absolute(path: &str) -> Result<&Path> {
    super::absolute_path(path, "bundle")
}

fn read(path: &str) -> Result<Vec<u8>> {
    let p = absolute(path)?;
    let len = std::fs::metadata(p).map_err(|e| Error::invalid(format!("cannot read the bundle: {e}")))?.len();
    if len > bundle::MAX_CIPHERTEXT_LEN + u64::from(bundle::MAX_HEADER_LEN) + 18 {
        return Err(Error::new(ErrorCode::ImportBundleMalformed, "the file is too large to be a bundle"));
    }
    std::fs::read(p).map_err(|e| Error::invalid(format!("cannot read the bundle: {e}")))
}

/// Export to a `.kcbundle`.
#[tauri::command]
#[specta::specta]
pub async fn bundle_export(state: State<'_, AppState>, input: BundleExportInput) -> CmdResult<ExportSummary> {
    let path = absolute(&input.path)?.to_path_buf();
    let expires_at = input
        .expires_at
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            keyclave_core::time::parse(&e)
                .ok_or_else(|| Error::invalid(format!("'{e}' is not a date and time")))
        })
        .transpose()?;
    let password = SecretString::new(input.password);
    let recipients = input.recipients;
    let selection =
        if input.keys.is_empty() { BundleSelection::All } else { BundleSelection::Keys(input.keys) };
    let code = input.totp_code.filter(|c| !c.trim().is_empty());
    state
        .user(move |v| {
            bundle::export(
                &v,
                &path,
                BundleExport {
                    selection,
                    key: if recipients.is_empty() {
                        BundleKey::Password { password: &password, kdf: KdfParams::DEFAULT }
                    } else {
                        BundleKey::Recipients(&recipients)
                    },
                    expires_at,
                    totp_code: code.as_deref(),
                    overwrite: input.overwrite,
                },
            )
        })
        .await
}

/// A bundle's header, without its password.
#[tauri::command]
#[specta::specta]
pub async fn bundle_inspect(path: String) -> CmdResult<BundleInfo> {
    blocking(move || {
        let header = bundle::inspect(&read(&path)?)?;
        let expired = header.is_expired_now();
        let mode = header.mode();
        Ok(BundleInfo { header, expired, mode })
    })
    .await
}

/// What importing would do: names, providers, conflicts (no values).
/// `password` only for a password bundle.
#[tauri::command]
#[specta::specta]
pub async fn bundle_import_preview(
    state: State<'_, AppState>,
    path: String,
    password: Option<String>,
) -> CmdResult<BundlePreview> {
    let password = password.map(SecretString::new);
    state.user(move |v| bundle::preview_import(&v, &read(&path)?, password.as_ref())).await
}

/// Import with a decision per conflicting key (and a default for the rest).
#[tauri::command]
#[specta::specta]
pub async fn bundle_import(
    state: State<'_, AppState>,
    path: String,
    password: Option<String>,
    default_decision: Option<ConflictDecision>,
    decisions: Vec<BundleKeyDecision>,
) -> CmdResult<ImportCounts> {
    let password = password.map(SecretString::new);
    let decisions = ImportDecisions {
        default: default_decision,
        per_key: decisions.into_iter().map(|d| ((d.provider_id, d.key_name), d.decision)).collect(),
    };
    state.user(move |v| bundle::import(&v, &read(&path)?, password.as_ref(), &decisions)).await
}

/// This profile's recipient (`age1…`) for bundles sent to it; created on
/// first use.
#[tauri::command]
#[specta::specta]
pub async fn identity_show(state: State<'_, AppState>) -> CmdResult<String> {
    state.user(|v| keyclave_core::identity::recipient(&v)).await
}
