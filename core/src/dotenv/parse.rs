//! The lossless parser: [`Document::parse`] splits any text into items
//! (blank lines, comments, entries, opaque lines) whose raw slices, printed
//! in order after an optional BOM, give the input back byte for byte.
//!
//! The reading rules are in the [module documentation](super).

use std::fmt;
use std::ops::{Range, RangeInclusive};

use zeroize::Zeroizing;

use crate::crypto::SecretString;

/// The UTF-8 byte order mark, kept when a file starts with one.
pub const BOM: char = '\u{FEFF}';

/// How an entry's value is quoted in the file.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quote {
    /// Bare: `KEY=value` (trimmed; a ` #comment` after it is not part of it).
    None,
    /// `KEY='value'`: literal, no escapes.
    Single,
    /// `KEY="value"`: with `\n`, `\"`, `\\`, `\t`… escapes.
    Double,
}

/// The terminator of a line.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineEnding {
    /// `\n`.
    Lf,
    /// `\r\n`.
    CrLf,
    /// None: the last line of a file that does not end with a newline.
    None,
}

impl LineEnding {
    /// The terminator's bytes (`""` for [`LineEnding::None`]).
    pub fn as_str(self) -> &'static str {
        match self {
            LineEnding::Lf => "\n",
            LineEnding::CrLf => "\r\n",
            LineEnding::None => "",
        }
    }
}

/// One `KEY=value` assignment, possibly spanning several lines (a quoted
/// value with newlines in it).
pub struct Entry {
    pub(crate) key: Range<usize>,
    pub(crate) exported: bool,
    pub(crate) quote: Quote,
    /// The value as written, quotes included (bare: trimmed, no comment).
    pub(crate) value_raw: Range<usize>,
    pub(crate) value: SecretString,
    lines: RangeInclusive<usize>,
    key_text: String,
}

impl Entry {
    /// The key, e.g. `GITHUB_TOKEN`.
    pub fn key(&self) -> &str {
        &self.key_text
    }

    /// The value as a reader of the file gets it (quotes removed, escapes
    /// decoded, `${VAR}` left as written).
    pub fn value(&self) -> &SecretString {
        &self.value
    }

    /// How the value is quoted.
    pub fn quote(&self) -> Quote {
        self.quote
    }

    /// 1-based line numbers it covers (first and last).
    pub fn lines(&self) -> RangeInclusive<usize> {
        self.lines.clone()
    }

    /// Whether the line starts with `export `.
    pub fn exported(&self) -> bool {
        self.exported
    }

    /// Byte range of the key in the document's text.
    pub fn key_span(&self) -> Range<usize> {
        self.key.clone()
    }

    /// Byte range of the value as written (quotes included; for a bare value,
    /// without surrounding spaces and comment) in the document's text.
    pub fn value_span(&self) -> Range<usize> {
        self.value_raw.clone()
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("key", &self.key_text)
            .field("exported", &self.exported)
            .field("quote", &self.quote)
            .field("lines", &self.lines)
            .field("value", &self.value)
            .finish()
    }
}

/// What an item is.
#[derive(Debug)]
pub enum ItemKind {
    /// An empty line or one of spaces and tabs only.
    Blank,
    /// A line whose first non-blank character is `#`.
    Comment,
    /// An assignment.
    Entry(Entry),
    /// A line the parser does not understand (no `=`, an unterminated
    /// quote, text after a closing quote…): kept verbatim, never patched.
    Opaque,
}

/// One item of a document: one line, or several for a multi-line value.
#[derive(Debug)]
pub struct Item {
    pub(crate) span: Range<usize>,
    pub(crate) lines: RangeInclusive<usize>,
    pub(crate) ending: LineEnding,
    pub(crate) kind: ItemKind,
}

impl Item {
    /// What it is.
    pub fn kind(&self) -> &ItemKind {
        &self.kind
    }

    /// The entry, if it is one.
    pub fn entry(&self) -> Option<&Entry> {
        match &self.kind {
            ItemKind::Entry(e) => Some(e),
            _ => None,
        }
    }

    /// Byte range in the document's text, line terminator included.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// 1-based line numbers it covers (first and last).
    pub fn lines(&self) -> RangeInclusive<usize> {
        self.lines.clone()
    }

    /// The terminator of its last line.
    pub fn line_ending(&self) -> LineEnding {
        self.ending
    }
}

/// A parsed `.env` file: the original text and its items.
///
/// The text holds secrets: it is wiped when the document is dropped, and
/// neither `Debug` nor any error shows it.
pub struct Document {
    text: Zeroizing<String>,
    bom: bool,
    items: Vec<Item>,
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("bytes", &self.text.len())
            .field("bom", &self.bom)
            .field("items", &self.items.len())
            .finish()
    }
}

impl Default for Document {
    fn default() -> Self {
        Document::parse("")
    }
}

impl Document {
    /// Parse any text. Never fails: what is not understood is kept as
    /// [`ItemKind::Opaque`].
    pub fn parse(text: &str) -> Document {
        Document::parse_owned(Zeroizing::new(text.to_owned()))
    }

    /// [`Document::parse`] without copying the text.
    pub(crate) fn parse_owned(text: Zeroizing<String>) -> Document {
        let bom = text.starts_with(BOM);
        let start = if bom { BOM.len_utf8() } else { 0 };
        let items = Parser { text: &text, line: 1 }.run(start);
        Document { text, bom, items }
    }

    /// The text back, byte for byte: the BOM (if any) then every item's raw
    /// slice in order.
    pub fn print(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(self.text.len()));
        if self.bom {
            out.push(BOM);
        }
        for item in &self.items {
            out.push_str(&self.text[item.span.clone()]);
        }
        out
    }

    /// The original text (it holds secrets).
    pub fn expose_text(&self) -> &str {
        &self.text
    }

    /// Whether the text starts with a UTF-8 byte order mark.
    pub fn has_bom(&self) -> bool {
        self.bom
    }

    /// Every item in order.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// Every entry in order, duplicates included.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.items.iter().filter_map(Item::entry)
    }

    /// The effective entry for a key: the last one, as readers of the file
    /// use the last assignment.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.items.iter().rev().filter_map(Item::entry).find(|e| e.key() == key)
    }

    /// Items the parser did not understand (kept verbatim, never patched).
    pub fn opaque_items(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(|i| matches!(i.kind, ItemKind::Opaque))
    }

    /// The raw text of an item (it may hold a secret).
    pub fn expose_raw(&self, item: &Item) -> &str {
        self.text.get(item.span.clone()).unwrap_or("")
    }

    /// Whether the text ends with a line terminator (or is empty).
    pub fn ends_with_newline(&self) -> bool {
        self.items.last().is_none_or(|i| i.ending != LineEnding::None)
    }

    /// The line ending most lines use; `\n` when none has one or on a tie.
    pub fn dominant_line_ending(&self) -> LineEnding {
        let (mut lf, mut crlf) = (0usize, 0usize);
        let bytes = self.text.as_bytes();
        for i in memchr::memchr_iter(b'\n', bytes) {
            if i > 0 && bytes[i - 1] == b'\r' {
                crlf += 1;
            } else {
                lf += 1;
            }
        }
        if crlf > lf { LineEnding::CrLf } else { LineEnding::Lf }
    }
}

/// The end of the physical line that starts at `pos`: (end of content,
/// end including the terminator, terminator).
fn line_bounds(text: &str, pos: usize) -> (usize, usize, LineEnding) {
    match memchr::memchr(b'\n', &text.as_bytes()[pos..]) {
        Some(off) => {
            let nl = pos + off;
            if nl > pos && text.as_bytes()[nl - 1] == b'\r' {
                (nl - 1, nl + 1, LineEnding::CrLf)
            } else {
                (nl, nl + 1, LineEnding::Lf)
            }
        }
        None => (text.len(), text.len(), LineEnding::None),
    }
}

fn is_hspace(c: char) -> bool {
    c != '\n' && c != '\r' && c.is_whitespace()
}

/// Index of the first character of `s[from..]` that is not horizontal
/// whitespace (absolute).
fn skip_hspace(s: &str, from: usize) -> usize {
    s[from..].find(|c: char| !is_hspace(c)).map_or(s.len(), |i| from + i)
}

struct Parser<'a> {
    text: &'a str,
    /// 1-based number of the line at the current position.
    line: usize,
}

impl Parser<'_> {
    fn run(mut self, mut pos: usize) -> Vec<Item> {
        let mut items = Vec::new();
        while pos < self.text.len() {
            let item = self.item_at(pos);
            pos = item.span.end;
            self.line = *item.lines.end() + 1;
            items.push(item);
        }
        items
    }

    fn item_at(&self, pos: usize) -> Item {
        let (content_end, end, ending) = line_bounds(self.text, pos);
        let one_line = |kind| Item { span: pos..end, lines: self.line..=self.line, ending, kind };
        let content = &self.text[pos..content_end];
        let first = skip_hspace(content, 0);
        if first == content.len() {
            return one_line(ItemKind::Blank);
        }
        if content[first..].starts_with('#') {
            return one_line(ItemKind::Comment);
        }
        match self.entry_at(pos, pos + first, content_end) {
            Some(item) => item,
            None => one_line(ItemKind::Opaque),
        }
    }

    /// Read an assignment starting at `start` (first non-blank character of
    /// the line at `line_start`); `None` if it is not one.
    fn entry_at(&self, line_start: usize, start: usize, content_end: usize) -> Option<Item> {
        let t = self.text;
        let mut pos = start;
        let mut exported = false;
        if let Some(rest) = t[pos..content_end].strip_prefix("export") {
            if rest.starts_with(is_hspace) {
                let after = skip_hspace(&t[..content_end], pos + "export".len());
                // `export =1` is the key `export` followed by spaces.
                if after < content_end && !t[after..].starts_with('=') {
                    exported = true;
                    pos = after;
                }
            }
        }
        // A key in single quotes (`'a'=b`, as python-dotenv reads it) is
        // its text between them, any character but `'`.
        let (key, key_end) = if t[pos..content_end].starts_with('\'') {
            let len = t[pos + 1..content_end].find('\'')?;
            if len == 0 {
                return None;
            }
            (pos + 1..pos + 1 + len, pos + len + 2)
        } else {
            let len = t[pos..content_end].find(|c: char| c == '=' || c == '#' || c.is_whitespace())?;
            if len == 0 {
                return None;
            }
            (pos..pos + len, pos + len)
        };
        pos = skip_hspace(&t[..content_end], key_end);
        if !t[pos..content_end].starts_with('=') {
            return None;
        }
        let after_eq = pos + 1;
        let value_start = skip_hspace(&t[..content_end], after_eq);
        let quote = match t[value_start..content_end].chars().next() {
            Some('"') => Quote::Double,
            Some('\'') => Quote::Single,
            _ => Quote::None,
        };
        let key_text = t[key.clone()].to_owned();
        if quote == Quote::None {
            let rest = &t[after_eq..content_end];
            // A comment starts at a `#` preceded by whitespace.
            let mut comment = rest.len();
            let mut prev = None;
            for (i, c) in rest.char_indices() {
                if c == '#' && prev.is_some_and(is_hspace) {
                    comment = i;
                    break;
                }
                prev = Some(c);
            }
            let value_end = after_eq + rest[..comment].trim_end_matches(is_hspace).len();
            let value_start = value_start.min(value_end);
            let (_, end, ending) = line_bounds(t, line_start);
            return Some(Item {
                span: line_start..end,
                lines: self.line..=self.line,
                ending,
                kind: ItemKind::Entry(Entry {
                    key,
                    exported,
                    quote,
                    value_raw: value_start..value_end,
                    value: SecretString::from(&t[value_start..value_end]),
                    lines: self.line..=self.line,
                    key_text,
                }),
            });
        }
        // Quoted: find the closing quote, possibly on a later line. In both
        // quotes a backslash escapes the next character (python-dotenv).
        let q = if quote == Quote::Double { b'"' } else { b'\'' };
        let bytes = t.as_bytes();
        let mut i = value_start + 1;
        let close = loop {
            let off = memchr::memchr2(q, b'\\', &bytes[i..])?;
            let at = i + off;
            if bytes[at] == b'\\' {
                // An escape: whatever follows is not a closing quote.
                i = at + 2;
                if i > bytes.len() {
                    return None;
                }
            } else {
                break at;
            }
        };
        // After the closing quote: blanks, then an optional comment.
        let (close_content_end, end, ending) = line_bounds(t, close);
        let tail_start = skip_hspace(&t[..close_content_end], close + 1);
        if tail_start < close_content_end && !t[tail_start..].starts_with('#') {
            return None;
        }
        let inner = &t[value_start + 1..close];
        let value = match quote {
            Quote::Double => SecretString::new(unescape_double(inner)),
            _ => SecretString::new(unescape_single(inner)),
        };
        let extra_lines = memchr::memchr_iter(b'\n', &bytes[line_start..close]).count();
        Some(Item {
            span: line_start..end,
            lines: self.line..=self.line + extra_lines,
            ending,
            kind: ItemKind::Entry(Entry {
                key,
                exported,
                quote,
                value_raw: value_start..close + 1,
                value,
                lines: self.line..=self.line + extra_lines,
                key_text,
            }),
        })
    }
}

/// Decode the escapes of a single-quoted value: `\'` and `\\` only; any
/// other backslash is kept as written.
pub(crate) fn unescape_single(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(&next @ ('\'' | '\\'))) => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// Decode the escapes of a double-quoted value: `\n \r \t \" \\ \' \a \b
/// \f \v`; any other backslash is kept as written.
pub(crate) fn unescape_double(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('\'') => out.push('\''),
            Some('a') => out.push('\u{7}'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> (String, Quote, bool) {
        let doc = Document::parse(text);
        let e = doc.entries().next().unwrap_or_else(|| panic!("no entry in {text:?}"));
        (e.value().expose_secret().to_owned(), e.quote(), e.exported())
    }

    fn kinds(text: &str) -> Vec<&'static str> {
        Document::parse(text)
            .items()
            .iter()
            .map(|i| match i.kind() {
                ItemKind::Blank => "blank",
                ItemKind::Comment => "comment",
                ItemKind::Entry(_) => "entry",
                ItemKind::Opaque => "opaque",
            })
            .collect()
    }

    #[test]
    fn reads_values_like_python_dotenv() {
        assert_eq!(one("A=plain").0, "plain");
        assert_eq!(one("A =  spaced out  ").0, "spaced out");
        assert_eq!(one("A=x # comment").0, "x");
        assert_eq!(one("A=x#not-a-comment").0, "x#not-a-comment");
        assert_eq!(one("A=#literal").0, "#literal");
        assert_eq!(one("A= #comment").0, "");
        assert_eq!(one("A=").0, "");
        assert_eq!(one("A=a=b=c").0, "a=b=c");
        assert_eq!(one("A='lit \\n $X'"), ("lit \\n $X".into(), Quote::Single, false));
        assert_eq!(one(r#"A="a\nb\t\"c\" \\ \x""#).0, "a\nb\t\"c\" \\ \\x");
        assert_eq!(one("A=${HOME}/x").0, "${HOME}/x");
        assert_eq!(one("A=\"${HOME}\"").0, "${HOME}");
        assert_eq!(one("export A=1"), ("1".into(), Quote::None, true));
        assert!(one("export\tA=1").2);
        assert_eq!(one("\tA\t=\t1\t").0, "1");
        assert_eq!(one("A=\"x\" # c").0, "x");
        assert_eq!(one("A=\"x\"#c").0, "x");
        assert_eq!(one("ключ=значение").0, "значение");
        assert_eq!(Document::parse("export=1").get("export").map(|e| e.exported()), Some(false));
    }

    #[test]
    fn python_dotenv_syntaxes_quoted_keys_and_escaped_single_quotes() {
        let doc = Document::parse("'a'=b\n export 'c d'=e\n'f'  =  g\n");
        let got: Vec<(&str, &str)> = doc.entries().map(|e| (e.key(), e.value().expose_secret())).collect();
        assert_eq!(got, [("a", "b"), ("c d", "e"), ("f", "g")]);
        assert!(doc.get("c d").is_some_and(Entry::exported));
        assert_eq!(kinds("''=x\n'open=x\n"), ["opaque", "opaque"]);
        // Inside single quotes `\'` and `\\` are escapes; other backslashes stay.
        assert_eq!(one(r"a='b\'c'").0, "b'c");
        assert_eq!(one(r"a='x\\y'").0, r"x\y");
        assert_eq!(one(r"a='C:\path\n'").0, r"C:\path\n");
        assert_eq!(kinds(r"a='ends\'"), ["opaque"]);
        // The text still prints back as it was.
        let text = "'a'=b\na='b\\'c'\n";
        assert_eq!(Document::parse(text).print().as_str(), text);
    }

    #[test]
    fn a_lone_carriage_return_is_content_not_a_line_break() {
        // A deliberate difference from python-dotenv (README).
        let doc = Document::parse("a=b\rc=d\n");
        assert_eq!(doc.get("a").map(|e| e.value().expose_secret()), Some("b\rc=d"));
        assert!(doc.get("c").is_none());
    }

    #[test]
    fn multi_line_and_unterminated_quotes() {
        let doc = Document::parse("A=\"one\ntwo\"\nB='x\r\ny'\r\nC=3\n");
        assert_eq!(doc.get("A").map(|e| e.value().expose_secret()), Some("one\ntwo"));
        assert_eq!(doc.get("B").map(|e| e.value().expose_secret()), Some("x\r\ny"));
        assert_eq!(doc.items()[0].lines(), 1..=2);
        assert_eq!(doc.get("A").map(Entry::lines), Some(1..=2));
        assert_eq!(doc.items()[1].lines(), 3..=4);
        assert_eq!(doc.items()[2].lines(), 5..=5);
        assert_eq!(kinds("A=\"open\nB=2\n"), ["opaque", "entry"]);
        assert_eq!(kinds("A='open\n"), ["opaque"]);
        assert_eq!(kinds("A=\"x\" junk\nB=1"), ["opaque", "entry"]);
        assert_eq!(kinds("A=\"ends with backslash\\"), ["opaque"]);
        assert_eq!(kinds("JUST_A_WORD\n=1\n# c\n  \n"), ["opaque", "opaque", "comment", "blank"]);
    }

    #[test]
    fn keeps_bom_crlf_and_missing_newline() {
        let text = "\u{FEFF}A=1\r\nB=2\nC=3";
        let doc = Document::parse(text);
        assert!(doc.has_bom());
        assert_eq!(doc.print().as_str(), text);
        let endings: Vec<_> = doc.items().iter().map(Item::line_ending).collect();
        assert_eq!(endings, [LineEnding::CrLf, LineEnding::Lf, LineEnding::None]);
        assert!(!doc.ends_with_newline());
        assert_eq!(doc.get("A").map(|e| e.value().expose_secret()), Some("1"));
        assert_eq!(Document::parse("a\r\nb\r\nc\n").dominant_line_ending(), LineEnding::CrLf);
        assert_eq!(Document::parse("").dominant_line_ending(), LineEnding::Lf);
    }

    #[test]
    fn debug_never_shows_values() {
        let doc = Document::parse("A=hunter2hunter2\n");
        let d = format!("{doc:?} {:?}", doc.entries().collect::<Vec<_>>());
        assert!(!d.contains("hunter2"), "{d}");
    }
}
