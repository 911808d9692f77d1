//! Bulk import of secrets from pasted text or a file: dotenv lines
//! (`KEY=value`, `export KEY=value`) or a JSON object.
//!
//! ```text
//! parse(bytes, format) → Parsed ─→ preview(&vault, &parsed, &options) → ImportPreview
//!                               └→ apply(&vault, parsed, &options, &decisions) → ImportReport
//! ```
//!
//! # Reading
//!
//! - **Format.** [`Format::Auto`] reads JSON when the text (after a BOM and
//!   blanks) starts with `{` and is a valid JSON object, else dotenv; when
//!   it starts with `{` but is not valid JSON, a note in the preview says so.
//! - **Dotenv** is read by [`crate::dotenv::Document`], the parser `.env`
//!   patching uses, so both read a value the same way: as python-dotenv and
//!   dotenvy do, with the choices documented in [`crate::dotenv`] (bare
//!   values trimmed, ` #` starts a comment, single quotes literal, double
//!   quotes with escapes and possibly several lines, `${VAR}` kept as
//!   written, a BOM, CRLF and a missing final newline accepted). Inside a
//!   multi-line quoted value a CRLF stays CRLF (python-dotenv would give LF,
//!   as it opens files with universal newlines): the value is what the
//!   file holds. A line without `=` (`KEY` alone, `KEY: value`) is not
//!   imported (python-dotenv reads `KEY` alone as a key without value).
//! - **JSON**: a top-level object. String values are imported as decoded.
//!   Numbers and `true`/`false` are imported as their JSON text, exactly as
//!   spelled (`1e3` stays `1e3`; a long account number keeps every digit),
//!   with a warning. `null`, nested objects and arrays are rejected with a
//!   reason (flatten them first). Anything else (an array, a string, broken
//!   JSON) with `--format json` is `import.invalid_json`, naming only the
//!   line and column: serde_json's own messages can quote the text.
//! - **Duplicates**: the last assignment wins (as in dotenv readers and
//!   `JSON.parse`); the entry lists the lines it supersedes.
//! - **Checks**: an entry whose key is not a valid env var name (see
//!   [`crate::secrets::validate_key_name`]), whose key looks like a pasted
//!   token rather than a snake-case name (base64 with `=` padding reads as
//!   `TOKEN=` + `=`; 20+ characters of mixed case and digits without `_`
//!   are not a variable name), or whose value
//!   is empty or over 1 MiB is *rejected*: listed with its line and a
//!   reason, and the rest still imports. [`ImportOptions::strict`] refuses
//!   the whole import instead (`import.rejected_lines`).
//! - **Limits**: at most [`MAX_INPUT_LEN`] bytes and [`MAX_ENTRIES`]
//!   entries (`import.input_too_large`); the text must be UTF-8
//!   (`import.input_not_utf8`).
//!
//! # What is shown
//!
//! Values never appear in a preview, a report, `Debug` output, an error or
//! the audit log. Lines that were not understood are shown by line number
//! and reason only, never by their text: such a line is often a value
//! (`sk-…` pasted alone, `API_KEY: …`, an unclosed quote that swallowed
//! one), and redaction is a heuristic that misses short passwords. The
//! front already has the text (the user pasted it, or it is a file they
//! can open at that line). A rejected entry shows its key only when the
//! key is word-like and redaction leaves it alone; otherwise only its line.
//!
//! # Writing
//!
//! Conflicts (same provider and key name in the vault) follow
//! [`ImportDecisions`]: keep, replace or skip, apply-to-all with per-key
//! overrides; an undecided conflict refuses the import. Everything is
//! written in one transaction with one `secret.import` audit event holding
//! counts only: all or nothing. New and replaced secrets get the
//! provenance given ([`Provenance::paste`] or [`Provenance::file_import`],
//! which keeps the file name, never its path) and `imported_at`.

mod read;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;
use std::fmt;
use std::str::FromStr;

use crate::audit::EventType;
use crate::conflict::{
    ConflictDecision, ImportCounts, ImportDecisions, ImportWrites, commit_import, prepare_replace,
    undecided_error,
};
use crate::crypto::SecretString;
use crate::error::{Error, ErrorCode, Result};
use crate::secrets::{self, NewSecret, Provenance, SecretSummary};
use crate::vault::Vault;

/// Largest input read (16 MiB), as for `.env` files.
pub const MAX_INPUT_LEN: usize = 16 << 20;
/// Most entries in one import, as for bundles.
pub const MAX_ENTRIES: usize = 100_000;

/// How to read the text.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// JSON if it is a JSON object, else dotenv.
    #[default]
    Auto,
    /// `KEY=value` and `export KEY=value` lines.
    Dotenv,
    /// One JSON object.
    Json,
}

impl FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Format::Auto),
            "dotenv" | "env" | ".env" => Ok(Format::Dotenv),
            "json" => Ok(Format::Json),
            other => Err(Error::invalid(format!("unknown import format '{other}'"))
                .with_suggestion("Use auto, dotenv or json.")),
        }
    }
}

impl Format {
    /// Its name: `auto`, `dotenv` or `json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Dotenv => "dotenv",
            Format::Json => "json",
        }
    }
}

/// Why a line or an entry is not imported.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A line without `=` (a word alone, `KEY: value`, a token).
    NotAnAssignment,
    /// A line starting with `=`.
    MissingKey,
    /// A quoted value without its closing quote, or text after it.
    QuoteNotClosed,
    /// Blanks or quotes inside the key (`MY KEY=1`).
    MalformedKey,
    /// The key is not a valid env var name (`my-key`, `1ST`, `ключ`).
    InvalidKeyName,
    /// The key looks like a pasted token rather than a name.
    KeyLooksLikeValue,
    /// The value is empty or only blanks.
    EmptyValue,
    /// The value is larger than 1 MiB.
    ValueTooLarge,
    /// The value holds a NUL byte, which no process environment (nor a
    /// `.env` file read by one) can carry.
    ValueHasNul,
    /// A JSON object as the value.
    NestedObject,
    /// A JSON array as the value.
    NestedArray,
    /// JSON `null` as the value.
    NullValue,
}

impl Reason {
    /// A fixed sentence for the user (never quotes the input).
    pub fn message(self) -> &'static str {
        match self {
            Reason::NotAnAssignment => "not a KEY=value line (no '=')",
            Reason::MissingKey => "no key before '='",
            Reason::QuoteNotClosed => "a quoted value is not closed, or text follows its closing quote",
            Reason::MalformedKey => "the text before '=' is not a single key (blanks or quotes in it)",
            Reason::InvalidKeyName => {
                "not a valid key name: letters, digits and '_', not starting with a digit"
            }
            Reason::KeyLooksLikeValue => "the key looks like a pasted token, not a variable name",
            Reason::EmptyValue => "the value is empty",
            Reason::ValueTooLarge => "the value is larger than 1 MiB",
            Reason::ValueHasNul => "the value holds a NUL byte, which no environment variable can carry",
            Reason::NestedObject => {
                "the value is a JSON object; only strings (and numbers, true/false) are imported"
            }
            Reason::NestedArray => {
                "the value is a JSON array; only strings (and numbers, true/false) are imported"
            }
            Reason::NullValue => "the value is null",
        }
    }
}

/// A line that is not an entry at all (dotenv only). Its text is not kept.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unparsed {
    /// 1-based line.
    pub line: u32,
    /// Last line (the same unless it spans several).
    pub last_line: u32,
    /// Why.
    pub reason: Reason,
    /// [`Reason::message`].
    pub message: String,
}

impl Unparsed {
    fn new(line: u32, last_line: u32, reason: Reason) -> Self {
        Unparsed { line, last_line, reason, message: reason.message().to_owned() }
    }
}

/// An assignment that was read but cannot be imported.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// The key, when it is safe to show (see the module documentation).
    pub key_name: Option<String>,
    /// First line.
    pub line: u32,
    /// Last line.
    pub last_line: u32,
    /// Why.
    pub reason: Reason,
    /// [`Reason::message`].
    pub message: String,
    /// First lines of earlier assignments of the same key it overrides.
    pub superseded_lines: Vec<u32>,
}

/// An importable entry: key, lines and value.
pub struct ParsedEntry {
    key_name: String,
    first: u32,
    last: u32,
    value: SecretString,
    superseded_lines: Vec<u32>,
    warnings: Vec<String>,
}

impl ParsedEntry {
    /// The env var name.
    pub fn key_name(&self) -> &str {
        &self.key_name
    }

    /// First line (1-based).
    pub fn line(&self) -> u32 {
        self.first
    }

    /// Last line (several for a multi-line value).
    pub fn last_line(&self) -> u32 {
        self.last
    }

    /// The value.
    pub fn value(&self) -> &SecretString {
        &self.value
    }

    /// The value's digest under `key` ([`ValueDigestKey`]), so a test or
    /// script can check what was read without it being printed.
    pub fn value_digest(&self, key: &ValueDigestKey) -> String {
        key.digest(self.value.expose_secret().as_bytes())
    }

    /// First lines of earlier assignments of this key, now overridden.
    pub fn superseded_lines(&self) -> &[u32] {
        &self.superseded_lines
    }
}

impl fmt::Debug for ParsedEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedEntry")
            .field("key_name", &self.key_name)
            .field("lines", &(self.first..=self.last))
            .field("value", &self.value)
            .finish()
    }
}

/// Text read for an import: entries with their values, rejected entries
/// and unparsed lines. Not `Clone`; `Debug` shows counts only.
pub struct Parsed {
    format: Format,
    entries: Vec<ParsedEntry>,
    rejected: Vec<Rejected>,
    unparsed: Vec<Unparsed>,
    notes: Vec<String>,
}

impl fmt::Debug for Parsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parsed")
            .field("format", &self.format)
            .field("entries", &self.entries.len())
            .field("rejected", &self.rejected.len())
            .field("unparsed", &self.unparsed.len())
            .finish()
    }
}

impl Parsed {
    /// The format it was read as (`dotenv` or `json`, never `auto`).
    pub fn format(&self) -> Format {
        self.format
    }

    /// Importable entries, one per key, in order of their (last) line.
    pub fn entries(&self) -> &[ParsedEntry] {
        &self.entries
    }

    /// Assignments read but not importable.
    pub fn rejected(&self) -> &[Rejected] {
        &self.rejected
    }

    /// Lines that are not assignments.
    pub fn unparsed(&self) -> &[Unparsed] {
        &self.unparsed
    }

    /// Remarks about the reading (e.g. JSON-looking text read as dotenv).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Earlier assignments overridden by a later one, in all.
    pub fn superseded_count(&self) -> usize {
        self.entries.iter().map(|e| e.superseded_lines.len()).sum::<usize>()
            + self.rejected.iter().map(|r| r.superseded_lines.len()).sum::<usize>()
    }
}

/// Read `input` as `format`. Fails only on input that is too large or not
/// UTF-8, and on invalid JSON when JSON was asked for; any other problem is
/// reported per line in the result.
pub fn parse(input: &[u8], format: Format) -> Result<Parsed> {
    read::parse(input, format)
}

/// Read at most [`MAX_INPUT_LEN`] bytes (one more tells that there was
/// more): a front can hand in `/dev/zero` or a huge pipe without running
/// out of memory.
pub fn read_input(reader: impl std::io::Read) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    use std::io::Read;
    let mut buf = zeroize::Zeroizing::new(Vec::new());
    reader.take(MAX_INPUT_LEN as u64 + 1).read_to_end(&mut buf)?;
    if buf.len() > MAX_INPUT_LEN {
        return Err(Error::new(
            ErrorCode::ImportInputTooLarge,
            format!("the input is larger than {MAX_INPUT_LEN} bytes"),
        ));
    }
    Ok(buf)
}

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Store every entry under this provider instead of the one suggested
    /// by its key name (registry names and aliases, else `generic`).
    pub provider_id: Option<String>,
    /// Refuse the whole import when any line is rejected or unparsed,
    /// instead of importing the rest.
    pub strict: bool,
    /// Provenance of new and replaced secrets.
    pub provenance: Provenance,
    /// Stops the import before its commit (a front's Ctrl-C): nothing is
    /// written and it fails with `job.cancelled`. Once committed, it has
    /// no effect: the import is complete and its report is returned.
    pub cancel: Option<tokio_util::sync::CancellationToken>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions { provider_id: None, strict: false, provenance: Provenance::paste(None), cancel: None }
    }
}

/// One entry as it would be imported (never its value).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportEntry {
    /// Env var name.
    pub key_name: String,
    /// Provider it will be stored under.
    pub provider_id: String,
    /// First line.
    pub line: u32,
    /// Last line.
    pub last_line: u32,
    /// A secret with this provider and key name exists already.
    pub conflict: bool,
    /// First lines of earlier assignments of this key it overrides.
    pub superseded_lines: Vec<u32>,
    /// Advice (lower-case name, `${…}` kept literal, JSON number as text).
    pub warnings: Vec<String>,
}

/// What an import would do. Entries are in the order of
/// [`Parsed::entries`], so `entries[i]` describes `parsed.entries()[i]`.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct ImportPreview {
    /// Format the text was read as.
    pub format: Format,
    /// Importable entries.
    pub entries: Vec<ImportEntry>,
    /// Entries read but not importable.
    pub rejected: Vec<Rejected>,
    /// Lines not understood.
    pub unparsed: Vec<Unparsed>,
    /// Remarks about the reading.
    pub notes: Vec<String>,
}

impl ImportPreview {
    /// Entries that collide with an existing secret.
    pub fn conflicts(&self) -> usize {
        self.entries.iter().filter(|e| e.conflict).count()
    }
}

/// What an import did (counts only).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Added, replaced, kept, skipped.
    pub counts: ImportCounts,
    /// Entries not importable.
    pub rejected: u32,
    /// Lines not understood.
    pub unparsed: u32,
    /// Earlier assignments of a key overridden by a later one.
    pub superseded: u32,
}

fn count32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn import_provider(options: &ImportOptions) -> Result<Option<&'static str>> {
    options.provider_id.as_deref().map(secrets::check_provider).transpose()
}

/// (provider, existing secret) for each entry.
fn place_entries(
    vault: &Vault,
    parsed: &Parsed,
    provider: Option<&'static str>,
) -> Vec<(&'static str, Option<SecretSummary>)> {
    let catalog = vault.catalog();
    parsed
        .entries
        .iter()
        .map(|e| {
            let p = provider.unwrap_or_else(|| secrets::suggest_provider(&e.key_name));
            (p, catalog.get(&e.key_name, p).cloned())
        })
        .collect()
}

/// What importing `parsed` would do: each entry's provider and whether
/// it conflicts, plus what will not be imported. Writes nothing.
pub fn preview(vault: &Vault, parsed: &Parsed, options: &ImportOptions) -> Result<ImportPreview> {
    let provider = import_provider(options)?;
    let placed = place_entries(vault, parsed, provider);
    let entries = parsed
        .entries
        .iter()
        .zip(placed)
        .map(|(e, (provider_id, existing))| ImportEntry {
            key_name: e.key_name.clone(),
            provider_id: provider_id.to_owned(),
            line: e.first,
            last_line: e.last,
            conflict: existing.is_some(),
            superseded_lines: e.superseded_lines.clone(),
            warnings: e.warnings.clone(),
        })
        .collect();
    Ok(ImportPreview {
        format: parsed.format,
        entries,
        rejected: parsed.rejected.clone(),
        unparsed: parsed.unparsed.clone(),
        notes: parsed.notes.clone(),
    })
}

/// Import `parsed` in one transaction (see the module documentation).
/// Fails before writing anything when a conflict is undecided
/// (`import.conflict`), nothing is importable (`import.nothing_found`),
/// or, with `strict`, any line is rejected (`import.rejected_lines`).
pub fn apply(
    vault: &Vault,
    parsed: Parsed,
    options: &ImportOptions,
    decisions: &ImportDecisions,
) -> Result<ImportReport> {
    let provider = import_provider(options)?;
    let not_imported = parsed.rejected.len() + parsed.unparsed.len();
    if parsed.entries.is_empty() {
        let detail = if not_imported > 0 {
            format!("; {not_imported} line(s) could not be imported")
        } else {
            String::new()
        };
        return Err(Error::new(
            ErrorCode::ImportNothingFound,
            format!("no entry to import was found{detail}"),
        ));
    }
    if options.strict && not_imported > 0 {
        let mut lines: Vec<u32> =
            parsed.rejected.iter().map(|r| r.line).chain(parsed.unparsed.iter().map(|u| u.line)).collect();
        lines.sort_unstable();
        let shown: Vec<String> = lines.iter().take(20).map(u32::to_string).collect();
        let more = if lines.len() > 20 { format!(" and {} more", lines.len() - 20) } else { String::new() };
        return Err(Error::new(
            ErrorCode::ImportRejectedLines,
            format!("{} line(s) would not be imported: {}{more}", lines.len(), shown.join(", ")),
        ));
    }

    let placed = place_entries(vault, &parsed, provider);
    let undecided: Vec<String> = parsed
        .entries
        .iter()
        .zip(&placed)
        .filter(|(e, (p, existing))| existing.is_some() && decisions.decide(p, &e.key_name, true).is_none())
        .map(|(e, (p, _))| format!("{} ({p})", e.key_name))
        .collect();
    if !undecided.is_empty() {
        return Err(undecided_error(&undecided));
    }

    let now = crate::time::now();
    let mut counts = ImportCounts::default();
    let mut writes = ImportWrites::default();
    let report_base = ImportReport {
        rejected: count32(parsed.rejected.len()),
        unparsed: count32(parsed.unparsed.len()),
        superseded: count32(parsed.superseded_count()),
        ..ImportReport::default()
    };
    let format = parsed.format;
    for (e, (provider_id, existing)) in parsed.entries.into_iter().zip(placed) {
        match (decisions.decide(provider_id, &e.key_name, existing.is_some()), existing) {
            (Some(ConflictDecision::Skip), _) => counts.skipped += 1,
            (Some(ConflictDecision::Keep), Some(_)) => counts.kept += 1,
            (Some(ConflictDecision::Replace), Some(old)) => {
                writes.replaces.push(prepare_replace(vault, &old, &e.value, &options.provenance, &now)?);
                counts.replaced += 1;
            }
            // No conflict: Keep / Replace / no decision all mean "add".
            (_, None) => {
                let new = NewSecret {
                    provider_id: Some(provider_id.to_owned()),
                    provenance: options.provenance.clone(),
                    ..NewSecret::new(e.key_name, e.value)
                };
                writes.inserts.push(secrets::prepare_new(vault, new)?);
                counts.added += 1;
            }
            (None, Some(_)) => return Err(Error::internal("an undecided conflict reached the import")),
        }
    }
    let report = ImportReport { counts, ..report_base };
    commit_import(
        vault,
        options.cancel.as_ref(),
        writes,
        EventType::SecretImport,
        json!({
            "format": format.as_str(),
            "source_type": options.provenance.source_type.as_str(),
            "added": counts.added,
            "replaced": counts.replaced,
            "kept": counts.kept,
            "skipped": counts.skipped,
            "rejected": report.rejected,
            "unparsed": report.unparsed,
        }),
    )?;
    Ok(report)
}

/// A random key for one dry run's value digests (HMAC-SHA256). A plain
/// hash of a short value (`PORT=5`) gives the value away to anyone who
/// tries the few candidates; keyed with a secret of the run, printed in
/// the same output, a digest only lets whoever holds that output check a
/// value they already know.
pub struct ValueDigestKey([u8; 32]);

impl ValueDigestKey {
    /// A fresh random key.
    pub fn random() -> Self {
        ValueDigestKey(rand::random())
    }

    /// The key, lower-case hex (printed beside the digests).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Lower-case hex HMAC-SHA256 of `value` under this key.
    pub fn digest(&self, value: &[u8]) -> String {
        #[allow(clippy::expect_used)] // HMAC takes a key of any length
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC key");
        mac.update(value);
        hex::encode(mac.finalize().into_bytes())
    }
}
