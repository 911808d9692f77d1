//! `keyclave://` references in templates: filled from the vault, all or
//! nothing, audited by key name.

use crate::common::*;
use keyclave_core::ErrorCode;
use keyclave_core::inject::template;
use keyclave_core::secrets::{self, NewSecret};

const GH: &str = "ghp_zqxTEMPLATEvalue000001";
const OAI: &str = "sk-zqxTEMPLATEvalue000002";

#[test]
fn every_reference_is_filled_and_other_text_is_kept() {
    let f = Fixture::new();
    let v = f.unlock();
    secrets::add(&v, NewSecret::new("GITHUB_TOKEN", GH)).unwrap();
    secrets::add(&v, NewSecret::new("OPENAI_API_KEY", OAI)).unwrap();
    let t = "# {{ comment }}\ngh: {{ keyclave://github/GITHUB_TOKEN }}\noai: {{keyclave://OPENAI_API_KEY}}\n\
             again: {{ keyclave://GITHUB_TOKEN }}";
    let r = template::render(&v, t, None).unwrap();
    assert_eq!(r.references, 3);
    assert_eq!(r.text.expose_secret(), format!("# {{{{ comment }}}}\ngh: {GH}\noai: {OAI}\nagain: {GH}"));
    let events = v.audit_log(1, Some("secret.inject")).unwrap();
    let meta = events[0].metadata.to_string();
    assert!(meta.contains("github/GITHUB_TOKEN") && meta.contains("\"count\":2"), "{meta}");
    assert!(!meta.contains(GH) && !meta.contains(OAI));
}

#[test]
fn a_missing_secret_names_its_line_and_nothing_is_rendered_or_audited() {
    let f = Fixture::new();
    let v = f.unlock();
    secrets::add(&v, NewSecret::new("GITHUB_TOKEN", GH)).unwrap();
    let t = "a={{ keyclave://GITHUB_TOKEN }}\nb={{ keyclave://stripe/STRIPE_SECRET_KEY }}\n";
    let e = template::render(&v, t, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::SecretNotFound);
    assert!(e.message().starts_with("line 2:"), "{}", e.message());
    assert!(v.audit_log(5, Some("secret.inject")).unwrap().is_empty());
}
