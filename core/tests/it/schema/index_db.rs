//! index.db: profile names, pending rotation columns, deleted profiles.

use super::*;

use rusqlite::ffi;

// ---------------------------------------------------------------------------
// index.db
// ---------------------------------------------------------------------------

#[test]
fn index_profile_names_are_unique_case_insensitively() {
    let conn = open(db("index"));
    insert(&conn, "app_profiles", "a", &[("display_name", "'Work'")]).expect("Work");
    let clash = insert(&conn, "app_profiles", "b", &[("display_name", "'work'")]);
    assert_violation(clash, ffi::SQLITE_CONSTRAINT_UNIQUE, "'work' next to 'Work'");
    insert(&conn, "app_profiles", "c", &[("display_name", "'Work laptop'")]).expect("a different name");
    let found: String = conn
        .query_row("SELECT id FROM app_profiles WHERE display_name = 'WORK'", [], |r| r.get(0))
        .expect("case-insensitive lookup");
    assert_eq!(found, "a");
}

#[test]
fn index_pending_rotation_columns_are_set_together() {
    let conn = open_with_parents(db("index"));
    let cases =
        [("NULL", "NULL", true), ("X'0102'", "2", true), ("X'0102'", "NULL", false), ("NULL", "2", false)];
    for (pvk, version, ok) in cases {
        let ctx = format!("pending_wrapped_pvk {pvk}, pending_rotation_version {version}");
        let result = probe(&conn, |conn| {
            insert(
                conn,
                "profile_vault_meta",
                "t1",
                &[("pending_wrapped_pvk", pvk), ("pending_rotation_version", version)],
            )
        });
        if ok {
            result.unwrap_or_else(|e| panic!("{ctx}: {e}"));
        } else {
            assert_violation(result, ffi::SQLITE_CONSTRAINT_CHECK, &ctx);
        }
    }
    insert(&conn, "profile_vault_meta", "t1", &[]).expect("meta");
    let half = conn.execute("UPDATE profile_vault_meta SET pending_wrapped_pvk = X'01'", []);
    assert_violation(half, ffi::SQLITE_CONSTRAINT_CHECK, "half-started rotation");
}

#[test]
fn index_profile_delete_takes_its_vault_meta_but_keeps_undelivered_audit() {
    let conn = open_with_fixture(db("index"));
    conn.execute("UPDATE app_audit_events SET profile_id = 'p1'", []).expect("audit for p1");
    assert_eq!(count(&conn, "profile_vault_meta"), 1);
    conn.execute("DELETE FROM app_profiles WHERE id = 'p1'", []).expect("delete profile");
    assert_eq!(count(&conn, "profile_vault_meta"), 0);
    assert_eq!(count(&conn, "app_audit_events"), 1, "audit outlives the profile");
}
