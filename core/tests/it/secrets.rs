//! Secret CRUD, search, filters, provenance and the rules on input.

use crate::common::*;
use keyclave_core::ErrorCode;
use keyclave_core::secrets;
use keyclave_core::secrets::{Environment, NewSecret, Provenance, SecretEdit, SecretQuery, SourceType};

fn query() -> SecretQuery {
    SecretQuery::default()
}

#[test]
fn add_list_reveal_edit_delete_round_trip() {
    let f = Fixture::new();
    let v = f.unlock();
    let mut gh = NewSecret::new("GH_TOKEN", "ghp_realistic0000000000000000000000000000");
    gh.environment = Some(Environment::Dev);
    gh.notes = Some("CI bot".into());
    gh.tags = vec!["ci".into(), "bots".into()];
    let saved = secrets::add(&v, gh).expect("add");
    assert_eq!(saved.secret.provider_id, "github", "provider suggested from the key name");
    assert!(saved.warnings.is_empty());
    let mut stripe = NewSecret::new("STRIPE_SECRET_KEY", "sk_test_abc123");
    stripe.environment = Some(Environment::Prod);
    secrets::add(&v, stripe).expect("add");
    let lower = secrets::add(&v, NewSecret::new("my_local_token", "x1")).expect("lower-case name is valid");
    assert_eq!(lower.secret.provider_id, "generic");
    assert_eq!(lower.warnings.len(), 1, "upper case is recommended");

    let page = secrets::list(&v, &query());
    assert_eq!(page.total, 3);
    let names: Vec<&str> = page.items.iter().map(|s| s.key_name.as_str()).collect();
    assert_eq!(names, ["GH_TOKEN", "STRIPE_SECRET_KEY", "my_local_token"]);

    assert_eq!(
        secrets::reveal(&v, "GH_TOKEN", None, None).expect("reveal").expose_secret(),
        "ghp_realistic0000000000000000000000000000"
    );
    assert_eq!(v.audit_log(5, Some("secret.reveal")).expect("audit").len(), 1);

    let edit = SecretEdit {
        value: Some("ghp_rotated1111111111111111111111111111".into()),
        notes: Some(None),
        tags: Some(vec!["deploy".into()]),
        environment: Some(Some(Environment::Stage)),
        provider_id: None,
        endpoint: Some(Some("https://GHE.example.com/api/v3/".into())),
    };
    let edited = secrets::edit(&v, "GH_TOKEN", None, edit).expect("edit");
    assert_eq!(edited.secret.endpoint.as_deref(), Some("https://ghe.example.com/api/v3"));
    assert_eq!(
        secrets::find(&v, "GH_TOKEN", None).expect("find").endpoint.as_deref(),
        Some("https://ghe.example.com/api/v3"),
        "the endpoint is stored and in the catalog"
    );
    let bad = SecretEdit { endpoint: Some(Some("http://ghe.example.com".into())), ..Default::default() };
    let e = secrets::edit(&v, "GH_TOKEN", None, bad).expect_err("plain http to a remote host");
    assert_eq!(e.code(), ErrorCode::SecretInvalidEndpoint);
    assert_eq!(edited.secret.notes, None);
    assert_eq!(edited.secret.tags, ["deploy"]);
    assert_eq!(edited.secret.environment, Some(Environment::Stage));
    assert_eq!(
        secrets::reveal(&v, "GH_TOKEN", Some("github"), None).expect("reveal").expose_secret(),
        "ghp_rotated1111111111111111111111111111"
    );
    let edits = v.audit_log(5, Some("secret.edit")).expect("audit");
    assert_eq!(
        edits[0].metadata["changed"],
        serde_json::json!(["value", "environment", "notes", "tags", "endpoint"])
    );

    secrets::delete(&v, "GH_TOKEN", None).expect("delete");
    assert_eq!(secrets::reveal(&v, "GH_TOKEN", None, None).unwrap_err().code(), ErrorCode::SecretNotFound);
    assert_eq!(secrets::list(&v, &query()).total, 2);

    // The catalog rebuilt at the next unlock matches what was kept in memory.
    let before = secrets::list(&v, &query()).items;
    v.close().expect("lock");
    let v = f.unlock();
    assert_eq!(secrets::list(&v, &query()).items, before);
}

#[test]
fn search_and_filters() {
    let f = Fixture::new();
    let v = f.unlock();
    let mut a = NewSecret::new("OPENAI_API_KEY", "sk-a");
    a.environment = Some(Environment::Prod);
    a.notes = Some("Used by the Summariser service".into());
    let mut b = NewSecret::new("GITHUB_TOKEN", "ghp_b");
    b.tags = vec!["release-bot".into()];
    b.environment = Some(Environment::Dev);
    let mut c = NewSecret::new("EXTRA_OPENAI_KEY", "sk-c");
    c.provider_id = Some("openai".into());
    secrets::add_many(&v, vec![a, b, c]).expect("add");

    let names = |q: SecretQuery| -> Vec<String> {
        secrets::list(&v, &q).items.into_iter().map(|s| s.key_name).collect()
    };
    assert_eq!(
        names(SecretQuery { search: Some("summariser".into()), ..query() }),
        ["OPENAI_API_KEY"],
        "notes, any case"
    );
    assert_eq!(names(SecretQuery { search: Some("RELEASE".into()), ..query() }), ["GITHUB_TOKEN"], "tags");
    assert_eq!(
        names(SecretQuery { search: Some("openai".into()), ..query() }),
        ["EXTRA_OPENAI_KEY", "OPENAI_API_KEY"]
    );
    assert_eq!(
        names(SecretQuery { search: Some("GitHub".into()), ..query() }),
        ["GITHUB_TOKEN"],
        "provider display name"
    );
    assert_eq!(
        names(SecretQuery { provider_id: Some("openai".into()), ..query() }),
        ["EXTRA_OPENAI_KEY", "OPENAI_API_KEY"]
    );
    assert_eq!(names(SecretQuery { environment: Some(Environment::Dev), ..query() }), ["GITHUB_TOKEN"]);
    assert_eq!(
        names(SecretQuery {
            provider_id: Some("openai".into()),
            environment: Some(Environment::Prod),
            ..query()
        }),
        ["OPENAI_API_KEY"]
    );
    let page = secrets::list(&v, &SecretQuery { offset: 1, limit: Some(1), ..query() });
    assert_eq!((page.total, page.items.len()), (3, 1));
    assert_eq!(page.items[0].key_name, "GITHUB_TOKEN");
    assert!(names(SecretQuery { search: Some("zzz-none".into()), ..query() }).is_empty());
}

#[test]
fn bad_input_gets_the_right_code_and_writes_nothing() {
    let f = Fixture::new();
    let v = f.unlock();
    secrets::add(&v, NewSecret::new("GH_TOKEN", "ghp_one")).expect("add");

    let dup = secrets::add(&v, NewSecret::new("GH_TOKEN", "ghp_two")).unwrap_err();
    // secret.already_exists, not an import's import.conflict (issue 10).
    assert_eq!(dup.code(), ErrorCode::SecretAlreadyExists);
    // Same name under another provider is fine.
    let mut other = NewSecret::new("GH_TOKEN", "x");
    other.provider_id = Some("generic".into());
    secrets::add(&v, other).expect("same name, other provider");
    assert_eq!(secrets::reveal(&v, "GH_TOKEN", None, None).unwrap_err().code(), ErrorCode::SecretAmbiguous);

    for bad in ["1BAD", "BAD-NAME", "", "WITH SPACE"] {
        assert_eq!(
            secrets::add(&v, NewSecret::new(bad, "x")).unwrap_err().code(),
            ErrorCode::SecretInvalidKeyName,
            "{bad}"
        );
    }
    let long = "K".repeat(300);
    let e = secrets::add(&v, NewSecret::new(&long, "x")).unwrap_err();
    assert_eq!(e.code(), ErrorCode::SecretInvalidKeyName);
    assert!(e.message().contains("300 characters, at most 128"), "{}", e.message());
    for empty in ["", "  \n"] {
        assert_eq!(
            secrets::add(&v, NewSecret::new("EMPTY", empty)).unwrap_err().code(),
            ErrorCode::SecretEmptyValue
        );
    }
    let mut unknown = NewSecret::new("X_KEY", "x");
    unknown.provider_id = Some("nope".into());
    assert_eq!(secrets::add(&v, unknown).unwrap_err().code(), ErrorCode::ProviderNotFound);

    // A batch with one bad entry writes nothing (all or nothing).
    let before = secrets::list(&v, &query()).total;
    let batch = vec![
        NewSecret::new("NEW_ONE", "1"),
        NewSecret::new("NEW_TWO", "2"),
        NewSecret::new("GH_TOKEN", "dup"),
    ];
    let mut batch = batch;
    batch[2].provider_id = Some("github".into());
    assert_eq!(secrets::add_many(&v, batch).unwrap_err().code(), ErrorCode::SecretAlreadyExists);
    assert_eq!(secrets::list(&v, &query()).total, before);
    let rows: i64 = f.raw_vault().query_row("SELECT count(*) FROM secrets", [], |r| r.get(0)).expect("count");
    assert_eq!(rows as usize, before);

    // Editing into a conflict is refused too.
    let e = secrets::edit(
        &v,
        "GH_TOKEN",
        Some("generic"),
        SecretEdit { provider_id: Some("github".into()), ..Default::default() },
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::SecretAlreadyExists);
    assert_eq!(
        secrets::edit(&v, "MISSING", None, SecretEdit::default()).unwrap_err().code(),
        ErrorCode::SecretNotFound
    );
}

#[test]
fn provenance_columns_are_filled() {
    let f = Fixture::new();
    let v = f.unlock();
    secrets::add(&v, NewSecret::new("MANUAL_KEY", "1")).expect("add");
    let mut imported = NewSecret::new("IMPORTED_KEY", "2");
    imported.provenance =
        Provenance { source_type: SourceType::FileImport, source_label: Some(".env.example".into()) };
    secrets::add(&v, imported).expect("add");
    let row = |k: &str| -> (String, Option<String>, Option<String>, String) {
        f.raw_vault()
            .query_row(
                "SELECT source_type, source_label, imported_at, created_at FROM secrets WHERE key_name = ?1",
                [k],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .expect("row")
    };
    let (t, label, imported_at, created) = row("MANUAL_KEY");
    assert_eq!((t.as_str(), label, imported_at), ("manual", None, None));
    assert!(created.ends_with('Z'));
    let (t, label, imported_at, _) = row("IMPORTED_KEY");
    assert_eq!(t, "file_import");
    assert_eq!(label.as_deref(), Some(".env.example"));
    assert!(imported_at.is_some_and(|t| t.ends_with('Z')));
}

#[test]
fn providers_are_seeded_into_the_vault() {
    let f = Fixture::new();
    let _v = f.unlock();
    let n: i64 = f.raw_vault().query_row("SELECT count(*) FROM providers", [], |r| r.get(0)).expect("count");
    assert_eq!(n as usize, keyclave_core::providers::all().len());
    let generic: String = f
        .raw_vault()
        .query_row("SELECT display_name FROM providers WHERE id = 'generic'", [], |r| r.get(0))
        .expect("generic present");
    assert!(!generic.is_empty());
}

#[test]
fn a_long_lived_handle_catches_up_with_another_writers_commits() {
    let f = Fixture::new();
    // Two unlocks: two sets of connections, as two processes have.
    let agent = f.unlock();
    let other = f.unlock();
    // The second unlock committed (its audit event): caught up once.
    agent.sync_external_changes().unwrap();
    assert!(!agent.sync_external_changes().unwrap(), "nothing changed since");
    secrets::add(&agent, NewSecret::new("OWN_KEY", "own-value-zqx")).unwrap();
    assert!(!agent.sync_external_changes().unwrap(), "its own commits are already in its catalog");
    secrets::add(&other, NewSecret::new("OTHER_KEY", "other-value-zqx")).unwrap();
    let mut s = other.settings();
    s.clipboard_auto_clear_seconds = 45;
    other.update_settings(s).unwrap();
    assert_eq!(secrets::count(&agent), 1, "the catalog is a cache");
    assert!(agent.sync_external_changes().unwrap());
    assert_eq!(secrets::count(&agent), 2);
    assert!(secrets::find(&agent, "OTHER_KEY", None).is_ok());
    assert_eq!(agent.settings().clipboard_auto_clear_seconds, 45);
    assert!(!agent.sync_external_changes().unwrap());
}
