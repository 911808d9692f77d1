//! Schema of the three databases (data-model.md, seed 003 §2–3).
//!
//! The migrations apply to an empty database and upgrade every earlier
//! version in place, and every table, column, enum CHECK, default, index and
//! foreign key the specs list is present — and enforced, not just declared.
//!
//! The tables below are the spec in executable form: a schema change that is
//! not mirrored here (or a spec item the schema misses) fails a test.

mod checks;
mod columns;
mod fixtures;
mod foreign_keys;
mod index_db;
mod indexes;
mod migrations;
mod reference_library;
mod spec;

pub(crate) use fixtures::*;
pub(crate) use spec::*;

use std::collections::BTreeSet;
use std::ffi::c_int;

use keyclave_core::migrations::{self as core_migrations, MigrationFile};
use rusqlite::{Connection, ffi};
use rusqlite_migration::Migrations;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

pub(super) fn db(dir: &str) -> &'static Db {
    DBS.iter().find(|d| d.dir == dir).unwrap_or_else(|| panic!("no db {dir}"))
}

/// The database holding `table`; panics on a table the spec does not list,
/// so the lists above cannot drift from [`DBS`].
pub(super) fn db_for(table: &str) -> &'static Db {
    DBS.iter()
        .find(|d| d.tables.iter().any(|t| t.name == table) || d.virtual_tables.contains(&table))
        .unwrap_or_else(|| panic!("table {table} is in no spec'd database"))
}

/// Position in [`DBS`] of the database holding `table`, to pick its
/// connection out of one opened per database.
pub(super) fn db_index(table: &str) -> usize {
    let db = db_for(table);
    DBS.iter().position(|d| d.dir == db.dir).expect("db in DBS")
}

pub(super) fn spec(table: &str) -> &'static Table {
    db_for(table).tables.iter().find(|t| t.name == table).unwrap_or_else(|| panic!("no spec for {table}"))
}

pub(super) fn is_nullable(table: &str, column: &str) -> bool {
    spec(table)
        .columns
        .iter()
        .find(|c| c.trim_end_matches('?') == column)
        .unwrap_or_else(|| panic!("{table}.{column} is not in the spec"))
        .ends_with('?')
}

pub(super) fn open_empty() -> Connection {
    let conn = Connection::open_in_memory().expect("open in-memory database");
    conn.execute_batch("PRAGMA foreign_keys = ON").expect("enable foreign keys");
    conn
}

/// A database migrated to the latest version.
pub(super) fn open(db: &Db) -> Connection {
    let mut conn = open_empty();
    (db.migrations)().to_latest(&mut conn).unwrap_or_else(|e| panic!("{}: migrate to latest: {e}", db.dir));
    conn
}

pub(super) fn open_with_parents(db: &Db) -> Connection {
    let conn = open(db);
    insert_fixture(&conn, db, |t| db.parents.iter().any(|&(p, _)| p == t));
    conn
}

pub(super) fn open_with_fixture(db: &Db) -> Connection {
    let conn = open(db);
    insert_fixture(&conn, db, |_| true);
    conn
}

/// Runs `f` inside a savepoint that is rolled back afterwards.
pub(super) fn probe<T>(conn: &Connection, f: impl FnOnce(&Connection) -> T) -> T {
    conn.execute_batch("SAVEPOINT probe").expect("savepoint");
    let out = f(conn);
    conn.execute_batch("ROLLBACK TO probe; RELEASE probe").expect("rollback savepoint");
    out
}

#[track_caller]
pub(super) fn assert_violation<T: std::fmt::Debug>(
    result: rusqlite::Result<T>,
    expected: c_int,
    context: &str,
) {
    match result {
        Err(rusqlite::Error::SqliteFailure(e, msg)) => assert_eq!(
            e.extended_code, expected,
            "{context}: expected constraint code {expected}, got {e:?} ({msg:?})"
        ),
        other => panic!("{context}: expected constraint code {expected}, got {other:?}"),
    }
}

pub(super) fn strings(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    stmt.query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

pub(super) fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("count {table}: {e}"))
}

pub(super) fn user_version(conn: &Connection) -> usize {
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("user_version");
    usize::try_from(v).expect("non-negative user_version")
}

/// Ordinary and virtual tables of the main schema (no internal or FTS
/// shadow tables).
pub(super) fn table_names(conn: &Connection) -> BTreeSet<String> {
    strings(
        conn,
        "SELECT name FROM pragma_table_list \
         WHERE schema = 'main' AND type IN ('table', 'virtual') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )
    .into_iter()
    .collect()
}

pub(super) struct Column {
    name: String,
    decl_type: String,
    not_null: bool,
    default: Option<String>,
    pk: i64,
}

pub(super) fn table_info(conn: &Connection, table: &str) -> Vec<Column> {
    let mut stmt = conn
        .prepare("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1)")
        .expect("prepare table_info");
    let columns: Vec<Column> = stmt
        .query_map([table], |r| {
            Ok(Column {
                name: r.get(0)?,
                decl_type: r.get(1)?,
                not_null: r.get(2)?,
                default: r.get(3)?,
                pk: r.get(4)?,
            })
        })
        .and_then(|rows| rows.collect())
        .unwrap_or_else(|e| panic!("table_info {table}: {e}"));
    assert!(!columns.is_empty(), "table {table} does not exist");
    columns
}

/// The CREATE statement of `table`, whitespace collapsed.
pub(super) fn table_sql(conn: &Connection, table: &str) -> String {
    let sql: String = conn
        .query_row("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1", [table], |r| r.get(0))
        .unwrap_or_else(|e| panic!("sql of {table}: {e}"));
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `needle` (starting with an identifier) occurs in `sql` as a whole
/// identifier, not as the tail of a longer one (`status` in `user_status`).
pub(super) fn contains_clause(sql: &str, needle: &str) -> bool {
    sql.match_indices(needle).any(|(i, _)| !sql[..i].chars().next_back().is_some_and(is_ident_char))
}

/// Every value of `column`, through `quote()` so types show.
pub(super) fn quoted_values(conn: &Connection, table: &str, column: &str) -> Vec<String> {
    strings(conn, &format!("SELECT quote({column}) FROM {table} ORDER BY rowid"))
}

/// Every row of `table` over `columns`, through `quote()`.
pub(super) fn dump(conn: &Connection, table: &str, columns: &[String]) -> Vec<String> {
    let expr = columns.iter().map(|c| format!("quote({c})")).collect::<Vec<_>>().join(" || '|' || ");
    strings(conn, &format!("SELECT {expr} FROM {table} ORDER BY rowid"))
}

/// (table, column, parent, parent column, on delete) of every FK.
pub(super) fn foreign_keys() -> Vec<(&'static str, &'static str, &'static str, &'static str, &'static str)> {
    let mut fks = FOREIGN_KEYS.to_vec();
    // No profiles table in vault.db: every profile_id hangs off profile_settings.
    for t in db("vault").tables {
        if t.name != "profile_settings" && t.columns.iter().any(|c| c.trim_end_matches('?') == "profile_id") {
            fks.push((t.name, "profile_id", "profile_settings", "profile_id", "CASCADE"));
        }
    }
    fks
}

/// A column with a value CHECK: `ok` literals are accepted, `bad` ones are
/// refused with a CHECK error.
pub(super) struct Check {
    table: &'static str,
    column: String,
    ok: Vec<String>,
    bad: Vec<String>,
}

pub(super) fn value_checks() -> Vec<Check> {
    let mut checks = Vec::new();
    let null_if = |table: &str, column: &str| is_nullable(table, column).then(|| "NULL".to_string());
    for &(table, column, values) in ENUMS {
        let mut ok: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
        ok.extend(null_if(table, column));
        // Values are case-sensitive; an empty string is not "unset".
        let bad = vec!["'bogus'".into(), format!("'{}'", values[0].to_uppercase()), "''".into()];
        checks.push(Check { table, column: column.into(), ok, bad });
    }
    for &(table, column) in BOOLS {
        let mut ok = vec!["0".to_string(), "1".to_string()];
        ok.extend(null_if(table, column));
        checks.push(Check {
            table,
            column: column.into(),
            ok,
            bad: vec!["2".into(), "-1".into(), "'true'".into()],
        });
    }
    for &(table, column, ok, bad) in RANGES {
        let mut ok: Vec<String> = ok.iter().map(|v| v.to_string()).collect();
        ok.extend(null_if(table, column));
        checks.push(Check {
            table,
            column: column.into(),
            ok,
            bad: bad.iter().map(|v| v.to_string()).collect(),
        });
    }
    for db in DBS.iter().filter(|d| d.json_checked) {
        for table in db.tables {
            for column in table.columns.iter().map(|c| c.trim_end_matches('?')) {
                if column.contains("_json") {
                    checks.push(Check {
                        table: table.name,
                        column: column.into(),
                        ok: vec!["'[]'".into()],
                        bad: vec!["'{not json'".into()],
                    });
                }
            }
        }
    }
    checks
}
