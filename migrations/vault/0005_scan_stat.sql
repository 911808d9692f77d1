-- Rescans that read no unchanged file: what the file system said of each
-- doc when it was last hashed (size, modification time in nanoseconds,
-- inode; 0 where the platform has none) and when that was. A file whose
-- size, mtime and inode match, and whose mtime is not too close to the
-- time it was checked (a "racy" entry, as git calls it), is not read again.
ALTER TABLE project_docs ADD COLUMN size_bytes INTEGER CHECK (size_bytes IS NULL OR size_bytes >= 0);
ALTER TABLE project_docs ADD COLUMN mtime_ns INTEGER;
ALTER TABLE project_docs ADD COLUMN inode INTEGER CHECK (inode IS NULL OR inode >= 0);
ALTER TABLE project_docs ADD COLUMN stat_checked_at_ns INTEGER;
-- A covering index for that comparison: a rescan reads these columns for
-- every doc of a project, and from the index it does not decrypt the
-- pages that hold each doc's findings.
CREATE INDEX idx_project_docs_stat
    ON project_docs(project_id, path, sha256, size_bytes, mtime_ns, inode, stat_checked_at_ns);
