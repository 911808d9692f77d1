//! Bundles and the vault: export selected secrets to a `.kcbundle` file,
//! preview an import, import with a decision per conflicting key. (The
//! file format itself is the parent module's.)

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeSet;
use std::path::Path;

use super::{BundleHeader, BundleKey, BundleMode, BundleOpener, BundleSecret};
use crate::audit::EventType;
use crate::conflict::{
    ConflictDecision, ImportCounts, ImportDecisions, ImportWrites, commit_import, prepare_replace,
    undecided_error,
};
use crate::crypto::SecretString;
use crate::error::{Error, ErrorCode, Result};
use crate::providers;
use crate::reveal::{self, Purpose};
use crate::secrets::{self, NewSecret, Provenance, SecretSummary, SourceType};
use crate::vault::Vault;

/// Which secrets go into a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleSelection {
    /// Every secret of the profile.
    All,
    /// The secrets with these key names (a name that exists for several
    /// providers selects each of them). An unknown name is an error.
    Keys(Vec<String>),
}

/// What to export and how.
#[derive(Debug)]
pub struct BundleExport<'a> {
    /// Which secrets.
    pub selection: BundleSelection,
    /// A bundle password (at least 8 characters, not the profile
    /// passphrase) or the recipients to encrypt to.
    pub key: BundleKey<'a>,
    /// Refuse the bundle after this instant.
    pub expires_at: Option<DateTime<Utc>>,
    /// A TOTP code (or recovery code), required when TOTP is enabled and
    /// the policy requires it for export (the default).
    pub totp_code: Option<&'a str>,
    /// Replace an existing file at the path.
    pub overwrite: bool,
}

/// Result of an export (no values).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct ExportSummary {
    /// The header written.
    pub header: BundleHeader,
    /// Secrets exported.
    pub count: u32,
}

/// One secret of a bundle as it would be imported (never its value).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviewEntry {
    /// Provider id it will be stored under (`generic` when the bundle names
    /// a provider this KeyClave does not know).
    pub provider_id: String,
    /// Env var name.
    pub key_name: String,
    /// The provider id as written in the bundle, when it was unknown here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_provider_id: Option<String>,
    /// A secret with this provider and key name exists already.
    pub conflict: bool,
}

/// What an import would do: the (authenticated) header and one entry per secret.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct BundlePreview {
    /// The bundle's header.
    pub header: BundleHeader,
    /// Its secrets, without values, in bundle order.
    pub entries: Vec<PreviewEntry>,
}

/// A bundle secret placed in this vault: effective provider and whether it
/// collides with an existing secret.
struct Placed {
    secret: BundleSecret,
    original_provider_id: Option<String>,
    existing: Option<SecretSummary>,
}

/// Export secrets to a `.kcbundle` at `path`: written to a temporary file
/// in the same folder (mode 0600), flushed, then renamed into place.
/// Records `bundle.export` with the count only. The input is checked
/// first, so a mistake does not use up a one-time code; then the reveal
/// policy ([`crate::reveal`], purpose export); the KDF and the write run
/// with no lock held.
pub fn export(vault: &Vault, path: &Path, req: BundleExport<'_>) -> Result<ExportSummary> {
    crate::paths::check_output_file(path)?;
    if !req.overwrite && path.exists() {
        return Err(Error::invalid(format!("{} exists already", display_name(path)))
            .with_suggestion("Choose another file name, or allow overwriting (--force)."));
    }
    let chosen = select_for_export(vault, &req.selection)?;
    super::check_key(req.key)?;
    let grant = reveal::authorize(vault, Purpose::Export, req.totp_code)?;
    let mut secrets = Vec::with_capacity(chosen.len());
    for s in &chosen {
        secrets.push(BundleSecret {
            provider_id: s.provider_id.clone(),
            key_name: s.key_name.clone(),
            secret_value: secrets::decrypt(vault, s, &grant)?,
        });
    }
    let bytes = super::write_bundle(&secrets, req.key, req.expires_at)?;
    drop(secrets);
    let header = super::inspect(&bytes)?;
    // Refused if the vault locked while the bundle key was derived.
    vault.write_hand_out(|w| {
        crate::paths::write_private_atomic(path, &bytes, req.overwrite)?;
        w.record(EventType::BundleExport, json!({ "bundle_id": header.bundle_id, "count": header.count }))
    })?;
    Ok(ExportSummary { count: header.count, header })
}

fn select_for_export(vault: &Vault, selection: &BundleSelection) -> Result<Vec<SecretSummary>> {
    let chosen = match selection {
        BundleSelection::All => secrets::list(vault, &Default::default()).items,
        BundleSelection::Keys(names) => {
            let mut out = Vec::new();
            let mut seen = BTreeSet::new();
            for name in names {
                if !seen.insert(name.as_str()) {
                    continue;
                }
                let found = secrets::named(vault, name);
                if found.is_empty() {
                    return Err(Error::new(ErrorCode::SecretNotFound, format!("no secret named {name}")));
                }
                out.extend(found);
            }
            out
        }
    };
    if chosen.is_empty() {
        return Err(Error::invalid("there is nothing to export: the profile has no secrets"));
    }
    Ok(chosen)
}

fn place(vault: &Vault, secrets: Vec<BundleSecret>) -> Vec<Placed> {
    let catalog = vault.catalog();
    secrets
        .into_iter()
        .map(|mut secret| {
            let original_provider_id = if providers::get(&secret.provider_id).is_none() {
                Some(std::mem::replace(&mut secret.provider_id, providers::GENERIC_ID.to_owned()))
            } else {
                None
            };
            let existing = catalog.get(&secret.key_name, &secret.provider_id).cloned();
            Placed { secret, original_provider_id, existing }
        })
        .collect()
}

/// Open a bundle for this vault: a password bundle with `password`
/// (required), a recipient bundle with the profile's identity.
fn open_for(
    vault: &Vault,
    bytes: &[u8],
    password: Option<&SecretString>,
) -> Result<(BundleHeader, Vec<BundleSecret>)> {
    match super::inspect(bytes)?.mode() {
        BundleMode::Recipients => {
            let identity = crate::identity::secret(vault)?;
            super::open_with_header(bytes, BundleOpener::Identity(identity.as_ref()), Utc::now())
        }
        BundleMode::Password => {
            let password = password.ok_or_else(|| {
                Error::invalid("this bundle is sealed with a password")
                    .with_suggestion("Give the bundle password.")
            })?;
            super::open_with_header(bytes, BundleOpener::Password(password), Utc::now())
        }
    }
}

/// Decrypt a bundle and show what importing it would do: each secret's
/// provider and key name and whether it conflicts. No value is returned
/// and nothing is written. The bundle's KDF runs with no lock held.
/// `password` is needed for a password bundle only.
pub fn preview_import(vault: &Vault, bytes: &[u8], password: Option<&SecretString>) -> Result<BundlePreview> {
    let (header, secrets) = open_for(vault, bytes, password)?;
    let entries = place(vault, secrets)
        .into_iter()
        .map(|p| PreviewEntry {
            provider_id: p.secret.provider_id,
            key_name: p.secret.key_name,
            original_provider_id: p.original_provider_id,
            conflict: p.existing.is_some(),
        })
        .collect();
    Ok(BundlePreview { header, entries })
}

/// Import a bundle in one transaction: new secrets are added with
/// provenance `export_bundle_import` (label: the bundle id); each conflict
/// is kept, replaced or skipped as decided. An undecided conflict fails the
/// whole import (`import.conflict`) before anything is written. Records
/// `bundle.import` with counts only. `password` is needed for a password
/// bundle only; a recipient bundle opens with the profile's identity.
pub fn import(
    vault: &Vault,
    bytes: &[u8],
    password: Option<&SecretString>,
    decisions: &ImportDecisions,
) -> Result<ImportCounts> {
    let (header, secrets) = open_for(vault, bytes, password)?;
    let placed = place(vault, secrets);
    let decide =
        |p: &Placed| decisions.decide(&p.secret.provider_id, &p.secret.key_name, p.existing.is_some());
    let undecided: Vec<String> = placed
        .iter()
        .filter(|p| p.existing.is_some() && decide(p).is_none())
        .map(|p| format!("{} ({})", p.secret.key_name, p.secret.provider_id))
        .collect();
    if !undecided.is_empty() {
        return Err(undecided_error(&undecided));
    }

    let provenance = Provenance {
        source_type: SourceType::ExportBundleImport,
        source_label: Some(format!("bundle {}", header.bundle_id)),
    };
    let now = crate::time::now();
    let mut counts = ImportCounts::default();
    let mut writes = ImportWrites::default();
    for p in placed {
        match (decide(&p), p.existing) {
            (Some(ConflictDecision::Skip), _) => counts.skipped += 1,
            (Some(ConflictDecision::Keep), Some(_)) => counts.kept += 1,
            (Some(ConflictDecision::Replace), Some(old)) => {
                writes.replaces.push(prepare_replace(
                    vault,
                    &old,
                    &p.secret.secret_value,
                    &provenance,
                    &now,
                )?);
                counts.replaced += 1;
            }
            // No conflict: Keep / Replace / no decision all mean "add".
            (_, None) => {
                let new = NewSecret {
                    provider_id: Some(p.secret.provider_id),
                    provenance: provenance.clone(),
                    ..NewSecret::new(p.secret.key_name, p.secret.secret_value)
                };
                writes.inserts.push(secrets::prepare_new(vault, new)?);
                counts.added += 1;
            }
            (None, Some(_)) => return Err(Error::internal("an undecided conflict reached the import")),
        }
    }
    commit_import(
        vault,
        None,
        writes,
        EventType::BundleImport,
        json!({
            "bundle_id": header.bundle_id,
            "added": counts.added,
            "replaced": counts.replaced,
            "kept": counts.kept,
            "skipped": counts.skipped,
        }),
    )?;
    Ok(counts)
}

/// The file name alone, for messages (paths stay out of errors and audit).
fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(|| "the file".to_owned(), |n| n.to_string_lossy().into_owned())
}
