-- index.db: readable before unlock; never holds a secret.

CREATE TABLE app_profiles (
    id TEXT PRIMARY KEY NOT NULL,
    display_name TEXT NOT NULL COLLATE NOCASE UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    vault_storage_mode TEXT NOT NULL DEFAULT 'passphrase_only'
        CHECK (vault_storage_mode IN ('passphrase_only', 'os_keychain_optional')),
    totp_enabled INTEGER NOT NULL DEFAULT 0 CHECK (totp_enabled IN (0, 1)),
    online_mode_enabled_default INTEGER NOT NULL DEFAULT 0
        CHECK (online_mode_enabled_default IN (0, 1)),
    local_llm_assist_enabled_default INTEGER NOT NULL DEFAULT 0
        CHECK (local_llm_assist_enabled_default IN (0, 1))
);

-- KDF metadata and the wrapped profile vault key. `pending_*` hold the next
-- key while a PVK rotation is in flight, so a crash at any step can be
-- finished or rolled back at the next unlock.
CREATE TABLE profile_vault_meta (
    profile_id TEXT PRIMARY KEY NOT NULL REFERENCES app_profiles(id) ON DELETE CASCADE,
    kdf_alg TEXT NOT NULL DEFAULT 'argon2id' CHECK (kdf_alg IN ('argon2id')),
    kdf_params_json TEXT NOT NULL,
    kdf_salt BLOB NOT NULL,
    wrapped_pvk BLOB NOT NULL,
    rotation_version INTEGER NOT NULL DEFAULT 1 CHECK (rotation_version >= 1),
    pending_wrapped_pvk BLOB,
    pending_rotation_version INTEGER,
    failed_unlock_count INTEGER NOT NULL DEFAULT 0 CHECK (failed_unlock_count >= 0),
    last_failed_unlock_at TEXT,
    CHECK ((pending_wrapped_pvk IS NULL) = (pending_rotation_version IS NULL))
);

-- Audit events that happen while a profile is locked (rename, delete) or
-- outlive it. Events with a profile still present are moved into that
-- vault's audit_events at its next unlock (delivered_at set).
CREATE TABLE app_audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    profile_id TEXT,
    event_type TEXT NOT NULL,
    created_at TEXT NOT NULL,
    metadata_json_redacted TEXT NOT NULL DEFAULT '{}',
    delivered_at TEXT
);
CREATE INDEX idx_app_audit_events_pending ON app_audit_events(profile_id, delivered_at);
