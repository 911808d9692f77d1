//! Warnings about a parsed document: duplicate keys and alias conflicts.
//! Neither stops a patch; the caller shows them and picks.

use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::LazyLock;

use super::parse::Document;
use crate::providers::{self, Provider};

/// Upper-cased env var name to (provider, is a companion).
type NameMap = HashMap<String, (&'static Provider, bool)>;

/// Every env var, alias and companion of the registry, upper-cased, to its
/// provider and whether it is a companion (a different credential).
static BY_NAME: LazyLock<(NameMap, usize)> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for p in providers::all().iter().filter(|p| p.id != providers::GENERIC_ID) {
        for name in std::iter::once(p.env_var).chain(p.aliases.iter().copied()).filter(|n| !n.is_empty()) {
            map.entry(name.to_ascii_uppercase()).or_insert((p, false));
        }
        for name in p.companions {
            map.entry(name.to_ascii_uppercase()).or_insert((p, true));
        }
    }
    let longest = map.keys().map(String::len).max().unwrap_or(0);
    (map, longest)
});

/// [`providers::for_key_name`] through a hash map (a file has thousands of
/// keys), with whether the name is a companion.
fn lookup(key: &str) -> Option<(&'static Provider, bool)> {
    let (map, longest) = &*BY_NAME;
    let mut buf = [0u8; 64];
    let upper = buf.get_mut(..key.len()).filter(|_| !key.is_empty() && key.len() <= *longest)?;
    upper.copy_from_slice(key.as_bytes());
    upper.make_ascii_uppercase();
    map.get(std::str::from_utf8(upper).ok()?).copied()
}

/// The provider whose key this name holds (its env var or an alias); not
/// for companions, which hold another credential. Names with the same
/// answer are aliases of one another.
pub(crate) fn key_of(key: &str) -> Option<&'static Provider> {
    lookup(key).filter(|(_, companion)| !companion).map(|(p, _)| p)
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
            let Some(p) = key_of(key) else { continue };
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
        // Companions hold other credentials: not a conflict.
        let aws = "AWS_ACCESS_KEY_ID=a\nAWS_SECRET_ACCESS_KEY=b\nAWS_SESSION_TOKEN=c\n";
        assert!(Document::parse(aws).warnings().is_empty());
        let twilio =
            "TWILIO_ACCOUNT_SID=a\nTWILIO_AUTH_TOKEN=b\nSTRIPE_SECRET_KEY=c\nSTRIPE_WEBHOOK_SECRET=d\n";
        assert!(Document::parse(twilio).warnings().is_empty());
        let w =
            Document::parse("AWS_SECRET_KEY=a\nAWS_SECRET_ACCESS_KEY=b\nAWS_ACCESS_KEY_ID=c\n").warnings();
        assert_eq!(w.len(), 1, "the alias still conflicts: {w:?}");
    }

    #[test]
    fn the_name_map_agrees_with_the_registry() {
        assert_eq!(lookup("AWS_ACCESS_KEY_ID").map(|(p, c)| (p.id, c)), Some(("aws", true)));
        assert_eq!(key_of("AWS_ACCESS_KEY_ID").map(|p| p.id), None);
        assert_eq!(key_of("aws_secret_key").map(|p| p.id), Some("aws"));
        let names = providers::known_env_vars().flat_map(|n| [n.to_owned(), n.to_ascii_lowercase()]);
        for name in names.chain(["", "PATH", "GITHUB", "GITHUB_TOKEN_X"].map(String::from)) {
            assert_eq!(
                lookup(&name).map(|(p, _)| p.id),
                providers::for_key_name(&name).map(|p| p.id),
                "{name}"
            );
        }
    }
}
