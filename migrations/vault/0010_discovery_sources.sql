-- Discovery (issue "Discovery: provider deprecations, pricing changes,
-- outages and security advisories"): where findings come from, what each
-- source answered last, and when the daily run is due.

-- Built-in sources live in code (core::discovery::sources); a row here is a
-- user-added source, or the fetch state and the on/off switch of a built-in
-- one (builtin_key names it). The validators of a conditional request
-- (etag, last_modified) and a watched page's last text are kept so the next
-- fetch can say "no change".
CREATE TABLE discovery_sources (
    id TEXT PRIMARY KEY NOT NULL,
    profile_id TEXT NOT NULL REFERENCES profile_settings(profile_id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    builtin_key TEXT,
    kind TEXT NOT NULL
        CHECK (kind IN ('statuspage', 'status_json', 'feed', 'advisories', 'page')),
    url TEXT NOT NULL,
    selector TEXT,
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    etag TEXT,
    last_modified TEXT,
    last_text TEXT,
    last_fetched_at TEXT,
    last_status TEXT
        CHECK (last_status IS NULL OR last_status IN ('changed', 'unchanged', 'failed')),
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX idx_discovery_sources_profile_provider_url
    ON discovery_sources(profile_id, provider_id, url);

-- Why a finding matters to this user (stored, shown beside it), the date
-- the entry itself carries, a hash of its content (an updated entry updates
-- its finding), the kind of source it came from, and when it last changed.
ALTER TABLE discovery_findings ADD COLUMN relevance_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE discovery_findings ADD COLUMN published_at TEXT;
ALTER TABLE discovery_findings ADD COLUMN content_sha256 TEXT
    CHECK (content_sha256 IS NULL OR length(content_sha256) = 64);
ALTER TABLE discovery_findings ADD COLUMN source_kind TEXT
    CHECK (source_kind IS NULL OR source_kind IN ('statuspage', 'status_json', 'feed', 'advisories', 'page'));
ALTER TABLE discovery_findings ADD COLUMN updated_at TEXT;

-- The daily run: when it is next due (jittered), and when one last ran;
-- a due time in the past at unlock is a missed run (the laptop slept).
ALTER TABLE profile_settings ADD COLUMN discovery_next_due_at TEXT;
ALTER TABLE profile_settings ADD COLUMN discovery_last_run_at TEXT;
