-- Incremental rescans: what the rules found in each Markdown file, so an
-- unchanged file (same sha256) is not parsed again, and how many citations
-- a requirement had before they were capped for storage.
ALTER TABLE project_docs ADD COLUMN findings_json TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(findings_json) AND json_type(findings_json) = 'array');
ALTER TABLE project_requirements ADD COLUMN citation_count INTEGER NOT NULL DEFAULT 0
    CHECK (citation_count >= 0);
CREATE UNIQUE INDEX idx_project_requirements_project_provider_unique
    ON project_requirements(project_id, provider_id);
