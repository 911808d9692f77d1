//! Output: a reader that went away (a closed pipe ends the command
//! quietly, never with a panic; a reveal nobody read is audited so), and
//! argument errors as JSON under `--json`.

use crate::util::*;
use std::process::Stdio;

/// Run with stdout a pipe whose reader is already gone (`| true`).
fn into_closed_pipe(h: &Home, args: &[&str]) -> (i32, String) {
    let (reader, writer) = os_pipe::pipe().expect("pipe");
    drop(reader);
    let out = h
        .cmd(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run keyclave");
    (out.status.code().expect("exit code"), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_closed_pipe_ends_providers_quietly_not_with_a_panic() {
    let h = Home::with_profile();
    for args in [&["providers"][..], &["--json", "providers"], &["secret", "list"]] {
        let (code, stderr) = into_closed_pipe(&h, args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_reveal_into_a_closed_pipe_is_audited_as_not_delivered() {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_ClosedPipe0123456789abcdefghijklmn")));
    let (code, stderr) = into_closed_pipe(&h, &["secret", "reveal", "GH_TOKEN"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ok(&h.run(&["secret", "reveal", "GH_TOKEN"], None));

    let audit = h.json(&["audit", "--type", "secret.reveal"]);
    let delivered: Vec<_> =
        audit.as_array().expect("events").iter().map(|e| e["metadata"]["delivered"].clone()).collect();
    // Newest first: the read one, then the one into the closed pipe.
    assert_eq!(delivered, [serde_json::json!(true), serde_json::json!(false)]);
}

#[test]
fn under_json_argument_errors_are_the_json_error_object_too() {
    let h = Home::with_profile();
    for (args, said) in [
        (&["secret", "add"][..], "<KEY_NAME>"),
        (&["secret", "bogus"], "unrecognized subcommand 'bogus'"),
        (&["secret", "list", "--limit", "abc"], "invalid value 'abc'"),
    ] {
        let (code, err) = h.fails(args, None);
        assert_eq!((code, err["code"].as_str()), (2, Some("input.invalid")), "{args:?}");
        assert!(err["message"].as_str().is_some_and(|m| m.contains(said)), "{args:?}: {err}");
        assert!(err["suggestion"].as_str().is_some_and(|s| s.contains("--help")), "{err}");
    }
    // A value typed where it does not belong is redacted like any error's.
    let (_, err) = h.fails(&["secret", "add", "KEY", "sk_live_zqxARGUMENT000000000000000"], None);
    assert!(!err.to_string().contains("zqxARGUMENT"), "{err}");
    // Without --json, clap's own text.
    let out = h.run(&["secret", "bogus"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: unrecognized subcommand"));
}

#[test]
fn scan_and_run_have_their_own_help_in_paragraphs() {
    let h = Home::with_profile();
    let help = |args: &[&str]| String::from_utf8_lossy(&h.run(args, None).stdout).into_owned();
    let scan = help(&["scan", "--help"]);
    assert!(scan.starts_with("Scan a project folder's docs for the API keys it needs.\n\n"), "{scan}");
    assert!(!scan.contains("Run a command with vault keys"), "scan's help is not run's");
    let run = help(&["run", "--help"]);
    assert!(run.starts_with("Run a command with vault keys in its environment"), "{run}");
    assert!(run.contains(".\n\nThe keys are those named with --key"), "two paragraphs: {run}");
    let top = help(&["--help"]);
    assert!(top.lines().any(|l| l.trim_start().starts_with("scan") && l.contains("Scan a project folder")));
}

#[test]
fn completions_are_printed_for_each_shell_without_a_data_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("never-made");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_keyclave"))
            .arg("--home")
            .arg(&home)
            .args(["completions", shell])
            .output()
            .expect("run");
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        for word in ["secret", "reveal", "scan", "--passphrase-file"] {
            assert!(script.contains(word), "{shell} completes {word}");
        }
    }
    assert!(!home.exists(), "no data folder for completions");
    // bash really completes from it: `keyclave sec<TAB>` offers `secret`.
    // Unix only: bash is not on a Windows runner; there the scripts above
    // are still checked.
    #[cfg(unix)]
    completes_in_bash(dir.path());
}

#[cfg(unix)]
fn completes_in_bash(dir: &std::path::Path) {
    let script = dir.join("keyclave.bash");
    let out =
        std::process::Command::new(env!("CARGO_BIN_EXE_keyclave")).args(["completions", "bash"]).output();
    std::fs::write(&script, out.expect("run").stdout).expect("write");
    let probe = format!(
        "source {}; COMP_WORDS=(keyclave sec); COMP_CWORD=1; _keyclave keyclave sec keyclave; echo \"${{COMPREPLY[*]}}\"",
        script.display()
    );
    let out = std::process::Command::new("bash").args(["-c", &probe]).output().expect("bash runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "secret",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
