//! Tables, columns and types are exactly the spec, and the defaults hold.

use super::*;
use std::collections::{BTreeMap, BTreeSet};

use rusqlite::Connection;

// ---------------------------------------------------------------------------
// Tables, columns, types
// ---------------------------------------------------------------------------

#[test]
fn tables_have_exactly_the_specified_columns() {
    for db in &DBS {
        let conn = open(db);
        for table in db.tables {
            let info = table_info(&conn, table.name);
            let actual: BTreeMap<&str, &str> = info
                .iter()
                .map(|c| (c.name.as_str(), if c.not_null { "NOT NULL" } else { "NULL" }))
                .collect();
            let expected: BTreeMap<&str, &str> = table
                .columns
                .iter()
                .map(|c| match c.strip_suffix('?') {
                    Some(name) => (name, "NULL"),
                    None => (*c, "NOT NULL"),
                })
                .collect();
            assert_eq!(actual, expected, "{}: columns and nullability", table.name);
            assert_eq!(actual.len(), info.len(), "{}: duplicate column", table.name);
            let pk: Vec<&str> = info.iter().filter(|c| c.pk > 0).map(|c| c.name.as_str()).collect();
            assert_eq!(pk, [table.pk], "{}: primary key", table.name);
        }
    }
}

#[test]
fn column_types_follow_the_conventions() {
    let bools: BTreeSet<(&str, &str)> = BOOLS.iter().copied().collect();
    for db in &DBS {
        let conn = open(db);
        for table in db.tables {
            for c in table_info(&conn, table.name) {
                let n = c.name.as_str();
                let expected = if c.pk > 0 || n.ends_with("_at") || n.contains("_json") || n == "summary_date"
                {
                    // Text UUID keys; UTC ISO 8601 timestamps; JSON as text.
                    Some("TEXT")
                } else if n.ends_with("_enc")
                    || ["kdf_salt", "wrapped_pvk", "pending_wrapped_pvk"].contains(&n)
                {
                    Some("BLOB")
                } else if bools.contains(&(table.name, n)) || n.ends_with("_count") || n.ends_with("_seconds")
                {
                    Some("INTEGER")
                } else if ["confidence", "relevance_score", "match_score"].contains(&n) {
                    Some("REAL")
                } else {
                    None
                };
                if let Some(expected) = expected {
                    assert_eq!(c.decl_type, expected, "{}.{n}: declared type", table.name);
                }
            }
        }
    }
}

#[test]
fn fixture_rows_fill_exactly_the_required_columns() {
    // Documents which columns a writer must always supply (NOT NULL, no
    // default); a dropped default shows up here.
    for db in &DBS {
        let conn = open(db);
        for table in db.tables {
            let required: BTreeSet<String> = table_info(&conn, table.name)
                .into_iter()
                .filter(|c| {
                    (c.not_null && c.default.is_none())
                        || REQUIRED_BY_CHECK.contains(&(table.name, c.name.as_str()))
                })
                .map(|c| c.name)
                .collect();
            let fixture: BTreeSet<String> =
                minimal_row(table.name, "x").into_iter().map(|(c, _)| c.to_string()).collect();
            assert_eq!(fixture, required, "{}: required columns", table.name);
        }
    }
}

#[test]
fn defaults_match_the_data_model_and_seed() {
    let conns: Vec<Connection> = DBS.iter().map(open_with_fixture).collect();
    for &(table, column, value) in DEFAULTS {
        let i = db_index(table);
        assert_eq!(quoted_values(&conns[i], table, column), [value], "{table}.{column} default");
    }
}
