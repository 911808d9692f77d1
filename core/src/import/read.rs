//! Reading pasted text or a file into entries: dotenv through
//! [`Document::parse`], JSON through serde_json (each value borrowed as raw
//! text, so its line is known and numbers keep their spelling).
//!
//! Nothing here decides what goes into the vault; it only reads, dedupes
//! (last assignment wins) and sorts each assignment into an importable
//! entry or a rejected one with a reason.

use rustc_hash::FxHashMap;
use serde::de::{self, Deserializer as _, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;

use super::{Format, MAX_ENTRIES, MAX_INPUT_LEN, Parsed, ParsedEntry, Reason, Rejected, Unparsed};
use crate::crypto::SecretString;
use crate::dotenv::{BOM, Document, ItemKind};
use crate::error::{Error, ErrorCode, Result};
use crate::secrets::{self, MAX_KEY_NAME_LEN};

/// Line numbers are `u32` in what is shown; 16 MiB has fewer lines than that.
fn line32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// One assignment as read, before duplicates are resolved.
struct Raw {
    key: String,
    first: u32,
    last: u32,
    value: RawValueKind,
}

enum RawValueKind {
    /// A value to import, with notes on how it was read.
    Text(SecretString, Option<&'static str>),
    /// A value that cannot be imported (JSON null, object, array).
    Refused(Reason),
}

pub(super) fn parse(input: &[u8], format: Format) -> Result<Parsed> {
    if input.len() > MAX_INPUT_LEN {
        return Err(too_large(format!("the input is {} bytes; the limit is {MAX_INPUT_LEN}", input.len())));
    }
    let text = std::str::from_utf8(input).map_err(|e| not_utf8(input, e.valid_up_to()))?;
    let body_start = if text.starts_with(BOM) { BOM.len_utf8() } else { 0 };
    let body = &text[body_start..];
    let mut notes = Vec::new();
    let (format, raws, unparsed) = match format {
        Format::Dotenv => dotenv(text),
        Format::Json => json(text, body_start).map(|raws| (Format::Json, raws, Vec::new()))?,
        Format::Auto if body.trim_start().starts_with('{') => match json(text, body_start) {
            Ok(raws) => (Format::Json, raws, Vec::new()),
            Err(e) if e.code() == ErrorCode::ImportInputTooLarge => return Err(e),
            Err(e) => {
                // Not an error: a dotenv file may start with `{` by accident,
                // and what was not understood is listed line by line anyway.
                notes.push(format!("Read as dotenv: {}.", e.message()));
                dotenv(text)
            }
        },
        Format::Auto => dotenv(text),
    };
    if raws.len() > MAX_ENTRIES {
        return Err(too_large(format!("the input has {} entries; the limit is {MAX_ENTRIES}", raws.len())));
    }
    let (entries, rejected) = resolve(raws);
    Ok(Parsed { format, entries, rejected, unparsed, notes })
}

fn too_large(message: String) -> Error {
    Error::new(ErrorCode::ImportInputTooLarge, message)
}

fn not_utf8(input: &[u8], valid_up_to: usize) -> Error {
    let line = memchr::memchr_iter(b'\n', &input[..valid_up_to]).count() + 1;
    let utf16 = input.starts_with(&[0xFF, 0xFE]) || input.starts_with(&[0xFE, 0xFF]);
    let what = if utf16 { "UTF-16 text" } else { "not UTF-8 text" };
    Error::new(
        ErrorCode::ImportInputNotUtf8,
        format!("the input is {what} (line {line}, byte {valid_up_to})"),
    )
}

// --- dotenv -------------------------------------------------------------------

fn dotenv(text: &str) -> (Format, Vec<Raw>, Vec<Unparsed>) {
    let doc = Document::parse(text);
    let mut raws = Vec::new();
    let mut unparsed = Vec::new();
    for item in doc.items() {
        match item.kind() {
            ItemKind::Entry(e) => raws.push(Raw {
                key: e.key().to_owned(),
                first: line32(*e.lines().start()),
                last: line32(*e.lines().end()),
                // The parser's reading, not a copy of its rules: an import
                // and a later `.env` patch see the same values.
                value: RawValueKind::Text(
                    SecretString::from(e.value().expose_secret()),
                    e.value()
                        .expose_secret()
                        .contains("${")
                        .then_some("the value holds ${…}: it is stored as written, not expanded"),
                ),
            }),
            ItemKind::Opaque => {
                let reason = why_opaque(doc.expose_raw(item));
                unparsed.push(Unparsed::new(
                    line32(*item.lines().start()),
                    line32(*item.lines().end()),
                    reason,
                ));
            }
            ItemKind::Blank | ItemKind::Comment => {}
        }
    }
    (Format::Dotenv, raws, unparsed)
}

/// Why the dotenv parser kept a line opaque, from its text. Only a reason
/// comes out: the line itself may hold a secret.
fn why_opaque(line: &str) -> Reason {
    let line = line.trim_end_matches(['\n', '\r']);
    let Some(eq) = line.find('=') else { return Reason::NotAnAssignment };
    if line[..eq].trim().is_empty() {
        return Reason::MissingKey;
    }
    if line[eq + 1..].trim_start().starts_with(['"', '\'']) {
        return Reason::QuoteNotClosed;
    }
    Reason::MalformedKey
}

// --- JSON ---------------------------------------------------------------------

/// The top-level object's members in order, duplicates included, each value
/// as its raw text (a slice of the input).
struct Members;

impl<'de> Visitor<'de> for Members {
    type Value = Vec<(String, &'de RawValue)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(member) = map.next_entry::<String, &'de RawValue>()? {
            if out.len() >= MAX_ENTRIES {
                return Err(de::Error::custom("too many members"));
            }
            out.push(member);
        }
        Ok(out)
    }
}

/// Start of every line: byte offsets just after each `\n`.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Self {
        Lines(memchr::memchr_iter(b'\n', text.as_bytes()).collect())
    }

    /// 1-based line of a byte offset.
    fn of(&self, offset: usize) -> u32 {
        line32(self.0.partition_point(|&nl| nl < offset) + 1)
    }
}

fn json(text: &str, body_start: usize) -> Result<Vec<Raw>> {
    let body = &text[body_start..];
    let mut de = serde_json::Deserializer::from_str(body);
    let members = de.deserialize_map(Members).and_then(|m| de.end().map(|()| m)).map_err(json_error)?;
    let lines = Lines::new(text);
    let mut raws = Vec::with_capacity(members.len());
    for (key, raw) in members {
        let v = raw.get();
        // `raw` borrows from `body`; its position gives the line. The
        // fallback only guards against a serde_json that copies.
        let at = (v.as_ptr() as usize).checked_sub(body.as_ptr() as usize).filter(|&o| o <= body.len());
        let (first, last) = match at {
            Some(o) => {
                // The key is on the line of the last non-blank before `:`.
                let key_end = body[..o].trim_end().strip_suffix(':').unwrap_or(&body[..o]).trim_end().len();
                let start = body_start + key_end.saturating_sub(1);
                (lines.of(start), lines.of(body_start + o + v.len().saturating_sub(1)))
            }
            None => (0, 0),
        };
        let value = match v.as_bytes().first() {
            Some(b'"') => match serde_json::from_str::<String>(v) {
                Ok(s) => RawValueKind::Text(SecretString::new(s), None),
                Err(e) => return Err(json_error(e)),
            },
            Some(b'{') => RawValueKind::Refused(Reason::NestedObject),
            Some(b'[') => RawValueKind::Refused(Reason::NestedArray),
            Some(b'n') => RawValueKind::Refused(Reason::NullValue),
            Some(b't' | b'f') => {
                RawValueKind::Text(SecretString::from(v), Some("a JSON true/false, stored as that text"))
            }
            // A number, kept as spelled (`1e3` stays `1e3`, big integers
            // keep every digit): a PIN or account number must not change.
            _ => RawValueKind::Text(SecretString::from(v), Some("a JSON number, stored as written")),
        };
        raws.push(Raw { key, first, last, value });
    }
    Ok(raws)
}

/// A JSON error in our words: serde_json's own message can quote the text
/// (`invalid type: string "…"`), which may be a secret.
fn json_error(e: serde_json::Error) -> Error {
    use serde_json::error::Category;
    let at = format!("line {}, column {}", e.line(), e.column());
    let message = match e.classify() {
        Category::Syntax => format!("is not valid JSON ({at})"),
        Category::Eof => format!("ends before the JSON object does ({at})"),
        Category::Data if e.to_string().starts_with("too many members") => {
            return too_large(format!("the JSON object has more than {MAX_ENTRIES} members"));
        }
        Category::Data => format!("is not a JSON object of strings ({at})"),
        Category::Io => format!("could not be read ({at})"),
    };
    Error::new(ErrorCode::ImportInvalidJson, format!("the text {message}"))
}

// --- duplicates and checks ------------------------------------------------------

/// Resolve duplicates (the last assignment wins, as in every dotenv reader
/// and JavaScript's `JSON.parse`), then check each survivor.
fn resolve(raws: Vec<Raw>) -> (Vec<ParsedEntry>, Vec<Rejected>) {
    let mut last: FxHashMap<&str, usize> = FxHashMap::default();
    for (i, r) in raws.iter().enumerate() {
        last.insert(r.key.as_str(), i);
    }
    let mut superseded: Vec<Vec<u32>> = vec![Vec::new(); raws.len()];
    for (i, r) in raws.iter().enumerate() {
        let winner = last.get(r.key.as_str()).copied().unwrap_or(i);
        if winner != i {
            superseded[winner].push(r.first);
        }
    }
    let keep: Vec<bool> = (0..raws.len()).map(|i| last.get(raws[i].key.as_str()) == Some(&i)).collect();
    drop(last);
    let mut entries = Vec::new();
    let mut rejected = Vec::new();
    for ((raw, superseded_lines), keep) in raws.into_iter().zip(superseded).zip(keep) {
        if !keep {
            continue;
        }
        match check(&raw) {
            Ok(mut warnings) => {
                let RawValueKind::Text(value, note) = raw.value else { continue };
                warnings.extend(note.map(str::to_owned));
                entries.push(ParsedEntry {
                    key_name: raw.key,
                    first: raw.first,
                    last: raw.last,
                    value,
                    superseded_lines,
                    warnings,
                });
            }
            Err(reason) => rejected.push(Rejected {
                key_name: displayable_key(&raw.key, reason),
                line: raw.first,
                last_line: raw.last,
                reason,
                message: reason.message().to_owned(),
                superseded_lines,
            }),
        }
    }
    (entries, rejected)
}

/// Whether an assignment can be imported; its name advice if so.
fn check(raw: &Raw) -> std::result::Result<Vec<String>, Reason> {
    let Ok(mut warnings) = secrets::validate_key_name(&raw.key) else { return Err(Reason::InvalidKeyName) };
    // The advice starts with the key ("k: use K"); an entry already names it.
    let named = format!("{}: ", raw.key);
    for w in &mut warnings {
        if let Some(rest) = w.strip_prefix(&named) {
            *w = rest.to_owned();
        }
    }
    let value = match &raw.value {
        RawValueKind::Text(v, _) => Some(v.expose_secret()),
        RawValueKind::Refused(_) => None,
    };
    if looks_like_token(&raw.key, value) {
        return Err(Reason::KeyLooksLikeValue);
    }
    match &raw.value {
        RawValueKind::Refused(reason) => Err(*reason),
        RawValueKind::Text(v, _) => match secrets::check_value(v) {
            Ok(()) => Ok(warnings),
            Err(_) if v.len() > secrets::MAX_VALUE_LEN => Err(Reason::ValueTooLarge),
            Err(_) if v.expose_secret().contains('\0') => Err(Reason::ValueHasNul),
            Err(_) => Err(Reason::EmptyValue),
        },
    }
}

/// A valid env var name that is more likely a pasted token. Env var names
/// are snake case; a token is not: 20+ characters mixing upper, lower and
/// digits without one `_`, or base64 whose `=` padding reads as
/// `TOKEN=` + `=` (or `==`).
fn looks_like_token(key: &str, value: Option<&str>) -> bool {
    let has = |f: fn(&u8) -> bool| key.as_bytes().iter().any(f);
    let no_underscore = !key.contains('_');
    let mixed = has(u8::is_ascii_uppercase) && has(u8::is_ascii_lowercase);
    let padding = matches!(value, Some("=" | "=="));
    no_underscore && mixed && ((key.len() >= 20 && has(u8::is_ascii_digit)) || (padding && key.len() >= 8))
}

/// The key of a rejected entry, when it is safe to show: a word-like name
/// (`my-key`, `app.port`, `ключ`) is; anything with other characters (a
/// URL with credentials, a token) or that redaction would mask is not.
fn displayable_key(key: &str, reason: Reason) -> Option<String> {
    let wordish = !key.is_empty()
        && key.chars().count() <= MAX_KEY_NAME_LEN
        && key.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
    (reason != Reason::KeyLooksLikeValue && wordish && crate::redact::redact(key) == key)
        .then(|| key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_lines_get_a_reason() {
        assert_eq!(why_opaque("JUST_A_WORD\n"), Reason::NotAnAssignment);
        assert_eq!(why_opaque("API_KEY: abc\r\n"), Reason::NotAnAssignment);
        assert_eq!(why_opaque("  =value"), Reason::MissingKey);
        assert_eq!(why_opaque("export =\"open"), Reason::QuoteNotClosed, "the key `export`");
        assert_eq!(why_opaque("A=\"open"), Reason::QuoteNotClosed);
        assert_eq!(why_opaque("A = 'x' junk"), Reason::QuoteNotClosed);
        assert_eq!(why_opaque("MY KEY=1"), Reason::MalformedKey);
    }

    #[test]
    fn tokens_are_not_taken_for_names() {
        assert!(looks_like_token("dGhpcyBpcyBhIHNlY3JldA", Some("=")), "base64 with padding");
        assert!(looks_like_token("Zx9Qw3Er7Ty1Ui5Op2As6Df4", Some("x")));
        assert!(!looks_like_token("myVeryLongCamelCaseName", Some("value")), "no digit: a name");
        assert!(!looks_like_token("OPENAI_API_KEY", Some("=")));
        assert!(!looks_like_token("SERVICE_000123_API_KEY_EXTRA", Some("x")));
        assert!(!looks_like_token("myLocalToken", Some("x")));
        assert!(!looks_like_token("PASSWORD", Some("==")), "one case: a name");
    }

    #[test]
    fn only_word_like_keys_are_shown() {
        assert_eq!(displayable_key("my-key", Reason::InvalidKeyName).as_deref(), Some("my-key"));
        assert_eq!(displayable_key("ключ", Reason::InvalidKeyName).as_deref(), Some("ключ"));
        assert_eq!(displayable_key("https://u:pw@host/?a", Reason::InvalidKeyName), None);
        assert_eq!(displayable_key("sk-proj-Zx9Qw3Er7Ty1Ui5Op2As6Df4", Reason::InvalidKeyName), None);
        assert_eq!(displayable_key("a\u{1b}[2J", Reason::InvalidKeyName), None, "no terminal escapes");
    }

    #[test]
    fn lines_of_offsets() {
        let l = Lines::new("a\nbc\n\nd");
        assert_eq!([l.of(0), l.of(1), l.of(2), l.of(5), l.of(6)], [1, 1, 2, 3, 4]);
    }
}
