//! The masked preview: documents rendered with every value replaced by a
//! mask, and a unified diff of two such renderings.
//!
//! Masking keeps the line structure (a multi-line value gets one mask per
//! line) so the diff's line numbers are the file's. Values are masked with
//! [`MASK`]; values the plan writes are masked with [`NEW_MASK`] so that an
//! update shows as a changed line. Comments and inline comments go through
//! [`crate::redact::redact`]; an opaque line keeps what precedes its first
//! `=` and is masked after it (an unterminated quote is still a value), or
//! is redacted when it has no `=`. Line endings are shown as `\n`.

use std::collections::HashSet;

use super::parse::{Document, ItemKind, Quote};
use crate::redact::redact;

/// What an existing value looks like in a preview.
pub const MASK: &str = "••••••";
/// What a value the plan writes (added or updated) looks like in a preview.
pub const NEW_MASK: &str = "••••••(new)";

/// Push `line` (no terminator) and a `\n` terminator if `ended`.
fn push_line(out: &mut String, line: &str, ended: bool) {
    out.push_str(line.strip_suffix('\r').unwrap_or(line));
    if ended {
        out.push('\n');
    }
}

/// Push text that may span lines, redacted line by line.
fn push_redacted(out: &mut String, text: &str) {
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        let ended = lines.peek().is_some();
        if line.trim().is_empty() || super::generate::is_own_header(line) {
            push_line(out, line, ended);
        } else {
            push_line(out, &redact(line), ended);
        }
    }
}

/// `doc` with every value masked; the effective entries of the keys in
/// `fresh` get [`NEW_MASK`].
pub(crate) fn mask_document(doc: &Document, fresh: &HashSet<&str>) -> String {
    let text = doc.expose_text();
    let mut out = String::with_capacity(text.len());
    let last_of_fresh: HashSet<usize> = if fresh.is_empty() {
        HashSet::new()
    } else {
        let mut last = std::collections::HashMap::new();
        for (i, item) in doc.items().iter().enumerate() {
            if let Some(e) = item.entry().filter(|e| fresh.contains(e.key())) {
                last.insert(e.key(), i);
            }
        }
        last.into_values().collect()
    };
    for (i, item) in doc.items().iter().enumerate() {
        let raw = doc.expose_raw(item);
        let span = item.span();
        match item.kind() {
            ItemKind::Blank => push_redacted(&mut out, raw),
            ItemKind::Comment => push_redacted(&mut out, raw),
            ItemKind::Opaque => match raw.find('=') {
                Some(eq) => {
                    push_redacted(&mut out, &raw[..=eq]);
                    out.push_str(MASK);
                    if raw.ends_with('\n') {
                        out.push('\n');
                    }
                }
                None => push_redacted(&mut out, raw),
            },
            ItemKind::Entry(e) => {
                let mask = if last_of_fresh.contains(&i) { NEW_MASK } else { MASK };
                let v = e.value_span();
                out.push_str(&text[span.start..v.start]);
                let written = &text[v.clone()];
                match e.quote() {
                    Quote::None => out.push_str(mask),
                    quote => {
                        let q = if quote == Quote::Double { '"' } else { '\'' };
                        out.push(q);
                        let inner = &written[1..written.len() - 1];
                        for _ in 0..inner.matches('\n').count() {
                            out.push_str(mask);
                            out.push('\n');
                        }
                        out.push_str(mask);
                        out.push(q);
                    }
                }
                push_redacted(&mut out, &text[v.end..span.end]);
            }
        }
    }
    out
}

/// A unified diff (3 lines of context) of two masked renderings.
pub(crate) fn unified(before: &str, after: &str, name: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_value_and_keeps_lines() {
        let text = "# c ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8\r\nA=secret1 # note\nB=\"multi\nline\"\nC=\"open secret2\nplain line\n";
        let doc = Document::parse(text);
        let m = mask_document(&doc, &HashSet::new());
        for v in ["secret1", "multi", "line\"", "secret2", "A1b2C3"] {
            assert!(!m.contains(v), "{v} in {m}");
        }
        assert_eq!(m.lines().count(), text.lines().count());
        assert!(m.contains("A=•••••• # note\n"), "{m}");
        assert!(m.contains("B=\"••••••\n••••••\"\n"), "{m}");
        assert!(m.contains("C=••••••\n"), "{m}");
        assert!(m.contains("plain line\n"), "{m}");
        assert!(!m.contains('\r'));
    }

    #[test]
    fn keyclaves_own_header_is_shown_as_written_and_look_alikes_are_redacted() {
        let text = "# Generated by KeyClave on 2026-12-03T07:55:08Z.\r\n\
                    # It holds secrets: keep it out of version control.\n\
                    # Generated by KeyClave on sk_live_zqxNOTATIME000000000000.\n\
                    # password: zqxLOOKALIKE0000000000000\n";
        let m = mask_document(&Document::parse(text), &HashSet::new());
        assert!(m.starts_with(
            "# Generated by KeyClave on 2026-12-03T07:55:08Z.\n# It holds secrets: keep it out of version control.\n"
        ), "{m}");
        assert!(!m.contains("zqx"), "{m}");
    }
}
