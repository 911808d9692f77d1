-- Which version of the scan rules produced a doc's findings. A rescan
-- parses again every doc whose findings came from older rules, even when
-- the file did not change, so better rules reach stored projects; docs
-- stored before this column count as version 0.
ALTER TABLE project_docs ADD COLUMN rules_version INTEGER NOT NULL DEFAULT 0 CHECK (rules_version >= 0);
-- The rescan's stat comparison reads the version too: keep it covering.
DROP INDEX idx_project_docs_stat;
CREATE INDEX idx_project_docs_stat
    ON project_docs(project_id, path, sha256, size_bytes, mtime_ns, inode, stat_checked_at_ns, rules_version);
