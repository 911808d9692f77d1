//! Secrets: add, edit, delete, reveal, list and search.
//!
//! Values are sealed with the field key (bound to their row) inside the
//! encrypted database. Listing never decrypts a value: it reads the
//! [`Catalog`], an in-memory index of the non-secret fields built at unlock,
//! which keeps the first page and substring search fast on 100,000 secrets
//! (a `LIKE` scan through SQLCipher is not).

use memchr::memmem;
use regex::Regex;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::str::FromStr;
use std::sync::LazyLock;

use crate::audit::{self, EventType};
use crate::crypto::{SealContext, SecretString};
use crate::error::{Error, ErrorCode, Result};
use crate::providers;
use crate::vault::Vault;

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

/// Deployment environment of a secret.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Development.
    Dev,
    /// Staging.
    Stage,
    /// Production.
    Prod,
}

impl Environment {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Dev => "dev",
            Environment::Stage => "stage",
            Environment::Prod => "prod",
        }
    }
}

impl FromStr for Environment {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "dev" | "development" => Ok(Environment::Dev),
            "stage" | "staging" => Ok(Environment::Stage),
            "prod" | "production" => Ok(Environment::Prod),
            other => Err(Error::invalid(format!("unknown environment '{other}'"))
                .with_suggestion("Use dev, stage or prod.")),
        }
    }
}

/// Where a secret came from.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceType {
    /// Typed in by the user.
    Manual,
    /// Pasted text.
    Paste,
    /// Imported from a file.
    FileImport,
    /// Taken from a project's .env.
    DotenvPatch,
    /// Imported from a `.kcbundle`.
    ExportBundleImport,
}

impl SourceType {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceType::Manual => "manual",
            SourceType::Paste => "paste",
            SourceType::FileImport => "file_import",
            SourceType::DotenvPatch => "dotenv_patch",
            SourceType::ExportBundleImport => "export_bundle_import",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Manual, Self::Paste, Self::FileImport, Self::DotenvPatch, Self::ExportBundleImport]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

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

/// Everything about a secret except its value.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretSummary {
    /// Row id.
    pub id: String,
    /// Provider id (`generic` when unassigned).
    pub provider_id: String,
    /// Env var name.
    pub key_name: String,
    /// Environment, if tagged.
    pub environment: Option<Environment>,
    /// Project, if linked.
    pub project_id: Option<String>,
    /// Free notes.
    pub notes: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Provenance kind.
    pub source_type: SourceType,
    /// Provenance label.
    pub source_label: Option<String>,
    /// When imported (not for manual entries).
    pub imported_at: Option<String>,
    /// Created (UTC ISO 8601).
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
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
}

/// A list query.
#[derive(Debug, Clone, Default)]
pub struct SecretQuery {
    /// Only this provider.
    pub provider_id: Option<String>,
    /// Only this environment.
    pub environment: Option<Environment>,
    /// Case-insensitive substring over key name, provider, notes and tags.
    pub search: Option<String>,
    /// Skip this many matches.
    pub offset: usize,
    /// At most this many (all when `None`).
    pub limit: Option<usize>,
}

/// One page of matches.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct SecretPage {
    /// Matches in all.
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub total: usize,
    /// This page, by key name then provider.
    pub items: Vec<SecretSummary>,
}

/// A secret written, with advice (e.g. upper case recommended).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
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
            format!("'{}' is not a valid key name", name.chars().take(MAX_KEY_NAME_LEN).collect::<String>()),
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

pub(crate) fn check_provider(id: &str) -> Result<&'static str> {
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
    Ok(())
}

fn clean_notes(notes: Option<String>) -> Result<Option<String>> {
    let notes = notes.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if notes.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTES_LEN) {
        return Err(Error::invalid(format!("notes are longer than {MAX_NOTES_LEN} characters")));
    }
    Ok(notes)
}

fn clean_tags(tags: Vec<String>) -> Result<Vec<String>> {
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
        ErrorCode::ImportConflict,
        format!("a secret {key_name} for provider {provider_id} already exists"),
    )
}

/// Map a constraint failure on `secrets` to the taxonomy.
fn map_write_error(e: rusqlite::Error, key_name: &str, provider_id: &str) -> Error {
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

/// In-memory index of every secret's non-secret fields, sorted by key name
/// then provider. Built at unlock, kept in step with every write.
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    secret: SecretSummary,
    /// Lower-cased key name, provider id and name, notes and tags.
    haystack: String,
}

impl Entry {
    fn new(secret: SecretSummary) -> Self {
        let mut h = String::with_capacity(64);
        h.push_str(&secret.key_name);
        h.push('\n');
        h.push_str(&secret.provider_id);
        if let Some(p) = providers::get(&secret.provider_id) {
            h.push('\n');
            h.push_str(p.display_name);
        }
        if let Some(n) = &secret.notes {
            h.push('\n');
            h.push_str(n);
        }
        for t in &secret.tags {
            h.push('\n');
            h.push_str(t);
        }
        Entry { haystack: h.to_lowercase(), secret }
    }

    fn sort_key(&self) -> (&str, &str) {
        (&self.secret.key_name, &self.secret.provider_id)
    }
}

const SUMMARY_COLUMNS: &str = "id, provider_id, key_name, environment, project_id, notes, tags_json, \
     source_type, source_label, imported_at, created_at, updated_at";

fn summary_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(SecretSummary, String, String)> {
    let env: Option<String> = r.get(3)?;
    Ok((
        SecretSummary {
            id: r.get(0)?,
            provider_id: r.get(1)?,
            key_name: r.get(2)?,
            environment: env.and_then(|e| e.parse().ok()),
            project_id: r.get(4)?,
            notes: r.get(5)?,
            tags: Vec::new(),
            source_type: SourceType::Manual,
            source_label: r.get(8)?,
            imported_at: r.get(9)?,
            created_at: r.get(10)?,
            updated_at: r.get(11)?,
        },
        r.get::<_, String>(6)?,
        r.get::<_, String>(7)?,
    ))
}

fn finish_summary((mut s, tags_json, source): (SecretSummary, String, String)) -> Result<SecretSummary> {
    s.tags = serde_json::from_str(&tags_json)?;
    s.source_type = SourceType::parse(&source)
        .ok_or_else(|| Error::corruption(format!("unknown source type '{source}'")))?;
    Ok(s)
}

impl Catalog {
    /// Read every secret's non-secret fields.
    pub(crate) fn load(conn: &Connection) -> Result<Catalog> {
        let mut stmt = conn.prepare(&format!("SELECT {SUMMARY_COLUMNS} FROM secrets"))?;
        let rows = stmt.query_map([], summary_from_row)?;
        let mut entries = Vec::new();
        for row in rows {
            entries.push(Entry::new(finish_summary(row?)?));
        }
        entries.sort_unstable_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        Ok(Catalog { entries })
    }

    fn position(&self, key: (&str, &str)) -> std::result::Result<usize, usize> {
        self.entries.binary_search_by(|e| e.sort_key().cmp(&key))
    }

    pub(crate) fn insert(&mut self, secret: SecretSummary) {
        let entry = Entry::new(secret);
        let at = match self.position(entry.sort_key()) {
            Ok(i) | Err(i) => i,
        };
        self.entries.insert(at, entry);
    }

    /// Insert many at once: one by one, each insert shifts the entries
    /// after it, which for 10,000 unsorted keys is tens of millions of moves;
    /// appending and sorting once is `O(n log n)`.
    pub(crate) fn insert_many(&mut self, secrets: impl IntoIterator<Item = SecretSummary>) {
        let secrets = secrets.into_iter();
        let before = self.entries.len();
        if secrets.size_hint().0 < 32 {
            for s in secrets {
                self.insert(s);
            }
            return;
        }
        self.entries.extend(secrets.map(Entry::new));
        if self.entries.len() > before {
            // (key name, provider) is unique, so an unstable sort is exact.
            self.entries.sort_unstable_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        }
    }

    pub(crate) fn remove(&mut self, key_name: &str, provider_id: &str) -> Option<SecretSummary> {
        let i = self.position((key_name, provider_id)).ok()?;
        Some(self.entries.remove(i).secret)
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    /// Secrets named `key_name` (one per provider).
    fn named(&self, key_name: &str) -> &[Entry] {
        let start = self.entries.partition_point(|e| e.secret.key_name.as_str() < key_name);
        let end = self.entries[start..].partition_point(|e| e.secret.key_name == key_name) + start;
        &self.entries[start..end]
    }

    fn query(&self, q: &SecretQuery) -> SecretPage {
        let needle = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_lowercase);
        let finder = needle.as_deref().map(memmem::Finder::new);
        let limit = q.limit.unwrap_or(usize::MAX);
        let mut total = 0;
        let mut items = Vec::new();
        for e in &self.entries {
            if q.provider_id.as_deref().is_some_and(|p| p != e.secret.provider_id)
                || q.environment.is_some_and(|env| Some(env) != e.secret.environment)
                || finder.as_ref().is_some_and(|f| f.find(e.haystack.as_bytes()).is_none())
            {
                continue;
            }
            if total >= q.offset && items.len() < limit {
                items.push(e.secret.clone());
            }
            total += 1;
        }
        SecretPage { total, items }
    }
}

impl Vault {
    /// Number of secrets in the profile.
    pub fn secret_count(&self) -> usize {
        self.catalog.len()
    }

    /// List or search secrets (never decrypts a value).
    pub fn list_secrets(&self, query: &SecretQuery) -> SecretPage {
        self.catalog.query(query)
    }

    /// The secret with this key name (and provider, required when the name
    /// exists for several providers).
    pub fn find_secret(&self, key_name: &str, provider_id: Option<&str>) -> Result<&SecretSummary> {
        let named = self.catalog.named(key_name);
        let not_found = || {
            let which = provider_id.map(|p| format!(" for provider {p}")).unwrap_or_default();
            Error::new(ErrorCode::SecretNotFound, format!("no secret named {key_name}{which}"))
        };
        match provider_id {
            Some(p) => {
                named.iter().find(|e| e.secret.provider_id == p).map(|e| &e.secret).ok_or_else(not_found)
            }
            None => match named {
                [] => Err(not_found()),
                [one] => Ok(&one.secret),
                many => {
                    let ids: Vec<&str> = many.iter().map(|e| e.secret.provider_id.as_str()).collect();
                    Err(Error::new(
                        ErrorCode::SecretAmbiguous,
                        format!("{key_name} exists for several providers: {}", ids.join(", ")),
                    ))
                }
            },
        }
    }

    pub(crate) fn prepare_new(&self, new: NewSecret) -> Result<(SecretSummary, Vec<u8>, Vec<String>)> {
        let warnings = validate_key_name(&new.key_name)?;
        check_value(&new.value)?;
        let provider_id = match new.provider_id.as_deref() {
            Some(p) => check_provider(p)?,
            None => suggest_provider(&new.key_name),
        };
        let now = crate::time::now();
        let id = uuid::Uuid::new_v4().to_string();
        let sealed =
            self.field_key().seal(new.value.expose_secret().as_bytes(), value_ctx(&self.profile().id, &id));
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
        };
        Ok((summary, sealed, warnings))
    }

    pub(crate) fn insert_row(
        conn: &Connection,
        profile_id: &str,
        s: &SecretSummary,
        sealed: &[u8],
    ) -> Result<()> {
        conn.prepare_cached(
            "INSERT INTO secrets (id, profile_id, provider_id, key_name, secret_value_enc, environment,
               project_id, notes, tags_json, source_type, source_label, imported_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
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
            serde_json::to_string(&s.tags)?,
            s.source_type.as_str(),
            s.source_label,
            s.imported_at,
            s.created_at,
            s.updated_at
        ])
        .map_err(|e| map_write_error(e, &s.key_name, &s.provider_id))?;
        Ok(())
    }

    /// Add one secret.
    pub fn add_secret(&mut self, new: NewSecret) -> Result<Saved> {
        let mut saved = self.add_secrets(vec![new])?;
        saved.pop().ok_or_else(|| Error::internal("adding one secret returned none"))
    }

    /// Add secrets in one transaction: all or nothing.
    pub fn add_secrets(&mut self, news: Vec<NewSecret>) -> Result<Vec<Saved>> {
        let mut prepared = Vec::with_capacity(news.len());
        for new in news {
            prepared.push(self.prepare_new(new)?);
        }
        let profile_id = self.profile().id.clone();
        let tx = self.connection_mut().transaction()?;
        for (s, sealed, _) in &prepared {
            Self::insert_row(&tx, &profile_id, s, sealed)?;
        }
        let meta = match prepared.as_slice() {
            [(s, _, _)] => json!({ "secret_id": s.id, "provider_id": s.provider_id, "key_name": s.key_name }),
            many => json!({ "count": many.len() }),
        };
        audit::record(&tx, &profile_id, EventType::SecretAdd, meta)?;
        tx.commit()?;
        let out: Vec<Saved> =
            prepared.into_iter().map(|(s, _, warnings)| Saved { secret: s, warnings }).collect();
        self.catalog.insert_many(out.iter().map(|s| s.secret.clone()));
        Ok(out)
    }

    /// Decrypt one value. Records a `secret.reveal` audit event.
    pub fn reveal_secret(&self, key_name: &str, provider_id: Option<&str>) -> Result<SecretString> {
        self.decrypt_audited(key_name, provider_id, EventType::SecretReveal)
    }

    /// Decrypt one value for the clipboard. Records a `secret.copy` event.
    pub fn copy_secret(&self, key_name: &str, provider_id: Option<&str>) -> Result<SecretString> {
        self.decrypt_audited(key_name, provider_id, EventType::SecretCopy)
    }

    /// Decrypt a value without an audit event (the caller records one
    /// event for the whole operation, e.g. a bundle export).
    pub(crate) fn decrypt_value(&self, s: &SecretSummary) -> Result<SecretString> {
        let blob: Vec<u8> = self
            .connection()
            .prepare_cached("SELECT secret_value_enc FROM secrets WHERE id = ?1")?
            .query_row([&s.id], |r| r.get(0))?;
        self.field_key().open_string(&blob, value_ctx(&self.profile().id, &s.id))
    }

    /// Every secret named `key_name`, one per provider.
    pub fn secrets_named(&self, key_name: &str) -> Vec<SecretSummary> {
        self.catalog.named(key_name).iter().map(|e| e.secret.clone()).collect()
    }

    fn decrypt_audited(
        &self,
        key_name: &str,
        provider_id: Option<&str>,
        event: EventType,
    ) -> Result<SecretString> {
        let s = self.find_secret(key_name, provider_id)?;
        let value = self.decrypt_value(s)?;
        self.record(
            event,
            json!({ "secret_id": s.id, "provider_id": s.provider_id, "key_name": s.key_name }),
        )?;
        Ok(value)
    }

    /// Change a secret's value, provider, environment, notes or tags.
    pub fn edit_secret(
        &mut self,
        key_name: &str,
        provider_id: Option<&str>,
        edit: SecretEdit,
    ) -> Result<Saved> {
        let old = self.find_secret(key_name, provider_id)?.clone();
        let mut new = old.clone();
        if let Some(p) = edit.provider_id.as_deref() {
            new.provider_id = check_provider(p)?.to_owned();
        }
        if let Some(env) = edit.environment {
            new.environment = env;
        }
        if let Some(notes) = edit.notes {
            new.notes = clean_notes(notes)?;
        }
        if let Some(tags) = edit.tags {
            new.tags = clean_tags(tags)?;
        }
        let sealed = match &edit.value {
            Some(v) => {
                check_value(v)?;
                Some(
                    self.field_key()
                        .seal(v.expose_secret().as_bytes(), value_ctx(&self.profile().id, &old.id)),
                )
            }
            None => None,
        };
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
        let profile_id = self.profile().id.clone();
        let tx = self.connection_mut().transaction()?;
        tx.execute(
            "UPDATE secrets SET provider_id = ?2, environment = ?3, notes = ?4, tags_json = ?5,
               secret_value_enc = COALESCE(?6, secret_value_enc), updated_at = ?7 WHERE id = ?1",
            params![
                old.id,
                new.provider_id,
                new.environment.map(Environment::as_str),
                new.notes,
                serde_json::to_string(&new.tags)?,
                sealed,
                new.updated_at
            ],
        )
        .map_err(|e| map_write_error(e, &new.key_name, &new.provider_id))?;
        audit::record(
            &tx,
            &profile_id,
            EventType::SecretEdit,
            json!({ "secret_id": old.id, "provider_id": new.provider_id, "key_name": old.key_name, "changed": changed }),
        )?;
        tx.commit()?;
        self.catalog.remove(&old.key_name, &old.provider_id);
        self.catalog.insert(new.clone());
        Ok(Saved { secret: new, warnings: Vec::new() })
    }

    /// Delete a secret.
    pub fn delete_secret(&mut self, key_name: &str, provider_id: Option<&str>) -> Result<SecretSummary> {
        let s = self.find_secret(key_name, provider_id)?.clone();
        let profile_id = self.profile().id.clone();
        let tx = self.connection_mut().transaction()?;
        tx.execute("DELETE FROM secrets WHERE id = ?1", [&s.id])?;
        audit::record(
            &tx,
            &profile_id,
            EventType::SecretDelete,
            json!({ "secret_id": s.id, "provider_id": s.provider_id, "key_name": s.key_name }),
        )?;
        tx.commit()?;
        self.catalog.remove(&s.key_name, &s.provider_id);
        Ok(s)
    }
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
