//! Conflicts when secrets arrive in bulk (a `.kcbundle`, pasted text, a
//! file): the user's keep / replace / skip decisions, the counts of what an
//! import did, and the one transaction that writes an import.
//!
//! Every bulk import works the same way: place each incoming secret (its
//! provider and whether a secret with that provider and key name exists),
//! refuse the whole import while a conflict is undecided, then write the
//! new rows and the replaced values together with one audit event, so a
//! failure anywhere leaves the vault as it was.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::audit::EventType;
use crate::catalog::CatalogChange;
use crate::crypto::SecretString;
use crate::error::{Error, ErrorCode, Result};
use crate::secrets::{self, Prepared, Provenance, SecretSummary};
use crate::vault::Vault;

/// What to do with an incoming secret whose provider and key name exist
/// already.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictDecision {
    /// Keep the existing secret; the incoming value is not imported.
    Keep,
    /// Overwrite the existing value with the incoming one (provenance
    /// becomes the import's).
    Replace,
    /// Do not import this secret (also valid for a key without conflict).
    Skip,
}

impl std::str::FromStr for ConflictDecision {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "keep" => Ok(ConflictDecision::Keep),
            "replace" => Ok(ConflictDecision::Replace),
            "skip" => Ok(ConflictDecision::Skip),
            other => Err(Error::invalid(format!("unknown conflict decision '{other}'"))
                .with_suggestion("Use keep, replace or skip.")),
        }
    }
}

/// The user's decisions for an import.
#[derive(Debug, Clone, Default)]
pub struct ImportDecisions {
    /// Applies to every conflict without its own decision ("apply to all").
    /// With `None`, an undecided conflict fails the import with
    /// `import.conflict` and nothing is written.
    pub default: Option<ConflictDecision>,
    /// Decisions by (provider id, key name), as shown in the preview.
    pub per_key: HashMap<(String, String), ConflictDecision>,
}

impl ImportDecisions {
    /// Apply `decision` to every conflict.
    pub fn all(decision: ConflictDecision) -> Self {
        ImportDecisions { default: Some(decision), per_key: HashMap::new() }
    }

    /// The decision for one incoming secret: its own, else the default when
    /// it conflicts. `None` for a conflict means undecided; for a new key it
    /// means "add".
    pub fn decide(&self, provider_id: &str, key_name: &str, conflict: bool) -> Option<ConflictDecision> {
        // Look up without building an owned key for each of 10,000 entries
        // when there are no per-key decisions at all (the common case).
        let own = if self.per_key.is_empty() {
            None
        } else {
            self.per_key.get(&(provider_id.to_owned(), key_name.to_owned())).copied()
        };
        own.or(if conflict { self.default } else { None })
    }
}

/// What an import did.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    /// New secrets added.
    pub added: u32,
    /// Existing secrets whose value was replaced.
    pub replaced: u32,
    /// Conflicts where the existing secret was kept.
    pub kept: u32,
    /// Secrets skipped by decision.
    pub skipped: u32,
}

/// The error for conflicts nobody decided about (names only, never values).
pub(crate) fn undecided_error(undecided: &[String]) -> Error {
    // A paste can hold thousands of keys: name the first few only.
    const SHOWN: usize = 20;
    let mut list = undecided.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if undecided.len() > SHOWN {
        list.push_str(&format!(" and {} more", undecided.len() - SHOWN));
    }
    Error::new(ErrorCode::ImportConflict, format!("these secrets exist already: {list}"))
        .with_suggestion("Decide for each conflict: keep the existing secret, replace it, or skip it.")
}

/// A new value for an existing secret, sealed and ready to write.
pub(crate) struct Replacement {
    old: SecretSummary,
    new: SecretSummary,
    sealed: Vec<u8>,
}

/// Rows an import writes: new secrets and replaced values.
#[derive(Default)]
pub(crate) struct ImportWrites {
    pub(crate) inserts: Vec<Prepared>,
    pub(crate) replaces: Vec<Replacement>,
}

/// Seal `value` for the existing secret `old`, with the import's
/// provenance; nothing is written yet.
pub(crate) fn prepare_replace(
    vault: &Vault,
    old: &SecretSummary,
    value: &SecretString,
    provenance: &Provenance,
    now: &str,
) -> Result<Replacement> {
    secrets::check_value(value)?;
    let sealed = vault
        .field_key()
        .seal(value.expose_secret().as_bytes(), secrets::value_ctx(&vault.profile_id(), &old.id));
    let mut new = old.clone();
    new.source_type = provenance.source_type;
    new.source_label = provenance.source_label.clone();
    new.imported_at = Some(now.to_owned());
    new.updated_at = now.to_owned();
    Ok(Replacement { old: old.clone(), new, sealed })
}

/// Write an import in one transaction with its audit event; the catalog
/// follows when it commits. Any failure rolls the whole import back and
/// leaves the catalog untouched.
pub(crate) fn commit_import(
    vault: &Vault,
    cancel: Option<&tokio_util::sync::CancellationToken>,
    writes: ImportWrites,
    event: EventType,
    metadata: serde_json::Value,
) -> Result<()> {
    vault.write_for(cancel, |w| {
        for p in &writes.inserts {
            secrets::insert(w, p)?;
        }
        {
            let mut update = w.prepare_cached(
                "UPDATE secrets SET secret_value_enc = ?2, source_type = ?3, source_label = ?4,
                   imported_at = ?5, updated_at = ?6 WHERE id = ?1",
            )?;
            for r in &writes.replaces {
                let changed = update.execute(rusqlite::params![
                    r.old.id,
                    r.sealed,
                    r.new.source_type.as_str(),
                    r.new.source_label,
                    r.new.imported_at,
                    r.new.updated_at
                ])?;
                if changed == 0 {
                    return Err(Error::new(
                        ErrorCode::SecretNotFound,
                        format!("{} was deleted while importing", r.old.key_name),
                    )
                    .with_suggestion("Preview the import again."));
                }
            }
        }
        for r in &writes.replaces {
            w.catalog(CatalogChange::remove(&r.old));
            w.catalog(CatalogChange::Insert(r.new.clone()));
        }
        w.record(event, metadata)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_decision_wins_over_the_default() {
        let mut d = ImportDecisions::all(ConflictDecision::Keep);
        d.per_key.insert(("github".into(), "GH_TOKEN".into()), ConflictDecision::Replace);
        assert_eq!(d.decide("github", "GH_TOKEN", true), Some(ConflictDecision::Replace));
        assert_eq!(d.decide("generic", "GH_TOKEN", true), Some(ConflictDecision::Keep));
        assert_eq!(d.decide("generic", "NEW", false), None, "a new key is added");
        assert_eq!(ImportDecisions::default().decide("x", "Y", true), None, "undecided");
    }

    #[test]
    fn decisions_parse_leniently() {
        assert_eq!(" Replace ".parse::<ConflictDecision>().expect("parses"), ConflictDecision::Replace);
        assert_eq!("merge".parse::<ConflictDecision>().unwrap_err().code(), ErrorCode::InputInvalid);
    }

    #[test]
    fn undecided_list_is_capped() {
        let names: Vec<String> = (0..25).map(|i| format!("K{i}")).collect();
        let e = undecided_error(&names);
        assert!(e.message().contains("K19") && !e.message().contains("K20,"), "{}", e.message());
        assert!(e.message().ends_with("and 5 more"), "{}", e.message());
    }
}
