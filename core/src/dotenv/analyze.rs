//! Warnings about a parsed document: duplicate keys and alias conflicts.
//! Neither stops a patch; the caller shows them and picks.

use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::LazyLock;

use super::parse::Document;
use crate::providers::{self, Provider};

/// Every env var and alias of the registry, upper-cased, to its provider.
static BY_NAME: LazyLock<(HashMap<String, &'static Provider>, usize)> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for p in providers::all().iter().filter(|p| p.id != providers::GENERIC_ID) {
        for name in std::iter::once(p.env_var).chain(p.aliases.iter().copied()).filter(|n| !n.is_empty()) {
            map.entry(name.to_ascii_uppercase()).or_insert(p);
        }
    }
    let longest = map.keys().map(String::len).max().unwrap_or(0);
    (map, longest)
});

/// [`providers::for_key_name`] through a hash map: a file has thousands of
/// keys.
pub(crate) fn provider_of(key: &str) -> Option<&'static Provider> {
    let (map, longest) = &*BY_NAME;
    let mut buf = [0u8; 64];
    let upper = buf.get_mut(..key.len()).filter(|_| !key.is_empty() && key.len() <= *longest)?;
    upper.copy_from_slice(key.as_bytes());
    upper.make_ascii_uppercase();
    map.get(std::str::from_utf8(upper).ok()?).copied()
}

/// Something the user should look at before a patch.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Warning {
    /// The same key is assigned more than once. Readers use the last
    /// assignment, and a patch changes that one only.
    DuplicateKey {
        /// The key.
        key: String,
        /// First line of every assignment, in file order.
        #[cfg_attr(feature = "specta", specta(type = Vec<u32>))]
        lines: Vec<usize>,
        /// First line of the effective (last) assignment.
        #[cfg_attr(feature = "specta", specta(type = u32))]
        effective_line: usize,
    },
    /// Two or more different keys name the same provider's key (its
    /// canonical env var and an alias, or two aliases), e.g. `GITHUB_TOKEN`
    /// and `GH_TOKEN`. Programs may read either; the user picks one.
    AliasConflict {
        /// Provider id, e.g. `github`.
        provider_id: String,
        /// The keys present, in order of first appearance.
        keys: Vec<String>,
        /// First line of each key's effective assignment, same order.
        #[cfg_attr(feature = "specta", specta(type = Vec<u32>))]
        lines: Vec<usize>,
    },
}

impl Warning {
    /// A one-line description naming the keys (never a value).
    pub fn message(&self) -> String {
        match self {
            Warning::DuplicateKey { key, lines, effective_line } => {
                let list: Vec<String> = lines.iter().map(usize::to_string).collect();
                format!(
                    "{key} is assigned {} times (lines {}); line {effective_line} is the one in effect",
                    lines.len(),
                    list.join(", ")
                )
            }
            Warning::AliasConflict { provider_id, keys, .. } => {
                let name = providers::get(provider_id).map_or(provider_id.as_str(), |p| p.display_name);
                format!("{} all name the {name} key; keep one of them", keys.join(" and "))
            }
        }
    }
}

impl Document {
    /// Duplicate keys and alias conflicts, in order of first appearance.
    pub fn warnings(&self) -> Vec<Warning> {
        // Keys in order of first appearance, with the first line of each
        // assignment.
        let mut keys: Vec<(&str, Vec<usize>)> = Vec::new();
        let mut index: FxHashMap<&str, usize> = FxHashMap::default();
        for item in self.items() {
            if let Some(e) = item.entry() {
                let i = *index.entry(e.key()).or_insert_with(|| {
                    keys.push((e.key(), Vec::new()));
                    keys.len() - 1
                });
                keys[i].1.push(*item.lines().start());
            }
        }
        let mut warnings = Vec::new();
        for (key, lines) in &keys {
            if let (true, Some(&last)) = (lines.len() > 1, lines.last()) {
                warnings.push(Warning::DuplicateKey {
                    key: (*key).to_owned(),
                    lines: lines.clone(),
                    effective_line: last,
                });
            }
        }
        let mut by_provider: Vec<(&'static str, Vec<(String, usize)>)> = Vec::new();
        for (key, lines) in &keys {
            let Some(p) = provider_of(key) else { continue };
            let line = lines.last().copied().unwrap_or(0);
            match by_provider.iter_mut().find(|(id, _)| *id == p.id) {
                Some((_, keys)) => keys.push(((*key).to_owned(), line)),
                None => by_provider.push((p.id, vec![((*key).to_owned(), line)])),
            }
        }
        for (id, keys) in by_provider {
            if keys.len() > 1 {
                let (keys, lines) = keys.into_iter().unzip();
                warnings.push(Warning::AliasConflict { provider_id: id.to_owned(), keys, lines });
            }
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_duplicates_and_aliases() {
        let doc = Document::parse("A=1\nGH_TOKEN=x\nA=2\n# c\nGITHUB_TOKEN=y\nA=3\n");
        let w = doc.warnings();
        assert_eq!(w[0], Warning::DuplicateKey { key: "A".into(), lines: vec![1, 3, 6], effective_line: 6 });
        assert_eq!(
            w[1],
            Warning::AliasConflict {
                provider_id: "github".into(),
                keys: vec!["GH_TOKEN".into(), "GITHUB_TOKEN".into()],
                lines: vec![2, 5]
            }
        );
        assert_eq!(w.len(), 2);
        assert!(w[1].message().contains("GH_TOKEN and GITHUB_TOKEN"), "{}", w[1].message());
        assert!(w[0].message().contains("line 6"), "{}", w[0].message());
        assert!(Document::parse("GITHUB_TOKEN=1\nOPENAI_API_KEY=2\n").warnings().is_empty());
    }

    #[test]
    fn the_name_map_agrees_with_the_registry() {
        let names = providers::known_env_vars().flat_map(|n| [n.to_owned(), n.to_ascii_lowercase()]);
        for name in names.chain(["", "PATH", "GITHUB", "GITHUB_TOKEN_X"].map(String::from)) {
            assert_eq!(
                provider_of(&name).map(|p| p.id),
                providers::for_key_name(&name).map(|p| p.id),
                "{name}"
            );
        }
    }
}
