//! Static checks on a script version, before a person reviews it.
//!
//! The facts come from Python's own parser: `checker.py`, run with the same
//! interpreter that runs scripts, reports syntax errors, imports, calls,
//! string literals, checkpoints and critical actions with their lines. The
//! rules are here:
//!
//! - **syntax**: the source must parse;
//! - **secret**: no line or string literal the redaction function masks
//!   (values go in placeholders, `{{NAME}}` or `kc.secret("NAME")`);
//! - **placeholder**: names passed to `kc.secret` / `kc.store_secret` are
//!   literal env var names;
//! - **host**: every URL literal's host is on the provider's allowlist;
//! - **sandbox**: no import or call that leaves the sandbox's intent
//!   (processes, raw sockets, native code, dynamic code), no write outside
//!   the working folder;
//! - **checkpoint**: every browser action whose selector or text looks
//!   financial or destructive, and every non-GET HTTP call, is preceded in
//!   the same function by a `kc.checkpoint(...)` of a fitting type.
//!
//! Errors block approval; warnings are shown.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::io::Write as _;
use std::process::{Command, Stdio};
use url::Url;

use super::CheckpointType;
use super::python::Interpreter;
use crate::error::{Error, ErrorCode, Result};
pub use crate::net::allow::Allowlist;

const CHECKER: &str = include_str!("checker.py");

/// How bad a finding is.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[serde(rename = "FindingSeverity")]
pub enum Severity {
    /// Blocks approval.
    Error,
    /// Shown to the reviewer.
    Warning,
}

/// One finding, at its line.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "ScriptFinding")]
pub struct Finding {
    /// 1-based line.
    pub line: u32,
    /// Error or warning.
    pub severity: Severity,
    /// Which rule: `syntax`, `secret`, `placeholder`, `host`, `sandbox`, `checkpoint`.
    pub rule: String,
    /// What is wrong, in words (never the secret itself).
    pub message: String,
}

/// What the checks found, and what the reviewer approves along with the
/// source.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "ScriptCheckReport")]
pub struct Report {
    /// Findings, by line.
    pub findings: Vec<Finding>,
    /// The vault keys the script asks for (`kc.secret`, `{{NAME}}`).
    pub placeholders: Vec<String>,
    /// The keys it may store (`kc.store_secret`).
    pub stores: Vec<String>,
    /// The hosts its URL literals name.
    pub hosts: Vec<String>,
    /// The checkpoint types it can raise.
    pub checkpoints: Vec<CheckpointType>,
}

impl Report {
    /// Whether anything blocks approval.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The error refusing approval, naming the first blocking lines.
    pub fn refusal(&self) -> Option<Error> {
        let errors: Vec<String> = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| format!("line {}: {}", f.line, f.message))
            .collect();
        if errors.is_empty() {
            return None;
        }
        let shown = errors.iter().take(3).cloned().collect::<Vec<_>>().join("; ");
        let more = if errors.len() > 3 { format!(" (and {} more)", errors.len() - 3) } else { String::new() };
        Some(Error::new(
            ErrorCode::AutomationScriptRefused,
            format!("the script does not pass its checks: {shown}{more}"),
        ))
    }

    fn push(&mut self, line: u32, severity: Severity, rule: &str, message: impl Into<String>) {
        let message = message.into();
        let duplicate =
            self.findings.iter().any(|f| f.line == line && f.rule == rule && f.message == message);
        if !duplicate {
            self.findings.push(Finding { line, severity, rule: rule.to_string(), message });
        }
    }
}

/// Words in a selector or button text that make a browser action critical,
/// and the checkpoint types that fit before it.
const CRITICAL: &[(&[&str], &[CheckpointType])] = &[
    (
        &[
            "pay",
            "purchase",
            "buy",
            "upgrade",
            "billing",
            "limit",
            "plan",
            "subscribe",
            "checkout",
            "card",
            "credit",
            "invoice",
            "spend",
            "budget",
            "order",
        ],
        &[CheckpointType::Financial, CheckpointType::Billing],
    ),
    (
        &[
            "delete",
            "remove",
            "revoke",
            "destroy",
            "disable",
            "rotate",
            "regenerate",
            "roll",
            "cancel",
            "terminate",
            "reset",
            "deactivate",
        ],
        &[CheckpointType::Irreversible, CheckpointType::ApiKey, CheckpointType::Account],
    ),
    (
        &["api key", "api-key", "apikey", "new key", "create key", "token", "secret"],
        &[CheckpointType::ApiKey],
    ),
    (&["sign up", "signup", "register", "create account", "password"], &[CheckpointType::Account]),
    (
        &["confirm", "submit", "save", "apply", "yes"],
        &[
            CheckpointType::Financial,
            CheckpointType::Account,
            CheckpointType::Irreversible,
            CheckpointType::ApiKey,
            CheckpointType::Billing,
        ],
    ),
];

/// Modules whose import leaves the sandbox's intent.
const FORBIDDEN_MODULES: &[&str] =
    &["subprocess", "ctypes", "cffi", "socket", "_socket", "multiprocessing", "pty", "resource", "mmap"];

/// Calls that start processes, run native or dynamic code.
const FORBIDDEN_CALLS: &[&str] = &[
    "os.system",
    "os.popen",
    "os.fork",
    "os.forkpty",
    "os.kill",
    "os.killpg",
    "eval",
    "exec",
    "compile",
    "__import__",
    "importlib.import_module",
];
const FORBIDDEN_CALL_PREFIXES: &[&str] = &["os.exec", "os.spawn", "os.posix_spawn"];

#[derive(Deserialize)]
struct Facts {
    syntax_error: Option<SyntaxError>,
    #[serde(default)]
    imports: Vec<Import>,
    #[serde(default)]
    calls: Vec<Call>,
    #[serde(default)]
    strings: Vec<Literal>,
    #[serde(default)]
    checkpoints: Vec<CheckpointCall>,
    #[serde(default)]
    actions: Vec<Action>,
    #[serde(default)]
    secrets: Vec<SecretCall>,
    #[serde(default)]
    writes: Vec<WriteCall>,
    #[serde(default)]
    discarded: Vec<Line>,
}

#[derive(Deserialize)]
struct SyntaxError {
    line: u32,
    message: String,
}
#[derive(Deserialize)]
struct Import {
    line: u32,
    module: String,
}
#[derive(Deserialize)]
struct Call {
    line: u32,
    name: String,
}
#[derive(Deserialize)]
struct Literal {
    line: u32,
    value: String,
}
#[derive(Deserialize)]
struct CheckpointCall {
    line: u32,
    scope: String,
    kind: Option<String>,
}
#[derive(Deserialize)]
struct Action {
    line: u32,
    scope: String,
    kind: String,
    texts: Vec<String>,
}
#[derive(Deserialize)]
struct SecretCall {
    line: u32,
    name: Option<String>,
    store: bool,
}
#[derive(Deserialize)]
struct WriteCall {
    line: u32,
    path: Option<String>,
}
#[derive(Deserialize)]
struct Line {
    line: u32,
}

/// Run every check on `source` for a script of `allowlist`'s provider.
/// Blocking: it starts the interpreter (tens of milliseconds); call it
/// without holding the vault.
pub fn run(python: &Interpreter, source: &str, allowlist: &Allowlist) -> Result<Report> {
    let facts = parse_facts(python, source)?;
    let mut report = Report::default();
    secrets_in_lines(source, &mut report);
    if let Some(e) = facts.syntax_error {
        report.push(e.line, Severity::Error, "syntax", format!("Python syntax error: {}", e.message));
        report.findings.sort_by_key(|f| (f.line, f.severity));
        return Ok(report);
    }
    placeholders(&facts, &mut report);
    literals(&facts, allowlist, &mut report);
    sandbox_intent(&facts, &mut report);
    checkpoints(&facts, &mut report);
    report.findings.sort_by_key(|f| (f.line, f.severity));
    Ok(report)
}

fn parse_facts(python: &Interpreter, source: &str) -> Result<Facts> {
    let checker_unavailable = |e: std::io::Error| {
        Error::new(
            ErrorCode::AutomationRuntimeMissing,
            format!("the script checker could not start Python: {e}"),
        )
    };
    let mut child = Command::new(&python.exe)
        .args(["-I", "-c", CHECKER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(checker_unavailable)?;
    let request = serde_json::json!({ "source": source }).to_string();
    let mut stdin = child.stdin.take().ok_or_else(|| Error::internal("the checker has no standard input"))?;
    // Written on its own thread: a large source must not deadlock against
    // the checker's output.
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let out = child.wait_with_output().map_err(checker_unavailable)?;
    let _ = writer.join();
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().last().unwrap_or("no message");
        return Err(Error::internal(format!("the script checker failed: {}", crate::redact::redact(last))));
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|e| Error::internal(format!("the script checker's answer: {e}")))
}

fn is_placeholder(value: &str) -> bool {
    let Some(inner) = value.trim().strip_prefix("{{").and_then(|v| v.strip_suffix("}}")) else {
        return false;
    };
    is_env_name(inner.trim())
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Every `{{NAME}}` in `text`.
fn placeholders_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim();
        if is_env_name(name) {
            out.push(name.to_string());
        }
        rest = &after[end + 2..];
    }
    out
}

/// The lines (1-based) where the redaction function finds a secret: in a
/// string literal, or in a word outside literals (a comment, a bare token).
/// Code around literals is not judged as an assignment (`key =
/// kc.secret("NAME")` holds no value). A script with any is not saved.
pub fn secret_lines(source: &str) -> Vec<u32> {
    static LITERAL: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'"#).expect("literal pattern")
    });
    let holds_secret = |text: &str| {
        let text = placeholders_in(text)
            .iter()
            .fold(text.to_string(), |t, n| t.replace(&format!("{{{{{n}}}}}"), ""));
        crate::redact::redact(&text) != text.as_str()
    };
    let mut out = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let in_literal = LITERAL.find_iter(line).any(|m| holds_secret(&m.as_str()[1..m.as_str().len() - 1]));
        let rest = LITERAL.replace_all(line, " ");
        let in_words = rest.split_whitespace().any(|w| w.len() >= 8 && holds_secret(w));
        if in_literal || in_words {
            out.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
        }
    }
    out
}

fn secrets_in_lines(source: &str, report: &mut Report) {
    for line in secret_lines(source) {
        report.push(
            line,
            Severity::Error,
            "secret",
            "this line looks like it holds a secret value; use a placeholder ({{NAME}} or kc.secret(\"NAME\"))",
        );
    }
}

fn placeholders(facts: &Facts, report: &mut Report) {
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut stores: BTreeSet<String> = BTreeSet::new();
    for call in &facts.secrets {
        let what = if call.store { "kc.store_secret" } else { "kc.secret" };
        match &call.name {
            Some(name) if is_env_name(name) => {
                if call.store {
                    stores.insert(name.clone());
                } else {
                    names.insert(name.clone());
                }
            }
            Some(_) => report.push(
                call.line,
                Severity::Error,
                "placeholder",
                format!("{what} needs an env var name such as \"OPENAI_API_KEY\""),
            ),
            None => report.push(
                call.line,
                Severity::Error,
                "placeholder",
                format!("{what} must name its key literally, so the review shows it"),
            ),
        }
    }
    for s in &facts.strings {
        names.extend(placeholders_in(&s.value));
    }
    report.placeholders = names.into_iter().collect();
    report.stores = stores.into_iter().collect();
}

fn literals(facts: &Facts, allowlist: &Allowlist, report: &mut Report) {
    let mut hosts: BTreeSet<String> = BTreeSet::new();
    for s in &facts.strings {
        if !is_placeholder(&s.value) {
            let masked = crate::redact::redact(&s.value);
            if masked != s.value.as_str() {
                report.push(
                    s.line,
                    Severity::Error,
                    "secret",
                    "a string here looks like a secret value; use a placeholder",
                );
            }
        }
        for word in s.value.split_whitespace() {
            let word = word.trim_matches(|c| matches!(c, '"' | '\'' | '(' | ')' | ',' | '<' | '>'));
            if !(word.starts_with("http://") || word.starts_with("https://")) {
                continue;
            }
            match Url::parse(word) {
                Ok(url) => {
                    let host = url.host_str().unwrap_or("").to_string();
                    if !allowlist.allows(&url) {
                        report.push(
                            s.line,
                            Severity::Error,
                            "host",
                            format!("{host} is not on this provider's allowlist"),
                        );
                    }
                    hosts.insert(host);
                }
                Err(_) => report.push(s.line, Severity::Warning, "host", "a URL here cannot be read"),
            }
        }
    }
    report.hosts = hosts.into_iter().collect();
}

fn sandbox_intent(facts: &Facts, report: &mut Report) {
    for import in &facts.imports {
        let root = import.module.split('.').next().unwrap_or("");
        let sub = import.module.as_str();
        if FORBIDDEN_MODULES.contains(&root) || sub == "asyncio.subprocess" || sub == "os.system" {
            report.push(
                import.line,
                Severity::Error,
                "sandbox",
                format!(
                    "importing {} leaves the sandbox (processes, raw sockets or native code)",
                    import.module
                ),
            );
        }
    }
    for call in &facts.calls {
        let name = call.name.as_str();
        let forbidden = FORBIDDEN_CALLS.contains(&name)
            || FORBIDDEN_CALL_PREFIXES.iter().any(|p| name.starts_with(p))
            || name.ends_with(".create_subprocess_exec")
            || name.ends_with(".create_subprocess_shell");
        if forbidden {
            report.push(
                call.line,
                Severity::Error,
                "sandbox",
                format!("{name}() starts a process or runs dynamic code"),
            );
        }
    }
    for w in &facts.writes {
        match &w.path {
            Some(p)
                if p.starts_with('/')
                    || p.starts_with('~')
                    || p.split(['/', '\\']).any(|seg| seg == "..") =>
            {
                report.push(
                    w.line,
                    Severity::Error,
                    "sandbox",
                    format!("writes {p:?}, outside the working folder"),
                );
            }
            Some(_) => {}
            None => report.push(
                w.line,
                Severity::Warning,
                "sandbox",
                "writes a file whose path is computed; only the working folder is writable",
            ),
        }
    }
}

fn checkpoints(facts: &Facts, report: &mut Report) {
    let mut kinds: BTreeSet<&'static str> = BTreeSet::new();
    let mut declared: Vec<(u32, &str, CheckpointType)> = Vec::new();
    for c in &facts.checkpoints {
        match c.kind.as_deref().map(|k| (k, CheckpointType::parse(k))) {
            Some((_, Some(CheckpointType::ScriptReview))) => {
                report.push(
                    c.line,
                    Severity::Error,
                    "checkpoint",
                    "script_review is the person's review of the script; a script cannot raise it",
                );
            }
            Some((_, Some(t))) => {
                kinds.insert(t.as_str());
                declared.push((c.line, c.scope.as_str(), t));
            }
            Some((k, None)) => report.push(
                c.line,
                Severity::Error,
                "checkpoint",
                format!("unknown checkpoint type {k:?} (financial, account, irreversible, api_key, billing)"),
            ),
            None => report.push(
                c.line,
                Severity::Error,
                "checkpoint",
                "the checkpoint type must be written literally, so the review shows it",
            ),
        }
    }
    for d in &facts.discarded {
        report.push(
            d.line,
            Severity::Warning,
            "checkpoint",
            "the decision of this checkpoint is not used; check .approved before going on",
        );
    }
    for action in &facts.actions {
        let fitting: Vec<CheckpointType> = if action.kind.starts_with("http.") {
            CRITICAL.last().map(|(_, f)| f.to_vec()).unwrap_or_default()
        } else {
            let text = action.texts.join(" ").to_ascii_lowercase();
            let mut fit: Vec<CheckpointType> = Vec::new();
            for (words, types) in CRITICAL {
                if words.iter().any(|w| contains_word(&text, w)) {
                    fit.extend(types.iter().copied());
                }
            }
            fit
        };
        if fitting.is_empty() {
            continue;
        }
        let covered = declared
            .iter()
            .any(|&(line, scope, t)| scope == action.scope && line < action.line && fitting.contains(&t));
        if !covered {
            let names: Vec<&str> = {
                let mut n: Vec<&str> = fitting.iter().map(|t| t.as_str()).collect();
                n.sort_unstable();
                n.dedup();
                n
            };
            let what = if action.kind.starts_with("http.") {
                format!("an HTTP {} request", &action.kind[5..])
            } else {
                format!("this {} looks financial or destructive", &action.kind[8..])
            };
            report.push(
                action.line,
                Severity::Error,
                "checkpoint",
                format!(
                    "{what}; put a kc.checkpoint({}, …) before it in the same function",
                    names.join(" | ")
                ),
            );
        }
    }
    report.checkpoints = kinds.into_iter().filter_map(CheckpointType::parse).collect();
}

/// `word` in `text` at word boundaries (`pay` in "Pay now", not in "paypal"
/// nor "repay"… `repay` is not a word boundary match either, which is fine).
fn contains_word(text: &str, word: &str) -> bool {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(pos) = text[from..].find(word) {
        let start = from + pos;
        let end = start + word.len();
        let before = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
        // Plurals and -ing forms still count ("limits", "deleting").
        let after = end >= bytes.len()
            || !bytes[end].is_ascii_alphanumeric()
            || text[end..].starts_with('s')
            || text[end..].starts_with("ing")
            || text[end..].starts_with("ed");
        if before && after {
            return true;
        }
        from = end;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn critical_words_match_at_word_boundaries() {
        assert!(contains_word("set monthly limit", "limit"));
        assert!(contains_word("#delete-key", "delete"));
        assert!(contains_word("usage limits", "limit"));
        assert!(!contains_word("paypal", "pay"));
        assert!(!contains_word("display", "pay"));
        assert!(contains_word("pay now", "pay"));
    }

    #[test]
    fn placeholders_are_env_names_in_double_braces() {
        assert_eq!(placeholders_in("Bearer {{OPENAI_API_KEY}} and {{ X_1 }}"), vec!["OPENAI_API_KEY", "X_1"]);
        assert!(placeholders_in("{{lower}} {{}}").is_empty());
    }
}
