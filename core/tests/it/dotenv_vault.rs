//! `.env` files from the vault: selection, plans, writes, restores, the
//! environment of `keyclave run`, and what the audit log keeps of them.

use crate::common::*;
use keyclave_core::ErrorCode;
use keyclave_core::dotenv::{ApplyOptions, Decision, GenerateOptions, Policy, list_backups};
use keyclave_core::inject::{KeyRef, KeySelection};
use keyclave_core::secrets::NewSecret;
use keyclave_core::{inject, secrets};
use std::fs;

const GH: &str = "ghp_zqxVAULTgithubvalue0001";
const OAI: &str = "sk-zqxVAULTopenaivalue0002";

fn vault_with_two() -> (Fixture, keyclave_core::Vault) {
    let fx = Fixture::new();
    let v = fx.unlock();
    secrets::add_many(&v, vec![NewSecret::new("GITHUB_TOKEN", GH), NewSecret::new("OPENAI_API_KEY", OAI)])
        .unwrap();
    (fx, v)
}

fn keys(names: &[&str]) -> KeySelection {
    KeySelection::Keys(names.iter().map(|n| n.parse().unwrap()).collect())
}

#[test]
fn write_patches_an_existing_file_from_the_vault_and_audits_counts_only() {
    let (fx, v) = vault_with_two();
    let file = fx.dir.path().join(".env");
    fs::write(&file, "# mine\r\nGITHUB_TOKEN=old\r\nPORT=3000\r\n").unwrap();

    let plan = inject::plan_dotenv(
        &v,
        &file,
        &keys(&["GITHUB_TOKEN", "OPENAI_API_KEY"]),
        &Policy::new(Decision::Overwrite),
    )
    .unwrap();
    let diff = plan.masked_diff(".env");
    assert!(!diff.contains(GH) && !diff.contains(OAI), "{diff}");
    let report = inject::write_dotenv(&v, &file, &plan, &ApplyOptions::default(), None).unwrap();
    assert_eq!((report.counts.updated, report.counts.added), (1, 1));

    let text = fs::read_to_string(&file).unwrap();
    assert!(text.starts_with(&format!("# mine\r\nGITHUB_TOKEN={GH}\r\nPORT=3000\r\n")), "{text:?}");
    assert!(text.contains(&format!("OPENAI_API_KEY={OAI}\r\n")));
    assert_eq!(list_backups(&file).unwrap().len(), 1);

    let events = v.audit_log(10, Some("dotenv.write")).unwrap();
    assert_eq!(events.len(), 1);
    let meta = serde_json::to_string(&events[0]).unwrap();
    assert!(meta.contains("\"updated\":1") && meta.contains("\"added\":1"), "{meta}");
    for leak in [GH, OAI, "GITHUB_TOKEN", ".env", fx.dir.path().to_str().unwrap()] {
        assert!(!meta.contains(leak), "{leak} in {meta}");
    }
}

#[test]
fn keep_existing_leaves_a_different_value_and_in_file_selection_refreshes_known_keys() {
    let (fx, v) = vault_with_two();
    let file = fx.dir.path().join(".env");
    fs::write(&file, "GITHUB_TOKEN=old\nUNKNOWN_TO_VAULT=x\n").unwrap();

    let plan =
        inject::plan_dotenv(&v, &file, &KeySelection::InFile, &Policy::new(Decision::KeepExisting)).unwrap();
    assert_eq!(plan.changes().len(), 1, "only the key the vault holds is selected");
    assert!(plan.is_noop());

    let plan =
        inject::plan_dotenv(&v, &file, &KeySelection::InFile, &Policy::new(Decision::Overwrite)).unwrap();
    inject::write_dotenv(&v, &file, &plan, &ApplyOptions::default(), None).unwrap();
    assert_eq!(fs::read_to_string(&file).unwrap(), format!("GITHUB_TOKEN={GH}\nUNKNOWN_TO_VAULT=x\n"));
}

#[test]
fn nothing_selected_and_unknown_keys_are_structured_errors() {
    let (fx, v) = vault_with_two();
    let file = fx.dir.path().join(".env");
    let e = inject::plan_dotenv(&v, &file, &KeySelection::InFile, &Policy::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InputInvalid);
    assert!(e.suggestion().contains("--key"));
    let e = inject::plan_dotenv(&v, &file, &keys(&["NOPE_KEY"]), &Policy::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::SecretNotFound);
    assert!(!file.exists(), "a failed plan writes nothing");
}

#[test]
fn generate_creates_a_new_file_and_refuses_to_replace_one() {
    let (fx, v) = vault_with_two();
    let file = fx.dir.path().join(".env.new");
    let plan =
        inject::plan_new_dotenv(&v, &keys(&["OPENAI_API_KEY", "GITHUB_TOKEN"]), &GenerateOptions::default())
            .unwrap();
    let report = inject::write_dotenv(&v, &file, &plan, &ApplyOptions::default(), None).unwrap();
    assert!(report.created);
    let text = fs::read_to_string(&file).unwrap();
    assert!(text.starts_with('#'));
    let openai = text.find(&format!("OPENAI_API_KEY={OAI}")).unwrap();
    let github = text.find(&format!("GITHUB_TOKEN={GH}")).unwrap();
    assert!(openai < github, "blocks keep the order given: {text}");

    let again = inject::plan_new_dotenv(&v, &keys(&["GITHUB_TOKEN"]), &GenerateOptions::default()).unwrap();
    let e = inject::write_dotenv(&v, &file, &again, &ApplyOptions::default(), None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::DotenvAlreadyExists);
    assert_eq!(fs::read_to_string(&file).unwrap(), text);
}

#[test]
fn restore_puts_a_backup_back_and_backs_up_what_it_replaces() {
    let (fx, v) = vault_with_two();
    let file = fx.dir.path().join(".env");
    fs::write(&file, "GITHUB_TOKEN=before\n").unwrap();
    let plan =
        inject::plan_dotenv(&v, &file, &keys(&["GITHUB_TOKEN"]), &Policy::new(Decision::Overwrite)).unwrap();
    let opts = |s: i64| ApplyOptions {
        now: Some(chrono::DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()),
        ..ApplyOptions::default()
    };
    inject::write_dotenv(&v, &file, &plan, &opts(0), None).unwrap();
    let backups = list_backups(&file).unwrap();
    assert_eq!(backups.len(), 1);

    inject::restore_dotenv(&v, &file, &backups[0], &opts(60)).unwrap();
    assert_eq!(fs::read_to_string(&file).unwrap(), "GITHUB_TOKEN=before\n");
    let backups = list_backups(&file).unwrap();
    assert_eq!(backups.len(), 2, "the replaced text was backed up too");
    assert_eq!(fs::read_to_string(&backups[1]).unwrap(), format!("GITHUB_TOKEN={GH}\n"));
    assert_eq!(v.audit_log(10, Some("dotenv.restore")).unwrap().len(), 1);

    // Only a listed backup of this file can be restored.
    let stranger = fx.dir.path().join("other.txt");
    fs::write(&stranger, "X=1\n").unwrap();
    let e = inject::restore_dotenv(&v, &file, &stranger, &opts(120)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InputInvalid);
    assert_eq!(fs::read_to_string(&file).unwrap(), "GITHUB_TOKEN=before\n");
}

#[test]
fn command_env_holds_the_selected_values_and_audits_names_only() {
    let (fx, v) = vault_with_two();
    let env = inject::command_env(&v, &keys(&["GITHUB_TOKEN"]), None, None).unwrap();
    assert_eq!(env.len(), 1);
    assert_eq!(env[0].0, "GITHUB_TOKEN");
    assert_eq!(env[0].1.expose_secret(), GH);

    let file = fx.dir.path().join(".env");
    fs::write(&file, "OPENAI_API_KEY=\nOTHER=1\n").unwrap();
    let env = inject::command_env(&v, &KeySelection::InFile, Some(&file), None).unwrap();
    assert_eq!(env.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["OPENAI_API_KEY"]);

    let events = v.audit_log(10, Some("secret.inject")).unwrap();
    assert_eq!(events.len(), 2);
    let meta = serde_json::to_string(&events).unwrap();
    assert!(meta.contains("GITHUB_TOKEN") && !meta.contains(GH) && !meta.contains(OAI), "{meta}");

    // The same name under two providers cannot both be injected.
    let mut other = NewSecret::new("GITHUB_TOKEN", "zqx-other");
    other.provider_id = Some("generic".into());
    secrets::add(&v, other).unwrap();
    let e = inject::command_env(&v, &keys(&["github/GITHUB_TOKEN", "generic/GITHUB_TOKEN"]), None, None)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::SecretAmbiguous);
    let e = inject::command_env(&v, &KeySelection::Keys(vec![KeyRef::named("GITHUB_TOKEN")]), None, None)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::SecretAmbiguous);
}
