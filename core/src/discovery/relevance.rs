//! Relevance that knows the user: a finding matters more when it names
//! something they actually use — a model name, an API version, an SDK
//! package or an env var that appears in their scanned projects' docs —
//! or a provider whose key is `prod`; less when it is old, or when it is
//! about a product of a shared status page they do not use (OpenAI's page
//! covers ChatGPT too). The reason is kept beside the score.

use chrono::{DateTime, Utc};
use regex::Regex;
use rusqlite::Connection;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use super::parse::Entry;
use crate::error::Result;
use crate::scan::rules::Evidence;

/// What one provider's use looks like in this vault.
#[derive(Debug, Clone, Default)]
pub struct Usage {
    /// Distinctive terms (model names, API versions; lower case) → the
    /// projects whose docs name them.
    pub terms: BTreeMap<String, BTreeSet<String>>,
    /// SDK packages installed or imported (lower case) → projects.
    pub packages: BTreeMap<String, BTreeSet<String>>,
    /// Env vars named → projects.
    pub env_vars: BTreeMap<String, BTreeSet<String>>,
    /// A key of this provider is tagged `prod`.
    pub prod: bool,
}

/// What matched, for the urgency rules.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Relevance {
    /// 0.0 ..= 1.0.
    pub score: f64,
    /// Why, in words (stored and shown).
    pub reason: String,
    /// Names the user uses that the entry names (terms, env vars).
    pub used_terms: Vec<String>,
    /// SDK packages of the user's projects the entry names.
    pub used_packages: Vec<String>,
    /// The projects concerned.
    pub projects: Vec<String>,
    /// The entry is only about products of a shared page the user does not use.
    pub other_product: bool,
}

static TOKEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9][A-Za-z0-9._@/:-]*[A-Za-z0-9]").expect("a valid pattern"));
static INSTALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i-u)(?:pip3? install|uv (?:pip install|add)|poetry add|npm (?:install|i)|yarn add|pnpm (?:add|install)|bun add|cargo add|gem install|go get|composer require)((?:[ \t]+(?:-{1,2}[\w-]+|[@\w./=<>~\[\],^-]+))+)|(?:^|\s)(?:from|import)\s+([A-Za-z_][\w.]*)|require\(\s*['"]([@\w./-]+)['"]\s*\)|from\s+['"]([@\w./-]+)['"]"#,
    )
    .expect("a valid pattern")
});

/// A token worth matching: it has a letter and a digit (`gpt-4o`,
/// `claude-3-5-sonnet-20241022`, `v2`, `2023-06-01`), at least 3 characters.
fn distinctive(token: &str) -> bool {
    token.len() >= 3
        && token.chars().any(|c| c.is_ascii_digit())
        && (token.chars().any(|c| c.is_ascii_alphabetic()) || token.contains('-'))
}

/// The distinctive tokens of `text`, lower case.
pub fn terms(text: &str) -> BTreeSet<String> {
    TOKEN
        .find_iter(text)
        .map(|m| m.as_str().trim_end_matches(['.', ':']).to_ascii_lowercase())
        .filter(|t| distinctive(t))
        .collect()
}

/// Whether `text` may hold an install, import or require.
fn mentions_install(text: &str) -> bool {
    ["install", "import", "require", "add ", "go get"].iter().any(|w| text.contains(w))
}

/// The packages `text` installs or imports, lower case, version pins dropped.
pub fn packages(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for c in INSTALL.captures_iter(text) {
        if let Some(list) = c.get(1) {
            for p in list.as_str().split_whitespace().filter(|p| !p.starts_with('-')) {
                let name = p.split(['=', '>', '<', '~', '[']).next().unwrap_or(p);
                // `@scope/pkg@1.2` keeps its scope, drops the version.
                let name = match name.rfind('@') {
                    Some(i) if i > 0 => &name[..i],
                    _ => name,
                };
                if !name.is_empty() {
                    out.insert(name.to_ascii_lowercase());
                }
            }
        }
        for g in [2, 3, 4] {
            if let Some(m) = c.get(g) {
                let root = if m.as_str().starts_with('@') {
                    m.as_str()
                } else {
                    m.as_str().split('.').next().unwrap_or("")
                };
                if !root.is_empty() {
                    out.insert(root.to_ascii_lowercase());
                }
            }
        }
    }
    out
}

/// The use of every provider, from the stored evidence of the scanned
/// projects' docs and the keys' environments.
pub(crate) fn load(conn: &Connection) -> Result<BTreeMap<String, Usage>> {
    let mut out: BTreeMap<String, Usage> = BTreeMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT p.display_name, d.findings_json FROM project_docs d JOIN projects p ON p.id = d.project_id",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (project, json) = row?;
        // Evidence written by older rules may not read: it only lowers relevance.
        let Ok(evidence) = serde_json::from_str::<Vec<Evidence>>(&json) else { continue };
        for e in evidence {
            let u = out.entry(e.subject.clone()).or_default();
            for t in terms(&e.excerpt) {
                u.terms.entry(t).or_default().insert(project.clone());
            }
            for p in packages(&e.excerpt) {
                u.packages.entry(p).or_default().insert(project.clone());
            }
            if let Some(v) = &e.env_var {
                u.env_vars.entry(v.clone()).or_default().insert(project.clone());
            }
        }
    }
    let mut stmt =
        conn.prepare_cached("SELECT DISTINCT provider_id FROM secrets WHERE environment = 'prod'")?;
    for p in stmt.query_map([], |r| r.get::<_, String>(0))? {
        out.entry(p?).or_default().prod = true;
    }
    Ok(out)
}

/// Whether a status-page component is one an API key is about: its name
/// says API, or names something the user uses.
fn api_component(name: &str, usage: &Usage) -> bool {
    let n = name.to_ascii_lowercase();
    n.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w == "api" || w == "apis")
        || n.contains("api ")
        || terms(&n).iter().any(|t| usage.terms.contains_key(t))
}

/// Score `entry` for a user whose use of its provider is `usage`;
/// `shared_page` when it comes from a status page that covers more than
/// the API (a Statuspage's components: OpenAI's lists ChatGPT and Sora).
pub fn assess(entry: &Entry, usage: &Usage, now: DateTime<Utc>, shared_page: bool) -> Relevance {
    let text = format!("{}\n{}", entry.title, entry.body);
    let mut r = Relevance::default();
    let mut projects: BTreeSet<String> = BTreeSet::new();
    let mut reasons: Vec<String> = Vec::new();
    let mut score: f64 = 0.35;

    // One buffer for every token: this runs for each entry of each feed.
    let mut token = String::new();
    for m in TOKEN.find_iter(&text) {
        let t = m.as_str().trim_end_matches(['.', ':']);
        if !distinctive(t) {
            continue;
        }
        token.clear();
        token.push_str(t);
        token.make_ascii_lowercase();
        if let Some(ps) = usage.terms.get(token.as_str()) {
            if !r.used_terms.contains(&token) {
                r.used_terms.push(token.clone());
            }
            projects.extend(ps.iter().cloned());
        }
    }
    if !usage.env_vars.is_empty() {
        let upper = text.to_ascii_uppercase();
        for (v, ps) in &usage.env_vars {
            if upper.contains(v.as_str()) {
                r.used_terms.push(v.clone());
                projects.extend(ps.iter().cloned());
            }
        }
    }
    let mut named: BTreeSet<String> = entry.packages.iter().map(|p| p.name.to_ascii_lowercase()).collect();
    // Install lines are rare in announcements: look only when there are
    // packages to match and a word that starts one.
    if !usage.packages.is_empty() && mentions_install(&text) {
        named.extend(packages(&text));
    }
    for p in named {
        if let Some(ps) = usage.packages.get(&p) {
            r.used_packages.push(p);
            projects.extend(ps.iter().cloned());
        }
    }
    let list = |ps: &BTreeSet<String>| ps.iter().map(|p| format!("'{p}'")).collect::<Vec<_>>().join(", ");
    if !r.used_packages.is_empty() {
        score += 0.45;
        reasons.push(format!(
            "names the SDK {} that your project{} {} use{}",
            r.used_packages.join(", "),
            if projects.len() == 1 { "" } else { "s" },
            list(&projects),
            if projects.len() == 1 { "s" } else { "" },
        ));
    }
    if !r.used_terms.is_empty() {
        score += 0.35;
        reasons.push(format!("names {} from the docs of {}", r.used_terms.join(", "), list(&projects)));
    }
    if usage.prod {
        score += 0.15;
        reasons.push("you keep a prod key for this provider".into());
    }
    if shared_page
        && !entry.components.is_empty()
        && !entry.components.iter().any(|c| api_component(c, usage))
    {
        score -= 0.3;
        r.other_product = true;
        reasons.push(format!("only affects {}, not the API your keys use", entry.components.join(", ")));
    }
    if let Some(at) = entry.updated.or(entry.published) {
        let age = (now - at).num_days();
        if age > 180 {
            score -= 0.3;
            reasons.push(format!("published {age} days ago"));
        } else if age > 30 {
            score -= 0.15;
            reasons.push(format!("published {age} days ago"));
        }
    }
    if reasons.is_empty() {
        reasons.push("a provider you keep a key for".into());
    }
    r.score = (score.clamp(0.0, 1.0) * 100.0).round() / 100.0;
    r.projects = projects.into_iter().collect();
    r.reason = reasons.join("; ");
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_lines_imports_and_requires_name_packages() {
        let p = packages("Run `pip install openai==1.2 anthropic` then `npm i @anthropic-ai/sdk@0.30 -D`");
        assert!(p.contains("openai") && p.contains("anthropic") && p.contains("@anthropic-ai/sdk"), "{p:?}");
        let p =
            packages("import stripe.error\nconst t = require('twilio')\nimport x from \"@slack/web-api\"");
        assert!(p.contains("stripe") && p.contains("twilio") && p.contains("@slack/web-api"), "{p:?}");
    }

    #[test]
    fn model_names_and_versions_are_terms_plain_words_are_not() {
        let t = terms("We call gpt-4-0613 with API version 2023-06-01, the usual way.");
        assert!(t.contains("gpt-4-0613") && t.contains("2023-06-01"), "{t:?}");
        assert!(!t.contains("usual") && !t.contains("api"), "{t:?}");
    }

    #[test]
    fn what_the_user_uses_raises_the_score_and_says_why() {
        let mut u = Usage::default();
        u.terms.entry("gpt-4-0613".into()).or_default().insert("shop".into());
        let now = Utc::now();
        let hit = Entry { title: "Retiring gpt-4-0613".into(), published: Some(now), ..Entry::default() };
        let miss = Entry { title: "Retiring dall-e-2".into(), published: Some(now), ..Entry::default() };
        let a = assess(&hit, &u, now, true);
        let b = assess(&miss, &u, now, true);
        assert!(a.score > b.score, "{a:?} {b:?}");
        assert!(a.reason.contains("gpt-4-0613") && a.reason.contains("'shop'"), "{}", a.reason);
        let chatgpt =
            Entry { title: "Degraded".into(), components: vec!["ChatGPT".into()], ..Entry::default() };
        let r = assess(&chatgpt, &u, now, true);
        assert!(r.other_product && r.reason.contains("ChatGPT"), "{r:?}");
        let api = Entry {
            title: "Degraded".into(),
            components: vec!["API".into(), "ChatGPT".into()],
            ..Entry::default()
        };
        assert!(!assess(&api, &u, now, true).other_product);
    }
}
