// Generates the permissions of KeyClave's own commands, so the capability
// file can allow exactly those and nothing else.
fn main() {
    let manifest = tauri_build::AppManifest::new().commands(keyclave_commands());
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)) {
        panic!("tauri build script failed: {e:#}");
    }
}

fn keyclave_commands() -> &'static [&'static str] {
    &[
        "app_status",
        "passphrase_strength",
        "create_profile",
        "unlock",
        "lock",
        "touch",
        "list_providers",
        "suggest_provider",
        "list_secrets",
        "add_secret",
        "edit_secret",
        "delete_secret",
        "reveal_secret",
        "copy_secret",
        "get_settings",
        "update_settings",
        "change_passphrase",
        "kdf_info",
        "upgrade_kdf",
        "rotate_key",
        "audit_log",
        "import_preview",
        "import_apply",
        "dotenv_preview",
        "dotenv_apply",
        "dotenv_backups",
        "dotenv_restore",
        "bundle_export",
        "bundle_inspect",
        "bundle_import_preview",
        "bundle_import",
        "totp_status",
        "totp_begin",
        "totp_confirm",
        "totp_set_policy",
        "totp_disable",
        "list_projects",
        "scan_project",
        "cancel_scan",
        "list_jobs",
        "cancel_job",
        "project_details",
        "set_requirement_status",
        "set_recommendation_status",
        "remove_project",
        "get_dashboard",
        "key_history",
        "refresh_dashboard",
        "validate_keys",
        "online_hosts",
        "scheduler_status",
    ]
}
