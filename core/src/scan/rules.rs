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

use super::claims::{self, Claim, Section};
use super::{capabilities, links};
use crate::dotenv::ItemKind;
use crate::providers::{self, EnvNameMatch};
use crate::redact::{redact, redact_known_prefixes};

/// The version of what [`infer`] and [`infer_env_template`] make of a
/// doc. Bump it with any change to the rules, the claims or the
/// registry's names that changes the evidence of some doc: a rescan then
/// parses every doc again instead of keeping findings of older rules.
pub const RULES_VERSION: u32 = 1;

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
    /// What its sentence says of the provider (a need, an option or a
    /// mention; see [`claims`]).
    #[serde(default, skip_serializing_if = "Claim::is_mention")]
    pub claim: Claim,
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
    /// A [`NOT_USAGE`] phrase: matched only so that the provider's name
    /// inside it is not.
    ignore: bool,
}

/// Products and places named after a provider that say nothing about
/// calling its API: CI, issue trackers, hosting of the project's own
/// repo, AI coding tools. Matched as whole phrases (the longest match
/// wins), so "GitHub Actions" is not a mention of GitHub.
const NOT_USAGE: &[&str] = &[
    "GitHub Actions",
    "GitHub Action",
    "GitHub Discussions",
    "GitHub Issues",
    "GitHub issue",
    "GitHub issues",
    "GitHub Pages",
    "GitHub Sponsors",
    "GitHub Codespaces",
    "GitHub Copilot",
    "GitHub Releases",
    "GitHub releases",
    "GitHub repository",
    "GitHub repo",
    "GitHub account",
    "GitHub CLI",
    "GitHub Container Registry",
    "GitLab CI",
    "Claude Code",
    "Claude Desktop",
    "Claude.ai",
    "ChatGPT",
];

/// Provider names that are also everyday words ("Resend the invite",
/// "Choose how to replicate"): one counts only when the word after it
/// names the service ("Resend API key", "Replicate's models").
const WORD_NAMES: &[&str] = &["Resend", "Replicate"];

/// Words that, after a [`WORD_NAMES`] name, make it the service.
const SERVICE_NOUNS: &[&str] = &[
    "api",
    "sdk",
    "key",
    "keys",
    "token",
    "account",
    "dashboard",
    "client",
    "integration",
    "model",
    "models",
];

/// Whether an everyday-word name ending at `end` is not the provider.
fn is_everyday_word(text: &[u8], name: &str, end: usize) -> bool {
    if !WORD_NAMES.contains(&name) {
        return false;
    }
    let rest = &text[end..text.len().min(end + 40)];
    let rest = rest.strip_prefix(b"'s").or_else(|| rest.strip_prefix("\u{2019}s".as_bytes())).unwrap_or(rest);
    let word: Vec<u8> = rest
        .iter()
        .skip_while(|b| matches!(b, b' ' | b'*' | b'_'))
        .take_while(|b| b.is_ascii_alphabetic())
        .map(u8::to_ascii_lowercase)
        .collect();
    !SERVICE_NOUNS.iter().any(|n| n.as_bytes() == word.as_slice())
}

struct Automaton {
    patterns: Vec<Pattern>,
    /// For a pattern, the later ones that differ from it only in case
    /// (`GitLab`, `Gitlab`): the automaton reports the first, the exact
    /// case check then picks among them.
    same_but_case: rustc_hash::FxHashMap<usize, Vec<usize>>,
    ac: AhoCorasick,
}

static AUTOMATON: LazyLock<Automaton> = LazyLock::new(|| {
    let mut patterns = Vec::new();
    for p in providers::all().iter().filter(|p| p.id != providers::GENERIC_ID) {
        let vars = std::iter::once(p.env_var)
            .filter(|v| !v.is_empty())
            .chain(p.aliases.iter().copied())
            .chain(p.companions.iter().copied());
        patterns.extend(vars.map(|text| Pattern { rule: Rule::EnvVar, subject: p.id, text, ignore: false }));
        patterns.extend(p.markdown_names.iter().map(|&text| Pattern {
            rule: Rule::ProviderName,
            subject: p.id,
            text,
            ignore: false,
        }));
        patterns.extend(p.domains.iter().map(|&text| Pattern {
            rule: Rule::Domain,
            subject: p.id,
            text,
            ignore: false,
        }));
    }
    for c in capabilities::all() {
        patterns.extend(c.phrases.iter().map(|&text| Pattern {
            rule: Rule::Capability,
            subject: c.id,
            text,
            ignore: false,
        }));
    }
    patterns.extend(NOT_USAGE.iter().map(|&text| Pattern {
        rule: Rule::ProviderName,
        subject: "",
        text,
        ignore: true,
    }));
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
    let mut first_of: rustc_hash::FxHashMap<String, usize> = Default::default();
    let mut same_but_case: rustc_hash::FxHashMap<usize, Vec<usize>> = Default::default();
    for (i, p) in patterns.iter().enumerate() {
        let first = *first_of.entry(p.text.to_ascii_lowercase()).or_insert(i);
        if first != i {
            same_but_case.entry(first).or_default().push(i);
        }
    }
    Automaton { patterns, same_but_case, ac }
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
            let found = &text[m.range()];
            let exact = |i: &usize| {
                let p = &auto.patterns[*i];
                !matches!(p.rule, Rule::EnvVar | Rule::ProviderName) || found == p.text.as_bytes()
            };
            let first = m.pattern().as_usize();
            let pattern = std::iter::once(first)
                .chain(auto.same_but_case.get(&first).into_iter().flatten().copied())
                .find(exact)?;
            let p = &auto.patterns[pattern];
            (!p.ignore && bounded(text, m.start(), m.end(), p.rule))
                .then_some(Hit { offset: m.start(), pattern })
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
    redact_keeping_public_pages(&short)
}

/// Redact an excerpt, keeping links to public pages about the project
/// (repository hosts, badges: their long ids look random but are no
/// secrets) readable up to their query, which is redacted like the rest.
fn redact_keeping_public_pages(text: &str) -> String {
    let ends = |c: char| {
        c.is_whitespace() || matches!(c, ')' | '(' | '>' | '<' | '"' | '\'' | ']' | '[' | '`' | '|')
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut plain = 0; // bytes of `rest` not yet written, before the next kept page
    while let Some(i) = rest[plain..].find("http").map(|i| plain + i) {
        let end = rest[i..].find(ends).map_or(rest.len(), |e| i + e);
        let url = &rest[i..end];
        let page_end = url.find(['?', '#']).unwrap_or(url.len());
        if links::is_public_page(&url[..page_end]) {
            out.push_str(&redact(&rest[..i]));
            out.push_str(&redact_known_prefixes(&url[..page_end]));
            rest = &rest[i + page_end..];
            plain = 0;
        } else {
            plain = end.max(i + 4);
        }
    }
    out.push_str(&redact(rest));
    out
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
/// `text`, with their byte offsets.
fn env_var_tokens<'a>(text: &'a [u8], mut found: impl FnMut(&'a str, usize)) {
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if !b.is_ascii_uppercase() || (i > 0 && is_word(text[i - 1])) {
            i += 1;
            continue;
        }
        let end = i + text[i..]
            .iter()
            .take_while(|&&c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
            .count();
        let next_is_word = text.get(end).is_some_and(|&c| is_word(c));
        let token = &text[i..end];
        if !next_is_word && token.len() >= 3 && token.contains(&b'_') {
            // ASCII by construction.
            found(std::str::from_utf8(token).unwrap_or_default(), i);
        }
        i = end.max(i + 1);
    }
}

/// Last words of a name that holds a credential (`ACME_API_KEY`,
/// `JWT_SECRET`); `MAX_TOKENS`, `TOKEN_LIMIT` or `COOKIE_SECURE` do not.
const CREDENTIAL_WORDS: &[&str] = &[
    "KEY",
    "APIKEY",
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PWD",
    "PASSPHRASE",
    "CREDENTIALS",
    "CREDENTIAL",
    "DSN",
    "PAT",
];

/// First words of a placeholder (`YOUR_API_KEY`), not a real name.
const PLACEHOLDER_WORDS: &[&str] = &[
    "YOUR",
    "ENTER",
    "REPLACE",
    "INSERT",
    "PASTE",
    "PLACEHOLDER",
    "EXAMPLE",
    "SAMPLE",
    "DUMMY",
    "FAKE",
    "XXX",
];

/// Words that say what kind of credential, not whose (`API_KEY`,
/// `ACCESS_TOKEN` alone name no service).
const GENERIC_WORDS: &[&str] =
    &["API", "ACCESS", "SECRET", "PRIVATE", "PUBLIC", "AUTH", "CLIENT", "APP", "BEARER", "REFRESH", "ID"];

/// Whether an env-var-shaped name holds a credential of some service:
/// it ends in a credential word, is not a placeholder and names more
/// than the kind of credential.
fn is_credential_name(name: &str) -> bool {
    let words: Vec<&str> = name.split('_').filter(|w| !w.is_empty()).collect();
    let (Some(first), Some(last)) = (words.first(), words.last()) else {
        return false;
    };
    words.len() >= 2
        && CREDENTIAL_WORDS.contains(last)
        && !PLACEHOLDER_WORDS.contains(first)
        && words[..words.len() - 1]
            .iter()
            .any(|w| !GENERIC_WORDS.contains(w) && !CREDENTIAL_WORDS.contains(w))
}

/// A member access (`Keys.API_KEY`, `TokenKind.SECRET`): a code
/// identifier or enum value, unless it reads the environment
/// (`process.env.X`, `import.meta.env.X`).
fn is_member_access(line: &[u8], offset: usize) -> bool {
    offset > 0 && line[offset - 1] == b'.' && !line[..offset - 1].ends_with(b"env")
}

/// What an env-var-shaped token that is not a registry name says.
enum NameHit<'a> {
    /// A provider's, by a framework prefix or a name token, at a byte
    /// offset of the file; `true` when in code.
    Provider(&'static providers::Provider, &'a str, usize, bool),
    /// A credential of no known provider (only counted in code), at a byte
    /// offset of the file.
    Unknown(&'a str, usize),
}

/// Classify the env-var-shaped tokens of one line (or code span), which
/// starts at byte `base` of the file, that the automaton did not already
/// find as registry names.
fn name_hits<'a>(text: &'a [u8], base: usize, in_code: bool, out: &mut Vec<NameHit<'a>>) {
    env_var_tokens(text, |name, offset| {
        if providers::for_key_name(name).is_some() {
            return;
        }
        match providers::for_env_name(name) {
            Some(EnvNameMatch::Registry(p)) => {
                return out.push(NameHit::Provider(p, name, base + offset, in_code));
            }
            Some(EnvNameMatch::Token(p)) if is_credential_name(name) => {
                return out.push(NameHit::Provider(p, name, base + offset, in_code));
            }
            _ => {}
        }
        if in_code && is_credential_name(name) && !is_member_access(text, offset) {
            out.push(NameHit::Unknown(name, base + offset));
        }
    });
}

/// Whether the name ending at `end` names a protocol, not the provider
/// ("OpenAI-compatible endpoint", "Redis compatible").
fn names_a_protocol(text: &[u8], end: usize) -> bool {
    let after = &text[end..text.len().min(end + 16)];
    [&b"-compatible"[..], b" compatible", b" api-compatible", b"-api-compatible"]
        .iter()
        .any(|p| after.len() >= p.len() && after[..p.len()].eq_ignore_ascii_case(p))
}

/// Whether the name at `line[at..at + len]` is in double quotes: a label
/// or a value shown ("e.g. \"PostHog\""), not a service the project uses.
fn is_quoted(line: &[u8], at: usize, len: usize) -> bool {
    at > 0 && line[at - 1] == b'"' && line.get(at + len) == Some(&b'"')
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

/// A template comment that is a section banner: three or more `#` and
/// words (`###### OPTIONAL ENV VARS ######`), not a rule of `#` alone.
fn is_banner(line: &[u8]) -> bool {
    let line = line.trim_ascii();
    line.starts_with(b"###") && line.iter().any(u8::is_ascii_alphabetic)
}

/// A template comment that is a commented-out assignment (`# KEY=`): a
/// variable the project can do without.
fn is_commented_assignment(line: &[u8]) -> bool {
    let rest = line.trim_ascii_start().strip_prefix(b"#").unwrap_or_default().trim_ascii_start();
    let name = rest.iter().take_while(|&&b| is_word(b)).count();
    name > 0 && rest.get(name) == Some(&b'=')
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
    // The section of the nearest heading (a template's `# Optional` comment
    // lasts to the next blank line), and the last prose line before code:
    // the sentence that leads into a code block speaks for it.
    let mut section = Section::Plain;
    let mut banner = false;
    let mut lead: (usize, usize) = (0, 0);
    let mut lead_claim: Option<(Claim, Claim)> = None;
    // Where the paragraph of the current prose line starts: a sentence
    // can run over hard-wrapped lines, never past a paragraph.
    let template = layout == Layout::EnvTemplate;
    let mut paragraph = 0;
    let mut prev_continues = false;
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
        if kind == LineKind::Prose {
            if !prev_continues || claims::starts_block(line, template) {
                paragraph = start;
            }
            prev_continues = claims::continues(line, template);
        } else {
            prev_continues = false;
        }
        if kind == LineKind::Prose && !is_blank(line) {
            match (layout, claims::heading(line)) {
                (Layout::Markdown, Some(h)) => section = claims::section_of(&String::from_utf8_lossy(h)),
                // A banner (`###### OPTIONAL ENV VARS ######`) opens a section
                // that lasts to the next banner; a `# Optional: …` comment
                // only to the next blank line.
                (Layout::EnvTemplate, Some(h)) if is_banner(line) => {
                    section = claims::section_of(&String::from_utf8_lossy(h));
                    banner = true;
                }
                (Layout::EnvTemplate, Some(h))
                    if claims::section_of(&String::from_utf8_lossy(h)) == Section::Optional =>
                {
                    section = Section::Optional;
                    banner = false;
                }
                _ => {}
            }
            lead = (start, start + line.len());
            lead_claim = None;
        } else if layout == Layout::EnvTemplate && is_blank(line) {
            if !banner {
                section = Section::Plain;
            }
            lead = (start, start);
            lead_claim = None;
        }
        // Its excerpt, built (and redacted: the costly part) once per line.
        let mut line_excerpt: Option<String> = None;
        let mut excerpt_here = || line_excerpt.get_or_insert_with(|| excerpt(line)).clone();
        let line_span = (start, start + line.len());
        // What the hit at byte `at` (`len` long) claims: in prose, what its
        // sentence says of it; in code, what the sentence leading into the
        // code says.
        let mut claim_here = |at: usize, len: usize, rule: Rule| -> Option<Claim> {
            let named = matches!(rule, Rule::Domain | Rule::ProviderName);
            let said = match kind {
                LineKind::Prose if template && is_commented_assignment(line) => Claim::Option,
                LineKind::Prose => {
                    let (from, to) = claims::sentence_around(text, paragraph, line_span, at, template);
                    let sentence = &text[from..to];
                    if !named {
                        claims::of_line(sentence)
                    } else if !template && claims::is_title(line) {
                        // A provider a section is titled after is one the
                        // project documents using.
                        claims::of_line(sentence).min(Claim::Option)
                    } else if is_quoted(line, at - start, len) {
                        Claim::Mention
                    } else {
                        claims::of_sentence(sentence, at - from, len)
                    }
                }
                _ => {
                    let (of_env_var, of_name) =
                        *lead_claim.get_or_insert_with(|| claims::of_lead(&text[lead.0..lead.1]));
                    if named { of_name } else { of_env_var }
                }
            };
            claims::claim(said, section, rule == Rule::EnvVar)
        };
        let block_start = match (kind, open) {
            (LineKind::Fenced, Some((_, _, first, _))) => first,
            _ => line_no,
        };

        while let Some(hit) = hits.get(next_hit).filter(|h| h.offset < end) {
            next_hit += 1;
            let p = &auto.patterns[hit.pattern];
            let rule = p.rule;
            let named = matches!(rule, Rule::Domain | Rule::ProviderName);
            if named
                && (links::is_link_only(line, hit.offset - start, p.text.len())
                    || names_a_protocol(text, hit.offset + p.text.len())
                    || is_everyday_word(text, p.text, hit.offset + p.text.len()))
            {
                continue;
            }
            // The claim is worked out for kept hits only: reading a
            // sentence costs more than the hit.
            if section == Section::Aside || !admit(&mut kept, rule, p.subject, p.text) {
                continue;
            }
            let Some(claim) = claim_here(hit.offset, p.text.len(), rule) else {
                continue;
            };
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
                excerpt: excerpt_here(),
                claim,
            });
        }

        // Names the automaton cannot know: a project's own spelling of a
        // provider's variable, or a credential of no known provider.
        let mut names: Vec<NameHit<'_>> = Vec::new();
        match kind {
            LineKind::Fenced | LineKind::Indented => name_hits(line, start, true, &mut names),
            LineKind::Prose if memchr::memchr(b'_', line).is_some() => {
                let mut in_span = false;
                let mut base = start;
                for span in line.split(|&b| b == b'`') {
                    name_hits(span, base, in_span, &mut names);
                    in_span = !in_span;
                    base += span.len() + 1;
                }
            }
            _ => {}
        }
        for hit in names {
            let (rule, subject, name, at, in_code) = match hit {
                NameHit::Provider(p, name, at, in_code) => (Rule::EnvVar, p.id, name, at, in_code),
                NameHit::Unknown(name, at) => (Rule::UnknownEnvVar, providers::GENERIC_ID, name, at, true),
            };
            if section == Section::Aside || !admit(&mut kept, rule, subject, name) {
                continue;
            }
            if let Some(claim) = claim_here(at, name.len(), Rule::EnvVar) {
                let (line_start, line_end) =
                    if kind == LineKind::Fenced { (block_start, line_no) } else { (line_no, line_no) };
                out.push(Evidence {
                    rule,
                    subject: subject.to_owned(),
                    env_var: Some(name.to_owned()),
                    matched: None,
                    line_start,
                    line_end,
                    in_code,
                    excerpt: excerpt_here(),
                    claim,
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
    fn products_named_after_a_provider_are_not_its_api() {
        let text = "CI runs on GitHub Actions; report bugs in GitHub Issues.\nBuilt with Claude Code.\n";
        let found: Vec<_> = infer(text.as_bytes()).into_iter().map(|e| e.subject).collect();
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(rules_for("We call the GitHub API.", "github"), vec![(Rule::ProviderName, 1, 1, false)]);
    }

    fn claims_for(text: &str) -> Vec<(String, Claim)> {
        infer(text.as_bytes())
            .into_iter()
            .filter(|e| e.rule != Rule::Capability)
            .map(|e| (e.subject, e.claim))
            .collect()
    }

    #[test]
    fn protocols_labels_and_everyday_words_are_not_the_provider() {
        let text = "Any OpenAI-compatible endpoint or Redis compatible store works.\n\
                    Label it (e.g. \"PostHog\") and resend it.\n| **Resend** | Resend the invite |\n\
                    ## Choose How to Replicate Each Entity\n";
        // The quoted label is a mention at most; the rest is not found.
        assert_eq!(claims_for(text), [("posthog".to_owned(), Claim::Mention)]);
        let found = claims_for("Send mail with the Resend API.\nRun models on Replicate's models page.\n");
        let ids: Vec<_> = found.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(ids, ["resend", "replicate"]);
    }

    #[test]
    fn titles_offer_their_provider_and_sentences_decide_across_wrapped_lines() {
        let text = "## Email\n\n**Postmark:**\n\nFor S3-like storage (e.g. AWS S3,\n\
                    DigitalOcean Spaces, Wasabi), set the endpoint.\n\n<Accordion title=\"Supabase\">\n";
        assert_eq!(
            claims_for(text),
            [
                ("postmark".to_owned(), Claim::Option),
                ("aws".to_owned(), Claim::Option),
                ("digitalocean".to_owned(), Claim::Option),
                ("supabase".to_owned(), Claim::Option),
            ]
        );
    }

    #[test]
    fn a_name_in_code_is_offered_only_by_a_lead_sentence_about_a_service() {
        let text = "Answer the prompts with your options. For example:\n\n    ci_tool: 3 - Gitlab\n\n\
                    Pick your email provider or another one:\n\n    provider: SendGrid\n";
        assert_eq!(
            claims_for(text),
            [("gitlab".to_owned(), Claim::Mention), ("sendgrid".to_owned(), Claim::Option)]
        );
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
    fn a_projects_own_names_of_provider_variables_are_the_providers() {
        let text = "Set OPEN_AI_KEY in your shell.\n\n```\nNEXT_PUBLIC_SUPABASE_ANON_KEY=\nXAI_LLM_API_KEY=\n\
                    GOOGLE_GEMINI_API_KEY=\n```\nand `SLACK_CLIENT_SECRET`, but not SLACK_CHANNEL or OPENAI_MODEL_NAME.\n";
        let got: Vec<_> = infer(text.as_bytes())
            .into_iter()
            .filter(|e| e.rule == Rule::EnvVar)
            .map(|e| (e.subject, e.env_var.unwrap(), e.line_start, e.in_code))
            .collect();
        let want = [
            ("openai", "OPEN_AI_KEY", 1, false),
            ("supabase", "NEXT_PUBLIC_SUPABASE_ANON_KEY", 3, true),
            ("xai", "XAI_LLM_API_KEY", 3, true),
            ("google_gemini", "GOOGLE_GEMINI_API_KEY", 3, true),
            ("slack", "SLACK_CLIENT_SECRET", 8, true),
        ];
        let want: Vec<_> = want.iter().map(|(s, n, l, c)| (s.to_string(), n.to_string(), *l, *c)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn generic_credentials_leave_out_placeholders_limits_flags_and_identifiers() {
        let text = "```\nYOUR_API_KEY=\nFAST_TOKEN_LIMIT=100\nMAX_TOKENS=4096\nCOOKIE_SECURE=true\n\
                    API_KEY=x\nkind = TokenKind.REFRESH_TOKEN\nkey = process.env.ACME_API_KEY\nJWT_SECRET=\n```\n";
        let got: Vec<_> = infer(text.as_bytes())
            .into_iter()
            .filter(|e| e.rule == Rule::UnknownEnvVar)
            .map(|e| e.env_var.unwrap())
            .collect();
        assert_eq!(got, vec!["ACME_API_KEY", "JWT_SECRET"]);
    }

    #[test]
    fn excerpts_are_redacted_and_short() {
        let long = format!("OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123456789 {}", "x".repeat(400));
        let ev = infer(long.as_bytes());
        assert!(!ev[0].excerpt.contains("abcdefghijklmnop"), "{}", ev[0].excerpt);
        assert!(ev[0].excerpt.chars().count() <= EXCERPT_CHARS + 1);
    }

    #[test]
    fn excerpts_keep_public_pages_readable_and_redact_the_rest() {
        let badge = "[![Discord](https://img.shields.io/discord/864066819866624010)](https://discord.gg/x)";
        assert_eq!(excerpt(badge.as_bytes()), badge);
        let commit = "https://github.com/acme/app/commit/8f3a9c2e41d7b6a5c0e9f8d7c6b5a4e3d2c1b0a9";
        let e = excerpt(format!("see {commit}?token=zqxSECRETxQ7pL9mN2vB8aQ").as_bytes());
        assert!(e.starts_with(&format!("see {commit}")), "{e}");
        assert!(!e.contains("zqx"), "the query is redacted: {e}");
        for line in [
            "and https://evil.example/zqxAAAAqW7eR9tY2uI4oP6aS8dF0gH1jK3 too",
            "https://user:zqxPASSqW7eR9tY2uI4oP6aS8d@github.com/acme/app",
            "https://github.com/acme OPENAI_API_KEY=sk-proj-zqxVALUE0000000000000000",
        ] {
            let e = excerpt(line.as_bytes());
            assert!(line.len() < EXCERPT_CHARS && !e.contains("zqx"), "{line} -> {e}");
        }
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
