//! The reveal policy, one rule for every path that hands a value to a
//! person or a process: reveal, copy, `.env` write and generate, a child's
//! environment (`run`), a bundle export.

use crate::common::*;
use crate::totp::enable;
use keyclave_core::bundle::{self, BundleExport, BundleKey, BundleSelection};
use keyclave_core::dotenv::{ApplyOptions, GenerateOptions, Policy};
use keyclave_core::inject::{self, KeySelection};
use keyclave_core::reveal::{self, Purpose};
use keyclave_core::secrets::{self, NewSecret};
use keyclave_core::totp::{self, TotpPolicy};
use keyclave_core::{ErrorCode, Vault};

const VALUE: &str = "ghp_zqxREVEALpolicyvalue0001";

fn guarded(f: &Fixture) -> (Vault, Vec<String>) {
    let v = f.unlock();
    secrets::add(&v, NewSecret::new("GITHUB_TOKEN", VALUE)).unwrap();
    let (_, mut recovery, _) = enable(&v);
    let policy = TotpPolicy { required_for_export: true, required_for_reveal: true };
    totp::set_policy(&v, policy, Some(&recovery.remove(0))).unwrap();
    (v, recovery)
}

fn key() -> KeySelection {
    KeySelection::Keys(vec!["GITHUB_TOKEN".parse().unwrap()])
}

#[test]
fn every_value_handing_path_refuses_without_a_code_and_works_with_one() {
    let f = Fixture::new();
    let (v, recovery) = guarded(&f);
    let mut codes = recovery.into_iter();
    let dir = f.dir.path();
    let required = |e: keyclave_core::Error| assert_eq!(e.code(), ErrorCode::TotpRequired, "{e:?}");

    for p in Purpose::ALL {
        assert!(reveal::needs_code(&v, *p).unwrap(), "{p:?}");
    }

    required(secrets::reveal(&v, "GITHUB_TOKEN", None, None).unwrap_err());
    required(secrets::copy(&v, "GITHUB_TOKEN", None, None).unwrap_err());
    required(inject::command_env(&v, &key(), None, None).unwrap_err());
    let template = "t={{ keyclave://GITHUB_TOKEN }}";
    required(inject::template::render(&v, template, None).unwrap_err());

    let env = dir.join(".env");
    let plan = inject::plan_dotenv(&v, &env, &key(), &Policy::default()).unwrap();
    required(inject::write_dotenv(&v, &env, &plan, &ApplyOptions::default(), None).unwrap_err());
    assert!(!env.exists(), "nothing was written");
    let generated = dir.join(".env.generated");
    let new = inject::plan_new_dotenv(&v, &key(), &GenerateOptions::default()).unwrap();
    required(inject::write_dotenv(&v, &generated, &new, &ApplyOptions::default(), None).unwrap_err());
    assert!(!generated.exists());

    let bundle_path = dir.join("out.kcbundle");
    let password = "a bundle password".into();
    let export = |code| BundleExport {
        selection: BundleSelection::All,
        key: BundleKey::Password { password: &password, kdf: CHEAP },
        expires_at: None,
        totp_code: code,
        overwrite: false,
    };
    required(bundle::export(&v, &bundle_path, export(None)).unwrap_err());
    assert!(!bundle_path.exists());

    // With a code each works, once.
    let c = codes.next().unwrap();
    assert_eq!(secrets::reveal(&v, "GITHUB_TOKEN", None, Some(&c)).unwrap().expose_secret(), VALUE);
    assert_eq!(
        secrets::reveal(&v, "GITHUB_TOKEN", None, Some(&c)).unwrap_err().code(),
        ErrorCode::TotpInvalid
    );
    assert_eq!(
        secrets::copy(&v, "GITHUB_TOKEN", None, codes.next().as_deref()).unwrap().expose_secret(),
        VALUE
    );
    let rendered = inject::template::render(&v, template, codes.next().as_deref()).unwrap();
    assert_eq!(rendered.text.expose_secret(), format!("t={VALUE}"));
    let envs = inject::command_env(&v, &key(), None, codes.next().as_deref()).unwrap();
    assert_eq!(envs[0].1.expose_secret(), VALUE);
    inject::write_dotenv(&v, &env, &plan, &ApplyOptions::default(), codes.next().as_deref()).unwrap();
    assert!(std::fs::read_to_string(&env).unwrap().contains(VALUE));
    inject::write_dotenv(&v, &generated, &new, &ApplyOptions::default(), codes.next().as_deref()).unwrap();
    bundle::export(&v, &bundle_path, export(codes.next().as_deref())).unwrap();
    assert!(bundle_path.exists());

    // Previews hand nothing out: no code for a plan or a masked diff.
    let again = inject::plan_dotenv(&v, &env, &key(), &Policy::default()).unwrap();
    assert!(again.is_noop() && !again.masked_diff(".env").contains(VALUE));
    // A plan that writes nothing needs no code either.
    inject::write_dotenv(&v, &env, &again, &ApplyOptions::default(), None).unwrap();
}

#[test]
fn without_the_reveal_switch_only_export_asks() {
    let f = Fixture::new();
    let v = f.unlock();
    secrets::add(&v, NewSecret::new("GITHUB_TOKEN", VALUE)).unwrap();
    enable(&v);
    for p in [Purpose::Reveal, Purpose::Copy, Purpose::Dotenv, Purpose::Run, Purpose::Template] {
        assert!(!reveal::needs_code(&v, p).unwrap(), "{p:?}");
    }
    assert!(reveal::needs_code(&v, Purpose::Export).unwrap());
    inject::command_env(&v, &key(), None, None).expect("run needs no code");
}

#[test]
fn a_staged_env_plan_waits_for_its_code_and_is_then_written_as_previewed() {
    use keyclave_core::session::Session;
    let f = Fixture::new();
    let (v, recovery) = guarded(&f);
    let env = f.dir.path().join(".env");
    let s = Session::new();
    s.unlocked(v);
    let plan = inject::plan_dotenv(&s.vault().unwrap(), &env, &key(), &Policy::default()).unwrap();
    s.stage_plan(env.clone(), plan).unwrap();
    let write = |code: Option<String>| {
        s.apply_staged(&env, |v, plan| {
            inject::write_dotenv(v, &env, plan, &ApplyOptions::default(), code.as_deref())
        })
    };
    assert_eq!(write(None).unwrap_err().code(), ErrorCode::TotpRequired);
    assert!(!env.exists());
    assert_eq!(write(Some("000000".into())).unwrap_err().code(), ErrorCode::TotpInvalid, "still staged");
    assert!(write(Some(recovery[0].clone())).unwrap().written);
    assert!(std::fs::read_to_string(&env).unwrap().contains(VALUE));
    assert_eq!(write(Some(recovery[1].clone())).unwrap_err().code(), ErrorCode::InputInvalid, "applied once");
}
