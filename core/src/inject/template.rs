//! Templates with vault references, as `op inject` does: every
//! `{{ keyclave://provider/KEY }}` (or `{{ keyclave://KEY }}` when the name
//! is under one provider) is replaced by the secret's value; any other
//! text, other `{{ … }}` included, is copied as it is.
//!
//! Rendering hands values out (reveal policy, purpose template) and records
//! one `secret.inject` event with the key names, never the values. A
//! reference to a secret the vault does not hold is an error naming its
//! line: nothing is rendered half.

use regex::Regex;
use serde_json::json;
use std::sync::LazyLock;

use super::KeyRef;
use crate::audit::EventType;
use crate::crypto::SecretString;
use crate::error::{Error, Result};
use crate::reveal::{self, Purpose};
use crate::secrets::{self, SecretSummary};
use crate::vault::Vault;

/// `{{`, blanks, `keyclave://`, the reference, blanks, `}}`.
static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\{\{[ \t]*keyclave://([^\s{}]*)[ \t]*\}\}").expect("static pattern is valid")
});

/// One reference in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// 1-based line of the reference.
    pub line: usize,
    /// The secret it names.
    pub key: KeyRef,
    /// Byte range of the whole `{{ … }}` in the template.
    span: std::ops::Range<usize>,
}

/// A rendered template.
#[derive(Debug)]
pub struct Rendered {
    /// The text with every reference filled in (it holds values).
    pub text: SecretString,
    /// How many references were filled.
    pub references: usize,
}

/// The references in `template`, in order; `input.invalid` naming the line
/// of one that is not `provider/KEY` or `KEY`.
pub fn references(template: &str) -> Result<Vec<Reference>> {
    // Lines counted from the previous match on, not from the start each
    // time: a large template with many references stays linear.
    let (mut line, mut counted) = (1, 0);
    REFERENCE
        .captures_iter(template)
        .map(|c| {
            let whole = c.get(0).expect("a match has group 0");
            line += memchr::memchr_iter(b'\n', &template.as_bytes()[counted..whole.start()]).count();
            counted = whole.start();
            let key: KeyRef = c[1].parse().map_err(|e: Error| {
                Error::invalid(format!("line {line}: {}", e.message())).with_suggestion(
                    "Write {{ keyclave://provider/KEY_NAME }}, e.g. {{ keyclave://github/GH_TOKEN }}.",
                )
            })?;
            Ok(Reference { line, key, span: whole.range() })
        })
        .collect()
}

/// Fill every reference of `template` with its secret's value. `code` is a
/// TOTP code when the reveal policy asks for one.
pub fn render(vault: &Vault, template: &str, code: Option<&str>) -> Result<Rendered> {
    let refs = references(template)?;
    // Every reference resolves before the policy is asked and any value
    // is decrypted: a typo costs no TOTP code.
    let found: Vec<SecretSummary> = refs
        .iter()
        .map(|r| {
            secrets::find(vault, &r.key.key_name, r.key.provider_id.as_deref())
                .map_err(|e| Error::new(e.code(), format!("line {}: {}", r.line, e.message())).with_suggestion(
                    "Check the name with `keyclave secret list`; write provider/KEY when it is under several providers.",
                ))
        })
        .collect::<Result<_>>()?;
    let grant = reveal::authorize(vault, Purpose::Template, code)?;
    let mut text = String::with_capacity(template.len());
    let mut last = 0;
    for (r, s) in refs.iter().zip(&found) {
        let value = secrets::decrypt(vault, s, &grant)?;
        text.push_str(&template[last..r.span.start]);
        text.push_str(value.expose_secret());
        last = r.span.end;
    }
    text.push_str(&template[last..]);
    let text = SecretString::new(text);
    let mut keys: Vec<String> = found.iter().map(|s| format!("{}/{}", s.provider_id, s.key_name)).collect();
    keys.sort();
    keys.dedup();
    vault.write_hand_out(|w| {
        w.record(
            EventType::SecretInject,
            json!({ "into": "template", "count": keys.len(), "key_names": keys }),
        )
    })?;
    Ok(Rendered { text, references: refs.len() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn references_are_found_with_their_lines() {
        let t = "a: {{ keyclave://github/GH_TOKEN }}\nb: {{keyclave://OPENAI_API_KEY}} and {{ other }}\n";
        let refs = references(t).unwrap();
        assert_eq!(refs.len(), 2);
        assert_eq!((refs[0].line, refs[0].key.provider_id.as_deref()), (1, Some("github")));
        assert_eq!((refs[1].line, refs[1].key.key_name.as_str()), (2, "OPENAI_API_KEY"));
        assert_eq!(&t[refs[0].span.clone()], "{{ keyclave://github/GH_TOKEN }}");
    }

    #[test]
    fn a_malformed_reference_names_its_line() {
        let e = references("ok\n\nx={{ keyclave://github/ }}").unwrap_err();
        assert_eq!(e.code(), ErrorCode::InputInvalid);
        assert!(e.message().starts_with("line 3:"), "{}", e.message());
    }

    #[test]
    fn text_without_references_has_none() {
        assert!(references("{{ name }} keyclave://x {{keyclave:/x}}").unwrap().is_empty());
    }
}
