//! Secrets: add, edit, delete, reveal, list and search, over a [`Vault`].
//!
//! Values are sealed with the field key (bound to their row) inside the
//! encrypted database. Listing and search read the in-memory
//! [`crate::catalog::Catalog`] and never decrypt a value; a value leaves
//! only through [`reveal`] and [`copy`] (and the other value-handing paths),
//! each of which asks [`crate::reveal::authorize`] first.

use regex::Regex;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::LazyLock;

use crate::audit::EventType;
use crate::catalog::CatalogChange;
use crate::crypto::{SealContext, SecretString};
use crate::error::{Error, ErrorCode, Result, to_json};
use crate::providers;
use crate::reveal::{self, Grant, Purpose};
use crate::vault::{Vault, Write};

pub use crate::catalog::{Environment, SecretPage, SecretQuery, SecretSummary, SourceType};

/// Largest secret value accepted (1 MiB).
pub const MAX_VALUE_LEN: usize = 1 << 20;
/// Longest key name.
pub const MAX_KEY_NAME_LEN: usize = 128;
/// Longest note.
pub const MAX_NOTES_LEN: usize = 10_000;
/// Longest tag.
pub const MAX_TAG_LEN: usize = 64;

static KEY_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*$").expect("static pattern is valid"));

/// Provenance of a new secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// Kind of source.
    pub source_type: SourceType,
    /// Human label (a file name, "clipboard"), never a path with secrets.
    pub source_label: Option<String>,
}

impl Provenance {
    /// Typed in by the user.
    pub fn manual() -> Self {
        Provenance { source_type: SourceType::Manual, source_label: None }
    }

    /// Pasted text, with an optional label ("clipboard", "stdin").
    pub fn paste(label: Option<&str>) -> Self {
        Provenance { source_type: SourceType::Paste, source_label: label.map(str::to_owned) }
    }

    /// Imported from the file at `path`. Only the file name is kept: a path
    /// can say more than it should (user names, client folders), and the
    /// label is shown in lists and exports.
    pub fn file_import(path: &std::path::Path) -> Self {
        Provenance {
            source_type: SourceType::FileImport,
            source_label: path.file_name().map(|n| n.to_string_lossy().into_owned()),
        }
    }
}

/// A secret to add.
#[derive(Debug)]
pub struct NewSecret {
    /// Env var name.
    pub key_name: String,
    /// The value.
    pub value: SecretString,
    /// Provider id; suggested from the key name when `None`.
    pub provider_id: Option<String>,
    /// Environment.
    pub environment: Option<Environment>,
    /// Notes.
    pub notes: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Where it came from.
    pub provenance: Provenance,
    /// The key's own API base URL (checked by [`crate::endpoint::parse`]).
    pub endpoint: Option<String>,
}

impl NewSecret {
    /// A manual secret with just a name and value.
    pub fn new(key_name: impl Into<String>, value: impl Into<SecretString>) -> Self {
        NewSecret {
            key_name: key_name.into(),
            value: value.into(),
            provider_id: None,
            environment: None,
            notes: None,
            tags: Vec::new(),
            provenance: Provenance::manual(),
            endpoint: None,
        }
    }
}

/// Changes to a secret; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct SecretEdit {
    /// New value.
    pub value: Option<SecretString>,
    /// New provider.
    pub provider_id: Option<String>,
    /// New environment (`Some(None)` clears it).
    pub environment: Option<Option<Environment>>,
    /// New notes (`Some(None)` clears them).
    pub notes: Option<Option<String>>,
    /// New tags (replacing the old ones).
    pub tags: Option<Vec<String>>,
    /// New API endpoint (`Some(None)` clears it).
    pub endpoint: Option<Option<String>>,
}

/// A secret written, with advice (e.g. upper case recommended).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Saved {
    /// The secret as stored.
    pub secret: SecretSummary,
    /// Non-fatal advice.
    pub warnings: Vec<String>,
}

/// Check a key name; returns advice for valid but unconventional names.
pub fn validate_key_name(name: &str) -> Result<Vec<String>> {
    if name.len() > MAX_KEY_NAME_LEN || !KEY_NAME.is_match(name) {
        return Err(Error::new(
            ErrorCode::SecretInvalidKeyName,
            if name.len() > MAX_KEY_NAME_LEN {
                format!(
                    "'{}…' is not a valid key name: it has {} characters, at most {MAX_KEY_NAME_LEN} are allowed",
                    name.chars().take(40).collect::<String>(),
                    name.chars().count()
                )
            } else {
                format!("'{name}' is not a valid key name")
            },
        ));
    }
    let mut warnings = Vec::new();
    if name.bytes().any(|b| b.is_ascii_lowercase()) {
        warnings
            .push(format!("{name}: upper-case key names are recommended ({})", name.to_ascii_uppercase()));
    }
    Ok(warnings)
}

/// The provider a key name suggests (`GH_TOKEN` → `github`), else `generic`.
pub fn suggest_provider(key_name: &str) -> &'static str {
    providers::for_key_name(key_name).map_or(providers::GENERIC_ID, |p| p.id)
}

/// The registry id `id`, or `provider.not_found`.
pub fn check_provider(id: &str) -> Result<&'static str> {
    providers::get(id)
        .map(|p| p.id)
        .ok_or_else(|| Error::new(ErrorCode::ProviderNotFound, format!("unknown provider '{id}'")))
}

pub(crate) fn check_value(value: &SecretString) -> Result<()> {
    if value.expose_secret().trim().is_empty() {
        return Err(Error::new(ErrorCode::SecretEmptyValue, "the secret value is empty"));
    }
    if value.len() > MAX_VALUE_LEN {
        return Err(Error::invalid("the secret value is larger than 1 MiB"));
    }
    if value.expose_secret().contains('\0') {
        // `run` could not pass it to a process, nor `env write` to a file
        // another program reads.
        return Err(Error::invalid(
            "the secret value holds a NUL byte, which no environment variable can carry",
        )
        .with_suggestion("Remove the NUL byte; store binary data base64-encoded."));
    }
    Ok(())
}

pub(crate) fn clean_notes(notes: Option<String>) -> Result<Option<String>> {
    let notes = notes.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if notes.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTES_LEN) {
        return Err(Error::invalid(format!("notes are longer than {MAX_NOTES_LEN} characters")));
    }
    Ok(notes)
}

pub(crate) fn clean_tags(tags: Vec<String>) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().to_owned();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > MAX_TAG_LEN || t.chars().any(char::is_control) {
            return Err(Error::invalid(format!("tags must be 1 to {MAX_TAG_LEN} printable characters")));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

pub(crate) fn value_ctx<'a>(profile_id: &'a str, secret_id: &'a str) -> SealContext<'a> {
    SealContext { profile_id, table: "secrets", column: "secret_value_enc", row_id: secret_id }
}

fn conflict(key_name: &str, provider_id: &str) -> Error {
    Error::new(
        ErrorCode::SecretAlreadyExists,
        format!("a secret {key_name} for provider {provider_id} already exists"),
    )
}

/// Map a constraint failure on `secrets` to the taxonomy.
pub(crate) fn map_write_error(e: rusqlite::Error, key_name: &str, provider_id: &str) -> Error {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE {
            return conflict(key_name, provider_id);
        }
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY {
            return Error::new(ErrorCode::ProviderNotFound, format!("unknown provider '{provider_id}'"));
        }
    }
    e.into()
}

/// A new secret validated and sealed, ready to insert.
pub(crate) struct Prepared {
    pub(crate) summary: SecretSummary,
    pub(crate) sealed: Vec<u8>,
    pub(crate) warnings: Vec<String>,
}

/// Number of secrets in the profile.
pub fn count(vault: &Vault) -> usize {
    vault.catalog().len()
}

/// List or search secrets (never decrypts a value).
pub fn list(vault: &Vault, query: &SecretQuery) -> SecretPage {
    vault.catalog().query(query)
}

/// Every secret named `key_name`, one per provider.
pub fn named(vault: &Vault, key_name: &str) -> Vec<SecretSummary> {
    vault.catalog().named(key_name).cloned().collect()
}

/// The secret with this key name (and provider, required when the name
/// exists for several providers).
pub fn find(vault: &Vault, key_name: &str, provider_id: Option<&str>) -> Result<SecretSummary> {
    let catalog = vault.catalog();
    let not_found = || {
        let which = provider_id.map(|p| format!(" for provider {p}")).unwrap_or_default();
        Error::new(ErrorCode::SecretNotFound, format!("no secret named {key_name}{which}"))
    };
    if let Some(p) = provider_id {
        return catalog.get(key_name, p).cloned().ok_or_else(not_found);
    }
    let named: Vec<&SecretSummary> = catalog.named(key_name).collect();
    match named.as_slice() {
        [] => Err(not_found()),
        [one] => Ok((*one).clone()),
        many => {
            let ids: Vec<&str> = many.iter().map(|s| s.provider_id.as_str()).collect();
            Err(Error::new(
                ErrorCode::SecretAmbiguous,
                format!("{key_name} exists for several providers: {}", ids.join(", ")),
            ))
        }
    }
}

/// Validate and seal a new secret (nothing is written).
pub(crate) fn prepare_new(vault: &Vault, new: NewSecret) -> Result<Prepared> {
    let warnings = validate_key_name(&new.key_name)?;
    check_value(&new.value)?;
    let provider_id = match new.provider_id.as_deref() {
        Some(p) => check_provider(p)?,
        None => suggest_provider(&new.key_name),
    };
    let now = crate::time::now();
    let id = uuid::Uuid::new_v4().to_string();
    let sealed =
        vault.field_key().seal(new.value.expose_secret().as_bytes(), value_ctx(&vault.profile_id(), &id));
    let imported_at = (new.provenance.source_type != SourceType::Manual).then(|| now.clone());
    let summary = SecretSummary {
        id,
        provider_id: provider_id.to_owned(),
        key_name: new.key_name,
        environment: new.environment,
        project_id: None,
        notes: clean_notes(new.notes)?,
        tags: clean_tags(new.tags)?,
        source_type: new.provenance.source_type,
        source_label: new.provenance.source_label,
        imported_at,
        created_at: now.clone(),
        updated_at: now,
        endpoint: new.endpoint.as_deref().map(crate::endpoint::parse).transpose()?,
    };
    Ok(Prepared { summary, sealed, warnings })
}

/// Insert a prepared secret in a write transaction (the catalog follows
/// when it commits).
pub(crate) fn insert(w: &mut Write<'_>, p: &Prepared) -> Result<()> {
    insert_row(w, w.profile_id(), &p.summary, &p.sealed)?;
    w.catalog(CatalogChange::Insert(p.summary.clone()));
    Ok(())
}

fn insert_row(conn: &Connection, profile_id: &str, s: &SecretSummary, sealed: &[u8]) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO secrets (id, profile_id, provider_id, key_name, secret_value_enc, environment,
           project_id, notes, tags_json, source_type, source_label, imported_at, created_at, updated_at,
           endpoint_url)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        s.id,
        profile_id,
        s.provider_id,
        s.key_name,
        sealed,
        s.environment.map(Environment::as_str),
        s.project_id,
        s.notes,
        to_json(&s.tags)?,
        s.source_type.as_str(),
        s.source_label,
        s.imported_at,
        s.created_at,
        s.updated_at,
        s.endpoint
    ])
    .map_err(|e| map_write_error(e, &s.key_name, &s.provider_id))?;
    Ok(())
}

/// Add one secret.
pub fn add(vault: &Vault, new: NewSecret) -> Result<Saved> {
    let mut saved = add_many(vault, vec![new])?;
    saved.pop().ok_or_else(|| Error::internal("adding one secret returned none"))
}

/// Add secrets in one transaction: all or nothing.
pub fn add_many(vault: &Vault, news: Vec<NewSecret>) -> Result<Vec<Saved>> {
    let prepared = news.into_iter().map(|n| prepare_new(vault, n)).collect::<Result<Vec<_>>>()?;
    vault.write(|w| {
        for p in &prepared {
            insert(w, p)?;
        }
        let meta = match prepared.as_slice() {
            [p] => json!({ "secret_id": p.summary.id, "provider_id": p.summary.provider_id, "key_name": p.summary.key_name }),
            many => json!({ "count": many.len() }),
        };
        w.record(EventType::SecretAdd, meta)
    })?;
    Ok(prepared.into_iter().map(|p| Saved { secret: p.summary, warnings: p.warnings }).collect())
}

/// Decrypt one value for a person to see (`code`: a TOTP code when the
/// reveal policy asks for one). Records a `secret.reveal` audit event.
pub fn reveal(
    vault: &Vault,
    key_name: &str,
    provider_id: Option<&str>,
    code: Option<&str>,
) -> Result<SecretString> {
    hand_out(vault, key_name, provider_id, code, Purpose::Reveal, EventType::SecretReveal, |v| (v, None))
}

/// Decrypt one value and hand it to `deliver` (a front's output), which
/// says whether all of it reached its reader. The `secret.reveal` event
/// records that as `delivered`, so a reveal into a closed pipe is not
/// audited as a value handed out in full.
pub fn reveal_to(
    vault: &Vault,
    key_name: &str,
    provider_id: Option<&str>,
    code: Option<&str>,
    deliver: impl FnOnce(&SecretString) -> bool,
) -> Result<bool> {
    hand_out(vault, key_name, provider_id, code, Purpose::Reveal, EventType::SecretReveal, |value| {
        let delivered = deliver(&value);
        (delivered, Some(delivered))
    })
}

/// Decrypt one value for the clipboard. Records a `secret.copy` event.
pub fn copy(
    vault: &Vault,
    key_name: &str,
    provider_id: Option<&str>,
    code: Option<&str>,
) -> Result<SecretString> {
    hand_out(vault, key_name, provider_id, code, Purpose::Copy, EventType::SecretCopy, |v| (v, None))
}

/// Find, authorize (the reveal policy for `purpose`), decrypt, hand the
/// value to `take`, then record `event`. `take` returns what the caller
/// gets and, when it knows, whether the value reached its reader (recorded
/// as `delivered`).
fn hand_out<T>(
    vault: &Vault,
    key_name: &str,
    provider_id: Option<&str>,
    code: Option<&str>,
    purpose: Purpose,
    event: EventType,
    take: impl FnOnce(SecretString) -> (T, Option<bool>),
) -> Result<T> {
    let s = find(vault, key_name, provider_id)?;
    let grant = reveal::authorize(vault, purpose, code)?;
    let (out, delivered) = take(decrypt(vault, &s, &grant)?);
    let mut metadata = json!({ "secret_id": s.id, "provider_id": s.provider_id, "key_name": s.key_name });
    if let Some(delivered) = delivered {
        metadata["delivered"] = delivered.into();
    }
    vault.write_hand_out(|w| w.record(event, metadata))?;
    Ok(out)
}

/// Decrypt a value that the reveal policy let out (`grant`). No audit
/// event: the caller records one for the whole operation.
pub(crate) fn decrypt(vault: &Vault, s: &SecretSummary, grant: &Grant) -> Result<SecretString> {
    grant.check(vault)?;
    let blob: Vec<u8> = vault.read(|conn| {
        conn.prepare_cached("SELECT secret_value_enc FROM secrets WHERE id = ?1")?
            .query_row([&s.id], |r| r.get(0))
            .map_err(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => {
                    Error::new(ErrorCode::SecretNotFound, format!("no secret named {}", s.key_name))
                }
                other => other.into(),
            })
    })?;
    vault.field_key().open_string(&blob, value_ctx(&vault.profile_id(), &s.id))
}

/// Decrypt values for work that stays inside core (a `.env` plan compared
/// with the file, shown masked; a key sent to its own provider to be
/// checked): the result is never handed out to a person except through a
/// later, authorized write.
pub(crate) fn decrypt_internal(vault: &Vault, s: &SecretSummary) -> Result<SecretString> {
    decrypt(vault, s, &Grant::internal(vault))
}

/// Change a secret's value, provider, environment, notes or tags.
pub fn edit(vault: &Vault, key_name: &str, provider_id: Option<&str>, edit: SecretEdit) -> Result<Saved> {
    let nothing = edit.value.is_none()
        && edit.provider_id.is_none()
        && edit.environment.is_none()
        && edit.notes.is_none()
        && edit.tags.is_none()
        && edit.endpoint.is_none();
    if let Some(v) = &edit.value {
        check_value(v)?;
    }
    let new_provider = edit.provider_id.as_deref().map(check_provider).transpose()?;
    let notes = edit.notes.map(clean_notes).transpose()?;
    let tags = edit.tags.map(clean_tags).transpose()?;
    let endpoint = edit.endpoint.map(|e| e.as_deref().map(crate::endpoint::parse).transpose()).transpose()?;
    let profile_id = vault.profile_id();
    // Looked up under the writer, so a concurrent edit cannot slip between.
    vault.write(|w| {
        let old = find(vault, key_name, provider_id)?;
        if nothing {
            // Not "updated": nothing was asked for.
            return Err(Error::invalid(format!("nothing to change in {key_name}"))
                .with_suggestion("Give a new value, provider, environment, notes, tags or endpoint."));
        }
        let mut new = old.clone();
        if let Some(p) = new_provider {
            new.provider_id = p.to_owned();
        }
        if let Some(env) = edit.environment {
            new.environment = env;
        }
        if let Some(n) = notes {
            new.notes = n;
        }
        if let Some(t) = tags {
            new.tags = t;
        }
        if let Some(e) = endpoint {
            new.endpoint = e;
        }
        let sealed = edit
            .value
            .as_ref()
            .map(|v| vault.field_key().seal(v.expose_secret().as_bytes(), value_ctx(&profile_id, &old.id)));
        new.updated_at = crate::time::now();
        let mut changed: Vec<&str> = Vec::new();
        if sealed.is_some() {
            changed.push("value");
        }
        if new.provider_id != old.provider_id {
            changed.push("provider");
        }
        if new.environment != old.environment {
            changed.push("environment");
        }
        if new.notes != old.notes {
            changed.push("notes");
        }
        if new.tags != old.tags {
            changed.push("tags");
        }
        if new.endpoint != old.endpoint {
            changed.push("endpoint");
        }
        w.execute(
            "UPDATE secrets SET provider_id = ?2, environment = ?3, notes = ?4, tags_json = ?5,
               secret_value_enc = COALESCE(?6, secret_value_enc), updated_at = ?7, endpoint_url = ?8
             WHERE id = ?1",
            params![
                old.id,
                new.provider_id,
                new.environment.map(Environment::as_str),
                new.notes,
                to_json(&new.tags)?,
                sealed,
                new.updated_at,
                new.endpoint
            ],
        )
        .map_err(|e| map_write_error(e, &new.key_name, &new.provider_id))?;
        w.record(
            EventType::SecretEdit,
            json!({ "secret_id": old.id, "provider_id": new.provider_id, "key_name": old.key_name, "changed": changed }),
        )?;
        w.catalog(CatalogChange::remove(&old));
        w.catalog(CatalogChange::Insert(new.clone()));
        Ok(Saved { secret: new, warnings: Vec::new() })
    })
}

/// Delete a secret.
pub fn delete(vault: &Vault, key_name: &str, provider_id: Option<&str>) -> Result<SecretSummary> {
    vault.write(|w| {
        let s = find(vault, key_name, provider_id)?;
        w.execute("DELETE FROM secrets WHERE id = ?1", [&s.id])?;
        w.record(
            EventType::SecretDelete,
            json!({ "secret_id": s.id, "provider_id": s.provider_id, "key_name": s.key_name }),
        )?;
        w.catalog(CatalogChange::remove(&s));
        Ok(s)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_follow_env_var_rules() {
        assert!(validate_key_name("OPENAI_API_KEY").expect("valid").is_empty());
        assert_eq!(validate_key_name("_x1").expect("valid").len(), 1, "lower case gets advice");
        for bad in ["", "1ABC", "A-B", "A B", "ÄPI", "A=B", &"A".repeat(129)] {
            assert_eq!(validate_key_name(bad).unwrap_err().code(), ErrorCode::SecretInvalidKeyName, "{bad}");
        }
    }

    #[test]
    fn provider_is_suggested_from_the_key_name() {
        assert_eq!(suggest_provider("GH_TOKEN"), "github");
        assert_eq!(suggest_provider("MY_OWN_THING"), "generic");
    }

    #[test]
    fn environments_parse_leniently() {
        assert_eq!("Production".parse::<Environment>().expect("parses"), Environment::Prod);
        assert_eq!("staging".parse::<Environment>().expect("parses"), Environment::Stage);
        assert_eq!("qa".parse::<Environment>().unwrap_err().code(), ErrorCode::InputInvalid);
    }

    #[test]
    fn tags_are_trimmed_and_deduplicated() {
        assert_eq!(
            clean_tags(vec![" a ".into(), "a".into(), "".into(), "b".into()]).expect("ok"),
            ["a", "b"]
        );
        assert!(clean_tags(vec!["x".repeat(65)]).is_err());
    }
}
