-- Automation: every version of a script's source is kept, a review is bound
-- to the SHA-256 of the version it saw, and a run names the version and the
-- sandbox it ran in (issue "Automation with human-in-the-loop approval").

-- The source of each version, so history and reviews show exactly what ran.
-- automation_scripts.script_content stays the current version's source.
CREATE TABLE automation_script_versions (
    id TEXT PRIMARY KEY NOT NULL,
    script_id TEXT NOT NULL REFERENCES automation_scripts(id) ON DELETE CASCADE,
    version INTEGER NOT NULL CHECK (version >= 1),
    script_content TEXT NOT NULL,
    source_sha256 TEXT NOT NULL CHECK (length(source_sha256) = 64),
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX idx_automation_script_versions_script_version
    ON automation_script_versions(script_id, version);

-- The hash the approval was given for; every run compares it with the
-- source it is about to start.
ALTER TABLE automation_scripts ADD COLUMN approved_sha256 TEXT
    CHECK (approved_sha256 IS NULL OR length(approved_sha256) = 64);

ALTER TABLE automation_executions ADD COLUMN script_version INTEGER
    CHECK (script_version IS NULL OR script_version >= 1);
-- 'full': bubblewrap; 'reduced': proxy, scrubbed environment and private
-- folder only (no bwrap on this system).
ALTER TABLE automation_executions ADD COLUMN sandbox TEXT
    CHECK (sandbox IS NULL OR sandbox IN ('full', 'reduced'));

-- hitl_checkpoints is rebuilt: a script_review decision belongs to a script
-- version, not to a run, so execution_id becomes nullable (required for
-- every other type), and each row keeps the SHA-256 of what the person saw
-- (type, description, proposed action, context). The table had no writer
-- before this migration; rows are copied anyway.
CREATE TABLE hitl_checkpoints_v2 (
    id TEXT PRIMARY KEY NOT NULL,
    profile_id TEXT NOT NULL REFERENCES profile_settings(profile_id) ON DELETE CASCADE,
    execution_id TEXT REFERENCES automation_executions(id) ON DELETE CASCADE,
    script_id TEXT REFERENCES automation_scripts(id) ON DELETE CASCADE,
    script_version INTEGER CHECK (script_version IS NULL OR script_version >= 1),
    checkpoint_type TEXT NOT NULL
        CHECK (checkpoint_type IN ('financial', 'account', 'irreversible', 'api_key', 'billing', 'script_review')),
    checkpoint_description TEXT NOT NULL,
    proposed_action TEXT NOT NULL,
    context_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(context_json)),
    checkpoint_sha256 TEXT CHECK (checkpoint_sha256 IS NULL OR length(checkpoint_sha256) = 64),
    decision TEXT NOT NULL CHECK (decision IN ('approved', 'rejected', 'modified')),
    user_notes TEXT,
    decided_at TEXT NOT NULL,
    decided_by_totp INTEGER NOT NULL DEFAULT 0 CHECK (decided_by_totp IN (0, 1)),
    modified_action TEXT,
    CHECK ((decision = 'modified') = (modified_action IS NOT NULL)),
    -- A run's checkpoint names its run; a review names its script version.
    CHECK (execution_id IS NOT NULL OR (checkpoint_type = 'script_review' AND script_id IS NOT NULL AND script_version IS NOT NULL))
);
INSERT INTO hitl_checkpoints_v2 (id, profile_id, execution_id, checkpoint_type, checkpoint_description,
        proposed_action, context_json, decision, user_notes, decided_at, decided_by_totp, modified_action)
    SELECT id, profile_id, execution_id, checkpoint_type, checkpoint_description,
        proposed_action, context_json, decision, user_notes, decided_at, decided_by_totp, modified_action
    FROM hitl_checkpoints;
DROP TABLE hitl_checkpoints;
ALTER TABLE hitl_checkpoints_v2 RENAME TO hitl_checkpoints;
CREATE INDEX idx_hitl_checkpoints_execution_decided
    ON hitl_checkpoints(execution_id, decided_at);
CREATE INDEX idx_hitl_checkpoints_profile_decided
    ON hitl_checkpoints(profile_id, decided_at);
CREATE INDEX idx_hitl_checkpoints_script_version
    ON hitl_checkpoints(script_id, script_version);
