-- reference_library/manifest.db: not encrypted, never holds a secret
-- (seed 003 §3.10 and §5.1). The content itself lives in files under
-- reference_library/<source>/.

-- One row per downloaded source; a re-download replaces its row.
CREATE TABLE reference_library_manifest (
    id TEXT PRIMARY KEY NOT NULL,
    source_name TEXT NOT NULL,
    source_url TEXT NOT NULL,
    commit_sha TEXT NOT NULL,
    downloaded_at TEXT NOT NULL,
    -- Relative to reference_library/, so the data directory can move.
    local_path TEXT NOT NULL,
    file_count INTEGER NOT NULL CHECK (file_count >= 0),
    total_size_bytes INTEGER NOT NULL CHECK (total_size_bytes >= 0),
    -- SHA-256 of the downloaded archive, verified before indexing.
    checksum TEXT NOT NULL
);
CREATE UNIQUE INDEX idx_reference_library_manifest_source_name
    ON reference_library_manifest(source_name);

-- Full-text search over the downloaded files, used as context for script
-- generation. One row per file; rows of a source are replaced with it.
-- porter stems English prose in docs ("clicking" finds "click").
CREATE VIRTUAL TABLE reference_library_fts USING fts5(
    source_name UNINDEXED,
    path UNINDEXED,
    content,
    tokenize = 'porter unicode61'
);
