//! Writing a value: which quoting round-trips it, and the quoted text.
//!
//! - Bare when every character is safe everywhere (no whitespace, quotes,
//!   `\`, `#`, `$`, backquote or control character).
//! - Single quotes when the value holds a `$` (so a reader that expands
//!   `${VAR}`, like python-dotenv or Docker Compose, leaves it alone) and no
//!   `'`, `\` or line break (python-dotenv decodes `\\` and `\'` inside
//!   single quotes, dotenvy does not: we avoid both).
//! - Double quotes otherwise, escaping `\`, `"`, line feeds, carriage
//!   returns and tabs. A `$` stays as written: no reader agrees on `\$`.

use super::parse::Quote;

fn is_bare_safe(value: &str) -> bool {
    value
        .chars()
        .all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '"' | '\'' | '`' | '\\' | '#' | '$'))
}

fn is_single_safe(value: &str) -> bool {
    !value.contains(['\'', '\\', '\n', '\r'])
}

/// The quoting a new value gets: `preferred` (the style the line had) when it
/// round-trips the value, else the first of bare, single (for `$`), double.
pub(crate) fn choose_quote(value: &str, preferred: Option<Quote>) -> Quote {
    match preferred {
        Some(Quote::Double) => return Quote::Double,
        Some(Quote::Single) if is_single_safe(value) => return Quote::Single,
        Some(Quote::None) if is_bare_safe(value) => return Quote::None,
        _ => {}
    }
    if is_bare_safe(value) {
        Quote::None
    } else if value.contains('$') && is_single_safe(value) {
        Quote::Single
    } else {
        Quote::Double
    }
}

/// Append `value` written with `quote` (which must round-trip it, as
/// [`choose_quote`] guarantees).
pub(crate) fn push_encoded(out: &mut String, value: &str, quote: Quote) {
    match quote {
        Quote::None => out.push_str(value),
        Quote::Single => {
            out.push('\'');
            out.push_str(value);
            out.push('\'');
        }
        Quote::Double => {
            out.push('"');
            for c in value.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '"' => out.push_str("\\\""),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dotenv::Document;
    use proptest::prelude::*;

    fn round_trip(value: &str, preferred: Option<Quote>) -> (Quote, String) {
        let q = choose_quote(value, preferred);
        let mut line = String::from("K=");
        push_encoded(&mut line, value, q);
        line.push_str(" # trailing comment\n");
        let doc = Document::parse(&line);
        let got = doc.get("K").map(|e| e.value().expose_secret().to_owned());
        (q, got.unwrap_or_else(|| panic!("unreadable: {line:?}")))
    }

    #[test]
    fn picks_the_simplest_quoting() {
        assert_eq!(choose_quote("abc-123_=/+.:@", None), Quote::None);
        assert_eq!(choose_quote("", None), Quote::None);
        assert_eq!(choose_quote("has space", None), Quote::Double);
        assert_eq!(choose_quote("${X}", None), Quote::Single);
        assert_eq!(choose_quote("it's $5", None), Quote::Double);
        assert_eq!(choose_quote("plain", Some(Quote::Double)), Quote::Double);
        assert_eq!(choose_quote("a b", Some(Quote::Single)), Quote::Single);
        assert_eq!(choose_quote("a'b", Some(Quote::Single)), Quote::Double);
        assert_eq!(choose_quote("a b", Some(Quote::None)), Quote::Double);
    }

    proptest! {
        #[test]
        fn every_value_round_trips(value in "\\PC*|[ -~\\n\\r\\t]*", pref in 0u8..4) {
            let preferred = [None, Some(Quote::None), Some(Quote::Single), Some(Quote::Double)][pref as usize];
            let (_, got) = round_trip(&value, preferred);
            prop_assert_eq!(got, value);
        }
    }
}
