//! The one redaction function. Errors, audit metadata, logs, events and
//! excerpts all pass through [`redact`] (or [`redact_json`]) before they are
//! shown or stored.
//!
//! It masks (1) known token shapes (`ghp_…`, `sk-…`, `AKIA…`, every value
//! prefix of the provider registry), (2) any value after `=` or `:` whose key
//! is a known env var or looks like one that holds a secret, and (3) long
//! high-entropy tokens. It errs on the side of masking.

use regex::{Captures, Regex};
use std::borrow::Cow;
use std::sync::LazyLock;

use crate::providers;

/// What a masked value is replaced with.
pub const MASK: &str = "[REDACTED]";

/// Token shapes with a recognisable prefix: the prefix is kept so the user
/// can tell which kind of key was masked.
static PREFIXED: LazyLock<Regex> = LazyLock::new(|| {
    let mut prefixes: Vec<String> = [
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "ghr_",
        "github_pat_",
        "sk-",
        "sk_live_",
        "sk_test_",
        "rk_live_",
        "rk_test_",
        "pk_live_",
        "pk_test_",
        "xoxb-",
        "xoxp-",
        "xoxa-",
        "xoxo-",
        "xoxr-",
        "xoxs-",
        "AKIA",
        "ASIA",
        "hf_",
        "r8_",
        "AIza",
        "SG.",
        "glpat-",
        "npm_",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for p in providers::all() {
        prefixes.extend(p.value_prefixes.iter().map(|s| s.to_string()));
    }
    // Longest first, so `sk-ant-` wins over `sk-`.
    prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
    prefixes.dedup();
    let alternation: Vec<String> = prefixes.iter().map(|p| regex::escape(p)).collect();
    let pattern = format!(r"(?:^|[^A-Za-z0-9])((?:{})[A-Za-z0-9_\-./+=]{{8,}})", alternation.join("|"));
    Regex::new(&pattern).expect("static redaction pattern is valid")
});

/// `KEY=value`, `KEY: value`, `"key": "value"` (value quoted or bare).
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(["']?)([A-Za-z_][A-Za-z0-9_.\-]*)(["']?)([ \t]*(?:=|:)[ \t]*)("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s,;'"}\]]+)"#,
    )
    .expect("static redaction pattern is valid")
});

/// Candidates for the high-entropy rule.
static LONG_TOKEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9_\-+/=]{24,}").expect("static redaction pattern is valid"));

static UUID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
        .expect("static redaction pattern is valid")
});

static UUID_ANYWHERE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        .expect("static redaction pattern is valid")
});

/// Words that mark a key as holding a secret even when it is not a known
/// provider env var (`DB_PASSWORD`, `client_secret`, `auth_token`).
const SECRET_WORDS: &[&str] = &[
    "KEY",
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "PWD",
    "AUTH",
    "CREDENTIAL",
    "PRIVATE",
    "SIGNATURE",
    "COOKIE",
    "SESSION",
    "DSN",
];

const METADATA_SUFFIXES: &[&str] =
    &["_NAME", "_NAMES", "_ID", "_IDS", "_COUNT", "_TYPE", "_AT", "_URL", "_LABEL", "_VERSION"];

/// Whether a key name (env var, JSON field) conventionally holds a secret.
pub fn is_secret_key_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if providers::for_key_name(&upper).is_some() {
        return true;
    }
    // Fields *about* a secret (`key_name`, `secret_id`, `token_count`) are
    // metadata, not values.
    if METADATA_SUFFIXES.iter().any(|s| upper.ends_with(s)) {
        return false;
    }
    SECRET_WORDS.iter().any(|w| upper.contains(w))
}

/// Shannon entropy in bits per character.
fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// A long token that looks random: at least two character classes and high
/// entropy. UUIDs (our own row ids) are kept.
fn looks_random(token: &str) -> bool {
    if UUID.is_match(token) {
        return false;
    }
    let classes = [
        token.bytes().any(|b| b.is_ascii_lowercase()),
        token.bytes().any(|b| b.is_ascii_uppercase()),
        token.bytes().any(|b| b.is_ascii_digit()),
    ]
    .iter()
    .filter(|&&c| c)
    .count();
    classes >= 2 && entropy(token) >= 3.5
}

/// Code that reads a value from the environment, as the start of an
/// assigned value (`api_key=os.environ["X"]` assigns no secret).
const ENV_READS: &[&str] = &[
    "os.environ",
    "os.getenv(",
    "process.env",
    "import.meta.env",
    "getenv(",
    "ENV[",
    "ENV.fetch(",
    "System.getenv(",
    "Deno.env",
    "env(",
];

/// Whether an assigned value is no secret at all: code reading the
/// environment, a whole `${NAME}` / `$NAME` reference, or a placeholder
/// (`...`, `<your key>`, `xxx`, `changeme`, `your-api-key`).
fn is_reference_or_placeholder(value: &str) -> bool {
    let bare = value.trim_matches(|c| c == '"' || c == '\'');
    let is_name = |s: &str| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    };
    // The assignment pattern stops a bare value at `}`: accept it missing.
    let reference = bare.strip_prefix("${").map(|r| r.strip_suffix('}').unwrap_or(r)).is_some_and(is_name)
        || bare.strip_prefix('$').is_some_and(is_name);
    let lower = bare.to_ascii_lowercase();
    let placeholder = bare.is_empty()
        || bare.chars().all(|c| c == '.' || c == '\u{2026}' || c == 'x' || c == 'X' || c == '*')
        || (bare.starts_with('<') && bare.ends_with('>'))
        || ["your-", "your_", "changeme", "replace-me", "replace_me"].iter().any(|p| lower.starts_with(p));
    reference || placeholder || ENV_READS.iter().any(|r| bare.starts_with(r))
}

/// Mask everything in `text` that looks like a secret value.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out: Cow<'_, str> = Cow::Borrowed(text);

    if ASSIGNMENT.is_match(&out) {
        let replaced = ASSIGNMENT.replace_all(&out, |c: &Captures<'_>| {
            let key = &c[2];
            let value = &c[5];
            if value == MASK || !is_secret_key_name(key) || is_reference_or_placeholder(value) {
                return c[0].to_string();
            }
            let quote = match value.chars().next() {
                Some(q @ ('"' | '\'')) => q.to_string(),
                _ => String::new(),
            };
            format!("{}{}{}{}{quote}{MASK}{quote}", &c[1], key, &c[3], &c[4])
        });
        out = Cow::Owned(replaced.into_owned());
    }

    if PREFIXED.is_match(&out) {
        out = Cow::Owned(redact_known_prefixes(&out).into_owned());
    }

    if LONG_TOKEN.is_match(&out) {
        let replaced = LONG_TOKEN.replace_all(&out, |c: &Captures<'_>| {
            let token = &c[0];
            // `NAME=value` run together: judge the value, keep the name.
            if let Some((name, value)) = token.split_once('=') {
                let env_name = name.len() >= 3
                    && name.contains('_')
                    && name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
                if env_name {
                    let masked =
                        value.len() >= 8 && looks_random(value) && !is_reference_or_placeholder(value);
                    return if masked { format!("{name}={MASK}") } else { token.to_string() };
                }
            }
            // A token holding one of our ids is a path (`profiles/<uuid>/…`):
            // judge its segments, not the whole.
            let random = if UUID_ANYWHERE.is_match(token) {
                token.split('/').any(|seg| seg.len() >= 24 && looks_random(seg))
            } else {
                looks_random(token)
            };
            if token.contains(MASK) || !random { token.to_string() } else { MASK.to_string() }
        });
        if let Cow::Owned(s) = replaced {
            out = Cow::Owned(s);
        }
    }
    out
}

/// Mask only tokens that start with a provider's known key prefix
/// (`ghp_…`, `sk-…`), keeping the prefix: for text whose long random-looking
/// parts are known not to be secrets (a commit hash in a repository URL).
pub fn redact_known_prefixes(text: &str) -> Cow<'_, str> {
    PREFIXED.replace_all(text, |c: &Captures<'_>| {
        let whole = &c[0];
        let token = &c[1];
        let lead = &whole[..whole.len() - token.len()];
        let prefix_len = prefix_of(token);
        format!("{lead}{}{MASK}", &token[..prefix_len])
    })
}

/// Length of the recognisable prefix of a masked token (kept visible).
fn prefix_of(token: &str) -> usize {
    // The known prefixes all end in `_`, `-` or `.`, or are 4 upper-case
    // letters (AKIA, ASIA, AIza).
    for (i, ch) in token.char_indices().take(12) {
        if matches!(ch, '_' | '-' | '.') {
            return i + 1;
        }
    }
    4.min(token.len())
}

/// Redact a JSON value in place: strings are redacted, and the whole value
/// of any field whose name looks like it holds a secret is masked.
pub fn redact_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            if let Cow::Owned(r) = redact(s) {
                *s = r;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_secret_key_name(k) && !matches!(v, Value::Null | Value::Bool(_)) {
                    *v = Value::String(MASK.to_string());
                } else {
                    redact_json(v);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GH: &str = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";

    #[test]
    fn masks_known_shapes_and_keeps_prefix() {
        let r = redact(&format!("token {GH} failed")).into_owned();
        assert!(!r.contains(GH));
        assert!(r.contains("ghp_[REDACTED]"), "{r}");
        for s in [
            "sk-proj-abcDEF1234567890abcdef",
            "sk-ant-api03-abcdefghijklmnop",
            "sk_live_51HxYzAbCdEf123456",
            "AKIAIOSFODNN7EXAMPLE",
            "xoxb-1234567890-abcdefghij",
            "github_pat_11ABCDEFG0123456789_abcdefXYZ",
        ] {
            let r = redact(&format!("value was {s}.")).into_owned();
            assert!(!r.contains(s), "{s} leaked: {r}");
            assert!(r.contains(MASK));
        }
    }

    #[test]
    fn masks_values_after_secret_keys() {
        let r = redact("OPENAI_API_KEY=hunter2hunter2 and DB_PASSWORD: 'p@ss w0rd'");
        assert!(!r.contains("hunter2"), "{r}");
        assert!(!r.contains("p@ss"), "{r}");
        assert!(r.contains("OPENAI_API_KEY=[REDACTED]"), "{r}");
        let r = redact(r#"{"client_secret": "abc def", "name": "ok"}"#);
        assert!(!r.contains("abc def"), "{r}");
        assert!(r.contains(r#""name": "ok""#), "{r}");
    }

    #[test]
    fn keeps_ordinary_text_ids_and_paths() {
        let s = "profile 3f2b8c1e-9a4d-4e2b-8f1a-0c9d8e7f6a5b not found at /home/user/projects/keyclave";
        assert_eq!(redact(s), s);
        assert_eq!(redact("PORT=8080 DEBUG=true"), "PORT=8080 DEBUG=true");
        let p = "cannot open /tmp/tmp.AbC123xyZ9/profiles/7dc9128f-1a91-41c3-b2a7-b012fa422be4/vault.db";
        assert_eq!(redact(p), p);
    }

    #[test]
    fn keeps_env_reads_references_and_placeholders() {
        for text in [
            r#"client = Anthropic(api_key=os.environ["ANTHROPIC_API_KEY"])"#,
            "const key = process.env.OPENAI_API_KEY;",
            "STRIPE_SECRET_KEY=${STRIPE_SECRET_KEY}",
            "OPENAI_API_KEY=$OPENAI_API_KEY",
            "OPENAI_API_KEY=...",
            "OPENAI_API_KEY=<your-key>",
            "OPENAI_API_KEY=<YOUR_API_KEY>",
            "OPENAI_API_KEY=your-api-key-here",
            "OPENAI_API_KEY=xxxxxxxx",
            "api_key: ENV.fetch(\"MAPBOX_ACCESS_TOKEN\")",
        ] {
            assert_eq!(redact(text), text, "{text}");
        }
        // Secrets that merely look like these are still masked.
        for (text, secret) in [
            ("DB_PASSWORD=$ecretPassw0rd", "ecretPassw0rd"),
            ("OPENAI_API_KEY=xoxo-realvalue-0123456789", "realvalue"),
            ("GITHUB_TOKEN=${ghp_0123456789abcdefghijABCDEFGHIJ012345}", "0123456789abcdef"),
        ] {
            assert!(!redact(text).contains(secret), "{text} -> {}", redact(text));
        }
    }

    #[test]
    fn masks_high_entropy_tokens() {
        let t = "Zx9Qw3Er7Ty1Ui5Op2As6Df4Gh8Jk0Lm";
        let r = redact(&format!("got {t}")).into_owned();
        assert!(!r.contains(t), "{r}");
    }

    #[test]
    fn json_redaction_masks_secret_fields() {
        let mut v = serde_json::json!({"api_key": "x", "nested": {"note": GH}, "count": 3});
        redact_json(&mut v);
        let s = v.to_string();
        assert!(!s.contains(GH) && !s.contains("\"x\""), "{s}");
        assert!(s.contains("\"count\":3"));
    }
}
