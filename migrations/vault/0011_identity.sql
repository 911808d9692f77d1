-- vault.db: the profile's X25519 identity for recipient bundles
-- (`.kcbundle` v2, age). The private key is sealed with the field key like
-- totp_secret_enc (PVK rotation re-seals it); the public recipient string
-- (age1…) is not secret. Both NULL until the identity is first needed.
ALTER TABLE profile_settings ADD COLUMN identity_secret_enc BLOB;
ALTER TABLE profile_settings ADD COLUMN identity_recipient TEXT
    CHECK (identity_recipient IS NULL OR identity_recipient LIKE 'age1%');
