//! The inference rules, applied to one doc (Markdown, text or env template).
//!
//! One Aho-Corasick pass finds every registry env var, provider name,
//! provider domain and capability phrase; one line pass then places each
//! hit on its line, tells whether it sits in code (fenced block, indented
//! block or inline code span) and finds secret-looking env vars of no known
//! provider in code. The rules, in priority order:
//!
//! 1. env-var tokens: a registry env var or alias (`GH_TOKEN` → github);
//! 2. code blocks: the same token inside code counts more, and unknown
//!    secret-looking names in code (`MY_SERVICE_TOKEN=`) are kept for the
//!    `generic` provider;
//! 3. provider names as the registry writes them (`OpenAI`, case-sensitive);
//! 4. domains (`api.stripe.com`), case-insensitive.
//!
//! Capability phrases ("send transactional email") are found in the same
//! pass and feed service recommendations. Each hit carries a citation line
//! and an excerpt that has passed through [`crate::redact::redact`].

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

use super::capabilities;
use crate::dotenv::ItemKind;
use crate::providers;
use crate::redact::{is_secret_key_name, redact};

/// Which rule produced a piece of evidence.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A registry env var or alias.
    EnvVar,
    /// A secret-looking env var of no known provider, in code.
    UnknownEnvVar,
    /// The provider's name.
    ProviderName,
    /// One of the provider's domains.
    Domain,
    /// A phrase naming a capability, not a service.
    Capability,
}

/// One hit of a rule in one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The rule.
    pub rule: Rule,
    /// Provider id, or capability id for [`Rule::Capability`].
    pub subject: String,
    /// The env var named, for the env-var rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_var: Option<String>,
    /// The domain or name matched, for names and domains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
    /// First line cited (1-based): the hit's line, or the opening fence of
    /// its code block.
    pub line_start: u32,
    /// Last line cited (the closing fence for a hit in a fenced block).
    pub line_end: u32,
    /// The hit is in code (fenced, indented or inline).
    pub in_code: bool,
    /// The hit's line, trimmed, shortened and redacted.
    pub excerpt: String,
}

/// Longest excerpt kept, in characters.
const EXCERPT_CHARS: usize = 200;
/// Evidence kept per file for one (rule, subject, env var): enough to cite,
/// bounded for files that repeat a name thousands of times.
const PER_KEY_PER_FILE: usize = 3;

/// One string of the automaton and the rule it belongs to (never
/// [`Rule::UnknownEnvVar`], which the line pass finds).
struct Pattern {
    rule: Rule,
    subject: &'static str,
    text: &'static str,
}

struct Automaton {
    patterns: Vec<Pattern>,
    ac: AhoCorasick,
}

static AUTOMATON: LazyLock<Automaton> = LazyLock::new(|| {
    let mut patterns = Vec::new();
    for p in providers::all().iter().filter(|p| p.id != providers::GENERIC_ID) {
        let vars = std::iter::once(p.env_var)
            .filter(|v| !v.is_empty())
            .chain(p.aliases.iter().copied())
            .chain(p.companions.iter().copied());
        patterns.extend(vars.map(|text| Pattern { rule: Rule::EnvVar, subject: p.id, text }));
        patterns.extend(p.markdown_names.iter().map(|&text| Pattern {
            rule: Rule::ProviderName,
            subject: p.id,
            text,
        }));
        patterns.extend(p.domains.iter().map(|&text| Pattern { rule: Rule::Domain, subject: p.id, text }));
    }
    for c in capabilities::all() {
        patterns.extend(c.phrases.iter().map(|&text| Pattern {
            rule: Rule::Capability,
            subject: c.id,
            text,
        }));
    }
    // One case-insensitive automaton for all of them; env vars and names
    // are then checked for their exact case. Leftmost-longest so that
    // `Azure OpenAI` wins over `OpenAI` and `OPENAI_API_KEY` over `OpenAI`.
    // A full DFA: a few hundred patterns make it ~100 KB, and it is several
    // times faster per byte than the default NFA.
    #[allow(clippy::expect_used)] // the patterns are static strings
    let ac = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .kind(Some(AhoCorasickKind::DFA))
        .build(patterns.iter().map(|p| p.text))
        .expect("static scan patterns build");
    Automaton { patterns, ac }
});

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether the hit at `start..end` stands alone (not part of a longer word
/// or host name).
fn bounded(text: &[u8], start: usize, end: usize, rule: Rule) -> bool {
    let before = start.checked_sub(1).map(|i| text[i]);
    let after = text.get(end).copied();
    let joins = |b: u8| is_word(b) || (rule == Rule::Domain && b == b'-');
    !before.is_some_and(joins) && !after.is_some_and(joins)
}

/// A hit of the automaton that passed its case and boundary checks.
struct Hit {
    offset: usize,
    pattern: usize,
}

fn hits(text: &[u8]) -> Vec<Hit> {
    let auto = &*AUTOMATON;
    auto.ac
        .find_iter(text)
        .filter_map(|m| {
            let p = &auto.patterns[m.pattern().as_usize()];
            let exact = matches!(p.rule, Rule::EnvVar | Rule::ProviderName);
            if exact && &text[m.range()] != p.text.as_bytes() {
                return None;
            }
            bounded(text, m.start(), m.end(), p.rule)
                .then(|| Hit { offset: m.start(), pattern: m.pattern().as_usize() })
        })
        .collect()
}

/// The line, trimmed, shortened to [`EXCERPT_CHARS`] and redacted.
fn excerpt(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let trimmed = text.trim();
    let short = match trimmed.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_owned(),
    };
    redact(&short).into_owned()
}

/// A code fence opener or closer: its character, its length and whether
/// anything but an info string follows.
fn fence(line: &[u8]) -> Option<(u8, usize, bool)> {
    let indent = line.iter().take_while(|&&b| b == b' ').count();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let ch = *rest.first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = rest.iter().take_while(|&&b| b == ch).count();
    if len < 3 {
        return None;
    }
    let tail = &rest[len..];
    // A backtick fence's info string cannot hold a backtick.
    if ch == b'`' && tail.contains(&b'`') {
        return None;
    }
    Some((ch, len, tail.iter().all(u8::is_ascii_whitespace)))
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

fn is_indented_code(line: &[u8]) -> bool {
    line.starts_with(b"    ") || line.starts_with(b"\t")
}

/// Whether byte `col` of the line is inside an inline code span (an odd
/// number of backticks before it).
fn in_inline_code(line: &[u8], col: usize) -> bool {
    line[..col.min(line.len())].iter().filter(|&&b| b == b'`').count() % 2 == 1
}

/// Env-var-shaped tokens (`[A-Z][A-Z0-9_]{2,}` with an underscore) in
/// `code` that look like they hold a secret and belong to no provider.
fn unknown_env_vars<'a>(code: &'a [u8], mut found: impl FnMut(&'a str)) {
    let mut i = 0;
    while i < code.len() {
        let b = code[i];
        if !b.is_ascii_uppercase() || (i > 0 && is_word(code[i - 1])) {
            i += 1;
            continue;
        }
        let end = i + code[i..]
            .iter()
            .take_while(|&&c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
            .count();
        let next_is_word = code.get(end).is_some_and(|&c| is_word(c));
        let token = &code[i..end];
        if !next_is_word && token.len() >= 3 && token.contains(&b'_') {
            // ASCII by construction.
            let name = std::str::from_utf8(token).unwrap_or_default();
            if providers::for_key_name(name).is_none() && is_secret_key_name(name) {
                found(name);
            }
        }
        i = end.max(i + 1);
    }
}

/// Evidence kept so far per (rule, subject, env var or matched text).
type Kept<'a> = rustc_hash::FxHashMap<(Rule, &'a str, &'a str), usize>;

/// Whether one more piece of evidence for this key is kept
/// ([`PER_KEY_PER_FILE`] at most).
fn admit<'a>(kept: &mut Kept<'a>, rule: Rule, subject: &'a str, detail: &'a str) -> bool {
    let n = kept.entry((rule, subject, detail)).or_insert(0);
    *n += 1;
    *n <= PER_KEY_PER_FILE
}

/// Where a line sits relative to code.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Prose,
    FenceMarker,
    Fenced,
    Indented,
}

/// Apply every rule to one Markdown file's bytes (any encoding; read as
/// UTF-8 with replacement). Evidence comes out in line order, at most
/// [`PER_KEY_PER_FILE`] per (rule, subject, env var).
pub fn infer(text: &[u8]) -> Vec<Evidence> {
    infer_lines(text, Layout::Markdown)
}

/// Apply every rule to an env template (`.env.example`), read with the
/// dotenv parser: each assignment counts as code naming its variable, each
/// comment as prose. Values are never read, so no excerpt can hold one
/// (an assignment's excerpt is `NAME=`); lines the parser does not
/// understand are left out for the same reason.
pub fn infer_env_template(text: &[u8]) -> Vec<Evidence> {
    let text = String::from_utf8_lossy(text);
    let doc = crate::dotenv::Document::parse(&text);
    // A skeleton with the template's line numbers: names and comments
    // only, blank lines everywhere else.
    let mut skeleton = String::with_capacity(text.len() / 2);
    let mut line = 1;
    for item in doc.items() {
        let first = *item.lines().start();
        while line < first {
            skeleton.push('\n');
            line += 1;
        }
        match item.kind() {
            ItemKind::Entry(e) => {
                skeleton.push_str(e.key());
                skeleton.push('=');
            }
            ItemKind::Comment => skeleton.push_str(doc.expose_raw(item).trim_end()),
            ItemKind::Blank | ItemKind::Opaque => {}
        }
    }
    infer_lines(skeleton.as_bytes(), Layout::EnvTemplate)
}

/// How the lines of a file are told apart.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// Fences, indented blocks and inline spans are code.
    Markdown,
    /// `#` lines are prose, every other line is code.
    EnvTemplate,
}

fn infer_lines(text: &[u8], layout: Layout) -> Vec<Evidence> {
    let auto = &*AUTOMATON;
    let hits = hits(text);
    let mut next_hit = 0;
    let mut out: Vec<Evidence> = Vec::new();
    // Checked before an excerpt is built: redacting is the costly part.
    let mut kept: Kept<'_> = Default::default();

    // Open fence: (char, length, first line, index of its first evidence).
    let mut open: Option<(u8, usize, u32, usize)> = None;
    let mut prev_blank_or_code = true;
    let mut line_no: u32 = 0;
    let mut start = 0;
    while start < text.len() {
        let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i);
        let mut line = &text[start..end];
        if let Some(stripped) = line.strip_suffix(b"\r") {
            line = stripped;
        }
        line_no += 1;

        let kind = if layout == Layout::EnvTemplate {
            if line.trim_ascii_start().starts_with(b"#") { LineKind::Prose } else { LineKind::Indented }
        } else {
            match (open, fence(line)) {
                (Some((ch, len, first, from)), Some((c, l, bare))) if c == ch && l >= len && bare => {
                    for ev in &mut out[from..] {
                        if ev.line_start == first {
                            ev.line_end = line_no;
                        }
                    }
                    open = None;
                    LineKind::FenceMarker
                }
                (Some(_), _) => LineKind::Fenced,
                (None, Some((ch, len, _))) => {
                    open = Some((ch, len, line_no, out.len()));
                    LineKind::FenceMarker
                }
                (None, None) if prev_blank_or_code && is_indented_code(line) && !is_blank(line) => {
                    LineKind::Indented
                }
                (None, None) => LineKind::Prose,
            }
        };
        prev_blank_or_code = is_blank(line) || kind == LineKind::Indented;
        let block_start = match (kind, open) {
            (LineKind::Fenced, Some((_, _, first, _))) => first,
            _ => line_no,
        };

        while let Some(hit) = hits.get(next_hit).filter(|h| h.offset < end) {
            next_hit += 1;
            let p = &auto.patterns[hit.pattern];
            let rule = p.rule;
            if !admit(&mut kept, rule, p.subject, p.text) {
                continue;
            }
            let in_code = matches!(kind, LineKind::Fenced | LineKind::Indented)
                || in_inline_code(line, hit.offset - start);
            let (env_var, matched) = match rule {
                Rule::EnvVar => (Some(p.text.to_owned()), None),
                _ => (None, Some(p.text.to_owned())),
            };
            let (line_start, line_end) =
                if kind == LineKind::Fenced { (block_start, line_no) } else { (line_no, line_no) };
            out.push(Evidence {
                rule,
                subject: p.subject.to_owned(),
                env_var,
                matched,
                line_start,
                line_end,
                in_code,
                excerpt: excerpt(line),
            });
        }

        let mut names: Vec<&str> = Vec::new();
        match kind {
            LineKind::Fenced | LineKind::Indented => unknown_env_vars(line, |n| names.push(n)),
            LineKind::Prose if memchr::memchr(b'`', line).is_some() => {
                for span in line.split(|&b| b == b'`').skip(1).step_by(2) {
                    unknown_env_vars(span, |n| names.push(n));
                }
            }
            _ => {}
        }
        for name in names {
            if admit(&mut kept, Rule::UnknownEnvVar, providers::GENERIC_ID, name) {
                out.push(Evidence {
                    rule: Rule::UnknownEnvVar,
                    subject: providers::GENERIC_ID.to_owned(),
                    env_var: Some(name.to_owned()),
                    matched: None,
                    line_start: block_start,
                    line_end: line_no,
                    in_code: true,
                    excerpt: excerpt(line),
                });
            }
        }
        start = end + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_for(text: &str, subject: &str) -> Vec<(Rule, u32, u32, bool)> {
        infer(text.as_bytes())
            .into_iter()
            .filter(|e| e.subject == subject)
            .map(|e| (e.rule, e.line_start, e.line_end, e.in_code))
            .collect()
    }

    #[test]
    fn env_vars_names_and_domains_are_found_with_their_lines() {
        let text = "# Setup\n\nUses OpenAI.\n\n```sh\nexport OPENAI_API_KEY=...\n```\nSee https://platform.openai.com/keys\n";
        assert_eq!(
            rules_for(text, "openai"),
            vec![(Rule::ProviderName, 3, 3, false), (Rule::EnvVar, 5, 7, true), (Rule::Domain, 8, 8, false),]
        );
    }

    #[test]
    fn names_are_case_sensitive_and_need_word_boundaries() {
        for text in ["the notion of time", "MY_GH_TOKEN_X", "GH_TOKENS", "githubusercontent", "stripes"] {
            let found: Vec<_> =
                infer(text.as_bytes()).into_iter().filter(|e| e.rule != Rule::Capability).collect();
            assert!(found.is_empty(), "{text}: {found:?}");
        }
        assert_eq!(rules_for("Set `GH_TOKEN`.", "github"), vec![(Rule::EnvVar, 1, 1, true)]);
    }

    #[test]
    fn the_longest_name_wins() {
        let ev = infer(b"We call Azure OpenAI here.");
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].subject, "azure_openai");
    }

    #[test]
    fn indented_code_counts_after_a_blank_line_only() {
        let text = "para\n    GH_TOKEN in a continuation\n\n    GH_TOKEN in code\n";
        assert_eq!(rules_for(text, "github"), vec![(Rule::EnvVar, 2, 2, false), (Rule::EnvVar, 4, 4, true)]);
    }

    #[test]
    fn unknown_secret_names_in_code_go_to_generic() {
        let text = "```\nACME_API_KEY=changeme\nLOG_LEVEL=debug\n```\nand `WIDGET_TOKEN` too, but not PROSE_SECRET\n";
        let ev: Vec<_> = infer(text.as_bytes())
            .into_iter()
            .filter(|e| e.rule == Rule::UnknownEnvVar)
            .map(|e| (e.env_var.unwrap(), e.line_start, e.line_end))
            .collect();
        assert_eq!(ev, vec![("ACME_API_KEY".to_owned(), 1, 4), ("WIDGET_TOKEN".to_owned(), 5, 5)]);
    }

    #[test]
    fn excerpts_are_redacted_and_short() {
        let long = format!("OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123456789 {}", "x".repeat(400));
        let ev = infer(long.as_bytes());
        assert!(!ev[0].excerpt.contains("abcdefghijklmnop"), "{}", ev[0].excerpt);
        assert!(ev[0].excerpt.chars().count() <= EXCERPT_CHARS + 1);
    }

    #[test]
    fn evidence_per_key_is_capped_per_file() {
        let text = "GH_TOKEN\n".repeat(100);
        assert_eq!(infer(text.as_bytes()).len(), PER_KEY_PER_FILE);
    }

    #[test]
    fn env_templates_give_names_and_comments_never_values() {
        let text = "# OpenAI, from https://platform.openai.com\nOPENAI_API_KEY=sk-zqxVALUE0000000000000000\n\
                    export GH_TOKEN='zqxQUOTED'\nbroken line zqxOPAQUE\nWIDGET_API_KEY=\n";
        let ev = infer_env_template(text.as_bytes());
        let got: Vec<_> = ev.iter().map(|e| (e.rule, e.subject.as_str(), e.line_start, e.in_code)).collect();
        assert_eq!(
            got,
            vec![
                (Rule::ProviderName, "openai", 1, false),
                (Rule::Domain, "openai", 1, false),
                (Rule::EnvVar, "openai", 2, true),
                (Rule::EnvVar, "github", 3, true),
                (Rule::UnknownEnvVar, "generic", 5, true),
            ]
        );
        assert_eq!(ev[2].excerpt, "OPENAI_API_KEY=");
        for e in &ev {
            assert!(!e.excerpt.contains("zqx"), "{e:?}");
        }
    }

    #[test]
    fn unclosed_fences_crlf_and_invalid_utf8_do_not_panic() {
        for text in
            [&b"```\nGH_TOKEN\r\n"[..], b"\xff\xfe GH_TOKEN \xc3", b"", b"\n\n\n", b"````", b"`GH_TOKEN"]
        {
            let _ = infer(text);
            let _ = infer_env_template(text);
        }
        assert_eq!(rules_for("GH_TOKEN\r\nGitHub\r\n", "github").len(), 2);
    }
}
