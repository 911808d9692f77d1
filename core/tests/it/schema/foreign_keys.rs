//! Foreign keys are declared as specified and enforced, with the cascades the data model names.

use super::*;
use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{Connection, ffi};

// ---------------------------------------------------------------------------
// Foreign keys
// ---------------------------------------------------------------------------

#[test]
fn foreign_keys_are_declared_as_specified() {
    let expected_all = foreign_keys();
    for db in &DBS {
        let conn = open(db);
        for table in db.tables {
            let mut stmt = conn
                .prepare("SELECT \"from\", \"table\", \"to\", on_delete FROM pragma_foreign_key_list(?1)")
                .expect("foreign_key_list");
            let actual: BTreeSet<(String, String, String, String)> = stmt
                .query_map([table.name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .and_then(|rows| rows.collect())
                .expect("foreign_key_list rows");
            let expected: BTreeSet<(String, String, String, String)> = expected_all
                .iter()
                .filter(|fk| fk.0 == table.name)
                .map(|&(_, from, parent, to, on_delete)| {
                    (from.into(), parent.into(), to.into(), on_delete.into())
                })
                .collect();
            assert_eq!(actual, expected, "{}: foreign keys", table.name);
        }
    }
}

#[test]
fn foreign_keys_are_enforced() {
    let conns: Vec<Connection> = DBS.iter().map(open_with_parents).collect();
    for conn in &conns {
        let on: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).expect("pragma");
        assert!(on, "foreign_keys must be ON");
    }
    for (table, column, parent, _, _) in foreign_keys() {
        let i = db_index(table);
        probe(&conns[i], |conn| {
            assert_violation(
                insert(conn, table, "t1", &[(column, "'missing'")]),
                ffi::SQLITE_CONSTRAINT_FOREIGNKEY,
                &format!("{table}.{column} pointing at no {parent}"),
            );
        });
    }
}

#[test]
fn secret_with_unknown_provider_is_rejected() {
    let conn = open_with_parents(db("vault"));
    let result = insert(&conn, "secrets", "t1", &[("provider_id", "'no-such-provider'")]);
    assert_violation(result, ffi::SQLITE_CONSTRAINT_FOREIGNKEY, "secret with unknown provider");
    insert(&conn, "secrets", "t1", &[("provider_id", "'github'")]).expect("secret with known provider");
}

#[test]
fn deleting_the_profile_settings_row_removes_everything_the_profile_owns() {
    let conn = open_with_fixture(db("vault"));
    conn.execute("DELETE FROM profile_settings WHERE profile_id = 'p1'", []).expect("delete profile");
    for table in VAULT_TABLES {
        // Providers and their selectors are shared registry data.
        let expected = i64::from(matches!(table.name, "providers" | "provider_selectors"));
        assert_eq!(count(&conn, table.name), expected, "{} after profile delete", table.name);
    }
}

#[test]
fn deleting_a_parent_cascades_to_the_rows_it_owns() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "DELETE FROM secrets WHERE id = 's1'",
            "secret",
            &["validations", "dashboard_snapshots", "dashboard_daily_summaries"],
        ),
        (
            "DELETE FROM projects WHERE id = 'proj1'",
            "project",
            &["project_docs", "project_requirements", "dotenv_targets"],
        ),
        (
            "DELETE FROM automation_scripts WHERE id = 'sc1'",
            "script",
            &[
                "automation_executions",
                "automation_execution_events",
                "hitl_checkpoints",
                "automation_script_versions",
            ],
        ),
        (
            "DELETE FROM automation_executions WHERE id = 'ex1'",
            "execution",
            &["automation_execution_events", "hitl_checkpoints"],
        ),
    ];
    for &(delete, what, children) in cases {
        let conn = open_with_fixture(db("vault"));
        let before: BTreeMap<&str, i64> =
            VAULT_TABLES.iter().map(|t| (t.name, count(&conn, t.name))).collect();
        assert_eq!(conn.execute(delete, []).expect(delete), 1, "{delete}");
        for table in VAULT_TABLES {
            let after = count(&conn, table.name);
            if children.contains(&table.name) {
                assert_eq!(after, 0, "{} after deleting the {what}", table.name);
            } else if !delete.contains(&format!("FROM {} ", table.name)) {
                assert_eq!(after, before[table.name], "{} untouched by deleting the {what}", table.name);
            }
        }
    }
}

#[test]
fn deleting_a_project_keeps_its_secrets_and_recommendations() {
    let conn = open_with_fixture(db("vault"));
    insert(&conn, "secrets", "s2", &[("project_id", "'proj1'")]).expect("tagged secret");
    insert(&conn, "service_recommendations", "rec2", &[("project_id", "'proj1'")]).expect("recommendation");
    conn.execute("DELETE FROM projects WHERE id = 'proj1'", []).expect("delete project");
    assert_eq!(quoted_values(&conn, "secrets", "project_id"), ["NULL", "NULL"]);
    assert_eq!(quoted_values(&conn, "service_recommendations", "project_id"), ["NULL", "NULL"]);
}

#[test]
fn a_provider_in_use_cannot_be_deleted_but_an_unused_one_takes_its_selectors() {
    let conn = open_with_fixture(db("vault"));
    let in_use = conn.execute("DELETE FROM providers WHERE id = 'github'", []);
    assert_violation(in_use, ffi::SQLITE_CONSTRAINT_FOREIGNKEY, "delete a provider with secrets");

    insert(&conn, "providers", "acme", &[]).expect("provider");
    insert(&conn, "provider_selectors", "sel-acme", &[("provider_id", "'acme'")]).expect("selector");
    insert(&conn, "service_recommendations", "rec-acme", &[("recommended_provider_id", "'acme'")])
        .expect("recommendation");
    conn.execute("DELETE FROM providers WHERE id = 'acme'", []).expect("delete unused provider");
    assert_eq!(quoted_values(&conn, "provider_selectors", "provider_id"), ["'github'"]);
    assert_eq!(
        strings(
            &conn,
            "SELECT quote(recommended_provider_id) FROM service_recommendations WHERE id = 'rec-acme'"
        ),
        ["NULL"]
    );
}
