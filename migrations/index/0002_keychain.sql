-- index.db: opt-in unlock with the OS keychain (app_profiles.vault_storage_mode
-- 'os_keychain_optional', since 0001). A second wrap of the PVK under a
-- random key that only the OS credential store holds; the passphrase wrap
-- stays and always works. `pending_keychain_wrapped_pvk` is the next key's
-- wrap while a rotation is in flight (NULL when the keychain was not
-- reachable then: the keychain wrap is dropped at commit and the profile
-- says so).
ALTER TABLE profile_vault_meta ADD COLUMN keychain_wrapped_pvk BLOB;
ALTER TABLE profile_vault_meta ADD COLUMN pending_keychain_wrapped_pvk BLOB;
