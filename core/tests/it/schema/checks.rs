//! Every enum and boolean column has its CHECK, and the CHECKs accept what is allowed and refuse the rest.

use super::*;

use rusqlite::{Connection, ffi};

// ---------------------------------------------------------------------------
// Value CHECKs
// ---------------------------------------------------------------------------

#[test]
fn every_enum_and_boolean_column_has_its_check_in_the_schema_sql() {
    for &(table, column, values) in ENUMS {
        let conn = open(db_for(table));
        let list = values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ");
        let needle = format!("{column} IN ({list})");
        assert!(
            contains_clause(&table_sql(&conn, table), &needle),
            "{table}: no CHECK ({needle}) in its SQL"
        );
    }
    for &(table, column) in BOOLS {
        let conn = open(db_for(table));
        let needle = format!("{column} IN (0, 1)");
        assert!(
            contains_clause(&table_sql(&conn, table), &needle),
            "{table}: no CHECK ({needle}) in its SQL"
        );
    }
}

#[test]
fn every_enum_check_in_the_schema_is_listed() {
    // The reverse direction: an enum CHECK added to the SQL must be added
    // to ENUMS (and so gets its behavioural test).
    for db in &DBS {
        let conn = open(db);
        for table in db.tables {
            let sql = table_sql(&conn, table.name);
            for (i, _) in sql.match_indices(" IN ('") {
                let column: String = sql[..i]
                    .chars()
                    .rev()
                    .take_while(|&c| is_ident_char(c))
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                assert!(
                    ENUMS.iter().any(|&(t, c, _)| t == table.name && c == column),
                    "{}.{column} has an enum CHECK missing from ENUMS",
                    table.name
                );
            }
        }
    }
}

#[test]
fn value_checks_accept_allowed_values_and_reject_others() {
    let conns: Vec<Connection> = DBS.iter().map(open_with_parents).collect();
    for check in value_checks() {
        let i = db_index(check.table);
        let conn = &conns[i];
        let (table, column) = (check.table, check.column.as_str());
        for ok in &check.ok {
            probe(conn, |conn| {
                insert(conn, table, "t1", &[(column, ok.as_str())])
                    .unwrap_or_else(|e| panic!("{table}.{column} = {ok} must be accepted: {e}"))
            });
        }
        for bad in &check.bad {
            let ctx = format!("{table}.{column} = {bad}");
            probe(conn, |conn| {
                assert_violation(
                    insert(conn, table, "t1", &[(column, bad.as_str())]),
                    ffi::SQLITE_CONSTRAINT_CHECK,
                    &ctx,
                );
            });
            if table == "automation_execution_events" {
                continue; // append-only: any UPDATE is refused by a trigger
            }
            probe(conn, |conn| {
                let rowid =
                    insert(conn, table, "t1", &[]).unwrap_or_else(|e| panic!("{ctx}: valid row: {e}"));
                let update =
                    conn.execute(&format!("UPDATE {table} SET {column} = {bad} WHERE rowid = {rowid}"), []);
                assert_violation(update, ffi::SQLITE_CONSTRAINT_CHECK, &format!("UPDATE {ctx}"));
            });
        }
    }
}

#[test]
fn an_approved_script_records_when() {
    let conn = open_with_parents(db("vault"));
    let missing = insert(
        &conn,
        "automation_scripts",
        "t1",
        &[("approval_status", "'approved'"), ("approved_at", "NULL")],
    );
    assert_violation(missing, ffi::SQLITE_CONSTRAINT_CHECK, "approved without approved_at");
    let approve =
        conn.execute("UPDATE automation_scripts SET approval_status = 'approved' WHERE id = 'sc1'", []);
    assert_violation(approve, ffi::SQLITE_CONSTRAINT_CHECK, "approve without approved_at");
    conn.execute(
        &format!(
            "UPDATE automation_scripts SET approval_status = 'approved', approved_at = {TS} WHERE id = 'sc1'"
        ),
        [],
    )
    .expect("approve with time");
}

#[test]
fn only_a_script_review_goes_without_a_run_and_then_names_its_script_version() {
    let conn = open_with_parents(db("vault"));
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], bool);
    let cases: [Case<'_>; 4] = [
        ("a billing checkpoint without a run", &[("execution_id", "NULL")], false),
        (
            "a review without its script",
            &[("execution_id", "NULL"), ("checkpoint_type", "'script_review'")],
            false,
        ),
        (
            "a review without the version",
            &[("execution_id", "NULL"), ("checkpoint_type", "'script_review'"), ("script_id", "'sc1'")],
            false,
        ),
        (
            "a review of version 1",
            &[
                ("execution_id", "NULL"),
                ("checkpoint_type", "'script_review'"),
                ("script_id", "'sc1'"),
                ("script_version", "1"),
            ],
            true,
        ),
    ];
    for (what, values, ok) in cases {
        let result = probe(&conn, |conn| insert(conn, "hitl_checkpoints", "t1", values));
        if ok {
            result.unwrap_or_else(|e| panic!("{what}: {e}"));
        } else {
            assert_violation(result, ffi::SQLITE_CONSTRAINT_CHECK, what);
        }
    }
}

#[test]
fn a_modified_checkpoint_records_the_modified_action_and_only_then() {
    let conn = open_with_parents(db("vault"));
    let cases = [
        ("'modified'", "NULL", false),
        ("'approved'", "'Set monthly limit to $5'", false),
        ("'rejected'", "'Set monthly limit to $5'", false),
        ("'modified'", "'Set monthly limit to $5'", true),
        ("'approved'", "NULL", true),
    ];
    for (decision, action, ok) in cases {
        let result = probe(&conn, |conn| {
            insert(conn, "hitl_checkpoints", "t1", &[("decision", decision), ("modified_action", action)])
        });
        let ctx = format!("decision {decision} with modified_action {action}");
        if ok {
            result.unwrap_or_else(|e| panic!("{ctx}: {e}"));
        } else {
            assert_violation(result, ffi::SQLITE_CONSTRAINT_CHECK, &ctx);
        }
    }
}

#[test]
fn execution_decides_no_more_checkpoints_than_it_reached() {
    let conn = open_with_parents(db("vault"));
    let too_many = conn.execute(
        "UPDATE automation_executions SET checkpoints_reached = 1, checkpoints_approved = 1, \
         checkpoints_rejected = 1 WHERE id = 'ex1'",
        [],
    );
    assert_violation(too_many, ffi::SQLITE_CONSTRAINT_CHECK, "2 decisions for 1 checkpoint");
    conn.execute(
        "UPDATE automation_executions SET checkpoints_reached = 2, checkpoints_approved = 1, \
         checkpoints_rejected = 1 WHERE id = 'ex1'",
        [],
    )
    .expect("2 decisions for 2 checkpoints");
}

#[test]
fn execution_events_are_append_only_but_go_with_their_execution() {
    let conn = open_with_fixture(db("vault"));
    let update = conn.execute("UPDATE automation_execution_events SET message_redacted = 'edited'", []);
    assert_violation(update, ffi::SQLITE_CONSTRAINT_TRIGGER, "update an event");
    insert(&conn, "automation_execution_events", "r2", &[("seq", "2")]).expect("append the next event");
    conn.execute("DELETE FROM automation_executions WHERE id = 'ex1'", []).expect("delete execution");
    assert_eq!(count(&conn, "automation_execution_events"), 0);
}
