//! New random secrets for the user (`keyclave generate`, `secret add
//! --generate`): characters drawn uniformly from a chosen alphabet with the
//! OS CSPRNG, held in a [`SecretString`] from the first byte.

use rand::Rng;
use rand::rngs::OsRng;
use std::str::FromStr;

use crate::crypto::SecretString;
use crate::error::{Error, Result};

/// Which characters a generated secret uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// Letters and digits (the default: safe in `.env` files and shells).
    Alphanumeric,
    /// Letters, digits and the symbols most password rules accept.
    Symbols,
    /// Lower-case hexadecimal.
    Hex,
    /// Digits only (a PIN).
    Digits,
}

impl Charset {
    fn alphabet(self) -> &'static [u8] {
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        match self {
            Charset::Alphanumeric => ALNUM,
            // No quote, backslash, `#`, `$` or space: nothing a .env file or
            // a shell would read differently.
            Charset::Symbols => {
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!%*+,-./:;=?@^_~"
            }
            Charset::Hex => b"0123456789abcdef",
            Charset::Digits => b"0123456789",
        }
    }

    /// Bits of entropy per character.
    pub fn bits_per_char(self) -> f64 {
        (self.alphabet().len() as f64).log2()
    }
}

impl FromStr for Charset {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "alphanumeric" | "alnum" => Ok(Charset::Alphanumeric),
            "symbols" => Ok(Charset::Symbols),
            "hex" => Ok(Charset::Hex),
            "digits" => Ok(Charset::Digits),
            other => Err(Error::invalid(format!("unknown character set '{other}'"))
                .with_suggestion("Use alphanumeric, symbols, hex or digits.")),
        }
    }
}

/// Shortest secret made (shorter ones are too easy to guess).
pub const MIN_LENGTH: usize = 8;
/// Longest secret made.
pub const MAX_LENGTH: usize = 1024;
/// Length when none is asked for.
pub const DEFAULT_LENGTH: usize = 32;

/// A new random secret of `length` characters from `charset`.
pub fn generate(length: usize, charset: Charset) -> Result<SecretString> {
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
        return Err(Error::invalid(format!(
            "a generated secret has {MIN_LENGTH} to {MAX_LENGTH} characters"
        ))
        .with_suggestion(format!(
            "Give --length between {MIN_LENGTH} and {MAX_LENGTH} (default {DEFAULT_LENGTH})."
        )));
    }
    let alphabet = charset.alphabet();
    let mut value = String::with_capacity(length);
    for _ in 0..length {
        // gen_range is uniform (rejection sampling): no modulo bias.
        value.push(char::from(alphabet[OsRng.gen_range(0..alphabet.len())]));
    }
    Ok(SecretString::new(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_the_length_and_alphabet_asked_and_differ() {
        for charset in [Charset::Alphanumeric, Charset::Symbols, Charset::Hex, Charset::Digits] {
            let a = generate(64, charset).unwrap();
            let b = generate(64, charset).unwrap();
            assert_eq!(a.expose_secret().len(), 64);
            assert!(a.expose_secret().bytes().all(|c| charset.alphabet().contains(&c)), "{charset:?}");
            assert_ne!(a.expose_secret(), b.expose_secret());
        }
        assert!(generate(7, Charset::Hex).is_err() && generate(1025, Charset::Hex).is_err());
        assert!("bogus".parse::<Charset>().is_err());
        assert_eq!("HEX".parse::<Charset>().unwrap(), Charset::Hex);
    }

    #[test]
    fn every_character_of_the_alphabet_turns_up() {
        // 62 characters, 20,000 draws: each expected ~320 times.
        let s = generate(1024, Charset::Alphanumeric).unwrap();
        let mut all = String::from(s.expose_secret());
        for _ in 0..19 {
            all.push_str(generate(1024, Charset::Alphanumeric).unwrap().expose_secret());
        }
        for &c in Charset::Alphanumeric.alphabet() {
            assert!(all.bytes().filter(|&b| b == c).count() > 150, "{}", c as char);
        }
    }
}
