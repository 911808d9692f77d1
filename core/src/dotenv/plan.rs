//! Patch plans: what writing a set of keys into an existing document would
//! do, key by key, and the patched text.
//!
//! [`Document::plan`] decides per key ([`Decision`], a default plus per-key
//! overrides) and builds the new text by changing as little as it can:
//!
//! - an update rewrites only the value of the effective (last) assignment,
//!   keeping `export`, the key, the spacing around `=`, any inline comment,
//!   the line ending, and the quoting style when it round-trips the new
//!   value (else bare when safe, otherwise quoted, see `encode`);
//! - new keys go to the end, in one block per provider headed by a
//!   `# <Provider display name>` comment (providers in the order the caller
//!   listed them), with the file's dominant line ending, after a blank
//!   line; a line ending is added first when the file did not end with one.
//!   They get `export ` when most existing entries have it;
//! - comments, blank lines, opaque lines and other entries are copied as
//!   they are.
//!
//! The plan re-reads the text it built and refuses (`dotenv.unsafe_patch`)
//! if any key other than the ones it changed would read differently (an
//! unterminated quote in an opaque line could otherwise swallow the new
//! block).

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use zeroize::Zeroizing;

use super::analyze::{Warning, key_of};
use super::diff;
use super::encode::{choose_quote, push_encoded};
use super::parse::{Document, Entry, ItemKind};
use crate::crypto::SecretString;
use crate::error::{Error, ErrorCode, Result};
use crate::{providers, secrets};

/// A key the caller wants in the file.
#[derive(Debug)]
pub struct DesiredEntry {
    /// Env var name, e.g. `GITHUB_TOKEN`.
    pub key: String,
    /// The value to write.
    pub value: SecretString,
    /// Provider id (`github`, … or `generic`): new keys are grouped by it.
    pub provider_id: String,
}

impl DesiredEntry {
    /// A desired entry.
    pub fn new(
        key: impl Into<String>,
        value: impl Into<SecretString>,
        provider_id: impl Into<String>,
    ) -> Self {
        DesiredEntry { key: key.into(), value: value.into(), provider_id: provider_id.into() }
    }
}

/// What to do with a key that is already in the file with another value.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Leave the file's value (add the key if it is missing).
    #[default]
    KeepExisting,
    /// Write the new value (add the key if it is missing).
    Overwrite,
    /// Do not touch this key at all, not even to add it.
    Skip,
}

/// A decision for every key: a default and per-key overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Applies to keys without an override.
    pub default: Decision,
    /// Per key (exact name).
    pub overrides: HashMap<String, Decision>,
}

impl Policy {
    /// A policy with this default and no overrides.
    pub fn new(default: Decision) -> Self {
        Policy { default, overrides: HashMap::new() }
    }

    /// Add an override for one key.
    pub fn with(mut self, key: impl Into<String>, decision: Decision) -> Self {
        self.overrides.insert(key.into(), decision);
        self
    }

    /// The decision for a key.
    pub fn decision_for(&self, key: &str) -> Decision {
        self.overrides.get(key).copied().unwrap_or(self.default)
    }
}

/// What the plan does with one key.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Not in the file: appended.
    Add,
    /// In the file with another value: the value is rewritten.
    Update,
    /// In the file with the same value: nothing to do.
    Unchanged,
    /// In the file with another value, kept by decision.
    Kept,
    /// Skipped by decision.
    Skipped,
}

/// The plan for one key (no value).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyChange {
    /// The key.
    pub key: String,
    /// Its provider id.
    pub provider_id: String,
    /// What happens to it.
    pub action: Action,
    /// First line of its effective assignment in the original file, if any.
    #[cfg_attr(feature = "specta", specta(type = Option<u32>))]
    pub line: Option<usize>,
    /// Other keys in the file that name the same provider's key (aliases,
    /// e.g. `GH_TOKEN` when adding `GITHUB_TOKEN`).
    pub aliases_in_file: Vec<String>,
}

/// How many keys got each action: what an audit event may record.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Appended.
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub added: usize,
    /// Rewritten.
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub updated: usize,
    /// Already had the value.
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub unchanged: usize,
    /// Different but kept.
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub kept: usize,
    /// Skipped.
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub skipped: usize,
}

impl Counts {
    fn count(&mut self, action: Action) {
        match action {
            Action::Add => self.added += 1,
            Action::Update => self.updated += 1,
            Action::Unchanged => self.unchanged += 1,
            Action::Kept => self.kept += 1,
            Action::Skipped => self.skipped += 1,
        }
    }
}

/// A patch plan: per-key actions, warnings and the new text. It remembers
/// a digest of the text it was made from, so [`super::apply`] refuses a
/// file that changed since, and that text for the preview.
pub struct Plan {
    changes: Vec<KeyChange>,
    warnings: Vec<Warning>,
    base_digest: [u8; 32],
    require_absent: bool,
    before: Zeroizing<String>,
    after: Document,
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan")
            .field("changes", &self.changes)
            .field("warnings", &self.warnings)
            .field("after", &self.after)
            .finish()
    }
}

/// What a plan changes, for [`Document::check_patch`]: the items whose
/// value it rewrites (index, new value; in item order) and the entries it
/// appends (key, value; in written order).
#[derive(Default)]
pub(crate) struct Changed<'a> {
    pub(crate) edited: Vec<(usize, &'a str)>,
    pub(crate) appended: Vec<(&'a str, &'a str)>,
}

pub(crate) fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

impl Plan {
    /// Per-key actions, in the order the keys were given.
    pub fn changes(&self) -> &[KeyChange] {
        &self.changes
    }

    /// How many keys get each action.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        self.changes.iter().for_each(|k| c.count(k.action));
        c
    }

    /// Duplicate-key and alias-conflict warnings of the original document.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Whether applying it would change nothing.
    pub fn is_noop(&self) -> bool {
        !self.changes.iter().any(|c| matches!(c.action, Action::Add | Action::Update))
    }

    /// The patched text (it holds secrets).
    pub fn expose_new_text(&self) -> &str {
        self.after.expose_text()
    }

    /// The patched document.
    pub fn new_document(&self) -> &Document {
        &self.after
    }

    /// A unified diff of the original and patched texts in which every
    /// value is masked (see [`super::MASK`]); `name` labels the two sides.
    pub fn masked_diff(&self, name: &str) -> String {
        let fresh: HashSet<&str> = self
            .changes
            .iter()
            .filter(|c| matches!(c.action, Action::Add | Action::Update))
            .map(|c| c.key.as_str())
            .collect();
        let before = diff::mask_document(&Document::parse(&self.before), &HashSet::new());
        let after = diff::mask_document(&self.after, &fresh);
        diff::unified(&before, &after, name)
    }

    /// Whether `text` is the text this plan was made from.
    pub fn made_from(&self, text: &str) -> bool {
        digest(text) == self.base_digest
    }

    /// Whether the plan creates a new file and must not replace one
    /// ([`super::generate`]).
    pub fn requires_absent(&self) -> bool {
        self.require_absent
    }

    /// Check `after` against `before` and what changed, and build the plan.
    pub(crate) fn build(
        before: &Document,
        after: Zeroizing<String>,
        changes: Vec<KeyChange>,
        changed: &Changed<'_>,
        require_absent: bool,
    ) -> Result<Plan> {
        let after = Document::parse_owned(after);
        before.check_patch(&after, changed)?;
        Ok(Plan {
            changes,
            warnings: before.warnings(),
            base_digest: digest(before.expose_text()),
            require_absent,
            before: Zeroizing::new(before.expose_text().to_owned()),
            after,
        })
    }
}

pub(crate) fn check_desired(desired: &[DesiredEntry]) -> Result<()> {
    let mut seen = HashSet::new();
    for d in desired {
        secrets::validate_key_name(&d.key)?;
        if providers::get(&d.provider_id).is_none() {
            return Err(Error::new(
                ErrorCode::ProviderNotFound,
                format!("unknown provider id '{}' for {}", d.provider_id, d.key),
            ));
        }
        if d.value.len() > secrets::MAX_VALUE_LEN {
            return Err(Error::invalid(format!("the value of {} is larger than 1 MiB", d.key)));
        }
        if !seen.insert(d.key.as_str()) {
            return Err(Error::new(ErrorCode::DotenvDuplicateKey, format!("{} is listed twice", d.key)));
        }
    }
    Ok(())
}

/// The `# Provider` header of a block of new keys.
pub(crate) fn provider_heading(provider_id: &str) -> &'static str {
    providers::get(provider_id).map_or("Unassigned", |p| p.display_name)
}

impl Document {
    /// Plan writing `desired` into this document under `policy`.
    ///
    /// Errors: an invalid key name (`secret.invalid_key_name`), an unknown
    /// provider id (`provider.not_found`), a key listed twice
    /// (`dotenv.duplicate_key`), a value over 1 MiB (`input.invalid`), or a
    /// patch that would change how other lines read (`dotenv.unsafe_patch`).
    pub fn plan(&self, desired: &[DesiredEntry], policy: &Policy) -> Result<Plan> {
        check_desired(desired)?;
        let text = self.expose_text();

        // Effective entry of each key, and the keys present per provider key
        // (aliases of one another; companions are other credentials).
        let mut effective: FxHashMap<&str, (usize, &Entry)> = FxHashMap::default();
        let mut by_provider: FxHashMap<&'static str, Vec<&str>> = FxHashMap::default();
        for (idx, item) in self.items().iter().enumerate() {
            if let Some(e) = item.entry() {
                if effective.insert(e.key(), (idx, e)).is_none() {
                    if let Some(p) = key_of(e.key()) {
                        by_provider.entry(p.id).or_default().push(e.key());
                    }
                }
            }
        }

        let mut changes = Vec::with_capacity(desired.len());
        let mut changed = Changed::default();
        // (start, end, replacement) for updates.
        let mut edits: Vec<(usize, usize, Zeroizing<String>)> = Vec::new();
        let mut adds: Vec<&DesiredEntry> = Vec::new();
        for d in desired {
            let existing = effective.get(d.key.as_str());
            let decision = policy.decision_for(&d.key);
            let action = match (existing, decision) {
                (_, Decision::Skip) => Action::Skipped,
                (None, _) => Action::Add,
                (Some((_, e)), _) if e.value().expose_secret() == d.value.expose_secret() => {
                    Action::Unchanged
                }
                (Some(_), Decision::KeepExisting) => Action::Kept,
                (Some(_), Decision::Overwrite) => Action::Update,
            };
            match (action, existing) {
                (Action::Update, Some((idx, e))) => {
                    let value = d.value.expose_secret();
                    changed.edited.push((*idx, value));
                    let mut enc = Zeroizing::new(String::with_capacity(value.len() + 2));
                    push_encoded(&mut enc, value, choose_quote(value, Some(e.quote())));
                    let span = e.value_span();
                    edits.push((span.start, span.end, enc));
                }
                (Action::Add, _) => adds.push(d),
                _ => {}
            }
            let aliases_in_file = key_of(&d.key)
                .and_then(|p| by_provider.get(p.id))
                .map(|keys| keys.iter().filter(|k| **k != d.key).map(|k| (*k).to_owned()).collect())
                .unwrap_or_default();
            changes.push(KeyChange {
                key: d.key.clone(),
                provider_id: d.provider_id.clone(),
                action,
                line: existing.map(|(idx, _)| *self.items()[*idx].lines().start()),
                aliases_in_file,
            });
        }
        edits.sort_by_key(|(start, _, _)| *start);
        changed.edited.sort_by_key(|(idx, _)| *idx);

        // The new text: the original with the value edits, then the block.
        let mut after = Zeroizing::new(String::with_capacity(text.len() + 64 * adds.len()));
        let mut at = 0;
        for (start, end, enc) in &edits {
            after.push_str(&text[at..*start]);
            after.push_str(enc);
            at = *end;
        }
        after.push_str(&text[at..]);
        if !adds.is_empty() {
            changed.appended = self.append_block(&mut after, &adds);
        }
        Plan::build(self, after, changes, &changed, false)
    }

    /// Append the new keys; (key, value) of each, in written order.
    fn append_block<'a>(&self, out: &mut String, adds: &[&'a DesiredEntry]) -> Vec<(&'a str, &'a str)> {
        let mut written = Vec::with_capacity(adds.len());
        let eol = self.dominant_line_ending().as_str();
        if !self.ends_with_newline() {
            // A last line ending in a lone `\r` keeps it as content: a `\n`
            // alone would turn it into a `\r\n` terminator.
            out.push_str(if self.expose_text().ends_with('\r') { "\r\n" } else { eol });
        }
        if self.items().last().is_some_and(|i| !matches!(i.kind(), ItemKind::Blank)) {
            out.push_str(eol);
        }
        let (entries, exported) =
            self.entries().fold((0usize, 0usize), |(n, x), e| (n + 1, x + usize::from(e.exported())));
        let export = exported * 2 > entries;
        let mut groups: Vec<(&str, Vec<&DesiredEntry>)> = Vec::new();
        for &d in adds {
            match groups.iter_mut().find(|(id, _)| *id == d.provider_id) {
                Some((_, list)) => list.push(d),
                None => groups.push((&d.provider_id, vec![d])),
            }
        }
        for (i, (provider_id, list)) in groups.iter().enumerate() {
            if i > 0 {
                out.push_str(eol);
            }
            out.push_str("# ");
            out.push_str(provider_heading(provider_id));
            out.push_str(eol);
            for d in list {
                if export {
                    out.push_str("export ");
                }
                out.push_str(&d.key);
                out.push('=');
                let value = d.value.expose_secret();
                push_encoded(out, value, choose_quote(value, None));
                out.push_str(eol);
                written.push((d.key.as_str(), value));
            }
        }
        written
    }

    /// Item by item, the new document reads as this one (same kinds, same
    /// keys, same values) except for the values the plan rewrites, and then
    /// holds exactly the appended entries.
    fn check_patch(&self, new_doc: &Document, changed: &Changed<'_>) -> Result<()> {
        let (old, new) = (self.items(), new_doc.items());
        let mut edits = changed.edited.iter().peekable();
        let mut first_bad = None;
        for (i, (a, b)) in old.iter().zip(new).enumerate() {
            let same = match (a.kind(), b.kind()) {
                (ItemKind::Blank, ItemKind::Blank)
                | (ItemKind::Comment, ItemKind::Comment)
                | (ItemKind::Opaque, ItemKind::Opaque) => true,
                (ItemKind::Entry(x), ItemKind::Entry(y)) => {
                    let want = match edits.next_if(|(j, _)| *j == i) {
                        Some((_, v)) => *v,
                        None => x.value().expose_secret(),
                    };
                    x.key() == y.key() && y.value().expose_secret() == want
                }
                _ => false,
            };
            if !same {
                first_bad = Some(*a.lines().start());
                break;
            }
        }
        let tail_ok = || {
            new.len() >= old.len()
                && new[old.len()..]
                    .iter()
                    .filter(|item| !matches!(item.kind(), ItemKind::Blank | ItemKind::Comment))
                    .map(|item| item.entry().map(|e| (e.key(), e.value().expose_secret())))
                    .eq(changed.appended.iter().map(|&kv| Some(kv)))
        };
        if first_bad.is_none() && edits.next().is_none() && tail_ok() {
            return Ok(());
        }
        let line = first_bad.or_else(|| self.opaque_items().next().map(|i| *i.lines().start()));
        let where_ = line.map_or(String::new(), |l| format!(" (check the quotes on line {l})"));
        Err(Error::new(
            ErrorCode::DotenvUnsafePatch,
            format!("the patch would change how other lines of the file are read{where_}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(text: &str, desired: Vec<DesiredEntry>, policy: Policy) -> Plan {
        Document::parse(text).plan(&desired, &policy).unwrap()
    }

    #[test]
    fn decides_per_key() {
        let text = "A=1\nB=2\nC=3\n";
        let desired = vec![
            DesiredEntry::new("A", "1", "generic"),
            DesiredEntry::new("B", "new", "generic"),
            DesiredEntry::new("C", "new", "generic"),
            DesiredEntry::new("D", "4", "generic"),
            DesiredEntry::new("E", "5", "generic"),
        ];
        let p = plan(
            text,
            desired,
            Policy::new(Decision::KeepExisting).with("C", Decision::Overwrite).with("E", Decision::Skip),
        );
        let actions: Vec<Action> = p.changes().iter().map(|c| c.action).collect();
        assert_eq!(actions, [Action::Unchanged, Action::Kept, Action::Update, Action::Add, Action::Skipped]);
        assert_eq!(p.counts(), Counts { added: 1, updated: 1, unchanged: 1, kept: 1, skipped: 1 });
        assert_eq!(p.expose_new_text(), "A=1\nB=2\nC=new\n\n# Unassigned\nD=4\n");
        assert!(p.made_from(text) && !p.made_from("A=1\n"));
    }

    #[test]
    fn updates_keep_layout_and_quoting() {
        let text = "export  A = 'old' # note\r\nB=\"x\"\r\nC=plain\r\n";
        let desired = vec![
            DesiredEntry::new("A", "new value", "generic"),
            DesiredEntry::new("B", "y", "generic"),
            DesiredEntry::new("C", "has space", "generic"),
        ];
        let p = plan(text, desired, Policy::new(Decision::Overwrite));
        assert_eq!(p.expose_new_text(), "export  A = 'new value' # note\r\nB=\"y\"\r\nC=\"has space\"\r\n");
    }

    #[test]
    fn appends_grouped_blocks_with_dominant_ending() {
        let text = "# mine\r\nX=1";
        let desired = vec![
            DesiredEntry::new("OPENAI_API_KEY", "sk-1", "openai"),
            DesiredEntry::new("GITHUB_TOKEN", "ghp_1", "github"),
            DesiredEntry::new("OPENAI_ORG", "org", "openai"),
        ];
        let p = plan(text, desired, Policy::default());
        assert_eq!(
            p.expose_new_text(),
            "# mine\r\nX=1\r\n\r\n# OpenAI\r\nOPENAI_API_KEY=sk-1\r\nOPENAI_ORG=org\r\n\r\n# GitHub\r\nGITHUB_TOKEN=ghp_1\r\n"
        );
        assert_eq!(
            plan("", vec![DesiredEntry::new("A", "1", "generic")], Policy::default()).expose_new_text(),
            "# Unassigned\nA=1\n"
        );
    }

    #[test]
    fn reports_aliases_and_rejects_bad_input() {
        let p =
            plan("GH_TOKEN=1\n", vec![DesiredEntry::new("GITHUB_TOKEN", "2", "github")], Policy::default());
        assert_eq!(p.changes()[0].aliases_in_file, ["GH_TOKEN"]);
        let doc = Document::parse("");
        let err = |d: Vec<DesiredEntry>| doc.plan(&d, &Policy::default()).unwrap_err().code();
        assert_eq!(err(vec![DesiredEntry::new("1BAD", "v", "generic")]), ErrorCode::SecretInvalidKeyName);
        assert_eq!(err(vec![DesiredEntry::new("A", "v", "nope")]), ErrorCode::ProviderNotFound);
        assert_eq!(
            err(vec![DesiredEntry::new("A", "v", "generic"), DesiredEntry::new("A", "w", "generic")]),
            ErrorCode::DotenvDuplicateKey
        );
    }

    #[test]
    fn a_lone_cr_at_the_end_stays_part_of_the_value() {
        let p = plan("_=\r", vec![DesiredEntry::new("B", "1", "generic")], Policy::default());
        assert_eq!(p.expose_new_text(), "_=\r\r\n\n# Unassigned\nB=1\n");
    }

    #[test]
    fn a_cr_before_a_hash_is_not_a_blank() {
        let p =
            plan("_=\r#\n", vec![DesiredEntry::new("_", "\"", "generic")], Policy::new(Decision::Overwrite));
        assert_eq!(p.expose_new_text(), "_=\"\\\"\"\n");
    }

    #[test]
    fn an_update_an_earlier_open_quote_would_reach_is_refused() {
        let doc = Document::parse("A='\nA=\"'\\x\"\t#'\n");
        let d = vec![DesiredEntry::new("A", "", "generic")];
        let e = doc.plan(&d, &Policy::new(Decision::Overwrite)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::DotenvUnsafePatch);
        assert!(e.message().contains("line 1"), "{}", e.message());
    }

    #[test]
    fn refuses_a_patch_an_open_quote_would_swallow() {
        // The open quote on line 1 would pair with the one in the new value.
        let doc = Document::parse("A=\"open\n");
        let d = vec![DesiredEntry::new("B", " #x", "generic")];
        let e = doc.plan(&d, &Policy::default()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::DotenvUnsafePatch);
        assert!(e.message().contains("line 1"), "{}", e.message());
    }
}
