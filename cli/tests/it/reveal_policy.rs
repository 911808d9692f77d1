//! The reveal policy from the command line: with "code required to reveal"
//! on, every command that hands a value to a person or a process — `secret
//! reveal`, `run`, `env write`, `env generate` — refuses without a code,
//! and works with one. (`env diff` shows masked values: no code.)

use crate::util::*;

/// Turn TOTP on with "required for reveal"; returns unused recovery codes.
fn enable_totp_for_reveal(h: &Home) -> Vec<String> {
    let e = h.json(&["totp", "enroll"]);
    let secret = keyclave_core::totp::secret_from_base32(e["secret_base32"].as_str().expect("secret"))
        .expect("base32");
    let code = keyclave_core::totp::code_at(&secret, settled_now());
    let confirmed = h.json(&["totp", "confirm", &code]);
    let mut recovery: Vec<String> = confirmed["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("str").to_owned())
        .collect();
    let first = recovery.remove(0);
    assert_ok(&h.run(&["totp", "policy", "--reveal", "on", "--code", &first], None));
    recovery
}

#[test]
fn with_code_required_to_reveal_run_env_write_and_generate_refuse_without_a_code() {
    let (h, project) = home_with_keys("PORT=8080\n");
    let dir = project.to_str().expect("utf-8 path");
    let mut codes = enable_totp_for_reveal(&h).into_iter();

    // run: the child never starts, nothing of the value is printed.
    let out = h.run(&["--json", "run", "--key", "GITHUB_TOKEN", "--", "printenv", "GITHUB_TOKEN"], None);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!stdout(&out).contains(ENV_GH), "the value reached the child");
    assert!(String::from_utf8_lossy(&out.stderr).contains("totp.required"));
    let code = codes.next().expect("code");
    let out =
        h.run(&["run", "--key", "GITHUB_TOKEN", "--totp", &code, "--", "printenv", "GITHUB_TOKEN"], None);
    assert_ok(&out);
    assert_eq!(stdout(&out).trim(), ENV_GH);

    // env write: the file is left as it was.
    let (exit, err) = h.fails(&["env", "write", dir, "--key", "GITHUB_TOKEN"], None);
    assert_eq!((exit, err["code"].as_str()), (2, Some("totp.required")));
    assert_eq!(std::fs::read_to_string(project.join(".env")).expect("read"), "PORT=8080\n");
    let code = codes.next().expect("code");
    assert_ok(&h.run(&["env", "write", dir, "--key", "GITHUB_TOKEN", "--totp", &code], None));
    assert!(std::fs::read_to_string(project.join(".env")).expect("read").contains(ENV_GH));

    // env generate: no file is created.
    let (exit, err) =
        h.fails(&["env", "generate", dir, "--file", ".env.new", "--key", "OPENAI_API_KEY"], None);
    assert_eq!((exit, err["code"].as_str()), (2, Some("totp.required")));
    assert!(!project.join(".env.new").exists());
    let code = codes.next().expect("code");
    assert_ok(&h.run(
        &["env", "generate", dir, "--file", ".env.new", "--key", "OPENAI_API_KEY", "--totp", &code],
        None,
    ));
    assert!(std::fs::read_to_string(project.join(".env.new")).expect("read").contains(ENV_OAI));

    // A preview hands nothing out: no code.
    assert_ok(&h.run(&["env", "diff", dir, "--key", "OPENAI_API_KEY"], None));
    // And reveal, as before.
    assert_eq!(h.fails(&["secret", "reveal", "OPENAI_API_KEY"], None).1["code"], "totp.required");
}

#[test]
fn env_files_must_stay_inside_the_project_folder() {
    let (h, project) = home_with_keys("PORT=8080\n");
    let dir = project.to_str().expect("utf-8 path");
    for file in ["../outside.env", "/tmp/keyclave-outside.env"] {
        let (exit, err) = h.fails(&["env", "write", dir, "--file", file, "--key", "GITHUB_TOKEN"], None);
        assert_eq!((exit, err["code"].as_str()), (2, Some("input.invalid")), "{file}");
    }
    assert!(!project.parent().expect("parent").join("outside.env").exists());
}

/// Through the unlock agent the same policy holds: reveal, copy, run and
/// inject refuse without a code and work with one (each code once).
#[cfg(unix)]
#[test]
fn the_agent_applies_the_same_reveal_policy() {
    let (h, _) = home_with_keys("");
    let mut codes = enable_totp_for_reveal(&h).into_iter();
    assert_ok(&h.run(&["unlock"], None));
    let agent = |args: &[&str]| {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        run_cmd(h.cmd_without_passphrase(&a), None)
    };
    let tpl = h.file("t.tpl", "{{ keyclave://GITHUB_TOKEN }}");
    let tpl = tpl.to_str().expect("utf-8");
    for args in [
        vec!["secret", "reveal", "GITHUB_TOKEN"],
        vec!["secret", "copy", "GITHUB_TOKEN"],
        vec!["run", "--key", "GITHUB_TOKEN", "--", "printenv", "GITHUB_TOKEN"],
        vec!["inject", "-i", tpl],
    ] {
        let out = agent(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("totp.required"), "{args:?}");
        assert!(!stdout(&out).contains(ENV_GH), "{args:?}");
    }
    let code = codes.next().expect("code");
    let out = agent(&["secret", "reveal", "GITHUB_TOKEN", "--totp", &code]);
    assert_ok(&out);
    assert!(stdout(&out).contains(ENV_GH));
    let out = agent(&["secret", "reveal", "GITHUB_TOKEN", "--totp", &code]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("totp.invalid"), "a code works once");
    let code = codes.next().expect("code");
    let out = agent(&["inject", "-i", tpl, "--totp", &code]);
    assert_eq!(stdout(&out), ENV_GH);
    let _ = h.run(&["lock", "--all"], None);
}
