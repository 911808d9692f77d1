-- vault.db automation tables: seed 003 (schema of record), applied in the
-- order of its §4.1, plus the data-model.md additions
-- (automation_execution_events; hitl_checkpoints.decided_by_totp and
-- modified_action).
--
-- Every added column has a default or is nullable, so existing vaults are
-- upgraded in place (seed 003 §4.2).

-- 1. profile_settings additions (§2.1)
ALTER TABLE profile_settings ADD COLUMN autonomous_mode_enabled INTEGER NOT NULL DEFAULT 0
    CHECK (autonomous_mode_enabled IN (0, 1));
-- Independent of online_mode_enabled: discovery can stay offline on its own.
ALTER TABLE profile_settings ADD COLUMN discovery_network_enabled INTEGER NOT NULL DEFAULT 0
    CHECK (discovery_network_enabled IN (0, 1));
-- Local hour of day.
ALTER TABLE profile_settings ADD COLUMN discovery_schedule_hour INTEGER NOT NULL DEFAULT 3
    CHECK (discovery_schedule_hour BETWEEN 0 AND 23);
ALTER TABLE profile_settings ADD COLUMN dashboard_refresh_interval_seconds INTEGER NOT NULL DEFAULT 3600
    CHECK (dashboard_refresh_interval_seconds > 0);
-- NULL start/end: no quiet hours.
ALTER TABLE profile_settings ADD COLUMN dashboard_quiet_hours_start INTEGER
    CHECK (dashboard_quiet_hours_start IS NULL OR dashboard_quiet_hours_start BETWEEN 0 AND 23);
ALTER TABLE profile_settings ADD COLUMN dashboard_quiet_hours_end INTEGER
    CHECK (dashboard_quiet_hours_end IS NULL OR dashboard_quiet_hours_end BETWEEN 0 AND 23);
ALTER TABLE profile_settings ADD COLUMN automation_max_retries INTEGER NOT NULL DEFAULT 3
    CHECK (automation_max_retries >= 0);
ALTER TABLE profile_settings ADD COLUMN discovery_retention_days INTEGER NOT NULL DEFAULT 90
    CHECK (discovery_retention_days >= 1);

-- 2. providers additions (§2.2)
ALTER TABLE providers ADD COLUMN dashboard_url TEXT;
ALTER TABLE providers ADD COLUMN api_base_url TEXT;
ALTER TABLE providers ADD COLUMN dashboard_supported INTEGER NOT NULL DEFAULT 0
    CHECK (dashboard_supported IN (0, 1));
ALTER TABLE providers ADD COLUMN discovery_enabled INTEGER NOT NULL DEFAULT 1
    CHECK (discovery_enabled IN (0, 1));

-- 3. dashboard_snapshots (§3.1): retention keeps 24 per secret, older ones
-- are folded into dashboard_daily_summaries.
CREATE TABLE dashboard_snapshots (
    id TEXT PRIMARY KEY NOT NULL,
    profile_id TEXT NOT NULL REFERENCES profile_settings(profile_id) ON DELETE CASCADE,
    secret_id TEXT NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    collected_at TEXT NOT NULL,
    collection_method TEXT NOT NULL
        CHECK (collection_method IN ('api', 'scrape', 'cached')),
    collection_status TEXT NOT NULL
        CHECK (collection_status IN ('success', 'partial', 'failed')),
    usage_stats_json TEXT
        CHECK (usage_stats_json IS NULL OR json_valid(usage_stats_json)),
    config_attributes_json TEXT
        CHECK (config_attributes_json IS NULL OR json_valid(config_attributes_json)),
    restrictions_json TEXT
        CHECK (restrictions_json IS NULL OR json_valid(restrictions_json)),
    health_status TEXT NOT NULL DEFAULT 'unknown'
        CHECK (health_status IN ('valid', 'invalid', 'degraded', 'outage', 'unknown')),
    service_status TEXT NOT NULL DEFAULT 'unknown'
        CHECK (service_status IN ('operational', 'degraded', 'outage', 'unknown')),
    warnings_json TEXT
        CHECK (warnings_json IS NULL OR json_valid(warnings_json)),
    error_message_redacted TEXT
);
CREATE INDEX idx_dashboard_snapshots_secret_collected
    ON dashboard_snapshots(secret_id, collected_at DESC);
CREATE INDEX idx_dashboard_snapshots_profile_collected
    ON dashboard_snapshots(profile_id, collected_at DESC);

-- 4. dashboard_daily_summaries (§3.2): kept 365 days.
CREATE TABLE dashboard_daily_summaries (
    id TEXT PRIMARY KEY NOT NULL,
    profile_id TEXT NOT NULL REFERENCES profile_settings(profile_id) ON DELETE CASCADE,
    secret_id TEXT NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    -- A calendar date (YYYY-MM-DD), not a timestamp.
    summary_date TEXT NOT NULL CHECK (date(summary_date) IS summary_date),
    avg_usage_percent REAL CHECK (avg_usage_percent IS NULL OR avg_usage_percent >= 0.0),
    max_usage_percent REAL CHECK (max_usage_percent IS NULL OR max_usage_percent >= 0.0),
    total_cost REAL CHECK (total_cost IS NULL OR total_cost >= 0.0),
    cost_currency TEXT,
    -- Most common health_status of the day, so the same enum.
    health_summary TEXT NOT NULL
        CHECK (health_summary IN ('valid', 'invalid', 'degraded', 'outage', 'unknown')),
    collection_success_count INTEGER NOT NULL DEFAULT 0 CHECK (collection_success_count >= 0),
    collection_failure_count INTEGER NOT NULL DEFAULT 0 CHECK (collection_failure_count >= 0)
);
CREATE UNIQUE INDEX idx_dashboard_daily_summaries_secret_date
    ON dashboard_daily_summaries(secret_id, summary_date);

-- 5. discovery_findings (§3.3): pruned after discovery_retention_days.
CREATE TABLE discovery_findings (
    id TEXT PRIMARY KEY NOT NULL,
    profile_id TEXT NOT NULL REFERENCES profile_settings(profile_id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    discovered_at TEXT NOT NULL,
    source_url TEXT NOT NULL,
    source_title TEXT NOT NULL,
    -- Public web content: not redacted (seed 003 §5.2).
    source_snippet TEXT NOT NULL,
    category TEXT NOT NULL
        CHECK (category IN ('capability_change', 'pricing_update', 'deprecation', 'security_advisory', 'new_alternative', 'service_modification')),
    impact_summary TEXT NOT NULL,
    action_recommendation TEXT NOT NULL,
    urgency TEXT NOT NULL
        CHECK (urgency IN ('informational', 'advisory', 'action_needed', 'critical')),
    relevance_score REAL NOT NULL CHECK (relevance_score >= 0.0 AND relevance_score <= 1.0),
    user_status TEXT NOT NULL DEFAULT 'new'
        CHECK (user_status IN ('new', 'reviewed', 'dismissed', 'actioned')),
    reviewed_at TEXT,
    user_notes TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX idx_discovery_findings_profile_provider_discovered
    ON discovery_findings(profile_id, provider_id, discovered_at DESC);
CREATE INDEX idx_discovery_findings_profile_status_urgency
    ON discovery_findings(profile_id, user_status, urgency);
-- Findings are deduplicated by URL (product.md): the same page is stored
-- once per provider.
CREATE UNIQUE INDEX idx_discovery_findings_profile_provider_url
    ON discovery_findings(profile_id, provider_id, source_url);

-- 6. discovery_search_log (§3.4): rate limiting (10 per provider per day)
-- and audit; kept 30 days.
CREATE TABLE discovery_search_log (
    id TEXT PRIMARY KEY NOT NULL,
    profile_id TEXT NOT NULL REFERENCES profile_settings(profile_id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    searched_at TEXT NOT NULL,
    trigger_type TEXT NOT NULL
        CHECK (trigger_type IN ('scheduled', 'on_demand', 'launch_catchup')),
    queries_executed INTEGER NOT NULL DEFAULT 0 CHECK (queries_executed >= 0),
    results_found INTEGER NOT NULL DEFAULT 0 CHECK (results_found >= 0),
    findings_generated INTEGER NOT NULL DEFAULT 0 CHECK (findings_generated >= 0),
    status TEXT NOT NULL CHECK (status IN ('success', 'partial', 'failed')),
    error_message_redacted TEXT
);
CREATE INDEX idx_discovery_search_log_profile_provider_searched
    ON discovery_search_log(profile_id, provider_id, searched_at DESC);

-- 7. automation_scripts (§3.5): script_content holds placeholders such as
-- {{API_KEY}}, never credentials.
CREATE TABLE automation_scripts (
    id TEXT PRIMARY KEY NOT NULL,
    profile_id TEXT NOT NULL REFERENCES profile_settings(profile_id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    task_type TEXT NOT NULL
        CHECK (task_type IN ('account_creation', 'payment_config', 'billing_restriction', 'api_key_management', 'dashboard_scrape', 'custom')),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    script_content TEXT NOT NULL,
    model_used TEXT NOT NULL,
    research_data_json TEXT
        CHECK (research_data_json IS NULL OR json_valid(research_data_json)),
    plan_data_json TEXT
        CHECK (plan_data_json IS NULL OR json_valid(plan_data_json)),
    approval_status TEXT NOT NULL DEFAULT 'pending'
        CHECK (approval_status IN ('pending', 'approved', 'rejected')),
    approved_at TEXT,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    execution_count INTEGER NOT NULL DEFAULT 0 CHECK (execution_count >= 0),
    last_executed_at TEXT,
    last_execution_status TEXT
        CHECK (last_execution_status IS NULL OR last_execution_status IN ('success', 'failure', 'aborted')),
    auto_approve_repeat INTEGER NOT NULL DEFAULT 0 CHECK (auto_approve_repeat IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- An approval is only recorded with its time.
    CHECK (approval_status <> 'approved' OR approved_at IS NOT NULL)
);
CREATE INDEX idx_automation_scripts_profile_provider_task
    ON automation_scripts(profile_id, provider_id, task_type);
CREATE INDEX idx_automation_scripts_profile_approval
    ON automation_scripts(profile_id, approval_status);

-- 8. automation_executions (§3.6): kept 90 days.
CREATE TABLE automation_executions (
    id TEXT PRIMARY KEY NOT NULL,
    profile_id TEXT NOT NULL REFERENCES profile_settings(profile_id) ON DELETE CASCADE,
    script_id TEXT NOT NULL REFERENCES automation_scripts(id) ON DELETE CASCADE,
    started_at TEXT NOT NULL,
    completed_at TEXT,
    status TEXT NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'success', 'failure', 'aborted', 'paused_at_checkpoint')),
    checkpoints_reached INTEGER NOT NULL DEFAULT 0 CHECK (checkpoints_reached >= 0),
    checkpoints_approved INTEGER NOT NULL DEFAULT 0 CHECK (checkpoints_approved >= 0),
    checkpoints_rejected INTEGER NOT NULL DEFAULT 0 CHECK (checkpoints_rejected >= 0),
    error_message_redacted TEXT,
    -- Local paths only; the files are deleted after 7 days.
    debug_screenshot_paths_json TEXT
        CHECK (debug_screenshot_paths_json IS NULL OR json_valid(debug_screenshot_paths_json)),
    result_summary_json TEXT
        CHECK (result_summary_json IS NULL OR json_valid(result_summary_json)),
    -- A checkpoint is decided only after it is reached.
    CHECK (checkpoints_approved + checkpoints_rejected <= checkpoints_reached)
);
CREATE INDEX idx_automation_executions_script_started
    ON automation_executions(script_id, started_at DESC);
-- Serves the 90-day retention sweep.
CREATE INDEX idx_automation_executions_profile_started
    ON automation_executions(profile_id, started_at);

-- Append-only step log of a run (data-model.md addition), streamed to the
-- UI in seq order.
CREATE TABLE automation_execution_events (
    id TEXT PRIMARY KEY NOT NULL,
    execution_id TEXT NOT NULL REFERENCES automation_executions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL CHECK (seq >= 0),
    created_at TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('debug', 'info', 'warning', 'error')),
    message_redacted TEXT NOT NULL,
    data_json TEXT CHECK (data_json IS NULL OR json_valid(data_json)),
    UNIQUE (execution_id, seq)
);
-- Rows are deleted only with their execution (cascade, retention).
CREATE TRIGGER automation_execution_events_append_only
BEFORE UPDATE ON automation_execution_events
BEGIN
    SELECT RAISE(ABORT, 'automation_execution_events is append-only');
END;

-- 9. hitl_checkpoints (§3.7), with the data-model.md additions recording
-- how the decision was made; kept 90 days. context_json is non-secret.
CREATE TABLE hitl_checkpoints (
    id TEXT PRIMARY KEY NOT NULL,
    profile_id TEXT NOT NULL REFERENCES profile_settings(profile_id) ON DELETE CASCADE,
    execution_id TEXT NOT NULL REFERENCES automation_executions(id) ON DELETE CASCADE,
    checkpoint_type TEXT NOT NULL
        CHECK (checkpoint_type IN ('financial', 'account', 'irreversible', 'api_key', 'billing', 'script_review')),
    checkpoint_description TEXT NOT NULL,
    proposed_action TEXT NOT NULL,
    context_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(context_json)),
    decision TEXT NOT NULL CHECK (decision IN ('approved', 'rejected', 'modified')),
    user_notes TEXT,
    decided_at TEXT NOT NULL,
    decided_by_totp INTEGER NOT NULL DEFAULT 0 CHECK (decided_by_totp IN (0, 1)),
    modified_action TEXT,
    -- The action actually taken is recorded exactly when it was modified.
    CHECK ((decision = 'modified') = (modified_action IS NOT NULL))
);
CREATE INDEX idx_hitl_checkpoints_execution_decided
    ON hitl_checkpoints(execution_id, decided_at);
-- Serves the 90-day retention sweep.
CREATE INDEX idx_hitl_checkpoints_profile_decided
    ON hitl_checkpoints(profile_id, decided_at);

-- 10. provider_selectors (§3.8): owned by the provider, shared by the profile.
CREATE TABLE provider_selectors (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    data_type TEXT NOT NULL,
    selector_type TEXT NOT NULL CHECK (selector_type IN ('css', 'xpath', 'json_path')),
    selector_value TEXT NOT NULL,
    verified_at TEXT,
    verification_status TEXT NOT NULL DEFAULT 'unverified'
        CHECK (verification_status IN ('verified', 'unverified', 'broken')),
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX idx_provider_selectors_provider_type_version
    ON provider_selectors(provider_id, data_type, version);

-- 11. service_recommendations (§3.9)
CREATE TABLE service_recommendations (
    id TEXT PRIMARY KEY NOT NULL,
    profile_id TEXT NOT NULL REFERENCES profile_settings(profile_id) ON DELETE CASCADE,
    -- A recommendation survives its project and, when it names a known
    -- provider, that provider.
    project_id TEXT REFERENCES projects(id) ON DELETE SET NULL,
    requirement_text TEXT NOT NULL,
    capability_needed TEXT NOT NULL,
    recommended_provider_id TEXT REFERENCES providers(id) ON DELETE SET NULL,
    recommended_service_name TEXT NOT NULL,
    rationale TEXT NOT NULL,
    pricing_summary TEXT,
    free_tier_available INTEGER
        CHECK (free_tier_available IS NULL OR free_tier_available IN (0, 1)),
    documentation_url TEXT,
    match_score REAL NOT NULL CHECK (match_score >= 0.0 AND match_score <= 1.0),
    user_status TEXT NOT NULL DEFAULT 'new'
        CHECK (user_status IN ('new', 'accepted', 'rejected')),
    created_at TEXT NOT NULL
);
CREATE INDEX idx_service_recommendations_profile_project_status
    ON service_recommendations(profile_id, project_id, user_status);
