//! Schema of the three databases (data-model.md, seed 003 §2–3).
//!
//! The migrations apply to an empty database and upgrade every earlier
//! version in place, and every table, column, enum CHECK, default, index and
//! foreign key the specs list is present — and enforced, not just declared.
//!
//! The tables below are the spec in executable form: a schema change that is
//! not mirrored here (or a spec item the schema misses) fails a test.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::c_int;
use std::path::Path;

use keyclave_core::migrations::{self, MigrationFile};
use rusqlite::{Connection, ffi};
use rusqlite_migration::Migrations;

// ---------------------------------------------------------------------------
// The spec
// ---------------------------------------------------------------------------

/// A table and every column it must have; a trailing `?` marks a nullable
/// column (all others are NOT NULL).
struct Table {
    name: &'static str,
    pk: &'static str,
    columns: &'static [&'static str],
}

/// One database: its migrations folder, embedded files and tables.
struct Db {
    dir: &'static str,
    files: &'static [MigrationFile],
    migrations: fn() -> Migrations<'static>,
    tables: &'static [Table],
    virtual_tables: &'static [&'static str],
    /// Rows other rows point to, inserted first in this order: (table, key).
    parents: &'static [(&'static str, &'static str)],
    /// Whether every `*_json` column must reject malformed JSON.
    json_checked: bool,
}

const INDEX_TABLES: &[Table] = &[
    Table {
        name: "app_profiles",
        pk: "id",
        columns: &[
            "id",
            "display_name",
            "created_at",
            "updated_at",
            "vault_storage_mode",
            "totp_enabled",
            "online_mode_enabled_default",
            "local_llm_assist_enabled_default",
        ],
    },
    Table {
        name: "profile_vault_meta",
        pk: "profile_id",
        columns: &[
            "profile_id",
            "kdf_alg",
            "kdf_params_json",
            "kdf_salt",
            "wrapped_pvk",
            "rotation_version",
            "pending_wrapped_pvk?",
            "pending_rotation_version?",
            "failed_unlock_count",
            "last_failed_unlock_at?",
        ],
    },
    Table {
        name: "app_audit_events",
        pk: "id",
        columns: &[
            "id",
            "profile_id?",
            "event_type",
            "created_at",
            "metadata_json_redacted",
            "delivered_at?",
        ],
    },
];

const VAULT_TABLES: &[Table] = &[
    Table {
        name: "profile_settings",
        pk: "profile_id",
        columns: &[
            "profile_id",
            "totp_secret_enc?",
            "recovery_codes_enc?",
            "auto_lock_timeout_seconds",
            "audit_retention_max_count",
            "audit_retention_max_days",
            "clipboard_auto_clear_seconds",
            "online_mode_enabled",
            "local_llm_assist_enabled",
            "updated_at",
            // seed 003 §2.1
            "autonomous_mode_enabled",
            "discovery_network_enabled",
            "discovery_schedule_hour",
            "dashboard_refresh_interval_seconds",
            "dashboard_quiet_hours_start?",
            "dashboard_quiet_hours_end?",
            "automation_max_retries",
            "discovery_retention_days",
            // 0003_totp
            "totp_pending_secret_enc?",
            "totp_last_step?",
            "totp_failed_count",
            "totp_last_failed_at?",
            "totp_required_for_export",
            "totp_required_for_reveal",
        ],
    },
    Table {
        name: "providers",
        pk: "id",
        columns: &[
            "id",
            "display_name",
            "homepage_url?",
            "docs_url?",
            "created_at",
            "updated_at",
            // seed 003 §2.2
            "dashboard_url?",
            "api_base_url?",
            "dashboard_supported",
            "discovery_enabled",
        ],
    },
    Table {
        name: "projects",
        pk: "id",
        columns: &[
            "id",
            "profile_id",
            "root_path",
            "display_name",
            "scan_index_opt_in",
            "last_scanned_at?",
            "created_at",
            "updated_at",
        ],
    },
    Table {
        name: "project_docs",
        pk: "id",
        // findings_json: migration 0004 (incremental rescans); the stat
        // columns: 0005 (rescans that read no unchanged file).
        columns: &[
            "id",
            "project_id",
            "path",
            "sha256",
            "last_parsed_at?",
            "findings_json",
            "size_bytes?",
            "mtime_ns?",
            "inode?",
            "stat_checked_at_ns?",
        ],
    },
    Table {
        name: "project_requirements",
        pk: "id",
        columns: &[
            "id",
            "project_id",
            "provider_id",
            "required_env_vars_json",
            "confidence",
            "citations_json",
            "user_status",
            "created_at",
            // Migration 0004.
            "citation_count",
        ],
    },
    Table {
        name: "dotenv_targets",
        pk: "id",
        columns: &["id", "project_id", "path", "last_written_at?", "last_diff_summary_json?"],
    },
    Table {
        name: "secrets",
        pk: "id",
        columns: &[
            "id",
            "profile_id",
            "provider_id",
            "key_name",
            "secret_value_enc",
            "environment?",
            "project_id?",
            "notes?",
            "tags_json",
            "source_type",
            "source_label?",
            "imported_at?",
            "created_at",
            "updated_at",
        ],
    },
    Table {
        name: "validations",
        pk: "secret_id",
        columns: &[
            "secret_id",
            "provider_id",
            "status",
            "checked_at",
            "error_code?",
            "error_message_redacted?",
            "restriction_info_json?",
        ],
    },
    Table {
        name: "audit_events",
        pk: "id",
        columns: &["id", "profile_id", "event_type", "created_at", "metadata_json_redacted"],
    },
    // seed 003 §3.1–3.9
    Table {
        name: "dashboard_snapshots",
        pk: "id",
        columns: &[
            "id",
            "profile_id",
            "secret_id",
            "provider_id",
            "collected_at",
            "collection_method",
            "collection_status",
            "usage_stats_json?",
            "config_attributes_json?",
            "restrictions_json?",
            "health_status",
            "service_status",
            "warnings_json?",
            "error_message_redacted?",
        ],
    },
    Table {
        name: "dashboard_daily_summaries",
        pk: "id",
        columns: &[
            "id",
            "profile_id",
            "secret_id",
            "provider_id",
            "summary_date",
            "avg_usage_percent?",
            "max_usage_percent?",
            "total_cost?",
            "cost_currency?",
            "health_summary",
            "collection_success_count",
            "collection_failure_count",
        ],
    },
    Table {
        name: "discovery_findings",
        pk: "id",
        columns: &[
            "id",
            "profile_id",
            "provider_id",
            "discovered_at",
            "source_url",
            "source_title",
            "source_snippet",
            "category",
            "impact_summary",
            "action_recommendation",
            "urgency",
            "relevance_score",
            "user_status",
            "reviewed_at?",
            "user_notes?",
            "created_at",
        ],
    },
    Table {
        name: "discovery_search_log",
        pk: "id",
        columns: &[
            "id",
            "profile_id",
            "provider_id",
            "searched_at",
            "trigger_type",
            "queries_executed",
            "results_found",
            "findings_generated",
            "status",
            "error_message_redacted?",
        ],
    },
    Table {
        name: "automation_scripts",
        pk: "id",
        columns: &[
            "id",
            "profile_id",
            "provider_id",
            "task_type",
            "title",
            "description",
            "script_content",
            "model_used",
            "research_data_json?",
            "plan_data_json?",
            "approval_status",
            "approved_at?",
            "version",
            "execution_count",
            "last_executed_at?",
            "last_execution_status?",
            "auto_approve_repeat",
            "created_at",
            "updated_at",
        ],
    },
    Table {
        name: "automation_executions",
        pk: "id",
        columns: &[
            "id",
            "profile_id",
            "script_id",
            "started_at",
            "completed_at?",
            "status",
            "checkpoints_reached",
            "checkpoints_approved",
            "checkpoints_rejected",
            "error_message_redacted?",
            "debug_screenshot_paths_json?",
            "result_summary_json?",
        ],
    },
    // data-model.md addition
    Table {
        name: "automation_execution_events",
        pk: "id",
        columns: &["id", "execution_id", "seq", "created_at", "level", "message_redacted", "data_json?"],
    },
    Table {
        name: "hitl_checkpoints",
        pk: "id",
        columns: &[
            "id",
            "profile_id",
            "execution_id",
            "checkpoint_type",
            "checkpoint_description",
            "proposed_action",
            "context_json",
            "decision",
            "user_notes?",
            "decided_at",
            // data-model.md additions
            "decided_by_totp",
            "modified_action?",
        ],
    },
    Table {
        name: "provider_selectors",
        pk: "id",
        columns: &[
            "id",
            "provider_id",
            "data_type",
            "selector_type",
            "selector_value",
            "verified_at?",
            "verification_status",
            "version",
            "created_at",
            "updated_at",
        ],
    },
    Table {
        name: "service_recommendations",
        pk: "id",
        columns: &[
            "id",
            "profile_id",
            "project_id?",
            "requirement_text",
            "capability_needed",
            "recommended_provider_id?",
            "recommended_service_name",
            "rationale",
            "pricing_summary?",
            "free_tier_available?",
            "documentation_url?",
            "match_score",
            "user_status",
            "created_at",
        ],
    },
];

const REFERENCE_LIBRARY_TABLES: &[Table] = &[Table {
    name: "reference_library_manifest",
    pk: "id",
    columns: &[
        "id",
        "source_name",
        "source_url",
        "commit_sha",
        "downloaded_at",
        "local_path",
        "file_count",
        "total_size_bytes",
        "checksum",
    ],
}];

static DBS: [Db; 3] = [
    Db {
        dir: "index",
        files: migrations::INDEX_FILES,
        migrations: migrations::index,
        tables: INDEX_TABLES,
        virtual_tables: &[],
        parents: &[("app_profiles", "p1")],
        json_checked: false,
    },
    Db {
        dir: "vault",
        files: migrations::VAULT_FILES,
        migrations: migrations::vault,
        tables: VAULT_TABLES,
        virtual_tables: &[],
        parents: &[
            ("profile_settings", "p1"),
            ("providers", "github"),
            ("projects", "proj1"),
            ("secrets", "s1"),
            ("automation_scripts", "sc1"),
            ("automation_executions", "ex1"),
        ],
        json_checked: true,
    },
    Db {
        dir: "reference_library",
        files: migrations::REFERENCE_LIBRARY_FILES,
        migrations: migrations::reference_library,
        tables: REFERENCE_LIBRARY_TABLES,
        virtual_tables: &["reference_library_fts"],
        parents: &[],
        json_checked: true,
    },
];

const HEALTH: &[&str] = &["valid", "invalid", "degraded", "outage", "unknown"];
const USER_STATUS: &[&str] = &["new", "accepted", "rejected"];
const RUN_STATUS: &[&str] = &["success", "partial", "failed"];

/// Every enum column with its exact allowed values.
const ENUMS: &[(&str, &str, &[&str])] = &[
    ("app_profiles", "vault_storage_mode", &["passphrase_only", "os_keychain_optional"]),
    ("profile_vault_meta", "kdf_alg", &["argon2id"]),
    ("secrets", "environment", &["dev", "stage", "prod"]),
    ("secrets", "source_type", &["manual", "paste", "file_import", "dotenv_patch", "export_bundle_import"]),
    ("project_requirements", "user_status", USER_STATUS),
    ("validations", "status", &["unknown", "valid", "invalid", "unverifiable", "error"]),
    ("dashboard_snapshots", "collection_method", &["api", "scrape", "cached"]),
    ("dashboard_snapshots", "collection_status", RUN_STATUS),
    ("dashboard_snapshots", "health_status", HEALTH),
    ("dashboard_snapshots", "service_status", &["operational", "degraded", "outage", "unknown"]),
    ("dashboard_daily_summaries", "health_summary", HEALTH),
    (
        "discovery_findings",
        "category",
        &[
            "capability_change",
            "pricing_update",
            "deprecation",
            "security_advisory",
            "new_alternative",
            "service_modification",
        ],
    ),
    ("discovery_findings", "urgency", &["informational", "advisory", "action_needed", "critical"]),
    ("discovery_findings", "user_status", &["new", "reviewed", "dismissed", "actioned"]),
    ("discovery_search_log", "trigger_type", &["scheduled", "on_demand", "launch_catchup"]),
    ("discovery_search_log", "status", RUN_STATUS),
    (
        "automation_scripts",
        "task_type",
        &[
            "account_creation",
            "payment_config",
            "billing_restriction",
            "api_key_management",
            "dashboard_scrape",
            "custom",
        ],
    ),
    ("automation_scripts", "approval_status", &["pending", "approved", "rejected"]),
    ("automation_scripts", "last_execution_status", &["success", "failure", "aborted"]),
    (
        "automation_executions",
        "status",
        &["running", "success", "failure", "aborted", "paused_at_checkpoint"],
    ),
    ("automation_execution_events", "level", &["debug", "info", "warning", "error"]),
    (
        "hitl_checkpoints",
        "checkpoint_type",
        &["financial", "account", "irreversible", "api_key", "billing", "script_review"],
    ),
    ("hitl_checkpoints", "decision", &["approved", "rejected", "modified"]),
    ("provider_selectors", "selector_type", &["css", "xpath", "json_path"]),
    ("provider_selectors", "verification_status", &["verified", "unverified", "broken"]),
    ("service_recommendations", "user_status", USER_STATUS),
];

/// Every boolean column (`CHECK (col IN (0, 1))`).
const BOOLS: &[(&str, &str)] = &[
    ("app_profiles", "totp_enabled"),
    ("app_profiles", "online_mode_enabled_default"),
    ("app_profiles", "local_llm_assist_enabled_default"),
    ("profile_settings", "online_mode_enabled"),
    ("profile_settings", "local_llm_assist_enabled"),
    ("profile_settings", "autonomous_mode_enabled"),
    ("profile_settings", "discovery_network_enabled"),
    ("profile_settings", "totp_required_for_export"),
    ("profile_settings", "totp_required_for_reveal"),
    ("providers", "dashboard_supported"),
    ("providers", "discovery_enabled"),
    ("projects", "scan_index_opt_in"),
    ("automation_scripts", "auto_approve_repeat"),
    ("hitl_checkpoints", "decided_by_totp"),
    ("service_recommendations", "free_tier_available"),
];

const SCORE_OK: &[&str] = &["0.0", "0.4", "1.0"];
const SCORE_BAD: &[&str] = &["-0.01", "1.01"];
const HOUR_OK: &[&str] = &["0", "23"];
const HOUR_BAD: &[&str] = &["-1", "24"];

/// Other value CHECKs: (table, column, accepted literals, rejected literals).
const RANGES: &[(&str, &str, &[&str], &[&str])] = &[
    ("profile_vault_meta", "rotation_version", &["1", "2"], &["0"]),
    ("profile_vault_meta", "failed_unlock_count", &["0", "5"], &["-1"]),
    ("profile_settings", "auto_lock_timeout_seconds", &["0", "300"], &["-1"]),
    ("profile_settings", "audit_retention_max_count", &["0"], &["-1"]),
    ("profile_settings", "audit_retention_max_days", &["0"], &["-1"]),
    ("profile_settings", "clipboard_auto_clear_seconds", &["0"], &["-1"]),
    ("profile_settings", "discovery_schedule_hour", HOUR_OK, HOUR_BAD),
    ("profile_settings", "dashboard_quiet_hours_start", HOUR_OK, HOUR_BAD),
    ("profile_settings", "dashboard_quiet_hours_end", HOUR_OK, HOUR_BAD),
    ("profile_settings", "dashboard_refresh_interval_seconds", &["1", "3600"], &["0"]),
    ("profile_settings", "automation_max_retries", &["0"], &["-1"]),
    ("profile_settings", "discovery_retention_days", &["1"], &["0"]),
    ("profile_settings", "totp_last_step", &["0", "59000000"], &["-1"]),
    ("profile_settings", "totp_failed_count", &["0", "7"], &["-1"]),
    ("project_requirements", "confidence", SCORE_OK, SCORE_BAD),
    ("discovery_findings", "relevance_score", SCORE_OK, SCORE_BAD),
    ("service_recommendations", "match_score", SCORE_OK, SCORE_BAD),
    ("secrets", "tags_json", &["'[]'", "'[\"prod\", \"ci\"]'"], &["'{}'", "'\"ci\"'", "'[oops'"]),
    ("project_docs", "findings_json", &["'[]'"], &["'{}'", "'[oops'"]),
    ("project_requirements", "citation_count", &["0", "20"], &["-1"]),
    (
        "dashboard_daily_summaries",
        "summary_date",
        &["'2026-02-06'"],
        &["'2026-02-30'", "'2026-02-06T00:00:00Z'", "'06/02/2026'"],
    ),
    ("dashboard_daily_summaries", "avg_usage_percent", &["0.0", "150.0"], &["-1.0"]),
    ("dashboard_daily_summaries", "max_usage_percent", &["0.0", "150.0"], &["-1.0"]),
    ("dashboard_daily_summaries", "total_cost", &["0.0", "12.5"], &["-0.01"]),
    ("dashboard_daily_summaries", "collection_success_count", &["0"], &["-1"]),
    ("dashboard_daily_summaries", "collection_failure_count", &["0"], &["-1"]),
    ("discovery_search_log", "queries_executed", &["0"], &["-1"]),
    ("discovery_search_log", "results_found", &["0"], &["-1"]),
    ("discovery_search_log", "findings_generated", &["0"], &["-1"]),
    ("automation_scripts", "version", &["1", "2"], &["0"]),
    ("automation_scripts", "execution_count", &["0"], &["-1"]),
    ("automation_executions", "checkpoints_reached", &["0"], &["-1"]),
    ("automation_executions", "checkpoints_approved", &["0"], &["-1"]),
    ("automation_executions", "checkpoints_rejected", &["0"], &["-1"]),
    ("automation_execution_events", "seq", &["0", "1"], &["-1"]),
    ("provider_selectors", "version", &["1", "2"], &["0"]),
    ("reference_library_manifest", "file_count", &["0"], &["-1"]),
    ("reference_library_manifest", "total_size_bytes", &["0"], &["-1"]),
];

/// Defaults, as `quote(col)` reads them back from a row that omitted them.
const DEFAULTS: &[(&str, &str, &str)] = &[
    ("app_profiles", "vault_storage_mode", "'passphrase_only'"),
    ("app_profiles", "totp_enabled", "0"),
    ("app_profiles", "online_mode_enabled_default", "0"),
    ("app_profiles", "local_llm_assist_enabled_default", "0"),
    ("profile_vault_meta", "kdf_alg", "'argon2id'"),
    ("profile_vault_meta", "rotation_version", "1"),
    ("profile_vault_meta", "failed_unlock_count", "0"),
    ("profile_settings", "totp_secret_enc", "NULL"),
    ("profile_settings", "recovery_codes_enc", "NULL"),
    ("profile_settings", "auto_lock_timeout_seconds", "300"),
    ("profile_settings", "audit_retention_max_count", "10000"),
    ("profile_settings", "audit_retention_max_days", "365"),
    ("profile_settings", "clipboard_auto_clear_seconds", "30"),
    ("profile_settings", "online_mode_enabled", "0"),
    ("profile_settings", "local_llm_assist_enabled", "0"),
    ("profile_settings", "autonomous_mode_enabled", "0"),
    ("profile_settings", "discovery_network_enabled", "0"),
    ("profile_settings", "discovery_schedule_hour", "3"),
    ("profile_settings", "dashboard_refresh_interval_seconds", "3600"),
    ("profile_settings", "dashboard_quiet_hours_start", "NULL"),
    ("profile_settings", "dashboard_quiet_hours_end", "NULL"),
    ("profile_settings", "automation_max_retries", "3"),
    ("profile_settings", "discovery_retention_days", "90"),
    ("profile_settings", "totp_pending_secret_enc", "NULL"),
    ("profile_settings", "totp_last_step", "NULL"),
    ("profile_settings", "totp_failed_count", "0"),
    ("profile_settings", "totp_last_failed_at", "NULL"),
    ("profile_settings", "totp_required_for_export", "1"),
    ("profile_settings", "totp_required_for_reveal", "0"),
    ("providers", "dashboard_url", "NULL"),
    ("providers", "api_base_url", "NULL"),
    ("providers", "dashboard_supported", "0"),
    ("providers", "discovery_enabled", "1"),
    ("projects", "scan_index_opt_in", "0"),
    ("project_requirements", "required_env_vars_json", "'[]'"),
    ("project_requirements", "citations_json", "'[]'"),
    ("project_requirements", "user_status", "'new'"),
    ("secrets", "environment", "NULL"),
    ("secrets", "project_id", "NULL"),
    ("secrets", "tags_json", "'[]'"),
    ("validations", "status", "'unknown'"),
    ("audit_events", "metadata_json_redacted", "'{}'"),
    ("dashboard_snapshots", "health_status", "'unknown'"),
    ("dashboard_snapshots", "service_status", "'unknown'"),
    ("dashboard_daily_summaries", "collection_success_count", "0"),
    ("dashboard_daily_summaries", "collection_failure_count", "0"),
    ("discovery_findings", "user_status", "'new'"),
    ("discovery_search_log", "queries_executed", "0"),
    ("discovery_search_log", "results_found", "0"),
    ("discovery_search_log", "findings_generated", "0"),
    ("automation_scripts", "approval_status", "'pending'"),
    ("automation_scripts", "version", "1"),
    ("automation_scripts", "execution_count", "0"),
    ("automation_scripts", "auto_approve_repeat", "0"),
    ("automation_executions", "status", "'running'"),
    ("automation_executions", "checkpoints_reached", "0"),
    ("automation_executions", "checkpoints_approved", "0"),
    ("automation_executions", "checkpoints_rejected", "0"),
    ("hitl_checkpoints", "context_json", "'{}'"),
    ("hitl_checkpoints", "decided_by_totp", "0"),
    ("hitl_checkpoints", "modified_action", "NULL"),
    ("provider_selectors", "verification_status", "'unverified'"),
    ("provider_selectors", "version", "1"),
    ("service_recommendations", "user_status", "'new'"),
    ("service_recommendations", "free_tier_available", "NULL"),
];

/// Indexes: (table, key columns in order with `DESC` where descending,
/// unique). A non-unique entry is satisfied by any index on those columns.
const INDEXES: &[(&str, &[&str], bool)] = &[
    ("app_profiles", &["display_name"], true),
    ("app_audit_events", &["profile_id", "delivered_at"], false),
    // data-model.md
    ("secrets", &["profile_id", "provider_id"], false),
    ("secrets", &["key_name"], false),
    ("secrets", &["profile_id", "provider_id", "key_name"], true),
    ("secrets", &["project_id"], false),
    ("projects", &["profile_id", "root_path"], true),
    ("project_docs", &["project_id", "path"], true),
    ("project_requirements", &["project_id", "provider_id"], false),
    ("dotenv_targets", &["project_id", "path"], true),
    ("audit_events", &["profile_id", "created_at DESC"], false),
    // seed 003 §3
    ("dashboard_snapshots", &["secret_id", "collected_at DESC"], false),
    ("dashboard_snapshots", &["profile_id", "collected_at DESC"], false),
    ("dashboard_daily_summaries", &["secret_id", "summary_date"], true),
    ("discovery_findings", &["profile_id", "provider_id", "discovered_at DESC"], false),
    ("discovery_findings", &["profile_id", "user_status", "urgency"], false),
    ("discovery_findings", &["profile_id", "provider_id", "source_url"], true),
    ("discovery_search_log", &["profile_id", "provider_id", "searched_at DESC"], false),
    ("automation_scripts", &["profile_id", "provider_id", "task_type"], false),
    ("automation_scripts", &["profile_id", "approval_status"], false),
    ("automation_executions", &["script_id", "started_at DESC"], false),
    ("automation_executions", &["profile_id", "started_at"], false),
    ("automation_execution_events", &["execution_id", "seq"], true),
    ("hitl_checkpoints", &["execution_id", "decided_at"], false),
    ("hitl_checkpoints", &["profile_id", "decided_at"], false),
    ("provider_selectors", &["provider_id", "data_type", "version"], true),
    ("service_recommendations", &["profile_id", "project_id", "user_status"], false),
    ("reference_library_manifest", &["source_name"], true),
];

/// Foreign keys besides the vault's `profile_id` ones (generated in
/// [`foreign_keys`]): (table, column, parent, parent column, on delete).
const FOREIGN_KEYS: &[(&str, &str, &str, &str, &str)] = &[
    ("profile_vault_meta", "profile_id", "app_profiles", "id", "CASCADE"),
    ("project_docs", "project_id", "projects", "id", "CASCADE"),
    ("project_requirements", "project_id", "projects", "id", "CASCADE"),
    ("project_requirements", "provider_id", "providers", "id", "NO ACTION"),
    ("dotenv_targets", "project_id", "projects", "id", "CASCADE"),
    ("secrets", "provider_id", "providers", "id", "NO ACTION"),
    ("secrets", "project_id", "projects", "id", "SET NULL"),
    ("validations", "secret_id", "secrets", "id", "CASCADE"),
    ("validations", "provider_id", "providers", "id", "NO ACTION"),
    ("dashboard_snapshots", "secret_id", "secrets", "id", "CASCADE"),
    ("dashboard_snapshots", "provider_id", "providers", "id", "NO ACTION"),
    ("dashboard_daily_summaries", "secret_id", "secrets", "id", "CASCADE"),
    ("dashboard_daily_summaries", "provider_id", "providers", "id", "NO ACTION"),
    ("discovery_findings", "provider_id", "providers", "id", "NO ACTION"),
    ("discovery_search_log", "provider_id", "providers", "id", "NO ACTION"),
    ("automation_scripts", "provider_id", "providers", "id", "NO ACTION"),
    ("automation_executions", "script_id", "automation_scripts", "id", "CASCADE"),
    ("automation_execution_events", "execution_id", "automation_executions", "id", "CASCADE"),
    ("hitl_checkpoints", "execution_id", "automation_executions", "id", "CASCADE"),
    ("provider_selectors", "provider_id", "providers", "id", "CASCADE"),
    ("service_recommendations", "project_id", "projects", "id", "SET NULL"),
    ("service_recommendations", "recommended_provider_id", "providers", "id", "SET NULL"),
];

/// Column overrides of a fixture row: (column, SQL literal).
type Overrides = &'static [(&'static str, &'static str)];

/// Unique keys, behaviourally: two rows with these overrides collide.
const UNIQUE_KEYS: &[(&str, Overrides, c_int)] = &[
    ("app_profiles", &[("display_name", "'Work'")], ffi::SQLITE_CONSTRAINT_UNIQUE),
    ("profile_vault_meta", &[], ffi::SQLITE_CONSTRAINT_PRIMARYKEY),
    ("secrets", &[("key_name", "'OPENAI_API_KEY'")], ffi::SQLITE_CONSTRAINT_UNIQUE),
    ("projects", &[("root_path", "'/home/dev/app'")], ffi::SQLITE_CONSTRAINT_UNIQUE),
    ("project_docs", &[("path", "'README.md'")], ffi::SQLITE_CONSTRAINT_UNIQUE),
    ("dotenv_targets", &[("path", "'.env'")], ffi::SQLITE_CONSTRAINT_UNIQUE),
    ("validations", &[], ffi::SQLITE_CONSTRAINT_PRIMARYKEY),
    ("dashboard_daily_summaries", &[], ffi::SQLITE_CONSTRAINT_UNIQUE),
    (
        "discovery_findings",
        &[("source_url", "'https://status.example.com/1'")],
        ffi::SQLITE_CONSTRAINT_UNIQUE,
    ),
    ("automation_execution_events", &[], ffi::SQLITE_CONSTRAINT_UNIQUE),
    ("provider_selectors", &[], ffi::SQLITE_CONSTRAINT_UNIQUE),
    ("reference_library_manifest", &[("source_name", "'playwright-python'")], ffi::SQLITE_CONSTRAINT_UNIQUE),
];

// ---------------------------------------------------------------------------
// Fixture rows
// ---------------------------------------------------------------------------

const TS: &str = "'2026-02-06T14:25:00Z'";

/// The smallest valid row of `table`: exactly its NOT NULL columns without
/// a default, as (column, SQL literal). `key` keeps ids and unique columns
/// distinct; parents are the fixed keys of [`Db::parents`].
fn minimal_row(table: &str, key: &str) -> Vec<(&'static str, String)> {
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
fn insert(conn: &Connection, table: &str, key: &str, overrides: &[(&str, &str)]) -> rusqlite::Result<i64> {
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
fn insert_fixture(conn: &Connection, db: &Db, include: impl Fn(&'static str) -> bool) -> Vec<&'static str> {
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

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn db(dir: &str) -> &'static Db {
    DBS.iter().find(|d| d.dir == dir).unwrap_or_else(|| panic!("no db {dir}"))
}

/// The database holding `table`; panics on a table the spec does not list,
/// so the lists above cannot drift from [`DBS`].
fn db_for(table: &str) -> &'static Db {
    DBS.iter()
        .find(|d| d.tables.iter().any(|t| t.name == table) || d.virtual_tables.contains(&table))
        .unwrap_or_else(|| panic!("table {table} is in no spec'd database"))
}

/// Position in [`DBS`] of the database holding `table`, to pick its
/// connection out of one opened per database.
fn db_index(table: &str) -> usize {
    let db = db_for(table);
    DBS.iter().position(|d| d.dir == db.dir).expect("db in DBS")
}

fn spec(table: &str) -> &'static Table {
    db_for(table).tables.iter().find(|t| t.name == table).unwrap_or_else(|| panic!("no spec for {table}"))
}

fn is_nullable(table: &str, column: &str) -> bool {
    spec(table)
        .columns
        .iter()
        .find(|c| c.trim_end_matches('?') == column)
        .unwrap_or_else(|| panic!("{table}.{column} is not in the spec"))
        .ends_with('?')
}

fn open_empty() -> Connection {
    let conn = Connection::open_in_memory().expect("open in-memory database");
    conn.execute_batch("PRAGMA foreign_keys = ON").expect("enable foreign keys");
    conn
}

/// A database migrated to the latest version.
fn open(db: &Db) -> Connection {
    let mut conn = open_empty();
    (db.migrations)().to_latest(&mut conn).unwrap_or_else(|e| panic!("{}: migrate to latest: {e}", db.dir));
    conn
}

fn open_with_parents(db: &Db) -> Connection {
    let conn = open(db);
    insert_fixture(&conn, db, |t| db.parents.iter().any(|&(p, _)| p == t));
    conn
}

fn open_with_fixture(db: &Db) -> Connection {
    let conn = open(db);
    insert_fixture(&conn, db, |_| true);
    conn
}

/// Runs `f` inside a savepoint that is rolled back afterwards.
fn probe<T>(conn: &Connection, f: impl FnOnce(&Connection) -> T) -> T {
    conn.execute_batch("SAVEPOINT probe").expect("savepoint");
    let out = f(conn);
    conn.execute_batch("ROLLBACK TO probe; RELEASE probe").expect("rollback savepoint");
    out
}

#[track_caller]
fn assert_violation<T: std::fmt::Debug>(result: rusqlite::Result<T>, expected: c_int, context: &str) {
    match result {
        Err(rusqlite::Error::SqliteFailure(e, msg)) => assert_eq!(
            e.extended_code, expected,
            "{context}: expected constraint code {expected}, got {e:?} ({msg:?})"
        ),
        other => panic!("{context}: expected constraint code {expected}, got {other:?}"),
    }
}

fn strings(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    stmt.query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("count {table}: {e}"))
}

fn user_version(conn: &Connection) -> usize {
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("user_version");
    usize::try_from(v).expect("non-negative user_version")
}

/// Ordinary and virtual tables of the main schema (no internal or FTS
/// shadow tables).
fn table_names(conn: &Connection) -> BTreeSet<String> {
    strings(
        conn,
        "SELECT name FROM pragma_table_list \
         WHERE schema = 'main' AND type IN ('table', 'virtual') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )
    .into_iter()
    .collect()
}

struct Column {
    name: String,
    decl_type: String,
    not_null: bool,
    default: Option<String>,
    pk: i64,
}

fn table_info(conn: &Connection, table: &str) -> Vec<Column> {
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
fn table_sql(conn: &Connection, table: &str) -> String {
    let sql: String = conn
        .query_row("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1", [table], |r| r.get(0))
        .unwrap_or_else(|e| panic!("sql of {table}: {e}"));
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `needle` (starting with an identifier) occurs in `sql` as a whole
/// identifier, not as the tail of a longer one (`status` in `user_status`).
fn contains_clause(sql: &str, needle: &str) -> bool {
    sql.match_indices(needle).any(|(i, _)| !sql[..i].chars().next_back().is_some_and(is_ident_char))
}

/// Every value of `column`, through `quote()` so types show.
fn quoted_values(conn: &Connection, table: &str, column: &str) -> Vec<String> {
    strings(conn, &format!("SELECT quote({column}) FROM {table} ORDER BY rowid"))
}

/// Every row of `table` over `columns`, through `quote()`.
fn dump(conn: &Connection, table: &str, columns: &[String]) -> Vec<String> {
    let expr = columns.iter().map(|c| format!("quote({c})")).collect::<Vec<_>>().join(" || '|' || ");
    strings(conn, &format!("SELECT {expr} FROM {table} ORDER BY rowid"))
}

/// (table, column, parent, parent column, on delete) of every FK.
fn foreign_keys() -> Vec<(&'static str, &'static str, &'static str, &'static str, &'static str)> {
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
struct Check {
    table: &'static str,
    column: String,
    ok: Vec<String>,
    bad: Vec<String>,
}

fn value_checks() -> Vec<Check> {
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
                .filter(|c| c.not_null && c.default.is_none())
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

// ---------------------------------------------------------------------------
// Indexes and unique keys
// ---------------------------------------------------------------------------

#[test]
fn every_specified_index_exists() {
    for &(table, columns, unique) in INDEXES {
        let conn = open(db_for(table));
        let mut stmt =
            conn.prepare("SELECT name, \"unique\" FROM pragma_index_list(?1)").expect("index_list");
        let indexes: Vec<(String, bool)> = stmt
            .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .expect("index_list rows");
        let mut found = Vec::new();
        for (name, is_unique) in indexes {
            let mut stmt = conn
                .prepare("SELECT name, \"desc\" FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno")
                .expect("index_xinfo");
            let keys: Vec<String> = stmt
                .query_map([&name], |r| {
                    let column: String = r.get(0)?;
                    let desc: bool = r.get(1)?;
                    Ok(if desc { format!("{column} DESC") } else { column })
                })
                .and_then(|rows| rows.collect())
                .expect("index_xinfo rows");
            found.push((name, keys, is_unique));
        }
        assert!(
            found.iter().any(|(_, keys, is_unique)| keys == columns && (*is_unique || !unique)),
            "{table}: no {}index on ({}); found {found:?}",
            if unique { "unique " } else { "" },
            columns.join(", ")
        );
    }
}

#[test]
fn unique_keys_refuse_a_second_row() {
    let conns: Vec<Connection> = DBS.iter().map(open_with_parents).collect();
    for &(table, overrides, code) in UNIQUE_KEYS {
        let i = db_index(table);
        probe(&conns[i], |conn| {
            insert(conn, table, "u1", overrides).unwrap_or_else(|e| panic!("{table}: first row: {e}"));
            assert_violation(insert(conn, table, "u2", overrides), code, &format!("{table}: second row"));
        });
    }
}

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
            &["automation_executions", "automation_execution_events", "hitl_checkpoints"],
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

// ---------------------------------------------------------------------------
// reference_library/manifest.db
// ---------------------------------------------------------------------------

#[test]
fn reference_manifest_is_upserted_by_source_name() {
    let conn = open(db("reference_library"));
    insert(&conn, "reference_library_manifest", "m1", &[("source_name", "'playwright-python'")])
        .expect("row");
    conn.execute(
        "INSERT INTO reference_library_manifest \
         (id, source_name, source_url, commit_sha, downloaded_at, local_path, file_count, total_size_bytes, checksum) \
         VALUES ('m2', 'playwright-python', 'https://github.com/microsoft/playwright-python', 'ffff', \
                 '2026-03-01T00:00:00Z', 'playwright-python', 20, 50000, 'ee') \
         ON CONFLICT (source_name) DO UPDATE SET commit_sha = excluded.commit_sha, file_count = excluded.file_count",
        [],
    )
    .expect("re-download upserts");
    let row: (String, String, i64) = conn
        .query_row("SELECT id, commit_sha, file_count FROM reference_library_manifest", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .expect("one row");
    assert_eq!(row, ("m1".to_string(), "ffff".to_string(), 20));
}

#[test]
fn reference_fts_searches_file_content_only() {
    let conn = open(db("reference_library"));
    let columns: Vec<String> = strings(&conn, "SELECT name FROM pragma_table_info('reference_library_fts')");
    assert_eq!(columns, ["source_name", "path", "content"]);

    for (source, path, content) in [
        ("playwright-python", "docs/navigations.md", "Clicking a locator waits until it is visible."),
        ("puppeteer", "docs/api/page.md", "page.click() clicks the first matching element."),
        ("puppeteer", "docs/playwright-migration.md", "Differences in browser contexts."),
    ] {
        conn.execute(
            "INSERT INTO reference_library_fts (source_name, path, content) VALUES (?1, ?2, ?3)",
            [source, path, content],
        )
        .expect("index a file");
    }
    let search = |query: &str| {
        let mut stmt = conn
            .prepare(
                "SELECT path FROM reference_library_fts WHERE reference_library_fts MATCH ?1 ORDER BY path",
            )
            .expect("prepare search");
        stmt.query_map([query], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .expect("search")
    };
    // Stemmed: "click" finds "Clicking" and "clicks".
    assert_eq!(search("click"), ["docs/api/page.md", "docs/navigations.md"]);
    assert_eq!(search("context"), ["docs/playwright-migration.md"]);
    // source_name and path are stored, not indexed.
    assert!(search("playwright").is_empty());
    assert!(search("navigations").is_empty());

    // A re-downloaded source replaces its rows.
    conn.execute("DELETE FROM reference_library_fts WHERE source_name = 'puppeteer'", [])
        .expect("drop a source");
    assert_eq!(search("click"), ["docs/navigations.md"]);
}
