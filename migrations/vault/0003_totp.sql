-- vault.db: TOTP state on the profile_settings row (security.md "TOTP";
-- product.md "Optional TOTP … enforced for export by default, optionally for
-- reveal"). totp_secret_enc and recovery_codes_enc exist since 0001.
--
-- Every added column is nullable or has a default, so existing vaults are
-- upgraded in place with TOTP off.

-- An enrollment waiting for its first code: the new secret, sealed with the
-- field key like totp_secret_enc (PVK rotation re-seals it too). NULL when
-- no enrollment is pending.
ALTER TABLE profile_settings ADD COLUMN totp_pending_secret_enc BLOB;
-- The last accepted RFC 6238 time step (unix time / 30): a code of this or
-- an earlier step is never accepted again. NULL before the first code.
ALTER TABLE profile_settings ADD COLUMN totp_last_step INTEGER
    CHECK (totp_last_step IS NULL OR totp_last_step >= 0);
-- Consecutive refused codes and when the last one was refused: from the
-- sixth, each attempt waits a doubling delay (as unlock does), so the
-- million codes cannot be tried quickly.
ALTER TABLE profile_settings ADD COLUMN totp_failed_count INTEGER NOT NULL DEFAULT 0
    CHECK (totp_failed_count >= 0);
ALTER TABLE profile_settings ADD COLUMN totp_last_failed_at TEXT;
-- When TOTP is enabled: a code is required to export (default on) and,
-- optionally, to reveal or copy a value (default off).
ALTER TABLE profile_settings ADD COLUMN totp_required_for_export INTEGER NOT NULL DEFAULT 1
    CHECK (totp_required_for_export IN (0, 1));
ALTER TABLE profile_settings ADD COLUMN totp_required_for_reveal INTEGER NOT NULL DEFAULT 0
    CHECK (totp_required_for_reveal IN (0, 1));
