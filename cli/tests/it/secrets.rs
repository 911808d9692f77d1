//! Secrets and profiles from the command line: the round trip, input from
//! stdin, bad input, a damaged vault, profile management, the registry.

use crate::util::*;
use std::process::Command;

#[test]
fn add_list_reveal_edit_rm_round_trip() {
    let h = Home::with_profile();
    let token = "ghp_CliRoundTrip0123456789abcdefghijklmn";
    let out = h
        .run(&["secret", "add", "GH_TOKEN", "--env", "dev", "--notes", "ci bot", "--tag", "ci"], Some(token));
    assert_ok(&out);
    let vf = h.file("openai.txt", "sk-proj-fromfile123\n");
    assert_ok(&h.run(&["secret", "add", "OPENAI_API_KEY", "--value-file", vf.to_str().expect("utf8")], None));

    let list = h.json(&["secret", "list"]);
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["key_name"], "GH_TOKEN");
    assert_eq!(list["items"][0]["provider_id"], "github");
    assert_eq!(list["items"][0]["environment"], "dev");
    assert_eq!(list["items"][1]["provider_id"], "openai");
    assert!(!list.to_string().contains(token), "list never shows values");

    // Human list is masked too.
    let human = stdout(&h.run(&["secret", "list"], None));
    assert!(human.contains("GH_TOKEN") && !human.contains(token), "{human}");

    let reveal = h.run(&["secret", "reveal", "GH_TOKEN"], None);
    assert_ok(&reveal);
    assert_eq!(stdout(&reveal), format!("{token}\n"), "reveal prints the value alone");
    assert_eq!(
        stdout(&h.run(&["secret", "reveal", "OPENAI_API_KEY"], None)),
        "sk-proj-fromfile123\n",
        "one trailing newline dropped"
    );

    let searched = h.json(&["secret", "list", "--search", "BOT"]);
    assert_eq!(searched["total"], 1);

    assert_ok(&h.run(
        &["secret", "edit", "GH_TOKEN", "--value-stdin", "--env", "prod", "--tag", "deploy"],
        Some("ghp_new_value_0000"),
    ));
    assert_eq!(
        stdout(&h.run(&["secret", "reveal", "GH_TOKEN", "--provider", "github"], None)),
        "ghp_new_value_0000\n"
    );
    let list = h.json(&["secret", "list", "--env", "prod"]);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["tags"], serde_json::json!(["deploy"]));

    assert_ok(&h.run(&["secret", "rm", "GH_TOKEN"], None));
    assert_eq!(h.json(&["secret", "list"])["total"], 1);
    let (code, err) = h.fails(&["secret", "reveal", "GH_TOKEN"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("secret.not_found")));

    let audit = h.json(&["audit", "--limit", "200"]);
    let types: Vec<&str> =
        audit.as_array().expect("array").iter().filter_map(|e| e["event_type"].as_str()).collect();
    for t in [
        "profile.create",
        "secret.add",
        "secret.reveal",
        "secret.edit",
        "secret.delete",
        "vault.unlock",
        "vault.lock",
    ] {
        assert!(types.contains(&t), "missing {t} in {types:?}");
    }
    assert!(!audit.to_string().contains(token));
}

#[test]
fn passphrase_and_value_can_both_come_from_stdin() {
    let h = Home::with_profile();
    let mut c = Command::new(env!("CARGO_BIN_EXE_keyclave"));
    c.arg("--home").arg(h.dir.path().join("data")).args(["secret", "add", "STRIPE_SECRET_KEY"]);
    assert_ok(&run_cmd(c, Some(&format!("{PASS}\nsk_test_fromstdin\n"))));
    let mut c = Command::new(env!("CARGO_BIN_EXE_keyclave"));
    c.arg("--home").arg(h.dir.path().join("data")).args(["secret", "reveal", "STRIPE_SECRET_KEY"]);
    let out = run_cmd(c, Some(&format!("{PASS}\n")));
    assert_eq!(stdout(&out), "sk_test_fromstdin\n");
}

#[test]
fn bad_input_gets_the_right_code_and_no_panic() {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_first")));

    let (code, err) = h.fails(&["secret", "add", "GH_TOKEN"], Some("ghp_second"));
    // A duplicate add is secret.already_exists (it was import.conflict,
    // an import's code, before issue 10).
    assert_eq!((code, err["code"].as_str()), (2, Some("secret.already_exists")));
    assert!(err["suggestion"].as_str().is_some_and(|s| !s.is_empty()));

    let (code, err) = h.fails(&["secret", "add", "9-BAD"], Some("x"));
    assert_eq!((code, err["code"].as_str()), (2, Some("secret.invalid_key_name")));

    let (code, err) = h.fails(&["secret", "add", "EMPTY_ONE"], Some(""));
    assert_eq!((code, err["code"].as_str()), (2, Some("secret.empty_value")));

    let (code, err) = h.fails(&["--profile", "Nobody", "secret", "list"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("profile.not_found")));

    let (code, err) = h.fails(&["secret", "add", "X_KEY", "--provider", "nope"], Some("v"));
    assert_eq!((code, err["code"].as_str()), (2, Some("provider.not_found")));

    // An unknown provider filter is an error, as for add (it said "No
    // secret matches").
    let (code, err) = h.fails(&["secret", "list", "--provider", "bogus"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("provider.not_found")));

    let (code, err) = h.fails(&["secret", "list", "--env", "qa"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("input.invalid")));

    // A MiB size is checked in MiB (it overflowed into "m=4294967295 KiB").
    let (code, err) = h.fails(&["profile", "create", "Big", "--kdf-memory-mib", "999999999"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("input.invalid")));
    assert!(err["message"].as_str().is_some_and(|m| m.contains("--kdf-memory-mib 999999999")), "{err}");
    assert!(err["suggestion"].as_str().is_some_and(|m| m.contains("1 to 4096 MiB")), "{err}");

    // A short bundle password is named as such, not as "the passphrase".
    let short = h.file("short-bundle-pass.txt", "short\n");
    let out = h.path("x.kcbundle");
    let args = export_args(&out, short.to_str().expect("utf8"), &["--key", "GH_TOKEN"]);
    let (code, err) = h.fails(&args, None);
    assert_eq!((code, err["code"].as_str()), (2, Some("passphrase.too_short")));
    assert!(err["message"].as_str().is_some_and(|m| m.starts_with("the bundle password must")), "{err}");

    // An edit that changes nothing says so (it printed "Updated").
    let (code, err) = h.fails(&["secret", "edit", "GH_TOKEN"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("input.invalid")));
    assert!(err["message"].as_str().is_some_and(|m| m.contains("nothing to change")), "{err}");

    let (code, err) = h.fails(&["profile", "create", "work"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("profile.already_exists")));

    // Wrong passphrase: structured error, and human output names the code.
    let bad = h.file("bad.txt", "not the passphrase\n");
    private(&bad);
    let mut c = h.cmd(&["secret", "list"]);
    c.arg("--passphrase-file").arg(&bad);
    let out = run_cmd(c, None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error[vault.wrong_passphrase]:"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
    assert!(!stderr.contains("not the passphrase"));
}

/// `chmod 600`, so that no warning about the file comes first.
fn private(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// `keyclave --json ARGS` with no passphrase file and stdin closed.
fn without_passphrase(h: &Home, args: &[&str]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_keyclave"));
    c.arg("--home").arg(h.dir.path().join("data")).arg("--json").args(args);
    c.env_remove("KEYCLAVE_HOME").env_remove("KEYCLAVE_PROFILE");
    run_cmd(c, None)
}

#[test]
fn a_missing_passphrase_is_its_own_error_and_never_feeds_the_back_off() {
    let h = Home::with_profile();
    // More than the five failures after which the back-off starts.
    for _ in 0..7 {
        let out = without_passphrase(&h, &["--profile", "Work", "secret", "list"]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        let err: serde_json::Value =
            serde_json::from_str(stderr.lines().last().expect("error")).expect("JSON");
        assert_eq!(err["code"], "vault.passphrase_missing", "{stderr}");
    }
    let empty = h.file("empty.txt", "\n");
    private(&empty);
    let mut c = h.cmd(&["--json", "secret", "list"]);
    c.arg("--passphrase-file").arg(&empty);
    let out = run_cmd(c, None);
    assert!(String::from_utf8_lossy(&out.stderr).contains("vault.passphrase_missing"));
    // Not throttled, nothing counted: the right passphrase opens it at once
    // and the log shows no failed attempt.
    assert_eq!(h.json(&["secret", "list"])["total"], 0);
    let audit = h.json(&["audit", "--type", "vault.unlock_failed"]);
    assert_eq!(audit.as_array().map(Vec::len), Some(0), "{audit}");
}

#[test]
fn a_passphrase_file_others_can_read_is_warned_about() {
    let h = Home::with_profile();
    let out = h.run(&["secret", "list"], None);
    assert_ok(&out);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"), "a 0600 file is fine");
    // Unix only: the warning is about Unix modes (there is none elsewhere).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(h.pass_file(), std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let out = h.run(&["secret", "list"], None);
        assert_ok(&out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("can be read by others (mode 0644)") && stderr.contains("chmod 600"),
            "{stderr}"
        );
        assert!(!stderr.contains(PASS));
    }
}

#[test]
fn corrupted_vault_is_reported_not_a_panic() {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_x")));
    let profiles = h.dir.path().join("data/profiles");
    let dir = std::fs::read_dir(&profiles).expect("profiles").next().expect("one").expect("entry").path();
    let vault = dir.join("vault.db");
    let mut bytes = std::fs::read(&vault).expect("read");
    for b in bytes.iter_mut().take(4096) {
        *b ^= 0x5a;
    }
    std::fs::write(&vault, bytes).expect("write");
    let (code, err) = h.fails(&["secret", "list"], None);
    assert_eq!(err["code"], "vault.corruption");
    assert_eq!(code, 1, "corruption is not a user error");
}

#[test]
fn profile_lifecycle_from_the_cli() {
    let h = Home::with_profile();
    let listed = h.json(&["profile", "list"]);
    assert_eq!(listed[0]["display_name"], "Work");
    assert_ok(&h.run(&["profile", "rename", "Work", "Clients"], None));
    assert_eq!(h.json(&["profile", "list"])[0]["display_name"], "Clients");

    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_before_rotation")));
    let rotated = h.json(&["profile", "rotate-key"]);
    assert_eq!(rotated["rotation_version"], 2);
    assert_eq!(stdout(&h.run(&["secret", "reveal", "GH_TOKEN"], None)), "ghp_before_rotation\n");

    let kdf = h.json(&["profile", "kdf", "--kdf-memory-kib", "512", "--kdf-iterations", "2"]);
    assert_eq!(kdf["current"]["m_kib"], 512);

    let newp = h.file("new.txt", "a new long passphrase\n");
    assert_ok(&h.run(&["profile", "passwd", "--new-passphrase-file", newp.to_str().expect("utf8")], None));
    let (_, err) = h.fails(&["secret", "list"], None);
    assert_eq!(err["code"], "vault.wrong_passphrase");
    std::fs::copy(&newp, h.pass_file()).expect("swap pass file");
    assert_eq!(h.json(&["secret", "list"])["total"], 1);

    assert_ok(&h.run(&["profile", "delete", "Clients"], None));
    assert_eq!(h.json(&["profile", "list"]), serde_json::json!([]));
    let left: Vec<_> = std::fs::read_dir(h.dir.path().join("data/profiles")).expect("dir").collect();
    assert!(left.is_empty(), "the profile folder is gone");
}

#[test]
fn providers_lists_the_registry() {
    let h = Home { dir: tempfile::tempdir().expect("tempdir") };
    std::fs::write(h.pass_file(), PASS).expect("pass");
    let v = h.json(&["providers"]);
    let ids: Vec<&str> = v.as_array().expect("array").iter().filter_map(|p| p["id"].as_str()).collect();
    for id in ["generic", "github", "openai", "anthropic", "stripe", "aws"] {
        assert!(ids.contains(&id), "{id}");
    }
}

#[test]
fn a_data_folder_that_does_not_exist_is_not_created_by_a_command_that_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("typo-home");
    let run = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_keyclave"));
        c.arg("--home").arg(&home).arg("--json").args(args);
        c.env_remove("KEYCLAVE_HOME").env_remove("KEYCLAVE_PROFILE");
        run_cmd(c, None)
    };
    for args in [&["secret", "list"][..], &["profile", "list"], &["audit"]] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("profile.not_found") && stderr.contains("no KeyClave data"), "{stderr}");
        assert!(!home.exists(), "{args:?} created {}", home.display());
    }
    // The registry needs no data; creating a profile makes the folder.
    assert!(run(&["providers"]).status.success());
}

#[test]
fn generate_prints_a_new_random_secret_and_secret_add_can_store_one() {
    let h = Home::with_profile();
    let a = h.json(&["generate"]);
    let b = h.json(&["generate"]);
    let value = a["value"].as_str().expect("value");
    assert_eq!(value.len(), 32);
    assert!(value.bytes().all(|c| c.is_ascii_alphanumeric()), "{value}");
    assert_ne!(a["value"], b["value"]);
    let hex = h.run(&["generate", "--length", "16", "--charset", "hex"], None);
    assert_ok(&hex);
    let hex = String::from_utf8_lossy(&hex.stdout).trim().to_owned();
    assert!(hex.len() == 16 && hex.bytes().all(|c| c.is_ascii_hexdigit()), "{hex}");
    let (code, err) = h.fails(&["generate", "--length", "4"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("input.invalid")));
    let (code, _) = h.fails(&["generate", "--charset", "emoji"], None);
    assert_eq!(code, 2);

    // Stored without being printed; the audit log has no value.
    let out = h.run(
        &["secret", "add", "SESSION_SECRET", "--generate", "--length", "48", "--charset", "symbols"],
        None,
    );
    assert_ok(&out);
    let revealed = h.run(&["secret", "reveal", "SESSION_SECRET"], None);
    let stored = String::from_utf8_lossy(&revealed.stdout).trim().to_owned();
    assert_eq!(stored.len(), 48);
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(&stored)
            && !String::from_utf8_lossy(&out.stderr).contains(&stored)
    );
    assert!(!stored.contains(['"', '\'', '\\', '#', '$', ' ']), "{stored}");
    assert!(!h.json(&["audit"]).to_string().contains(&stored));
}
