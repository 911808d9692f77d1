//! Vault keys into `.env` files and child processes: which secrets a file
//! or a command gets, plans made from the vault's values (previewed
//! masked), writes and restores recorded in the audit log (counts only),
//! and a command's environment.
//!
//! Keys are chosen with a [`KeySelection`]: names given by the user
//! (`KEY` or `provider/KEY`), what a scanned project needs, or the keys a
//! `.env` file already holds that the vault also holds (refreshing a file
//! from the vault). Writing a plan and building a command's environment
//! hand values out, so both go through [`crate::reveal::authorize`].
//! [`template`] fills `keyclave://` references in any text file.

use serde_json::json;
use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use crate::audit::EventType;
use crate::crypto::SecretString;
use crate::dotenv::{
    self, ApplyOptions, ApplyReport, Counts, DesiredEntry, Document, GenerateOptions, KeyChange, Plan,
    Policy, Warning,
};
use crate::error::{Error, ErrorCode, Result};
use crate::projects::{self, ReviewStatus};
use crate::reveal::{self, Purpose};
use crate::secrets::{self, SecretSummary};
use crate::vault::Vault;

pub mod template;

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

impl KeySelection {
    /// The selection a front gets from its inputs: the keys named (`KEY`
    /// or `provider/KEY`); with none, what the project in `dir` needs plus
    /// what its `.env` names, or only the latter without a project folder.
    pub fn from_keys(keys: &[String], dir: Option<&Path>) -> Result<KeySelection> {
        if keys.is_empty() {
            return Ok(dir.map_or(KeySelection::InFile, |d| KeySelection::Project(d.to_path_buf())));
        }
        Ok(KeySelection::Keys(keys.iter().map(|k| k.parse::<KeyRef>()).collect::<Result<_>>()?))
    }
}

/// The `.env` file `file` of the project folder `dir`: `file` must be a
/// relative path that stays inside the folder (`.env`,
/// `config/.env.local`; never `../x` or `/etc/passwd`). A relative `dir`
/// is taken from the current directory.
pub fn project_file(dir: &Path, file: &Path) -> Result<PathBuf> {
    let plain = file.components().all(|c| matches!(c, Component::Normal(_)));
    if file.as_os_str().is_empty() || !plain {
        return Err(Error::invalid("the file must be a name inside the project folder")
            .with_suggestion("Use e.g. .env or config/.env.local."));
    }
    if dir.as_os_str().is_empty() {
        return Err(Error::invalid("no project folder was given"));
    }
    // A missing folder is the user's to fix, named as such (not a failed
    // temporary file or "no key selected").
    crate::scan::check_root(dir)?;
    let dir = std::path::absolute(dir)
        .map_err(|e| Error::invalid(format!("the project folder cannot be resolved: {e}")))?;
    Ok(dir.join(file))
}

/// A `.env` plan made from vault values: its preview is masked, and it can
/// only be written by [`write_dotenv`] (which applies the reveal policy).
pub struct EnvPlan {
    plan: Plan,
}

impl std::fmt::Debug for EnvPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvPlan").field("changes", &self.plan.changes().len()).finish_non_exhaustive()
    }
}

impl EnvPlan {
    /// Per key: what happens (values never included).
    pub fn changes(&self) -> &[KeyChange] {
        self.plan.changes()
    }

    /// Per action.
    pub fn counts(&self) -> Counts {
        self.plan.counts()
    }

    /// Duplicate keys and alias conflicts in the file.
    pub fn warnings(&self) -> &[Warning] {
        self.plan.warnings()
    }

    /// Whether writing it would change nothing.
    pub fn is_noop(&self) -> bool {
        self.plan.is_noop()
    }

    /// Unified diff with every value masked; `name` labels the file.
    pub fn masked_diff(&self, name: &str) -> String {
        self.plan.masked_diff(name)
    }
}

fn nothing_selected() -> Error {
    Error::invalid("no vault key selected").with_suggestion(
        "Name the keys with --key NAME, scan the project (keyclave scan DIR) so its requirements \
         name them, or start from a .env that names keys the vault holds.",
    )
}

/// The vault secrets a selection names, in order, without duplicates.
fn select(vault: &Vault, selection: &KeySelection, doc: Option<&Document>) -> Result<Vec<SecretSummary>> {
    let mut out: Vec<SecretSummary> = Vec::new();
    let mut seen = HashSet::new();
    match selection {
        KeySelection::Keys(keys) => {
            for k in keys {
                let s = secrets::find(vault, &k.key_name, k.provider_id.as_deref()).map_err(|e| {
                    if e.code() != ErrorCode::SecretAmbiguous {
                        return e;
                    }
                    // A selection names the provider in the key itself.
                    let choices: Vec<String> = secrets::named(vault, &k.key_name)
                        .iter()
                        .map(|s| format!("{}/{}", s.provider_id, s.key_name))
                        .collect();
                    e.with_suggestion(format!("Name it with its provider: {}.", choices.join(" or ")))
                })?;
                if seen.insert(s.id.clone()) {
                    out.push(s);
                }
            }
        }
        KeySelection::InFile => select_in_file(vault, doc, &mut seen, &mut out),
        KeySelection::Project(root) => {
            for secret in project_needs(vault, root)? {
                if seen.insert(secret.id.clone()) {
                    out.push(secret);
                }
            }
            select_in_file(vault, doc, &mut seen, &mut out);
        }
    }
    if out.is_empty() {
        return Err(nothing_selected());
    }
    Ok(out)
}

fn select_in_file(
    vault: &Vault,
    doc: Option<&Document>,
    seen: &mut HashSet<String>,
    out: &mut Vec<SecretSummary>,
) {
    for entry in doc.into_iter().flat_map(Document::entries) {
        if let [one] = secrets::named(vault, entry.key()).as_slice() {
            if seen.insert(one.id.clone()) {
                out.push(one.clone());
            }
        }
    }
}

/// The vault secrets a registered project's requirements name (not the
/// rejected ones): the requirement's own provider first, else the one
/// secret of that name. Nothing when the folder is not a project.
fn project_needs(vault: &Vault, root: &Path) -> Result<Vec<SecretSummary>> {
    let project = match projects::find(vault, &root.to_string_lossy()) {
        Ok(p) => p,
        Err(e) if e.code() == ErrorCode::ProjectNotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    // Where each env var is does not matter here: no second .env read.
    for req in projects::requirements_of(vault, &project, &Default::default())? {
        if req.user_status == ReviewStatus::Rejected {
            continue;
        }
        for var in &req.env_vars {
            let named = secrets::named(vault, &var.name);
            let pick = named.iter().find(|s| s.provider_id == req.provider_id).or(match named.as_slice() {
                [one] => Some(one),
                _ => None,
            });
            out.extend(pick.cloned());
        }
    }
    Ok(out)
}

/// The vault's values as entries to plan with (they stay inside core until
/// an authorized write).
fn desired(vault: &Vault, secrets: &[SecretSummary]) -> Result<Vec<DesiredEntry>> {
    secrets
        .iter()
        .map(|s| Ok(DesiredEntry::new(&s.key_name, secrets::decrypt_internal(vault, s)?, &s.provider_id)))
        .collect()
}

/// A plan that writes the selected vault secrets into the `.env` at `file`
/// (created when missing), deciding per key with `policy`. Show
/// [`EnvPlan::masked_diff`], then [`write_dotenv`].
pub fn plan_dotenv(vault: &Vault, file: &Path, selection: &KeySelection, policy: &Policy) -> Result<EnvPlan> {
    let doc = Document::read(file)?;
    let secrets = select(vault, selection, Some(&doc))?;
    Ok(EnvPlan { plan: doc.plan(&desired(vault, &secrets)?, policy)? })
}

/// A plan that creates a new `.env` holding the selected secrets (header
/// comment, provider-grouped blocks); writing it refuses an existing file.
pub fn plan_new_dotenv(
    vault: &Vault,
    selection: &KeySelection,
    options: &GenerateOptions,
) -> Result<EnvPlan> {
    let secrets = select(vault, selection, None)?;
    Ok(EnvPlan { plan: dotenv::generate(&desired(vault, &secrets)?, options)? })
}

/// Write a plan to `file` (backup, atomic replace) and record a
/// `dotenv.write` audit event with counts only. Values leave the vault
/// here, so the reveal policy applies (`code`: a TOTP code when it asks
/// for one); a plan that changes nothing needs no code.
pub fn write_dotenv(
    vault: &Vault,
    file: &Path,
    plan: &EnvPlan,
    options: &ApplyOptions,
    code: Option<&str>,
) -> Result<ApplyReport> {
    if !plan.is_noop() {
        let grant = reveal::authorize(vault, Purpose::Dotenv, code)?;
        grant.check(vault)?;
    }
    // The file is written inside the vault's write, so a vault locked
    // meanwhile writes nothing.
    vault.write_hand_out(|w| {
        let report = dotenv::apply(file, &plan.plan, options)?;
        if report.written {
            w.record(EventType::DotenvWrite, report.audit_metadata())?;
            projects::record_dotenv_target(w, file, &report.audit_metadata())?;
        }
        Ok(report)
    })
}

/// Put one of the file's backups back (the current text is backed up
/// first) and record a `dotenv.restore` audit event. The backup's text
/// came from the file, not the vault: no code is asked.
pub fn restore_dotenv(
    vault: &Vault,
    file: &Path,
    backup: &Path,
    options: &ApplyOptions,
) -> Result<ApplyReport> {
    vault.write(|w| {
        let report = dotenv::restore_backup(file, backup, options)?;
        if report.written {
            w.record(EventType::DotenvRestore, json!({ "written": true }))?;
        }
        Ok(report)
    })
}

/// The environment variables a command gets: name and value of each
/// selected secret. Values leave the vault (reveal policy, purpose run).
/// Records one `secret.inject` audit event with the key names (never
/// values). Two secrets with the same name (from different providers)
/// cannot both be injected. A `dotenv` file (with [`KeySelection::InFile`])
/// that names no key the vault holds gives an empty environment, not an
/// error: the command then runs with the file's own values alone.
pub fn command_env(
    vault: &Vault,
    selection: &KeySelection,
    dotenv: Option<&Path>,
    code: Option<&str>,
) -> Result<Vec<(String, SecretString)>> {
    let doc = dotenv.map(Document::read).transpose()?;
    let secrets = match select(vault, selection, doc.as_ref()) {
        Err(_) if *selection == KeySelection::InFile && doc.is_some() => return Ok(Vec::new()),
        selected => selected?,
    };
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
    let grant = reveal::authorize(vault, Purpose::Run, code)?;
    let env = secrets
        .iter()
        .map(|s| Ok((s.key_name.clone(), secrets::decrypt(vault, s, &grant)?)))
        .collect::<Result<Vec<_>>>()?;
    let keys: Vec<&str> = secrets.iter().map(|s| s.key_name.as_str()).collect();
    vault.write_hand_out(|w| {
        w.record(EventType::SecretInject, json!({ "count": keys.len(), "key_names": keys }))
    })?;
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_files_stay_inside_the_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path();
        assert_eq!(project_file(p, Path::new(".env")).unwrap(), p.join(".env"));
        assert_eq!(project_file(p, Path::new("config/.env.local")).unwrap(), p.join("config/.env.local"));
        for file in ["../.env", "/etc/passwd", "", "a/../../x", "./.env"] {
            let e = project_file(p, Path::new(file)).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InputInvalid, "{file}");
        }
        // The folder must exist (a missing one is named, not a failed write).
        let e = project_file(&p.join("missing"), Path::new(".env")).unwrap_err();
        assert_eq!(e.code(), ErrorCode::ProjectInvalidRoot);
        // A relative folder (tests run in the crate's folder, which has src/).
        assert!(project_file(Path::new("src"), Path::new(".env")).unwrap().is_absolute());
    }

    #[test]
    fn the_default_selection_is_the_project_else_the_file() {
        let dir = Path::new("/p");
        assert_eq!(KeySelection::from_keys(&[], Some(dir)).unwrap(), KeySelection::Project(dir.into()));
        assert_eq!(KeySelection::from_keys(&[], None).unwrap(), KeySelection::InFile);
        assert_eq!(
            KeySelection::from_keys(&["github/GH_TOKEN".into()], Some(dir)).unwrap(),
            KeySelection::Keys(vec![KeyRef {
                key_name: "GH_TOKEN".into(),
                provider_id: Some("github".into())
            }])
        );
        assert!(KeySelection::from_keys(&["/".into()], None).is_err());
    }

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
