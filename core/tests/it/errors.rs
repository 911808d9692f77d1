//! Redaction holds for every error code: a fake secret embedded anywhere in
//! an error never comes out of any of its renderings.

use keyclave_core::{Error, ErrorCode};

/// Fake secrets of the shapes users store.
const FAKES: &[&str] = &[
    "ghp_Fak3S3cr3tT0k3nAbCdEfGhIjKlMnOpQrStUv",
    "github_pat_11AAAAAAA0Fake_SecretValue0123456789abcdef",
    "sk-proj-FakeOpenAIKey0123456789abcdefXYZ",
    "sk-ant-api03-FakeAnthropicKey0123456789",
    "sk_live_51FakeStripeKey0123456789abc",
    "AKIAFAKEFAKEFAKE1234",
    "xoxb-123456789012-FakeSlackToken",
    "Zx9Qw3Er7Ty1Ui5Op2As6Df4Gh8Jk0LmNb",
];

fn renderings(e: &Error) -> Vec<String> {
    vec![
        e.to_string(),
        format!("{e:?}"),
        e.message().to_owned(),
        e.suggestion().to_owned(),
        serde_json::to_string(e).expect("serialises"),
    ]
}

#[test]
fn every_error_code_redacts_embedded_secrets() {
    assert!(ErrorCode::ALL.len() >= 20);
    for &code in ErrorCode::ALL {
        for fake in FAKES {
            let assigned = format!("OPENAI_API_KEY={fake}");
            let e = Error::new(code, format!("failed near {fake} and {assigned}"))
                .with_suggestion(format!("do not paste {fake}; DB_PASSWORD: hunter2hunter2"));
            for r in renderings(&e) {
                assert!(!r.contains(fake), "{code}: {fake} leaked in {r}");
                assert!(!r.contains("hunter2hunter2"), "{code}: assigned value leaked in {r}");
            }
            assert_eq!(e.code(), code);
            let json: serde_json::Value = serde_json::to_value(&e).expect("json");
            assert_eq!(json["code"], code.as_str());
            assert!(json["message"].as_str().is_some_and(|m| m.contains("[REDACTED]")));
        }
    }
}

#[test]
fn codes_are_distinct_dotted_and_classified() {
    let mut seen = std::collections::HashSet::new();
    for &code in ErrorCode::ALL {
        let s = code.as_str();
        assert!(seen.insert(s), "duplicate code {s}");
        assert!(s == "internal" || s.contains('.'), "{s}");
        assert!(!code.default_suggestion().is_empty(), "{s}");
    }
    assert!(ErrorCode::VaultWrongPassphrase.is_user_error());
    assert!(!ErrorCode::VaultCorruption.is_user_error());
}

#[test]
fn errors_from_real_paths_do_not_echo_secrets() {
    // An invalid key name that is itself a token, as when a user pastes a
    // value where a name belongs.
    let token = FAKES[0];
    let e = keyclave_core::secrets::validate_key_name(&format!("{token}!")).unwrap_err();
    assert_eq!(e.code(), ErrorCode::SecretInvalidKeyName);
    for r in renderings(&e) {
        assert!(!r.contains(token), "{r}");
    }
}
