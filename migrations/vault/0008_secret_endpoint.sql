-- A key's own API base URL (Azure OpenAI resource, GitHub Enterprise
-- Server, self-managed GitLab, a Supabase project, an EU region). Setting
-- it is an explicit user act that allowlists that host for that key only.
-- NULL: the provider's registry hosts.
ALTER TABLE secrets ADD COLUMN endpoint_url TEXT
    CHECK (endpoint_url IS NULL OR (length(endpoint_url) BETWEEN 8 AND 2048));
