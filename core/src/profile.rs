//! Rules for profile names and new passphrases, and the passphrase
//! strength estimate shown while choosing one.

use serde::Serialize;

use crate::crypto::SecretString;
use crate::error::{Error, ErrorCode, Result};

/// Shortest passphrase accepted for a profile.
pub const MIN_PASSPHRASE_LEN: usize = 8;
/// Longest profile name, in characters.
pub const MAX_NAME_LEN: usize = 64;

/// Normalise (trim) and check a profile display name.
pub fn validate_name(name: &str) -> Result<String> {
    let trimmed = name.trim();
    let len = trimmed.chars().count();
    if len == 0 || len > MAX_NAME_LEN || trimmed.chars().any(char::is_control) {
        return Err(Error::new(
            ErrorCode::ProfileInvalidName,
            format!("profile names must be 1 to {MAX_NAME_LEN} printable characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// Check a new profile passphrase: long enough to be worth a KDF.
pub fn validate_new_passphrase(passphrase: &SecretString) -> Result<()> {
    long_enough(passphrase, "the profile passphrase")
}

/// Check a new bundle password, by the same rule as a passphrase.
pub fn validate_bundle_password(password: &SecretString) -> Result<()> {
    long_enough(password, "the bundle password")
}

/// `what` (named in the message) has at least [`MIN_PASSPHRASE_LEN`] characters.
fn long_enough(phrase: &SecretString, what: &str) -> Result<()> {
    if phrase.expose_secret().chars().count() < MIN_PASSPHRASE_LEN {
        return Err(Error::new(
            ErrorCode::PassphraseTooShort,
            format!("{what} must have at least {MIN_PASSPHRASE_LEN} characters"),
        ));
    }
    Ok(())
}

/// How strong a candidate passphrase looks (zxcvbn's estimate).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Strength {
    /// 0 (very weak) to 4 (very strong).
    pub score: u8,
    /// Whether KeyClave accepts it at all (long enough).
    pub acceptable: bool,
    /// A short word for the meter.
    pub label: String,
    /// Advice, if any (never contains the passphrase).
    pub feedback: Option<String>,
}

/// Estimate a passphrase's strength for the meter. Profile names and
/// "keyclave" count as guessable words.
pub fn strength(passphrase: &str, user_inputs: &[&str]) -> Strength {
    let acceptable = passphrase.chars().count() >= MIN_PASSPHRASE_LEN;
    if passphrase.is_empty() {
        return Strength { score: 0, acceptable, label: "empty".into(), feedback: None };
    }
    let mut inputs: Vec<&str> = user_inputs.to_vec();
    inputs.push("keyclave");
    let estimate = zxcvbn::zxcvbn(passphrase, &inputs);
    let score = u8::from(estimate.score());
    let label = ["very weak", "weak", "fair", "strong", "very strong"][usize::from(score.min(4))];
    let feedback = if !acceptable {
        Some(format!("Use at least {MIN_PASSPHRASE_LEN} characters."))
    } else {
        estimate.feedback().and_then(|f| {
            f.warning().map(|w| w.to_string()).or_else(|| f.suggestions().first().map(|s| s.to_string()))
        })
    };
    Strength { score, acceptable, label: label.into(), feedback }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(validate_name("  Work ").expect("valid"), "Work");
        for bad in ["", "   ", "a\nb", &"x".repeat(65)] {
            assert_eq!(validate_name(bad).unwrap_err().code(), ErrorCode::ProfileInvalidName);
        }
        assert!(validate_name("Clients — Ünïcode").is_ok());
    }

    #[test]
    fn short_passphrases_are_refused() {
        assert_eq!(
            validate_new_passphrase(&"short".into()).unwrap_err().code(),
            ErrorCode::PassphraseTooShort
        );
        assert!(validate_new_passphrase(&"correct horse".into()).is_ok());
    }

    #[test]
    fn strength_ranks_passphrases_and_never_echoes_them() {
        let weak = strength("password", &[]);
        let strong = strength("violet staple lantern grows quietly", &[]);
        assert!(weak.score < strong.score, "{weak:?} vs {strong:?}");
        assert!(strong.acceptable && strong.score >= 3);
        assert!(!strength("abc", &[]).acceptable);
        // A passphrase made of the profile name is weaker once the name is known.
        let known = strength("zorblaxquintet", &["zorblaxquintet"]);
        let unknown = strength("zorblaxquintet", &[]);
        assert!(known.score < unknown.score, "{known:?} vs {unknown:?}");
        let s = strength("hunter2hunter2", &[]);
        assert!(!s.feedback.unwrap_or_default().contains("hunter2"));
    }
}
