//! Watched pages: the text of the part that matters (a CSS selector, else
//! `main`, else `article`, else the body), and what changed since the last
//! fetch — the added lines, which is what a person wants to read, with the
//! removed ones only when nothing was added.

use scraper::{Html, Selector};
use similar::{ChangeTag, TextDiff};

use super::parse::{bad, decode};
use crate::error::Result;

/// Widest line of extracted text.
const WIDTH: usize = 100;
/// Most changed lines kept in a snippet.
const MAX_LINES: usize = 40;

/// Whether `content_type` / the body say Markdown or plain text rather than HTML.
fn is_text(content_type: Option<&str>, text: &str) -> bool {
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    if ct.contains("markdown") || ct.starts_with("text/plain") {
        return true;
    }
    if ct.contains("html") {
        return false;
    }
    !text.trim_start().starts_with('<')
}

/// The watched text of a page: Markdown and plain text as they are, HTML
/// reduced to the text of `selector` (or `main`, `article`, `body`).
pub fn extract(body: &[u8], content_type: Option<&str>, selector: Option<&str>) -> Result<String> {
    let text = decode(body, content_type);
    if is_text(content_type, &text) {
        return Ok(normalise(&text));
    }
    let doc = Html::parse_document(&text);
    let wanted: Vec<&str> = match selector {
        Some(s) => vec![s],
        None => vec!["main", "article", "body"],
    };
    for w in wanted {
        let sel = Selector::parse(w).map_err(|_| bad(format!("{w:?} is not a CSS selector")))?;
        let parts: Vec<String> = doc.select(&sel).map(|el| el.html()).collect();
        if parts.is_empty() {
            continue;
        }
        let html = parts.join("\n");
        let text = html2text::config::plain()
            .string_from_read(html.as_bytes(), WIDTH)
            .map_err(|_| bad("the page's text could not be extracted"))?;
        return Ok(normalise(&text));
    }
    match selector {
        Some(s) => Err(bad(format!("nothing on the page matches the selector {s:?}"))),
        None => Ok(String::new()),
    }
}

/// Trailing spaces and runs of blank lines do not make a change.
fn normalise(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() && out.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// What changed from `old` to `new`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Change {
    /// Lines added (in page order).
    pub added: Vec<String>,
    /// Lines removed.
    pub removed: Vec<String>,
}

impl Change {
    /// Nothing changed (blank lines aside).
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }

    /// The snippet of a finding: the added lines, or the removed ones
    /// (marked) when nothing was added.
    pub fn snippet(&self) -> String {
        if self.added.is_empty() {
            let lines: Vec<String> =
                self.removed.iter().take(MAX_LINES).map(|l| format!("Removed: {l}")).collect();
            lines.join("\n")
        } else {
            self.added.iter().take(MAX_LINES).cloned().collect::<Vec<_>>().join("\n")
        }
    }
}

/// The line diff of two extracted texts (blank lines and moved lines ignored).
pub fn diff(old: &str, new: &str) -> Change {
    let d = TextDiff::from_lines(old, new);
    let mut change = Change::default();
    for c in d.iter_all_changes() {
        let line = c.value().trim();
        if line.is_empty() {
            continue;
        }
        match c.tag() {
            ChangeTag::Insert => change.added.push(line.to_owned()),
            ChangeTag::Delete => change.removed.push(line.to_owned()),
            ChangeTag::Equal => {}
        }
    }
    // A line that moved, or only changed its line ending, is no change.
    let mut i = 0;
    while i < change.added.len() {
        match change.removed.iter().position(|r| *r == change.added[i]) {
            Some(j) => {
                change.removed.remove(j);
                change.added.remove(i);
            }
            None => i += 1,
        }
    }
    change
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_is_watched_and_navigation_is_not() {
        let html = b"<html><body><nav>Home | Docs</nav><main><h1>Pricing</h1><p>GPT-x: $2 per 1M tokens</p></main></body></html>";
        let t = extract(html, Some("text/html"), None).unwrap();
        assert!(t.contains("GPT-x: $2 per 1M tokens"), "{t}");
        assert!(!t.contains("Home | Docs"), "{t}");
        let t = extract(html, Some("text/html"), Some("nav")).unwrap();
        assert!(t.contains("Home"), "{t}");
        assert!(extract(html, Some("text/html"), Some(".missing")).is_err());
    }

    #[test]
    fn the_added_lines_are_the_snippet() {
        let c = diff("a\nb\nc\n", "a\nb2\nc\nd\n");
        assert_eq!(c.added, vec!["b2", "d"]);
        assert_eq!(c.removed, vec!["b"]);
        assert_eq!(c.snippet(), "b2\nd");
        let gone = diff("a\nb\n", "a\n");
        assert_eq!(gone.snippet(), "Removed: b");
        assert!(diff("a\n\n\nb", "a\nb\n").is_empty());
    }
}
