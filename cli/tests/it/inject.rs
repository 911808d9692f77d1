//! `keyclave inject` (templates with `keyclave://` references) and
//! `run --env-file` (a project's dotenv values beside the vault's keys).

use crate::util::{ENV_GH, ENV_OAI, Home, assert_ok, home_with_keys, stdout};

#[test]
fn inject_writes_a_private_file_and_refuses_to_replace_one_without_force() {
    let (h, _) = home_with_keys("");
    let tpl = h.file("app.yaml.tpl", "github: {{ keyclave://github/GITHUB_TOKEN }}\nport: 8080\n");
    let out_path = h.path("app.yaml");
    let args = ["inject", "-i", tpl.to_str().unwrap(), "-o", &out_path];
    let out = h.run(&args, None);
    assert_ok(&out);
    assert_eq!(std::fs::read_to_string(&out_path).unwrap(), format!("github: {ENV_GH}\nport: 8080\n"));
    assert!(!stdout(&out).contains(ENV_GH), "the value goes to the file only");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let (code, err) = h.fails(&args, None);
    assert_eq!((code, err["code"].as_str().unwrap()), (2, "input.invalid"));
    let mut forced = args.to_vec();
    forced.push("--force");
    assert_ok(&h.run(&forced, None));
}

#[test]
fn inject_reads_standard_input_and_fails_whole_on_a_missing_key() {
    let (h, _) = home_with_keys("");
    let out = h.run(&["inject"], Some("k={{ keyclave://OPENAI_API_KEY }}"));
    // The passphrase comes from its file; the template from stdin.
    assert_ok(&out);
    assert_eq!(stdout(&out), format!("k={ENV_OAI}"));
    let out_path = h.path("never.txt");
    let (code, err) = h.fails(
        &["inject", "-o", &out_path],
        Some("a={{ keyclave://OPENAI_API_KEY }}\nb={{ keyclave://NOPE }}\n"),
    );
    assert_eq!((code, err["code"].as_str().unwrap()), (2, "secret.not_found"));
    assert!(err["message"].as_str().unwrap().contains("line 2"));
    assert!(!std::path::Path::new(&out_path).exists(), "nothing written");
}

#[test]
fn run_env_file_loads_values_and_the_vault_wins() {
    let (h, project) = home_with_keys("");
    let env = project.join(".env");
    std::fs::write(&env, "PORT=8080\nGITHUB_TOKEN=placeholder\nMODE='dev mode'\n").unwrap();
    let env = env.to_str().unwrap();
    let show = "printf '%s|%s|%s|%s' \"$PORT\" \"$GITHUB_TOKEN\" \"$MODE\" \"${OPENAI_API_KEY-unset}\"";
    // No --key: the keys the file names that the vault holds.
    let out = h.run(&["run", "--env-file", env, "--", "sh", "-c", show], None);
    assert_ok(&out);
    assert_eq!(stdout(&out), format!("8080|{ENV_GH}|dev mode|unset"));
    // With --key: those keys, and the file's values beside them.
    let out = h.run(&["run", "--env-file", env, "--key", "OPENAI_API_KEY", "--", "sh", "-c", show], None);
    assert_ok(&out);
    assert_eq!(stdout(&out), format!("8080|placeholder|dev mode|{ENV_OAI}"));
    // A later file wins over an earlier one.
    let local = h.file("local.env", "PORT=9090\n");
    let out = h.run(
        &[
            "run",
            "--env-file",
            env,
            "--env-file",
            local.to_str().unwrap(),
            "--",
            "sh",
            "-c",
            "printf %s \"$PORT\"",
        ],
        None,
    );
    assert_eq!(stdout(&out), "9090");
}

#[test]
fn run_env_file_that_is_missing_is_bad_input() {
    let h = Home::with_profile();
    let missing = h.path("missing.env");
    let (code, _) = h.fails(&["run", "--env-file", &missing, "--", "true"], None);
    assert_eq!(code, 2);
}
