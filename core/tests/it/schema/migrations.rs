//! Migrations: they validate, every file is embedded in order, and every earlier version upgrades in place.

use super::*;
use std::collections::BTreeSet;
use std::path::Path;

// ---------------------------------------------------------------------------
// Migrations
// ---------------------------------------------------------------------------

#[test]
fn migrations_validate_for_every_database() {
    for db in &DBS {
        (db.migrations)().validate().unwrap_or_else(|e| panic!("{}: {e}", db.dir));
    }
}

#[test]
fn every_migration_file_on_disk_is_embedded_in_order() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let entries = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let mut dirs: Vec<&str> = DBS.iter().map(|d| d.dir).collect();
    dirs.sort_unstable();
    assert_eq!(entries(&root), dirs, "one migrations folder per database");

    for db in &DBS {
        let dir = root.join(db.dir);
        let embedded: Vec<&str> = db.files.iter().map(|f| f.name).collect();
        assert_eq!(entries(&dir), embedded, "{}: files on disk vs embedded list", db.dir);
        for (i, file) in db.files.iter().enumerate() {
            let prefix = format!("{:04}_", i + 1);
            let stem = file
                .name
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(".sql"))
                .unwrap_or_else(|| panic!("{}/{} must be named {prefix}<name>.sql", db.dir, file.name));
            assert!(
                !stem.is_empty()
                    && stem.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{}/{}: name must be lowercase snake_case",
                db.dir,
                file.name
            );
            let on_disk = std::fs::read_to_string(dir.join(file.name)).expect("read migration");
            assert_eq!(on_disk, file.sql, "{}/{}: embedded SQL is stale", db.dir, file.name);
        }
    }
}

#[test]
fn migrations_create_exactly_the_specified_tables() {
    for db in &DBS {
        let conn = open(db);
        assert_eq!(user_version(&conn), db.files.len(), "{}: user_version", db.dir);
        let expected: BTreeSet<String> = db
            .tables
            .iter()
            .map(|t| t.name.to_string())
            .chain(db.virtual_tables.iter().map(|t| t.to_string()))
            .collect();
        assert_eq!(table_names(&conn), expected, "{}: tables", db.dir);
    }
}

#[test]
fn every_earlier_version_upgrades_in_place_keeping_rows() {
    for db in &DBS {
        let latest = db.files.len();
        for from in 0..latest {
            let ctx = format!("{} upgraded from version {from}", db.dir);
            let mut conn = open_empty();
            (db.migrations)()
                .to_version(&mut conn, from)
                .unwrap_or_else(|e| panic!("{ctx}: migrate to {from}: {e}"));
            assert_eq!(user_version(&conn), from, "{ctx}");

            // A representative row in every table that exists at `from`.
            let present = table_names(&conn);
            let old = insert_fixture(&conn, db, |t| present.contains(t));
            let spec_present = db.tables.iter().filter(|t| present.contains(t.name)).count();
            assert_eq!(old.len(), spec_present, "{ctx}: a row in every existing table");
            assert_eq!(from == 0, old.is_empty(), "{ctx}: version {from} has tables");
            let before: Vec<(&str, Vec<String>, Vec<String>)> = old
                .iter()
                .map(|&t| {
                    let columns: Vec<String> = table_info(&conn, t).into_iter().map(|c| c.name).collect();
                    let rows = dump(&conn, t, &columns);
                    (t, columns, rows)
                })
                .collect();

            (db.migrations)()
                .to_latest(&mut conn)
                .unwrap_or_else(|e| panic!("{ctx}: migrate to latest: {e}"));
            assert_eq!(user_version(&conn), latest, "{ctx}");

            for (table, columns, rows) in &before {
                assert_eq!(&dump(&conn, table, columns), rows, "{ctx}: rows of {table} kept");
            }
            // Columns added since `from` take their defaults on old rows
            // (e.g. discovery_schedule_hour = 3 on the profile_settings row).
            for &(table, column, value) in DEFAULTS.iter().filter(|d| old.contains(&d.0)) {
                assert_eq!(quoted_values(&conn, table, column), [value], "{ctx}: {table}.{column}");
            }
            // The upgraded schema takes rows in every newer table too.
            let new = insert_fixture(&conn, db, |t| !old.contains(&t));
            assert_eq!(old.len() + new.len(), db.tables.len(), "{ctx}");
            assert!(
                strings(&conn, "SELECT \"table\" FROM pragma_foreign_key_check").is_empty(),
                "{ctx}: foreign key violations"
            );
        }
    }
}

#[test]
fn vault_upgrade_from_version_1_gives_the_old_profile_the_automation_defaults() {
    let vault = db("vault");
    let mut conn = open_empty();
    (vault.migrations)().to_version(&mut conn, 1).expect("migrate to 1");
    insert(&conn, "profile_settings", "p1", &[("auto_lock_timeout_seconds", "600")]).expect("settings");
    insert(&conn, "providers", "github", &[("homepage_url", "'https://github.com'")]).expect("provider");
    insert(&conn, "secrets", "s1", &[("environment", "'prod'")]).expect("secret");

    (vault.migrations)().to_latest(&mut conn).expect("migrate to latest");
    let settings: (i64, i64, i64, i64, Option<i64>, i64, i64) = conn
        .query_row(
            "SELECT auto_lock_timeout_seconds, autonomous_mode_enabled, discovery_schedule_hour, \
             dashboard_refresh_interval_seconds, dashboard_quiet_hours_start, automation_max_retries, \
             discovery_retention_days FROM profile_settings WHERE profile_id = 'p1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
        )
        .expect("settings row");
    assert_eq!(settings, (600, 0, 3, 3600, None, 3, 90));
    let provider: (String, i64, i64) = conn
        .query_row(
            "SELECT homepage_url, dashboard_supported, discovery_enabled FROM providers WHERE id = 'github'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("provider row");
    assert_eq!(provider, ("https://github.com".to_string(), 0, 1));
    let environment: String = conn
        .query_row("SELECT environment FROM secrets WHERE id = 's1'", [], |r| r.get(0))
        .expect("secret row");
    assert_eq!(environment, "prod");
}

#[test]
fn vault_upgrade_from_version_5_marks_old_citations_as_mentions_and_leaves_necessity_unknown() {
    let vault = db("vault");
    let mut conn = open_empty();
    (vault.migrations)().to_version(&mut conn, 5).expect("migrate to 5");
    for (table, key) in vault.parents {
        insert(&conn, table, key, &[]).expect("parent row");
    }
    let old = r#"[{"path":"README.md","line_start":3,"line_end":3,"excerpt":"Uses OpenAI.","rule":"provider_name"}]"#;
    insert(&conn, "project_requirements", "r1", &[("citations_json", &format!("'{old}'"))])
        .expect("requirement");
    insert(&conn, "providers", "openai", &[]).expect("second provider");
    insert(&conn, "project_requirements", "r2", &[("provider_id", "'openai'")])
        .expect("requirement without citations");

    (vault.migrations)().to_latest(&mut conn).expect("migrate to latest");
    let rows: Vec<(String, Option<String>)> = conn
        .prepare("SELECT citations_json, necessity FROM project_requirements ORDER BY id")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let citations: serde_json::Value = serde_json::from_str(&rows[0].0).expect("json");
    assert_eq!(citations[0]["claim"], "mention");
    assert_eq!(citations[0]["excerpt"], "Uses OpenAI.", "the rest is kept");
    assert_eq!(rows[1].0, "[]");
    assert!(rows.iter().all(|(_, n)| n.is_none()), "unknown until the next scan");
}
