//! The catalog: what KeyClave knows about each secret besides its value
//! ([`SecretSummary`]), and the in-memory index of all of them that makes
//! listing and search fast.
//!
//! Listing never decrypts a value: it reads the [`Catalog`], built at unlock
//! and kept in step with every committed write (see
//! [`crate::vault::Vault::write`]), which keeps the first page and substring
//! search fast on 100,000 secrets (a `LIKE` scan through SQLCipher is not).

use memchr::memmem;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::providers;

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

    pub(crate) fn parse(s: &str) -> Option<Self> {
        [Self::Manual, Self::Paste, Self::FileImport, Self::DotenvPatch, Self::ExportBundleImport]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// Everything about a secret except its value.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The key's own API base URL, when the user set one (see [`crate::endpoint`]).
    pub endpoint: Option<String>,
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecretPage {
    /// Matches in all.
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub total: usize,
    /// This page, by key name then provider.
    pub items: Vec<SecretSummary>,
}

/// A change to the catalog, applied when its transaction commits.
// Short-lived (one transaction's list); boxing the summary would only add
// an allocation per inserted secret.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum CatalogChange {
    /// A secret was added (or replaced after a [`CatalogChange::Remove`]).
    Insert(SecretSummary),
    /// A secret was removed (or is about to be re-inserted changed).
    Remove {
        /// Its key name.
        key_name: String,
        /// Its provider.
        provider_id: String,
    },
}

impl CatalogChange {
    /// Remove `s` (by its key name and provider).
    pub(crate) fn remove(s: &SecretSummary) -> Self {
        CatalogChange::Remove { key_name: s.key_name.clone(), provider_id: s.provider_id.clone() }
    }
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

pub(crate) const SUMMARY_COLUMNS: &str = "id, provider_id, key_name, environment, project_id, notes, tags_json, \
     source_type, source_label, imported_at, created_at, updated_at, endpoint_url";

pub(crate) fn summary_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(SecretSummary, String, String)> {
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
            endpoint: r.get(12)?,
        },
        r.get::<_, String>(6)?,
        r.get::<_, String>(7)?,
    ))
}

pub(crate) fn finish_summary(
    (mut s, tags_json, source): (SecretSummary, String, String),
) -> Result<SecretSummary> {
    s.tags = serde_json::from_str(&tags_json).map_err(Error::stored_json("tag list"))?;
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
        // The exact count when the iterator knows it (a Vec's does).
        if secrets.size_hint().1.is_some_and(|most| most < 32) {
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

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Secrets named `key_name` (one per provider).
    pub(crate) fn named(&self, key_name: &str) -> impl Iterator<Item = &SecretSummary> {
        let start = self.entries.partition_point(|e| e.secret.key_name.as_str() < key_name);
        let end = self.entries[start..].partition_point(|e| e.secret.key_name == key_name) + start;
        self.entries[start..end].iter().map(|e| &e.secret)
    }

    /// The secret with this key name and provider.
    pub(crate) fn get(&self, key_name: &str, provider_id: &str) -> Option<&SecretSummary> {
        self.position((key_name, provider_id)).ok().map(|i| &self.entries[i].secret)
    }

    /// Apply the changes of a committed transaction, as if in order: the
    /// last change of each (key name, provider) decides whether it is there
    /// and as what. One pass drops every key changed, then the new entries
    /// go in at once: a replace (remove, insert) per key of a 20,000-key
    /// import into 100,000 secrets used to shift the whole list twice per
    /// key.
    pub(crate) fn apply(&mut self, changes: Vec<CatalogChange>) {
        if let [CatalogChange::Remove { key_name, provider_id }] = changes.as_slice() {
            self.remove(key_name, provider_id);
            return;
        }
        let mut last: rustc_hash::FxHashMap<(String, String), Option<SecretSummary>> = Default::default();
        for change in changes {
            match change {
                CatalogChange::Remove { key_name, provider_id } => {
                    last.insert((key_name, provider_id), None);
                }
                CatalogChange::Insert(s) => {
                    last.insert((s.key_name.clone(), s.provider_id.clone()), Some(s));
                }
            }
        }
        if last.is_empty() {
            return;
        }
        {
            let changed: rustc_hash::FxHashSet<(&str, &str)> =
                last.keys().map(|(k, p)| (k.as_str(), p.as_str())).collect();
            self.entries
                .retain(|e| !changed.contains(&(e.secret.key_name.as_str(), e.secret.provider_id.as_str())));
        }
        // Collected first: a flattening iterator's size hint is 0, which
        // would send insert_many down its one-by-one path.
        let inserts: Vec<SecretSummary> = last.into_values().flatten().collect();
        self.insert_many(inserts);
    }

    pub(crate) fn query(&self, q: &SecretQuery) -> SecretPage {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(key: &str, provider: &str, id: &str) -> SecretSummary {
        SecretSummary {
            id: id.to_owned(),
            provider_id: provider.to_owned(),
            key_name: key.to_owned(),
            environment: None,
            project_id: None,
            notes: None,
            tags: Vec::new(),
            source_type: SourceType::Manual,
            source_label: None,
            imported_at: None,
            created_at: String::new(),
            updated_at: String::new(),
            endpoint: None,
        }
    }

    fn remove(key: &str, provider: &str) -> CatalogChange {
        CatalogChange::Remove { key_name: key.to_owned(), provider_id: provider.to_owned() }
    }

    fn ids(c: &Catalog) -> Vec<&str> {
        c.entries.iter().map(|e| e.secret.id.as_str()).collect()
    }

    #[test]
    fn changes_apply_as_if_in_order_the_last_one_per_key_deciding() {
        let mut c = Catalog { entries: Vec::new() };
        c.insert_many((0..50).map(|i| summary(&format!("K{i:02}"), "generic", &format!("old{i:02}"))));
        c.apply(vec![
            // A replace: remove, then insert changed.
            remove("K01", "generic"),
            CatalogChange::Insert(summary("K01", "generic", "new01")),
            // Added then removed in the same transaction: gone.
            CatalogChange::Insert(summary("K99", "generic", "tmp99")),
            remove("K99", "generic"),
            // Removed for good.
            remove("K02", "generic"),
            // Another provider's key of the same name, added.
            CatalogChange::Insert(summary("K03", "github", "gh03")),
        ]);
        let got = ids(&c);
        assert_eq!(got.len(), 50, "{got:?}");
        assert_eq!(&got[..4], ["old00", "new01", "old03", "gh03"]);
        assert!(!got.contains(&"old02") && !got.contains(&"tmp99"));
        assert_eq!(c.get("K03", "github").map(|s| s.id.as_str()), Some("gh03"));
        // One removal alone takes the short path.
        c.apply(vec![remove("K00", "generic")]);
        assert_eq!(ids(&c)[0], "new01");
    }
}
