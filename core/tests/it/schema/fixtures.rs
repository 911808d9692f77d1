//! Fixture rows: the minimal valid row of each table, and inserting them.

use super::*;

// ---------------------------------------------------------------------------
// Fixture rows
// ---------------------------------------------------------------------------

pub(crate) const TS: &str = "'2026-02-06T14:25:00Z'";

/// The smallest valid row of `table`: exactly its NOT NULL columns without
/// a default, as (column, SQL literal). `key` keeps ids and unique columns
/// distinct; parents are the fixed keys of [`Db::parents`].
pub(crate) fn minimal_row(table: &str, key: &str) -> Vec<(&'static str, String)> {
    let id = || ("id", format!("'{key}'"));
    let s = |v: &str| v.to_string();
    let ts = || TS.to_string();
    let profile = || ("profile_id", s("'p1'"));
    let provider = || ("provider_id", s("'github'"));
    let project = || ("project_id", s("'proj1'"));
    let secret = || ("secret_id", s("'s1'"));
    match table {
        // index.db
        "app_profiles" => vec![
            id(),
            ("display_name", format!("'Profile {key}'")),
            ("created_at", ts()),
            ("updated_at", ts()),
        ],
        "profile_vault_meta" => vec![
            profile(),
            ("kdf_params_json", s("'{\"m\":19456,\"t\":2,\"p\":1}'")),
            ("kdf_salt", s("X'00112233'")),
            ("wrapped_pvk", s("X'44556677'")),
        ],
        "app_audit_events" => vec![id(), ("event_type", s("'profile_deleted'")), ("created_at", ts())],
        // vault.db core
        "profile_settings" => vec![("profile_id", format!("'{key}'")), ("updated_at", ts())],
        "providers" => vec![
            id(),
            ("display_name", format!("'Provider {key}'")),
            ("created_at", ts()),
            ("updated_at", ts()),
        ],
        "projects" => vec![
            id(),
            profile(),
            ("root_path", format!("'/home/dev/{key}'")),
            ("display_name", format!("'Project {key}'")),
            ("created_at", ts()),
            ("updated_at", ts()),
        ],
        "project_docs" => vec![
            id(),
            project(),
            ("path", format!("'docs/{key}.md'")),
            ("sha256", format!("'{}'", "ab".repeat(32))),
        ],
        "project_requirements" => {
            vec![id(), project(), provider(), ("confidence", s("0.7")), ("created_at", ts())]
        }
        "dotenv_targets" => vec![id(), project(), ("path", format!("'.env.{key}'"))],
        "secrets" => vec![
            id(),
            profile(),
            provider(),
            ("key_name", format!("'KEY_{key}'")),
            ("secret_value_enc", s("X'DEADBEEF'")),
            ("source_type", s("'manual'")),
            ("created_at", ts()),
            ("updated_at", ts()),
        ],
        "validations" => vec![secret(), provider(), ("checked_at", ts())],
        "audit_events" => vec![id(), profile(), ("event_type", s("'unlock_success'")), ("created_at", ts())],
        // vault.db automation
        "dashboard_snapshots" => vec![
            id(),
            profile(),
            secret(),
            provider(),
            ("collected_at", ts()),
            ("collection_method", s("'api'")),
            ("collection_status", s("'success'")),
        ],
        "dashboard_daily_summaries" => vec![
            id(),
            profile(),
            secret(),
            provider(),
            ("summary_date", s("'2026-02-06'")),
            ("health_summary", s("'valid'")),
        ],
        "discovery_findings" => vec![
            id(),
            profile(),
            provider(),
            ("discovered_at", ts()),
            ("source_url", format!("'https://github.blog/changelog/{key}'")),
            ("source_title", s("'Fine-grained tokens GA'")),
            ("source_snippet", s("'Fine-grained personal access tokens are now GA.'")),
            ("category", s("'capability_change'")),
            ("impact_summary", s("'Classic tokens can be replaced.'")),
            ("action_recommendation", s("'Rotate to a fine-grained token.'")),
            ("urgency", s("'advisory'")),
            ("relevance_score", s("0.8")),
            ("created_at", ts()),
        ],
        "discovery_sources" => vec![
            id(),
            profile(),
            provider(),
            ("kind", s("'feed'")),
            ("url", format!("'https://github.blog/changelog/feed/{key}'")),
            ("created_at", ts()),
            ("updated_at", ts()),
        ],
        "discovery_search_log" => vec![
            id(),
            profile(),
            provider(),
            ("searched_at", ts()),
            ("trigger_type", s("'scheduled'")),
            ("status", s("'success'")),
        ],
        "automation_scripts" => vec![
            id(),
            profile(),
            provider(),
            ("task_type", s("'dashboard_scrape'")),
            ("title", s("'Read usage'")),
            ("description", s("'Reads the usage page'")),
            ("script_content", s("'page.goto(\"{{DASHBOARD_URL}}\")'")),
            ("model_used", s("'template'")),
            ("created_at", ts()),
            ("updated_at", ts()),
        ],
        "automation_executions" => vec![id(), profile(), ("script_id", s("'sc1'")), ("started_at", ts())],
        "automation_script_versions" => vec![
            id(),
            ("script_id", s("'sc1'")),
            ("version", s("1")),
            ("script_content", s("'kc.log(\"hi\")'")),
            ("source_sha256", s("printf('%064d', 0)")),
            ("created_at", ts()),
        ],
        "automation_execution_events" => vec![
            id(),
            ("execution_id", s("'ex1'")),
            ("seq", s("1")),
            ("created_at", ts()),
            ("level", s("'info'")),
            ("message_redacted", s("'opened dashboard'")),
        ],
        "hitl_checkpoints" => vec![
            id(),
            profile(),
            ("execution_id", s("'ex1'")),
            ("checkpoint_type", s("'billing'")),
            ("checkpoint_description", s("'Set a spend limit'")),
            ("proposed_action", s("'Set monthly limit to $20'")),
            ("decision", s("'approved'")),
            ("decided_at", ts()),
        ],
        "provider_selectors" => vec![
            id(),
            provider(),
            ("data_type", s("'usage_requests'")),
            ("selector_type", s("'css'")),
            ("selector_value", s("'#usage .count'")),
            ("created_at", ts()),
            ("updated_at", ts()),
        ],
        "service_recommendations" => vec![
            id(),
            profile(),
            ("requirement_text", s("'We need transactional email'")),
            ("capability_needed", s("'transactional email'")),
            ("recommended_service_name", s("'SendGrid'")),
            ("rationale", s("'Free tier, simple API'")),
            ("match_score", s("0.8")),
            ("created_at", ts()),
        ],
        // reference_library/manifest.db
        "reference_library_manifest" => vec![
            id(),
            ("source_name", format!("'source-{key}'")),
            ("source_url", s("'https://github.com/microsoft/playwright-python'")),
            ("commit_sha", format!("'{}'", "0123456789".repeat(4))),
            ("downloaded_at", ts()),
            ("local_path", format!("'source-{key}'")),
            ("file_count", s("12")),
            ("total_size_bytes", s("34567")),
            ("checksum", format!("'{}'", "cd".repeat(32))),
        ],
        other => panic!("no fixture row for table {other}"),
    }
}

/// Inserts the minimal row of `table` with `overrides` (SQL literals) and
/// returns its rowid.
pub(crate) fn insert(
    conn: &Connection,
    table: &str,
    key: &str,
    overrides: &[(&str, &str)],
) -> rusqlite::Result<i64> {
    let mut row: Vec<(String, String)> =
        minimal_row(table, key).into_iter().map(|(c, v)| (c.to_string(), v)).collect();
    for &(col, value) in overrides {
        match row.iter_mut().find(|(c, _)| c == col) {
            Some(entry) => entry.1 = value.to_string(),
            None => row.push((col.to_string(), value.to_string())),
        }
    }
    // Keep the cross-column CHECKs satisfied unless the caller set the
    // dependent column itself.
    let has =
        |row: &[(String, String)], col: &str, value: &str| row.iter().any(|(c, v)| c == col && v == value);
    let lacks = |row: &[(String, String)], col: &str| !row.iter().any(|(c, _)| c == col);
    if table == "automation_scripts"
        && has(&row, "approval_status", "'approved'")
        && lacks(&row, "approved_at")
    {
        row.push(("approved_at".into(), TS.into()));
    }
    if table == "hitl_checkpoints" && has(&row, "decision", "'modified'") && lacks(&row, "modified_action") {
        row.push(("modified_action".into(), "'Set monthly limit to $5'".into()));
    }
    let cols: Vec<&str> = row.iter().map(|(c, _)| c.as_str()).collect();
    let values: Vec<&str> = row.iter().map(|(_, v)| v.as_str()).collect();
    conn.execute(&format!("INSERT INTO {table} ({}) VALUES ({})", cols.join(", "), values.join(", ")), [])?;
    Ok(conn.last_insert_rowid())
}

/// Inserts the parents, then one row in every other table, keeping only
/// the tables `include` accepts; returns the tables filled.
pub(crate) fn insert_fixture(
    conn: &Connection,
    db: &Db,
    include: impl Fn(&'static str) -> bool,
) -> Vec<&'static str> {
    let mut filled = Vec::new();
    for &(table, key) in db.parents {
        if include(table) {
            insert(conn, table, key, &[]).unwrap_or_else(|e| panic!("fixture {table} {key}: {e}"));
            filled.push(table);
        }
    }
    for table in db.tables {
        let is_parent = db.parents.iter().any(|&(p, _)| p == table.name);
        if !is_parent && include(table.name) {
            insert(conn, table.name, "r1", &[]).unwrap_or_else(|e| panic!("fixture {}: {e}", table.name));
            filled.push(table.name);
        }
    }
    filled
}
