//! Warnings about a parsed document: duplicate keys and alias conflicts.
//! Neither stops a patch; the caller shows them and picks.

use serde::Serialize;
use std::collections::HashMap;

use super::parse::Document;
use crate::providers;

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
        lines: Vec<usize>,
        /// First line of the effective (last) assignment.
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
        let mut order: Vec<&str> = Vec::new();
        let mut seen: HashMap<&str, Vec<usize>> = HashMap::new();
        for item in self.items() {
            if let Some(e) = item.entry() {
                let lines = seen.entry(e.key()).or_insert_with(|| {
                    order.push(e.key());
                    Vec::new()
                });
                lines.push(*item.lines().start());
            }
        }
        let mut warnings = Vec::new();
        for key in &order {
            let lines = &seen[key];
            if let (true, Some(&last)) = (lines.len() > 1, lines.last()) {
                warnings.push(Warning::DuplicateKey {
                    key: (*key).to_owned(),
                    lines: lines.clone(),
                    effective_line: last,
                });
            }
        }
        let mut by_provider: Vec<(&'static str, Vec<(String, usize)>)> = Vec::new();
        for key in &order {
            let Some(p) = providers::for_key_name(key) else { continue };
            let line = seen[key].last().copied().unwrap_or(0);
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
}
