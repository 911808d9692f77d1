//! `.env` files and the vault: which vault secrets a file or a command
//! gets, plans made from the vault's values, writes and restores recorded
//! in the audit log (counts only).
//!
//! Keys are chosen with a [`KeySelection`]: names given by the user
//! (`KEY` or `provider/KEY`), or the keys a `.env` file already holds that
//! the vault also holds (refreshing a file from the vault).

use serde_json::json;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::generate::{GenerateOptions, generate};
use super::parse::Document;
use super::plan::{DesiredEntry, Plan, Policy};
use super::write::{ApplyOptions, ApplyReport, apply, restore_backup};
use crate::audit::EventType;
use crate::crypto::SecretString;
use crate::error::{Error, ErrorCode, Result};
use crate::secrets::SecretSummary;
use crate::vault::Vault;

/// A vault secret named by the user: `KEY`, or `provider/KEY` when the
/// name exists for several providers (a key name never holds a `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRef {
    /// Env var name.
    pub key_name: String,
    /// Provider id, when given.
    pub provider_id: Option<String>,
}

impl KeyRef {
    /// A reference by name alone.
    pub fn named(key_name: impl Into<String>) -> Self {
        KeyRef { key_name: key_name.into(), provider_id: None }
    }
}

impl FromStr for KeyRef {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let (provider, key) = match s.split_once('/') {
            Some((p, k)) => (Some(p.trim()), k.trim()),
            None => (None, s.trim()),
        };
        if key.is_empty() || provider.is_some_and(str::is_empty) {
            return Err(Error::invalid(format!("'{s}' is not a key reference"))
                .with_suggestion("Write KEY_NAME, or provider/KEY_NAME, e.g. github/GH_TOKEN."));
        }
        Ok(KeyRef { key_name: key.to_owned(), provider_id: provider.map(str::to_owned) })
    }
}

/// Which vault secrets go into a `.env` file or a command's environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySelection {
    /// These secrets; each must exist in the vault.
    Keys(Vec<KeyRef>),
    /// The keys already assigned in the `.env` file that the vault holds
    /// under exactly one provider (refresh a file from the vault).
    InFile,
    /// What the project in this folder needs: the vault keys named by its
    /// requirements that are not rejected (scan it first), plus
    /// [`KeySelection::InFile`].
    Project(PathBuf),
}

fn nothing_selected() -> Error {
    Error::invalid("no vault key selected").with_suggestion(
        "Name the keys with --key NAME, scan the project (keyclave scan DIR) so its requirements \
         name them, or start from a .env that names keys the vault holds.",
    )
}

impl Vault {
    /// The vault secrets a selection names, in order, without duplicates.
    fn select(&self, selection: &KeySelection, doc: Option<&Document>) -> Result<Vec<SecretSummary>> {
        let mut out: Vec<SecretSummary> = Vec::new();
        let mut seen = HashSet::new();
        match selection {
            KeySelection::Keys(keys) => {
                for k in keys {
                    let s = self.find_secret(&k.key_name, k.provider_id.as_deref())?;
                    if seen.insert(s.id.clone()) {
                        out.push(s.clone());
                    }
                }
            }
            KeySelection::InFile => self.select_in_file(doc, &mut seen, &mut out),
            KeySelection::Project(root) => {
                for secret in self.project_needs(root)? {
                    if seen.insert(secret.id.clone()) {
                        out.push(secret);
                    }
                }
                self.select_in_file(doc, &mut seen, &mut out);
            }
        }
        if out.is_empty() {
            return Err(nothing_selected());
        }
        Ok(out)
    }

    fn select_in_file(
        &self,
        doc: Option<&Document>,
        seen: &mut HashSet<String>,
        out: &mut Vec<SecretSummary>,
    ) {
        for entry in doc.into_iter().flat_map(Document::entries) {
            if let [one] = self.secrets_named(entry.key()).as_slice() {
                if seen.insert(one.id.clone()) {
                    out.push(one.clone());
                }
            }
        }
    }

    /// The vault secrets a registered project's requirements name (not the
    /// rejected ones): the requirement's own provider first, else the one
    /// secret of that name. Nothing when the folder is not a project.
    fn project_needs(&self, root: &Path) -> Result<Vec<SecretSummary>> {
        let project = match self.find_project(&root.to_string_lossy()) {
            Ok(p) => p,
            Err(e) if e.code() == ErrorCode::ProjectNotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        // Where each env var is does not matter here: no second .env read.
        for req in self.requirements_of(&project, &Default::default())? {
            if req.user_status == crate::project::ReviewStatus::Rejected {
                continue;
            }
            for var in &req.env_vars {
                let named = self.secrets_named(&var.name);
                let pick =
                    named.iter().find(|s| s.provider_id == req.provider_id).or(match named.as_slice() {
                        [one] => Some(one),
                        _ => None,
                    });
                out.extend(pick.cloned());
            }
        }
        Ok(out)
    }

    /// The vault's values as entries to write (no audit event: the caller
    /// records one for the whole operation).
    fn desired(&self, secrets: &[SecretSummary]) -> Result<Vec<DesiredEntry>> {
        secrets
            .iter()
            .map(|s| Ok(DesiredEntry::new(&s.key_name, self.decrypt_value(s)?, &s.provider_id)))
            .collect()
    }

    /// A plan that writes the selected vault secrets into the `.env` at
    /// `file` (created when missing), deciding per key with `policy`. Show
    /// [`Plan::masked_diff`], then [`Vault::write_dotenv`].
    pub fn plan_dotenv(&self, file: &Path, selection: &KeySelection, policy: &Policy) -> Result<Plan> {
        let doc = Document::read(file)?;
        let secrets = self.select(selection, Some(&doc))?;
        doc.plan(&self.desired(&secrets)?, policy)
    }

    /// A plan that creates a new `.env` holding the selected secrets
    /// (header comment, provider-grouped blocks); writing it refuses an
    /// existing file.
    pub fn plan_new_dotenv(&self, selection: &KeySelection, options: &GenerateOptions) -> Result<Plan> {
        let secrets = self.select(selection, None)?;
        generate(&self.desired(&secrets)?, options)
    }

    /// Write a plan to `file` (backup, atomic replace) and record a
    /// `dotenv.write` audit event with counts only.
    pub fn write_dotenv(&self, file: &Path, plan: &Plan, options: &ApplyOptions) -> Result<ApplyReport> {
        let report = apply(file, plan, options)?;
        if report.written {
            self.record(EventType::DotenvWrite, report.audit_metadata())?;
            self.record_dotenv_target(file, &report.audit_metadata())?;
        }
        Ok(report)
    }

    /// Put one of the file's backups back (the current text is backed up
    /// first) and record a `dotenv.restore` audit event.
    pub fn restore_dotenv(&self, file: &Path, backup: &Path, options: &ApplyOptions) -> Result<ApplyReport> {
        let report = restore_backup(file, backup, options)?;
        if report.written {
            self.record(EventType::DotenvRestore, json!({ "written": true }))?;
        }
        Ok(report)
    }

    /// The environment variables a command gets: name and value of each
    /// selected secret. Records one `secret.inject` audit event with the
    /// key names (never values). Two secrets with the same name (from
    /// different providers) cannot both be injected.
    pub fn command_env(
        &self,
        selection: &KeySelection,
        dotenv: Option<&Path>,
    ) -> Result<Vec<(String, SecretString)>> {
        let doc = dotenv.map(Document::read).transpose()?;
        let secrets = self.select(selection, doc.as_ref())?;
        let mut names = HashSet::new();
        for s in &secrets {
            if !names.insert(s.key_name.as_str()) {
                return Err(Error::new(
                    ErrorCode::SecretAmbiguous,
                    format!("{} is selected for two providers", s.key_name),
                )
                .with_suggestion("Select one of them with provider/KEY_NAME."));
            }
        }
        let env = secrets
            .iter()
            .map(|s| Ok((s.key_name.clone(), self.decrypt_value(s)?)))
            .collect::<Result<Vec<_>>>()?;
        let keys: Vec<&str> = secrets.iter().map(|s| s.key_name.as_str()).collect();
        self.record(EventType::SecretInject, json!({ "count": keys.len(), "key_names": keys }))?;
        Ok(env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_refs_parse_with_and_without_provider() {
        assert_eq!("GH_TOKEN".parse::<KeyRef>().unwrap(), KeyRef::named("GH_TOKEN"));
        let r: KeyRef = "github/GH_TOKEN".parse().unwrap();
        assert_eq!(r.provider_id.as_deref(), Some("github"));
        assert_eq!(r.key_name, "GH_TOKEN");
        for bad in ["", "/", "github/", "/GH_TOKEN", "  "] {
            let e = bad.parse::<KeyRef>().unwrap_err();
            assert_eq!(e.code(), ErrorCode::InputInvalid, "{bad:?}");
        }
    }
}
