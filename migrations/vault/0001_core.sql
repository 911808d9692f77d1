-- vault.db core tables (spec: data-model.md, "vault.db — core tables").
-- Shipped migrations are never edited: a change is a new numbered file.
--
-- There is no profiles table in vault.db: the single profile_settings row is
-- the anchor every profile_id references, so deleting it cascades through
-- everything the profile owns.

CREATE TABLE profile_settings (
    profile_id TEXT PRIMARY KEY NOT NULL,
    -- Sealed with the PVK; NULL while TOTP is not enrolled.
    totp_secret_enc BLOB,
    recovery_codes_enc BLOB,
    auto_lock_timeout_seconds INTEGER NOT NULL DEFAULT 300
        CHECK (auto_lock_timeout_seconds >= 0),
    audit_retention_max_count INTEGER NOT NULL DEFAULT 10000
        CHECK (audit_retention_max_count >= 0),
    audit_retention_max_days INTEGER NOT NULL DEFAULT 365
        CHECK (audit_retention_max_days >= 0),
    clipboard_auto_clear_seconds INTEGER NOT NULL DEFAULT 30
        CHECK (clipboard_auto_clear_seconds >= 0),
    online_mode_enabled INTEGER NOT NULL DEFAULT 0
        CHECK (online_mode_enabled IN (0, 1)),
    local_llm_assist_enabled INTEGER NOT NULL DEFAULT 0
        CHECK (local_llm_assist_enabled IN (0, 1)),
    updated_at TEXT NOT NULL
);

-- Seeded from the built-in registry on every open (upsert); not profile
-- scoped. Secrets reference it without cascade so a provider still in use
-- cannot be removed.
CREATE TABLE providers (
    id TEXT PRIMARY KEY NOT NULL,
    display_name TEXT NOT NULL,
    homepage_url TEXT,
    docs_url TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Created before secrets, which reference it.
CREATE TABLE projects (
    id TEXT PRIMARY KEY NOT NULL,
    profile_id TEXT NOT NULL REFERENCES profile_settings(profile_id) ON DELETE CASCADE,
    root_path TEXT NOT NULL,
    display_name TEXT NOT NULL,
    scan_index_opt_in INTEGER NOT NULL DEFAULT 0 CHECK (scan_index_opt_in IN (0, 1)),
    last_scanned_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- One project per folder; also serves the (profile_id, root_path) lookups.
CREATE UNIQUE INDEX idx_projects_profile_root_path ON projects(profile_id, root_path);

-- Markdown files seen by the scanner; sha256 drives incremental rescans.
CREATE TABLE project_docs (
    id TEXT PRIMARY KEY NOT NULL,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    last_parsed_at TEXT,
    UNIQUE (project_id, path)
);

CREATE TABLE project_requirements (
    id TEXT PRIMARY KEY NOT NULL,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    required_env_vars_json TEXT NOT NULL DEFAULT '[]'
        CHECK (json_valid(required_env_vars_json)),
    confidence REAL NOT NULL CHECK (confidence >= 0.0 AND confidence <= 1.0),
    citations_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(citations_json)),
    user_status TEXT NOT NULL DEFAULT 'new'
        CHECK (user_status IN ('new', 'accepted', 'rejected')),
    created_at TEXT NOT NULL
);
CREATE INDEX idx_project_requirements_project_provider
    ON project_requirements(project_id, provider_id);

CREATE TABLE dotenv_targets (
    id TEXT PRIMARY KEY NOT NULL,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    last_written_at TEXT,
    last_diff_summary_json TEXT
        CHECK (last_diff_summary_json IS NULL OR json_valid(last_diff_summary_json)),
    UNIQUE (project_id, path)
);

CREATE TABLE secrets (
    id TEXT PRIMARY KEY NOT NULL,
    profile_id TEXT NOT NULL REFERENCES profile_settings(profile_id) ON DELETE CASCADE,
    -- Never NULL: unassigned keys use the always-present 'generic' provider.
    provider_id TEXT NOT NULL REFERENCES providers(id),
    key_name TEXT NOT NULL,
    secret_value_enc BLOB NOT NULL,
    environment TEXT
        CHECK (environment IS NULL OR environment IN ('dev', 'stage', 'prod')),
    -- A key outlives the project it was tagged with.
    project_id TEXT REFERENCES projects(id) ON DELETE SET NULL,
    notes TEXT,
    tags_json TEXT NOT NULL DEFAULT '[]'
        CHECK (json_valid(tags_json) AND json_type(tags_json) = 'array'),
    source_type TEXT NOT NULL
        CHECK (source_type IN ('manual', 'paste', 'file_import', 'dotenv_patch', 'export_bundle_import')),
    source_label TEXT,
    imported_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (profile_id, provider_id, key_name)
);
CREATE INDEX idx_secrets_profile_provider ON secrets(profile_id, provider_id);
CREATE INDEX idx_secrets_key_name ON secrets(key_name);
-- Keeps ON DELETE SET NULL from scanning every secret when a project goes.
CREATE INDEX idx_secrets_project ON secrets(project_id);

-- Last validation result only (one row per secret).
CREATE TABLE validations (
    secret_id TEXT PRIMARY KEY NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    status TEXT NOT NULL DEFAULT 'unknown'
        CHECK (status IN ('unknown', 'valid', 'invalid', 'unverifiable', 'error')),
    checked_at TEXT NOT NULL,
    error_code TEXT,
    error_message_redacted TEXT,
    restriction_info_json TEXT
        CHECK (restriction_info_json IS NULL OR json_valid(restriction_info_json))
);

-- Never holds values or paths (redacted by the writer); pruned by count and
-- age from profile_settings.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    profile_id TEXT NOT NULL REFERENCES profile_settings(profile_id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    created_at TEXT NOT NULL,
    metadata_json_redacted TEXT NOT NULL DEFAULT '{}'
        CHECK (json_valid(metadata_json_redacted))
);
CREATE INDEX idx_audit_events_profile_created ON audit_events(profile_id, created_at DESC);
