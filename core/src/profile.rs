//! Rules for profile names and new passphrases.

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

/// Check a new passphrase: long enough to be worth a KDF.
pub fn validate_new_passphrase(passphrase: &SecretString) -> Result<()> {
    if passphrase.expose_secret().chars().count() < MIN_PASSPHRASE_LEN {
        return Err(Error::new(
            ErrorCode::PassphraseTooShort,
            format!("the passphrase must have at least {MIN_PASSPHRASE_LEN} characters"),
        ));
    }
    Ok(())
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
}
