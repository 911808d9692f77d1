//! What a key says about itself without a network call: Stripe's mode and
//! key kind from the prefix, GitHub's token kind, Mapbox public or secret,
//! the AWS account id encoded in an access key id.

use crate::crypto::SecretString;

/// Facts read from the value (and the companion's) alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OfflineFacts {
    /// Kind of key, e.g. `live secret key`, `fine-grained token`.
    pub kind: Option<String>,
    /// Account, when the value encodes it (AWS).
    pub account: Option<String>,
}

/// Read what `value` (of `provider_id`) says about itself.
pub fn facts(provider_id: &str, value: &SecretString, companion: Option<&SecretString>) -> OfflineFacts {
    let v = value.expose_secret();
    let kind = |k: &str| Some(k.to_owned());
    match provider_id {
        "stripe" => OfflineFacts {
            kind: match v.get(..8) {
                Some("sk_live_") => kind("live secret key"),
                Some("sk_test_") => kind("test secret key"),
                Some("rk_live_") => kind("live restricted key"),
                Some("rk_test_") => kind("test restricted key"),
                Some("pk_live_") | Some("pk_test_") => kind("publishable key (not a secret)"),
                _ => None,
            },
            account: None,
        },
        "github" => OfflineFacts {
            kind: if v.starts_with("github_pat_") {
                kind("fine-grained personal access token")
            } else if v.starts_with("ghp_") {
                kind("classic personal access token")
            } else if v.starts_with("gho_") {
                kind("OAuth token")
            } else if v.starts_with("ghs_") {
                kind("app installation token")
            } else {
                None
            },
            account: None,
        },
        "mapbox" => OfflineFacts {
            kind: match v.get(..3) {
                Some("pk.") => kind("public token"),
                Some("sk.") => kind("secret token"),
                Some("tk.") => kind("temporary token"),
                _ => None,
            },
            account: None,
        },
        "aws" => {
            let id = companion.map(SecretString::expose_secret).unwrap_or("");
            OfflineFacts {
                kind: match id.get(..4) {
                    Some("AKIA") => kind("long-term access key"),
                    Some("ASIA") => kind("temporary (STS) access key"),
                    _ => None,
                },
                account: aws_account_id(id),
            }
        }
        _ => OfflineFacts::default(),
    }
}

/// The 12-digit account id encoded in a modern access key id (`AKIA…`,
/// `ASIA…`: base32 after the 4-letter prefix; the account is bits 7..47 of
/// the first 6 bytes).
pub fn aws_account_id(key_id: &str) -> Option<String> {
    if key_id.len() != 20 || !(key_id.starts_with("AKIA") || key_id.starts_with("ASIA")) {
        return None;
    }
    let mut bits: u64 = 0;
    // Ten base32 characters are 50 bits; the first 48 are the 6 bytes.
    for c in key_id[4..14].bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        bits = (bits << 5) | u64::from(v);
    }
    let first6 = bits >> 2;
    let account = (first6 & 0x7fff_ffff_ff80) >> 7;
    Some(format!("{account:012}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_account_from_key_id() {
        // AWS's own documented example pair: ASIAY34FZKBOKMUTVV7A → 609629065308.
        assert_eq!(aws_account_id("ASIAY34FZKBOKMUTVV7A").as_deref(), Some("609629065308"));
        assert!(aws_account_id("AKIAIOSFODNN7EXAMPLE").is_some());
        assert_eq!(aws_account_id("short"), None);
        assert_eq!(aws_account_id("AKIA0000000000000000"), None, "0 and 1 are not base32");
    }

    #[test]
    fn prefixes_tell_the_kind() {
        let f = |p: &str, v: &str| facts(p, &SecretString::from(v), None).kind;
        assert_eq!(f("stripe", "rk_live_abc").as_deref(), Some("live restricted key"));
        assert_eq!(f("stripe", "sk_test_abc").as_deref(), Some("test secret key"));
        assert_eq!(f("github", "github_pat_11AB").as_deref(), Some("fine-grained personal access token"));
        assert_eq!(f("mapbox", "pk.eyJ1").as_deref(), Some("public token"));
        assert_eq!(f("openai", "sk-abc"), None);
    }
}
