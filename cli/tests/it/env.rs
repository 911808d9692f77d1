//! `.env` files and `run` from the command line.

use crate::util::*;

#[test]
fn env_diff_masks_values_and_write_patches_with_a_backup() {
    let (h, project) = home_with_keys("# app\nGITHUB_TOKEN=stale\nPORT=8080\n");
    let dir = project.to_str().expect("utf-8 path");

    let diff = h.run(&["env", "diff", dir, "--key", "GITHUB_TOKEN", "--key", "OPENAI_API_KEY"], None);
    assert_ok(&diff);
    let text = stdout(&diff);
    assert!(text.contains("+OPENAI_API_KEY=") && text.contains("1 added"), "{text}");
    assert!(!text.contains(ENV_GH) && !text.contains(ENV_OAI) && !text.contains("stale"), "{text}");
    assert_eq!(
        std::fs::read_to_string(project.join(".env")).expect("read"),
        "# app\nGITHUB_TOKEN=stale\nPORT=8080\n"
    );

    let plan = h.json(&["env", "diff", dir, "--on-conflict", "overwrite"]);
    assert_eq!(plan["counts"]["updated"], 1, "{plan}");
    assert_eq!(plan["changes"][0]["key"], "GITHUB_TOKEN");

    let out = h.run(
        &[
            "env",
            "write",
            dir,
            "--on-conflict",
            "overwrite",
            "--key",
            "GITHUB_TOKEN",
            "--key",
            "OPENAI_API_KEY",
        ],
        None,
    );
    assert_ok(&out);
    assert!(!stdout(&out).contains(ENV_GH));
    let written = std::fs::read_to_string(project.join(".env")).expect("read");
    assert!(written.starts_with(&format!("# app\nGITHUB_TOKEN={ENV_GH}\nPORT=8080\n")), "{written}");
    assert!(written.contains(&format!("OPENAI_API_KEY={ENV_OAI}\n")));

    let backups = h.json(&["env", "backups", dir]);
    let backup = backups[0].as_str().expect("a backup path");
    let name = std::path::Path::new(backup).file_name().expect("name").to_str().expect("utf-8");
    assert_ok(&h.run(&["env", "restore", dir, name], None));
    assert_eq!(
        std::fs::read_to_string(project.join(".env")).expect("read"),
        "# app\nGITHUB_TOKEN=stale\nPORT=8080\n"
    );
}

#[test]
fn env_generate_creates_a_file_and_refuses_an_existing_one() {
    let (h, project) = home_with_keys("X=1\n");
    let dir = project.to_str().expect("utf-8 path");
    assert_ok(&h.run(&["env", "generate", dir, "--file", ".env.local", "--key", "OPENAI_API_KEY"], None));
    let text = std::fs::read_to_string(project.join(".env.local")).expect("read");
    assert!(text.starts_with('#') && text.contains(&format!("OPENAI_API_KEY={ENV_OAI}")), "{text}");
    let (code, err) = h.fails(&["env", "generate", dir, "--key", "OPENAI_API_KEY"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("dotenv.already_exists")));
    let (code, err) = h.fails(&["env", "write", dir, "--key", "NOT_IN_VAULT"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("secret.not_found")));
}

// Unix only: the children are `sh -c` scripts and a signal exit (128 + SIGTERM).
#[cfg(unix)]
#[test]
fn run_injects_keys_writes_nothing_and_passes_the_exit_code_through() {
    let (h, project) = home_with_keys("OPENAI_API_KEY=\n");
    let dir = project.to_str().expect("utf-8 path");
    let before: Vec<_> =
        std::fs::read_dir(&project).expect("ls").map(|e| e.expect("entry").file_name()).collect();

    let script = "test \"$GITHUB_TOKEN\" = \"$EXPECT\" && exit 7";
    let mut c = h.cmd(&["run", "--key", "GITHUB_TOKEN", "--", "sh", "-c", script]);
    c.env("EXPECT", ENV_GH);
    let out = run_cmd(c, None);
    assert_eq!(out.status.code(), Some(7), "{}", String::from_utf8_lossy(&out.stderr));

    // Without --key: the keys the project's .env names.
    let out = h.run(
        &["run", "--project", dir, "--", "sh", "-c", "printf %s \"$OPENAI_API_KEY|$GITHUB_TOKEN\""],
        None,
    );
    assert_ok(&out);
    assert_eq!(stdout(&out), format!("{ENV_OAI}|"));

    let after: Vec<_> =
        std::fs::read_dir(&project).expect("ls").map(|e| e.expect("entry").file_name()).collect();
    assert_eq!(before, after, "run writes no file");

    let (code, err) = h.fails(&["run", "--key", "GITHUB_TOKEN", "--", "/nonexistent/zqx-cmd"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("input.invalid")));
    let out = h.run(&["run", "--key", "GITHUB_TOKEN", "--", "sh", "-c", "kill -TERM $$"], None);
    assert_eq!(out.status.code(), Some(128 + 15));
}

#[test]
fn values_with_a_nul_byte_are_refused_at_every_entry() {
    let h = Home::with_profile();
    let (code, err) = h.fails(&["secret", "add", "NUL_KEY"], Some("before\0after"));
    assert_eq!((code, err["code"].as_str()), (2, Some("input.invalid")));
    assert!(err["message"].as_str().is_some_and(|m| m.contains("NUL byte")), "{err}");
    assert!(!err.to_string().contains("before"), "no value in the error");

    // In a file to import: that line is rejected with its reason, the rest
    // imported.
    let file = h.file("nul.env", "GOOD_KEY=fine\nNUL_KEY=a\u{0}b\n");
    let dry = h.json(&["import", file.to_str().expect("utf8"), "--dry-run"]);
    assert_eq!(dry["entries"].as_array().map(Vec::len), Some(1), "{dry}");
    assert!(dry.to_string().contains("value_has_nul"), "{dry}");
    let json = h.file("nul.json", "{\"NUL_KEY\": \"a\\u0000b\", \"GOOD_KEY\": \"fine\"}");
    let dry = h.json(&["import", json.to_str().expect("utf8"), "--dry-run"]);
    assert!(dry.to_string().contains("value_has_nul"), "{dry}");
    // Nor through an edit.
    assert_ok(&h.run(&["secret", "add", "GOOD_KEY"], Some("fine")));
    let (code, err) = h.fails(&["secret", "edit", "GOOD_KEY", "--value-stdin"], Some("x\0y"));
    assert_eq!(code, 2);
    assert!(err["message"].as_str().is_some_and(|m| m.contains("NUL byte")), "{err}");
}

// Linux: one environment string over 128 KiB is E2BIG there.
#[cfg(target_os = "linux")]
#[test]
fn run_with_an_environment_too_large_to_start_says_so() {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "HUGE_TOKEN"], Some(&"x".repeat(512 * 1024))));
    let (code, err) = h.fails(&["run", "--key", "HUGE_TOKEN", "--", "true"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("input.invalid")));
    let message = err["message"].as_str().unwrap_or_default();
    assert!(message.contains("environment is too large (1 keys"), "{err}");
    assert!(!err["suggestion"].as_str().unwrap_or_default().contains("PATH"), "{err}");
}

#[test]
fn a_missing_folder_or_a_folder_as_a_file_is_bad_input_named_as_such() {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_MissingFolder0123456789abcdefghij")));
    let bp = h.bundle_pass_file();
    let bp = bp.to_str().expect("utf8");
    let missing = h.path("no-such-dir");
    let inside = format!("{missing}/x.kcbundle");
    let folder = h.dir.path().to_str().expect("utf8").to_owned();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["env", "backups", &missing], "project.invalid_root"),
        (vec!["env", "write", &missing, "--key", "GH_TOKEN"], "project.invalid_root"),
        (vec!["env", "diff", &missing], "project.invalid_root"),
        (export_args(&inside, bp, &["--key", "GH_TOKEN"]), "input.invalid"),
        (export_args(&folder, bp, &["--key", "GH_TOKEN", "--force"]), "input.invalid"),
    ];
    for (args, want) in cases {
        let (code, err) = h.fails(&args, None);
        assert_eq!((code, err["code"].as_str()), (2, Some(want)), "{args:?}: {err}");
        let text = err.to_string();
        assert!(!text.contains("data folder") && !text.contains("temporary"), "{args:?}: {err}");
    }
}

#[test]
fn an_ambiguous_key_gets_the_provider_key_hint_and_run_refuses_unknown_options() {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_Ambiguous0123456789abcdefghijklmn")));
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN", "--provider", "generic"], Some("other-value")));
    let project = tempfile::tempdir().expect("project");
    let dir = project.path().to_str().expect("utf8");
    for args in [&["run", "--key", "GH_TOKEN", "--", "true"][..], &["env", "diff", dir, "--key", "GH_TOKEN"]]
    {
        let (code, err) = h.fails(args, None);
        assert_eq!((code, err["code"].as_str()), (2, Some("secret.ambiguous")), "{args:?}");
        let hint = err["suggestion"].as_str().unwrap_or_default();
        assert!(hint.contains("generic/GH_TOKEN or github/GH_TOKEN"), "{args:?}: {hint}");
        assert!(!hint.contains("--provider"), "run and env diff have no --provider: {hint}");
    }
    // A mistyped option of run is an error, not the command to run.
    let (code, err) = h.fails(&["run", "--bogus-opt", "--", "true"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("input.invalid")));
    assert!(err["message"].as_str().is_some_and(|m| m.contains("--bogus-opt")), "{err}");
}

// Unix only: the 0644/0600 modes checked are Unix permissions; on Windows
// a .env is guarded by its folder's ACLs and KeyClave changes no mode.
#[cfg(unix)]
#[test]
fn a_shared_env_file_that_receives_secrets_is_warned_about_and_chmod_600_narrows_it() {
    use std::os::unix::fs::PermissionsExt;
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_SharedEnv0123456789abcdefghijklmn")));
    let project = tempfile::tempdir().expect("project");
    let env = project.path().join(".env");
    std::fs::write(&env, "OTHER=1\n").expect("write");
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let dir = project.path().to_str().expect("utf8");
    let mode = |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;

    let out = h.run(&["env", "write", dir, "--key", "GH_TOKEN"], None);
    assert_ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("others may read it (mode 0644)") && stderr.contains("--chmod 600"), "{stderr}");
    assert_eq!(mode(&env), 0o644, "kept until asked");

    std::fs::write(&env, "OTHER=1\n").expect("write");
    let out = h.run(&["env", "write", dir, "--key", "GH_TOKEN", "--chmod", "600"], None);
    assert_ok(&out);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("others may read"));
    assert_eq!(mode(&env), 0o600);
}
